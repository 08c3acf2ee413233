"""The assistant as a long-lived service: models and index loaded once and
shared by every visitor of the UI and every request of the HTTP server.

llama.cpp is not thread-safe and two CPU cores run one answer at a time
well, so answers are serialized by one lock (a FIFO-ish queue of waiting
threads); retrieval for the next request waits behind it, which costs
milliseconds. Ingest builds the new index without that lock and swaps the
reference when done, so answers keep flowing during an upload.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import InputError
from .settings import Settings
from .types import Answer


class Assistant:
    """Cheap to construct; `warm_up()` loads the embedder, the index and the
    LLM. Models and the embedder may be handed in (tests use fakes)."""

    def __init__(self, settings: Settings, embedder=None, llms: dict | None = None, index=None):
        self.settings = settings
        self._embedder = embedder
        self._index = index
        self._version = (settings.index_dir / "current").resolve() if index is not None else None
        self._llms: dict[str, object] = dict(llms or {})
        self._load_lock = threading.Lock()  # one loader at a time
        self._answer_lock = threading.Lock()  # one answer at a time (llama.cpp, 2 cores)
        self._ingest_lock = threading.Lock()
        self.state = "not loaded"  # shown by the UI and /health
        self.answered = 0

    # ---- loading -----------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from .embed import SentenceTransformerEmbedder

            self._embedder = SentenceTransformerEmbedder(self.settings.embedder)
        return self._embedder

    @property
    def index(self):
        """The current index; reloaded when another process (`rag ingest`)
        has swapped in a newer version since it was loaded."""
        from . import indexing, store

        with self._load_lock:
            root = self.settings.index_dir
            now = (root / "current").resolve() if store.exists(root) else None
            if self._index is None or now != self._version:
                before, self.state = self.state, "loading the index"
                try:
                    self._index = indexing.ensure(self.settings, self.embedder)
                    self._version = (root / "current").resolve()
                finally:
                    self.state = before
            return self._index

    def model_name(self, model: str | None) -> str:
        return model or self.settings.model

    def llm(self, model: str | None = None):
        """The LLM named `model` (default: the settings' model), loaded once."""
        from .runtime import make_llm

        name = self.model_name(model)
        with self._load_lock:
            if name not in self._llms:
                before, self.state = self.state, f"loading model {name}"
                try:
                    llm = make_llm(self.settings.model_copy(update={"model": name}))
                    if hasattr(llm, "warm_up"):
                        llm.warm_up()
                    self._llms[name] = llm
                finally:
                    self.state = before
            return self._llms[name]

    def warm_up(self, model: str | None = None) -> None:
        """Load everything a first question needs; sets `state` as it goes."""
        self.state = "loading the embedder"
        if hasattr(self.embedder, "warm_up"):
            self.embedder.warm_up()
        self.index
        self.llm(model)
        self.state = "ready"

    def status(self) -> dict:
        idx = self._index
        return {
            "state": self.state,
            "models_loaded": sorted(self._llms),
            "model": self.settings.model,
            "index_dir": str(self.settings.index_dir),
            "articles": len(idx.docs) if idx is not None else None,
            "chunks": len(idx.chunks) if idx is not None else None,
            "answered": self.answered,
            "busy": self._answer_lock.locked(),
        }

    # ---- answering -----------------------------------------------------------
    def ask(self, question: str, model: str | None = None, top_k: int | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """One answer, in the `ask --json` shape (`Answer.to_json()`)."""
        from .pipeline import answer, clean_question

        clean_question(question, self.settings.max_question_chars)  # refuse bad input before queueing
        if top_k is not None and not 1 <= top_k <= 12:
            raise InputError("the number of passages must be between 1 and 12.")
        llm = self.llm(model)
        index, embedder = self.index, self.embedder
        with self._answer_lock:
            a = answer(question, index, embedder, llm, self.settings, on_token=on_token, top_k=top_k)
        self.answered += 1
        return a

    def standalone(self, question: str, earlier: list[str], model: str | None = None) -> tuple[str, str]:
        """A follow-up rewritten to stand alone (`rag.followup.condense`),
        by the same LLM, in the same queue as answers."""
        from .followup import condense
        from .pipeline import clean_question

        clean_question(question, self.settings.max_question_chars)
        llm = self.llm(model)

        def complete(messages: list[dict]) -> str:
            with self._answer_lock:
                return "".join(llm.stream(messages, max_tokens=48))

        return condense(question, earlier, complete)

    def stream(self, question: str, model: str | None = None, top_k: int | None = None
               ) -> Iterator[tuple[str, object]]:
        """Yields ("token", str) as the model writes, then ("answer", Answer).
        An error is raised from the generator, where the caller reads it."""
        events: queue.Queue = queue.Queue()
        done = object()

        def work():
            try:
                a = self.ask(question, model, top_k, on_token=lambda piece: events.put(("token", piece)))
                events.put(("answer", a))
            except BaseException as e:  # handed to the reading thread
                events.put(("error", e))
            finally:
                events.put((done, None))

        threading.Thread(target=work, daemon=True, name="rag-answer").start()
        while True:
            kind, value = events.get()
            if kind is done:
                return
            if kind == "error":
                raise value
            yield kind, value

    # ---- adding articles -------------------------------------------------------
    def ingest(self, paths: list[Path]):
        """Add files or folders; returns (LoadReport, n_added). The new index
        replaces the old one for the next question."""
        from . import indexing

        with self._ingest_lock:
            t0 = time.perf_counter()
            idx, report, added = indexing.ingest(self.settings, self.embedder, list(paths))
            with self._load_lock:
                self._index = idx
                self._version = (self.settings.index_dir / "current").resolve()
            report.seconds = round(time.perf_counter() - t0, 2)
            return report, added
