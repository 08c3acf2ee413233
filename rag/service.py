"""The assistant as a long-lived service: the one holder of the loaded parts
(embedder, index, LLMs), shared by every face: the CLI in-process, every
visitor of the chat page and every request of the HTTP server.

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
from .question import Question, clean_question
from .settings import Settings, bounds
from .types import Answer, Document
from .uploads import UploadReport


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
            from .embed import embedder_for

            self._embedder = embedder_for(self.settings)
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

    def _offered(self) -> dict[str, str]:
        """Public name -> model setting, for the service's own model and the
        ones it was allowed (Settings.allow_models); a model given as a
        file is named by its file name: no path is ever shown."""
        return {public_name(m): m for m in [*self.settings.allow_models, self.settings.model]}

    def offered_models(self) -> list[str]:
        """The names a client may pick, the service's own first."""
        own = public_name(self.settings.model)
        return [own, *sorted(set(self._offered()) - {own})]

    def pick_model(self, name: str | None, strict: bool = True) -> str | None:
        """A client's model choice: None for the service's own; an offered
        model; else InputError, listing the offered ones. Not `strict`
        (OpenAI clients, which must send some name, e.g. "gpt-4o"): a name
        that is no model of ours is the service's own; a model of ours that
        was not allowed is still refused, never loaded."""
        offered = self._offered()
        if not name or name == self.settings.model:
            return None
        if name in offered:
            return None if offered[name] == self.settings.model else offered[name]
        offers = f"this server offers: {', '.join(self.offered_models())}"
        if name in self._known_models():
            raise InputError(f"model {name!r} is not offered here; {offers} (start it with `--allow-model {name}` "
                             "to offer that one too).")
        if strict:
            raise InputError(f"unknown model {name!r}; {offers}.")
        return None

    def _known_models(self) -> set[str]:
        from .models import registry

        try:
            return set(registry(self.settings.models_dir))
        except OSError:
            return set()

    def llm(self, model: str | None = None):
        """The LLM named `model` (default: the settings' model), loaded once."""
        from .llm import make_llm

        name = self.model_name(model)
        with self._load_lock:
            if name not in self._llms:
                llm = make_llm(self.settings.model_copy(update={"model": name}))  # fails fast when not installed
                before, self.state = self.state, f"loading model {name}"
                try:
                    if hasattr(llm, "warm_up"):
                        llm.warm_up()
                    self._llms[name] = llm
                finally:
                    self.state = before
            return self._llms[name]

    def warm_up(self, model: str | None = None, with_llm: bool = True) -> None:
        """Load everything a first question needs; sets `state` as it goes.
        A model that is not installed fails before the embedder loads."""
        if with_llm and self.model_name(model) not in self._llms:
            from .llm import make_llm

            make_llm(self.settings.model_copy(update={"model": self.model_name(model)}))
        self.state = "loading the embedder"
        if hasattr(self.embedder, "warm_up"):
            self.embedder.warm_up()
        self.index  # noqa: B018 (loads it)
        if with_llm:
            self.llm(model)
        self.state = "ready"

    def status(self) -> dict:
        idx = self._index
        return {
            "state": self.state,
            "models_loaded": sorted(public_name(m) for m in self._llms),
            "model": public_name(self.settings.model),
            "articles": len(idx.docs) if idx is not None else None,
            "chunks": len(idx.chunks) if idx is not None else None,
            "answered": self.answered,
            "busy": self._answer_lock.locked(),
        }

    # ---- answering -----------------------------------------------------------
    def question(self, text: str | Question) -> Question:
        """The question cleaned, or InputError: faces call it to refuse bad
        input before they queue, and pass the Question on."""
        return clean_question(text, self.settings.max_question_chars)

    def check_top_k(self, top_k: int | None) -> None:
        lo, hi = bounds("top_k")
        if top_k is not None and not lo <= top_k <= hi:
            raise InputError(f"the number of passages must be between {lo} and {hi}.")

    def ask(self, question: str | Question, model: str | None = None, top_k: int | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """One answer (`pipeline.answer`), after those before it."""
        from .pipeline import answer

        q = self.question(question)  # refuse bad input before queueing
        self.check_top_k(top_k)
        llm = self.llm(model)
        index, embedder = self.index, self.embedder
        with self._answer_lock:
            a = answer(q, index, embedder, llm, self.settings, on_token=on_token, top_k=top_k)
        self.answered += 1
        return a

    def standalone(self, question: str, earlier: list[str], model: str | None = None) -> tuple[str, str]:
        """A follow-up rewritten to stand alone (`rag.followup.condense`),
        by the same LLM, in the same queue as answers."""
        from .followup import condense

        q = self.question(question)
        llm = self.llm(model)

        def complete(messages: list[dict]) -> str:
            with self._answer_lock:
                return "".join(llm.stream(messages, max_tokens=self.settings.max_rewrite_tokens))

        return condense(q.text, earlier, complete)

    def stream(self, question: str | Question, model: str | None = None, top_k: int | None = None
               ) -> Iterator[tuple[str, object]]:
        """Yields ("token", str) as the model writes, then ("answer", Answer).
        An error is raised from the generator, where the caller reads it."""
        events: queue.Queue = queue.Queue()
        done = object()

        def work():
            try:
                a = self.ask(question, model, top_k, on_token=lambda piece: events.put(("token", piece)))
                events.put(("answer", a))
            except BaseException as e:  # handed to the reading thread  # noqa: BLE001
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

    def stream_until(self, question: str | Question, stop: threading.Event, model: str | None = None,
                     top_k: int | None = None) -> Iterator[tuple[str, object]]:
        """`stream`, stoppable, and saying when the draft is done (`rag.stopping`)."""
        from .stopping import stream_until

        return stream_until(self, question, stop, model, top_k)

    # ---- the articles ----------------------------------------------------------
    def articles(self) -> list[dict]:
        """The indexed articles, newest first (`rag.articles.listing`)."""
        from .articles import listing

        return listing(self.index)

    def article(self, doc_id: str) -> Document | None:
        return self.index.docs.get(doc_id)

    def delete(self, ids: list[str]) -> list[str]:
        """Remove articles and their passages from the index (atomically, as
        an ingest writes); the next question no longer sees them."""
        from . import indexing

        with self._ingest_lock:
            idx, gone = indexing.delete(self.settings, list(ids))
            with self._load_lock:
                self._index = idx
                self._version = (self.settings.index_dir / "current").resolve()
        return gone

    def context(self, doc_id: str, chunk_id: str, cited: str) -> dict | None:
        """A cited passage in its article (`rag.articles.passage_context`)."""
        from .articles import passage_context

        return passage_context(self.index, doc_id, chunk_id, cited)

    def examples(self, n: int | None = None) -> list[str]:
        """Example questions drawn from the indexed articles."""
        from .articles import EXAMPLES_SHOWN, example_questions

        return example_questions(self.index, n or EXAMPLES_SHOWN)

    # ---- adding articles -------------------------------------------------------
    def ingest(self, paths: list[Path], replace: bool = True, max_chunks: int | None = None):
        """Add files or folders; returns (LoadReport, n_added). The new index
        replaces the old one for the next question. `replace` and
        `max_chunks` as in `indexing.ingest`."""
        from . import indexing

        with self._ingest_lock:
            t0 = time.perf_counter()
            idx, report, added = indexing.ingest(self.settings, self.embedder, list(paths), replace, max_chunks)
            with self._load_lock:
                self._index = idx
                self._version = (self.settings.index_dir / "current").resolve()
            report.seconds = round(time.perf_counter() - t0, 2)
            return report, added

    def add_uploads(self, uploads: list[tuple[str | None, bytes]], replace: bool = False) -> UploadReport:
        """Add uploaded files, given as (client's file name, content)
        (`rag.uploads.add`)."""
        from .uploads import add

        return add(self.settings, uploads, lambda paths: self.ingest(paths, replace, self.settings.max_upload_chunks))


def public_name(model: str) -> str:
    """How a model is named to clients: a registry name as is, a GGUF path
    by its file name.

    >>> public_name("tiny"), public_name("/models/private/my-model.gguf")
    ('tiny', 'my-model.gguf')
    """
    return Path(model).name if "/" in model or "\\" in model else model


def warm_in_background(assistant: Assistant) -> threading.Thread:
    """Load the models while a face already answers (its status shows the
    state; a failure is shown there, and requests raise it again)."""

    def work():
        try:
            assistant.warm_up()
        except Exception as e:  # noqa: BLE001
            assistant.state = f"error: {e}"

    t = threading.Thread(target=work, daemon=True, name="rag-warm-up")
    t.start()
    return t
