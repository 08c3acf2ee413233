"""An answer the reader can stop: the service's `stream`, plus an event
when the draft is written (the page says "checking the citations…"), and a
stop flag checked at every token, so a stopped answer frees the one LLM at
once instead of writing on for nobody."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from .errors import RagError
from .question import Question


class AnswerStopped(RagError):
    """The reader stopped the answer; nothing was checked or kept."""


def stream_until(assistant, question: str | Question, stop: threading.Event, model: str | None = None,
                 top_k: int | None = None) -> Iterator[tuple[str, object]]:
    """Yields ("token", str)..., ("checking", None), then ("answer", Answer).
    When `stop` is set the model stops at its next token and AnswerStopped
    is raised here. `assistant`: a `rag.service.Assistant`."""
    from .pipeline import answer

    q = assistant.question(question)
    assistant.check_top_k(top_k)
    llm, index, embedder = assistant.llm(model), assistant.index, assistant.embedder
    events: queue.Queue = queue.Queue()

    def on_token(piece: str) -> None:
        if stop.is_set():
            raise AnswerStopped("stopped by the reader.")
        events.put(("token", piece))

    class Watched:  # the LLM, saying when its draft is done
        id = getattr(llm, "id", "llm")

        def __getattr__(self, name):
            return getattr(llm, name)

        def stream(self, messages, max_tokens):
            yield from llm.stream(messages, max_tokens)
            events.put(("checking", None))

    def work():
        try:
            with assistant._answer_lock:  # one answer at a time, as `Assistant.ask`
                if stop.is_set():
                    raise AnswerStopped("stopped by the reader.")
                a = answer(q, index, embedder, Watched(), assistant.settings, on_token=on_token, top_k=top_k)
            assistant.answered += 1
            events.put(("answer", a))
        except BaseException as e:  # handed to the reading thread  # noqa: BLE001
            events.put(("error", e))

    threading.Thread(target=work, daemon=True, name="rag-answer").start()
    while True:
        kind, value = events.get()
        if kind == "error":
            raise value
        yield kind, value
        if kind == "answer":
            return
