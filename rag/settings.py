"""One settings object, built at the edge (CLI flags, environment `RAG_*`) and
passed down. No other module reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent  # the repository (editable install)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid", frozen=True)

    # where things live
    index_dir: Path = Field(ROOT / "index", description="Directory of the built index.")
    models_dir: Path = Field(ROOT / "models", description="Model registry and assembled model files.")
    seeds_dir: Path = Field(ROOT / "seeds", description="Articles indexed on first use.")

    # models
    model: str = Field("default", description="LLM: a registry name (default, fast, tiny) or a GGUF path.")
    embedder: str = Field("all-MiniLM-L6-v2", description="Sentence-transformers embedder id.")
    n_threads: int | None = Field(None, description="llama.cpp threads; None = physical cores.")
    n_ctx: int = Field(2048, description="LLM context window in tokens.")
    llm_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1) that runs the LLM instead of llama.cpp in-process.")
    llm_api_key: str = Field("none", description="API key sent to the llm_url server, if it wants one.")

    # serving: the HTTP API (`rag serve`), the chat page (`rag ui`) and the CLI's warm path
    host: str = Field("127.0.0.1", description="Address `rag serve` and `rag ui` bind to; loopback by default.")
    port: int = Field(8765, description="Port of `rag serve`; `ask` sends its questions there when it runs.")
    ui_port: int = Field(7860, description="Port of `rag ui`.")
    use_server: bool = Field(True, description="Let `ask` use a running `rag serve` (warm models) instead of loading its own.")
    max_upload_bytes: int = Field(5_000_000, description="Largest article accepted from the chat page or POST /ingest, in bytes.")
    max_request_bytes: int = Field(1_000_000, description="Largest HTTP request body `rag serve` reads (uploads aside), in bytes.")

    max_file_bytes: int = Field(20_000_000, description="Largest article file accepted, in bytes.")

    # chunking: token-aware, sentence-bounded
    chunk_tokens: int = Field(128, description="Maximum tokens (cl100k) per chunk.")
    chunk_overlap: int = Field(24, description="Tokens of trailing sentences repeated at the next chunk's start.")

    # retrieval
    top_k: int = Field(4, description="Passages given to the model (-k).")
    candidates: int = Field(24, description="Chunks taken from each retriever before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    max_per_doc: int = Field(2, description="At most this many passages from one article.")
    context_tokens: int = Field(360, description="Token budget for the passages in the prompt.")

    # generation
    max_answer_tokens: int = Field(96, description="Cap on generated tokens.")
    max_question_chars: int = Field(1000, description="Longer questions are trimmed to this many characters.")

    checks: bool = Field(True, description="Gate, claim check, extractive fallback and conflicts; off gives the model's raw answer (the eval's before row).")

    # trust: thresholds chosen on the gold set (eval/README.md)
    min_relevance: float = Field(0.35, description="Best evidence cosine below this: off-topic, abstain.")
    min_support: float = Field(0.5, description="Share of a claim's content words its cited passage must hold.")
    extract_min_relevance: float = Field(0.5, description="Evidence cosine needed to answer by extract when the model fails.")


def default_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (None means unset)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
