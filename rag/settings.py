"""One settings object, built at the edge (CLI flags, environment `RAG_*`) and
passed down. No other module reads the environment.

Every tunable is declared here once, with its bounds; the faces (CLI, HTTP,
chat page) read the bounds with `bounds(name)` instead of repeating them.
Where a value was chosen by measurement, its description says where."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent  # the repository (editable install)
DEFAULT_INDEX_DIR = ROOT / "index"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid", frozen=True)

    # where things live
    index_dir: Path = Field(DEFAULT_INDEX_DIR, description="Directory of the built index.")
    models_dir: Path = Field(ROOT / "models", description="Model registry and assembled model files.")
    seeds_dir: Path = Field(ROOT / "seeds", description="Articles indexed on first use.")

    # models
    model: str = Field("default", description="LLM: a registry name (default, fast, tiny) or a GGUF path.")
    allow_models: list[str] = Field(default_factory=list, description="Other LLMs the clients of `rag serve` and visitors of `rag ui` may pick (--allow-model); each loaded on first use and kept (~1-2 GB each). Empty: only `model`, so no client can make the server load another.")
    embedder: str = Field("all-MiniLM-L6-v2-int8", description="Embedder id: all-MiniLM-L6-v2-int8 (MiniLM exported here to ONNX, weights int8: the default), all-MiniLM-L6-v2-onnx (the same in fp32: the torch vectors without torch at run time; ~1.7x the CPU) or all-MiniLM-L6-v2 (sentence-transformers on torch, fp32: the baseline of `rag bench`).")
    embed_threads: int | None = Field(None, ge=1, le=256, description="Batches the ONNX embedder runs side by side, one thread each; None = one per core.")
    n_threads: int | None = Field(None, ge=1, description="llama.cpp threads; None = physical cores.")
    n_ctx: int = Field(2048, ge=256, le=32768, description="LLM context window in tokens.")
    llm_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1) that runs the LLM instead of llama.cpp in-process.")
    llm_api_key: str = Field("none", description="API key sent to the llm_url server, if it wants one.")

    # serving: the HTTP API (`rag serve`), the chat page (`rag ui`) and the CLI's warm path
    host: str = Field("127.0.0.1", description="Address `rag serve` and `rag ui` bind to; loopback by default.")
    port: int = Field(8765, ge=1, le=65535, description="Port of `rag serve`; `ask` sends its questions there when it runs.")
    ui_port: int = Field(7860, ge=1, le=65535, description="Port of `rag ui`.")
    use_server: bool = Field(True, description="Let `ask` use a running `rag serve` (warm models) instead of loading its own.")
    server_probe_s: float = Field(0.3, gt=0, le=10, description="How long `ask` waits for a running server's /health before answering in-process.")
    max_upload_bytes: int = Field(5_000_000, ge=1, description="Largest article accepted from the chat page or POST /ingest, in bytes.")
    max_upload_files: int = Field(20, ge=1, le=1000, description="Most files in one POST /ingest request.")
    max_upload_request_bytes: int = Field(10_000_000, ge=1024, description="Largest total of the files of one upload (POST /ingest or the chat page), in bytes; more is refused (HTTP 413).")
    max_upload_chunks: int = Field(2000, ge=1, le=1_000_000, description="Most new passages one upload may add; more is refused before embedding (HTTP 413). Embedding runs at ~26 passages/s on 2 cores (DESIGN.md): 2,000 is about 80 s of work.")
    max_request_bytes: int = Field(1_000_000, ge=1024, description="Largest HTTP request body `rag serve` reads (uploads aside), in bytes.")

    max_file_bytes: int = Field(20_000_000, ge=1, description="Largest article file accepted, in bytes.")

    # chunking: token-aware, sentence-bounded
    chunk_tokens: int = Field(128, ge=16, le=2048, description="Maximum tokens (cl100k) per chunk.")
    chunk_overlap: int = Field(24, ge=0, le=512, description="Tokens of trailing sentences repeated at the next chunk's start.")
    embed_batch: int = Field(8, ge=1, le=4096, description="Texts per model call while embedding (sorted by length first, so batches pad little; small batches ran fastest on 2 cores).")
    ingest_batch: int = Field(1024, ge=1, le=1_000_000, description="Chunks embedded (with their sentences) between two appends to the resume file; a killed ingest loses at most this many.")

    # retrieval
    top_k: int = Field(4, ge=1, le=12, description="Passages given to the model (-k).")
    candidates: int = Field(24, ge=1, le=1000, description="Chunks taken from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant (60: Cormack et al. 2009).")
    sentence_chunks: int = Field(8, ge=1, le=100, description="Best fused chunks whose sentences are ranked as evidence (chosen on the gold set: more added time, not answers).")
    max_per_doc: int = Field(2, ge=1, le=12, description="At most this many passages from one article.")
    diversity_margin: float = Field(0.15, ge=0, le=1, description="First pass of packing: one sentence from each article within this cosine of the best one (gold set).")
    context_tokens: int = Field(360, ge=32, le=8192, description="Token budget for the passages in the prompt (200 lost accuracy and every conflict on the gold set; README, Benchmark).")
    passage_frame_tokens: int = Field(12, ge=0, le=64, description="Tokens a passage's <passage n=.. source=..> frame costs in the prompt (measured with cl100k).")

    # generation
    max_answer_tokens: int = Field(96, ge=8, le=2048, description="Cap on generated tokens.")
    max_rewrite_tokens: int = Field(48, ge=8, le=512, description="Cap on the tokens of a follow-up rewritten to stand alone.")
    max_question_chars: int = Field(1000, ge=16, le=100_000, description="Longer questions are trimmed to this many characters.")

    # trust: thresholds chosen on the gold set (eval/README.md)
    min_relevance: float = Field(0.35, ge=-1, le=1, description="Best evidence cosine below this: off-topic, abstain (answerable >= 0.63, off-topic ~0.27).")
    min_support: float = Field(0.5, ge=0, le=1, description="Share of a claim's content words its cited passage must hold.")
    extract_min_relevance: float = Field(0.6, ge=-1, le=1, description="Evidence cosine needed to answer by extract when the model fails (0.5 before sentence vectors were read in their chunk, which raises their cosines; 0.6 chosen on the Reuters dev half and the seeds set: eval/README.md).")
    name_gate: bool = Field(True, description="Refuse without asking the model when a name or year the question gives is in none of the passages or the chunks they came from (`rag.gate`); False leaves only the off-topic check (min_relevance).")
    disagreements: bool = Field(True, description="Look for articles giving the asked value differently and list each version with its source (`rag.conflicts`, `rag.versions`); False: one answer, no versions.")
    same_time: bool = Field(True, description="An answer (the model's, with typed_answers, or the fallback's sentence) may not give another year, month or day than the question's: eval/README.md.")
    typed_answers: bool = Field(True, description="Drop a model answer that holds no value of the kind asked (an amount, a date, a name): eval/README.md.")
    min_answer_confidence: float = Field(0.0, ge=0, le=1, description="The model's own yes/no check of its answer (P(yes), asked in the same conversation; ~0.4 s): below this the answer is dropped. 0 turns the check off: the default, since on the Reuters dev half the default model's P(yes) was 0.84-0.94 for right and wrong answers alike.")
    extract_tries: int = Field(3, ge=1, le=50, description="Best evidence sentences tried as the extractive answer.")
    conflict_spread: float = Field(0.1, ge=0, le=2, description="A disagreeing version whose sentence is further than this cosine below the best version's, and shares under half its question words, is dropped (0.1 chosen on the Reuters dev half and the seeds set: eval/README.md).")
    more_versions: int = Field(2, ge=0, le=8, description="Versions of the answer's figure added from further down the search's hits, which the model did not read (`rag.versions`; 0: off).")
    conflict_margin: float = Field(0.12, ge=0, le=1, description="Sentences within this cosine of the best passage may carry a disagreeing value (gold set).")

    def seeds_on_first_use(self) -> bool:
        """Whether an index folder that holds no index is built from
        seeds_dir: the default folder is (the README's first run), and any
        folder when seeds_dir was named too (RAG_SEEDS_DIR); a folder named
        alone is refused, so a mistyped --index is not silently filled with
        the shipped articles."""
        return self.index_dir.resolve() == DEFAULT_INDEX_DIR.resolve() or "seeds_dir" in self.model_fields_set


def bounds(name: str) -> tuple[float | None, float | None]:
    """The (lowest, highest) value a numeric setting accepts, for the faces.

    >>> bounds("top_k")
    (1, 12)
    """
    lo = hi = None
    for m in Settings.model_fields[name].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return lo, hi


def default_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (None means unset)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
