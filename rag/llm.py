"""LLMs behind a one-method protocol: `stream(messages, max_tokens)` yields
text pieces. The real one is llama.cpp in-process; tests hand in fakes."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .errors import ModelNotInstalled


class LLM(Protocol):
    id: str
    last_usage: dict  # {"prompt_tokens": int, "completion_tokens": int} of the last call

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        ...


class LlamaCppLLM:
    """llama.cpp via llama-cpp-python. Cheap to construct; loads in `warm_up`.
    A lock serializes calls: llama.cpp contexts are not thread-safe. The
    previous prompt's KV cache is reused for a shared prefix."""

    def __init__(self, path: Path, name: str, chat_format: str = "", n_ctx: int = 2048,
                 n_threads: int | None = None):
        self.path, self.id, self.chat_format = path, name, chat_format or None
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 2
        self.last_usage: dict = {}
        self._llm = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._llm is not None:
            return
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise ModelNotInstalled("llama-cpp-python is not installed; run `make install`.") from e
        try:
            self._llm = Llama(model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                              n_threads_batch=self.n_threads, chat_format=self.chat_format, verbose=False)
        except ValueError as e:  # llama.cpp's answer to a file it cannot load
            raise ModelNotInstalled(f"{self.path} is not a loadable GGUF model ({e}).") from e

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        self.warm_up()
        with self._lock:
            n = 0
            for part in self._llm.create_chat_completion(messages=messages, stream=True, temperature=0.0,
                                                         top_k=1, max_tokens=max_tokens, seed=0):
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    n += 1
                    yield piece
            total = self._llm.n_tokens
            self.last_usage = {"prompt_tokens": max(total - n, 0), "completion_tokens": n}
