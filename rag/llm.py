"""LLMs behind a one-method protocol: `stream(messages, max_tokens)` yields
text pieces. The real one is llama.cpp in-process; tests hand in fakes."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .errors import ModelNotInstalled, RagError
from .settings import Settings


class LLM(Protocol):
    id: str
    last_usage: dict  # {"prompt_tokens": int, "completion_tokens": int} of the last call

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        ...


def default_threads() -> int:
    """Physical cores this process may use: llama.cpp gains nothing from a
    core's second hyper-thread and loses when it oversubscribes."""
    import psutil

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(psutil.cpu_count(logical=False) or usable, usable))


class LlamaCppLLM:
    """llama.cpp via llama-cpp-python. Cheap to construct; loads in `warm_up`.
    A lock serializes calls: llama.cpp contexts are not thread-safe. The
    previous prompt's KV cache is reused for a shared prefix."""

    def __init__(self, path: Path, name: str, chat_format: str = "", n_ctx: int = 2048,
                 n_threads: int | None = None):
        self.path, self.id, self.chat_format = path, name, chat_format or None
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
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

    def yes_probability(self, messages: list[dict]) -> float | None:
        """P(yes) / (P(yes) + P(no)) of the reply's first token. The
        conversation extends the one just answered, so llama.cpp reuses its
        cached prefix and reads only the new turn's tokens."""
        import numpy as np

        self.warm_up()
        with self._lock:
            self._llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0, top_k=1, seed=0)
            get = getattr(self._llm._ctx, "get_logits", None)  # the last position's logits (logits_all is off)
            if get is None:
                return None
            logits = np.ctypeslib.as_array(get(), shape=(self._llm.n_vocab(),)).astype(np.float64)
        probs = np.exp(logits - logits.max())

        def p(words: tuple[str, ...]) -> float:
            ids = {self._llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words}
            return float(sum(probs[i] for i in ids))

        yes, no = p(("yes", "Yes", " yes", " Yes")), p(("no", "No", " no", " No"))
        return yes / (yes + no) if yes + no > 0 else None

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


class OpenAICompatLLM:
    """An LLM behind any OpenAI-compatible server (llama.cpp's server,
    `python -m llama_cpp.server`, vLLM), so one serving engine can answer for
    many users. Same protocol as LlamaCppLLM; the server does the chat
    template. `want` is a model the server may serve (a registry name such as
    "default"); when the server lists no such model its first one is used."""

    def __init__(self, base_url: str, want: str = "", api_key: str = "none", timeout: float = 300.0):
        self.base_url = base_url.rstrip("/")
        self.want, self.api_key, self.timeout = want, api_key, timeout
        self.model = ""  # the server's model id, set by warm_up
        self.id = f"{want or 'model'}@{self.base_url}"
        self.last_usage: dict = {}

    def _unreachable(self, e: Exception) -> RagError:
        return RagError(f"no LLM server at {self.base_url} ({e.__class__.__name__}); start it or drop --llm-url.")

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"}

    def warm_up(self) -> None:
        """Ask the server which models it serves; fails clearly when it is down."""
        if self.model:
            return
        import httpx

        try:
            r = httpx.get(f"{self.base_url}/models", headers=self._headers(), timeout=10)
            r.raise_for_status()
            ids = [m["id"] for m in r.json().get("data", []) if m.get("id")]
        except httpx.TransportError as e:
            raise self._unreachable(e) from None
        except (httpx.HTTPStatusError, ValueError, KeyError, AttributeError) as e:
            raise RagError(f"{self.base_url}/models did not answer like an OpenAI-compatible server ({e}); "
                           "check --llm-url (it usually ends in /v1).") from None
        if not ids:
            raise RagError(f"the LLM server at {self.base_url} serves no model; start it with one.")
        self.model = self.want if self.want in ids else ids[0]
        self.id = self.model

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        import json

        import httpx

        self.warm_up()
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0,
                "seed": 0, "stream": True, "stream_options": {"include_usage": True}}
        usage, pieces = None, []
        try:
            with httpx.stream("POST", f"{self.base_url}/chat/completions", json=body, headers=self._headers(),
                              timeout=httpx.Timeout(self.timeout, connect=10)) as r:
                if r.is_error:
                    r.read()
                    raise RagError(f"the LLM server at {self.base_url} answered {r.status_code}: {r.text[:200]}")
                for line in r.iter_lines():  # server-sent events: "data: {json}" ... "data: [DONE]"
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            pieces.append(piece)
                            yield piece
        except httpx.TransportError as e:
            raise self._unreachable(e) from None
        if usage:
            self.last_usage = {"prompt_tokens": usage.get("prompt_tokens", 0),
                               "completion_tokens": usage.get("completion_tokens", len(pieces))}
        else:  # the server gave no usage: estimate with the index's tokenizer (cl100k)
            from .text import count_tokens

            self.last_usage = {"prompt_tokens": sum(count_tokens(m["content"]) for m in messages),
                               "completion_tokens": count_tokens("".join(pieces))}


def make_llm(settings: Settings) -> LlamaCppLLM | OpenAICompatLLM:
    """The LLM named by settings, not loaded yet (`warm_up` loads it): an
    OpenAI-compatible server when `llm_url` is set, else llama.cpp
    in-process, the model assembled from its packages on first use. Fails
    fast on a model that is not installed."""
    if settings.llm_url:
        return OpenAICompatLLM(settings.llm_url, settings.model, settings.llm_api_key)
    from .models import resolve

    path, name, chat_format = resolve(settings.model, settings.models_dir)
    return LlamaCppLLM(path, name, chat_format, n_ctx=settings.n_ctx, n_threads=settings.n_threads)
