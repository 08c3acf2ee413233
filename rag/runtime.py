"""Building the real parts from settings, once, at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from .embed import SentenceTransformerEmbedder
from .llm import LlamaCppLLM, OpenAICompatLLM
from .settings import Settings
from .store import Index


@dataclass
class Runtime:
    settings: Settings
    embedder: SentenceTransformerEmbedder
    index: Index
    llm: LlamaCppLLM | OpenAICompatLLM | None


def make_llm(settings: Settings):
    """The LLM named by settings: an OpenAI-compatible server when
    `llm_url` is set, else llama.cpp in-process, the model assembled from its
    packages on first use."""
    if settings.llm_url:
        return OpenAICompatLLM(settings.llm_url, settings.model, settings.llm_api_key)
    from .models import resolve

    path, name, chat_format = resolve(settings.model, settings.models_dir)
    return LlamaCppLLM(path, name, chat_format, n_ctx=settings.n_ctx, n_threads=settings.n_threads)


def load(settings: Settings, with_llm: bool = True) -> Runtime:
    from . import indexing

    llm = make_llm(settings) if with_llm else None  # fail fast on a missing model
    embedder = SentenceTransformerEmbedder(settings.embedder)
    index = indexing.ensure(settings, embedder)
    if llm is not None:
        llm.warm_up()
    embedder.warm_up()
    return Runtime(settings, embedder, index, llm)
