"""Conversations kept in the reader's browser (Gradio's BrowserState, i.e.
localStorage): plain functions over the stored value, so they are tested
without a browser. Nothing here leaves the machine.

The stored value: {"convs": [{"id", "title", "updated", "messages", "earlier"}, ...]},
most recently updated first."""

from __future__ import annotations

import html
import re
import time
import uuid

MAX_CONVERSATIONS = 30  # older ones are dropped: localStorage holds ~5 MB
TITLE_CHARS = 60


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def title_of(messages: list[dict]) -> str:
    """The first question, as text (messages hold escaped HTML).

    >>> title_of([{"role": "user", "content": "what &#36;5 rate&#63;"}])
    'what $5 rate?'
    >>> title_of([{"role": "user", "content": [{"type": "text", "text": "Gradio's own shape"}]}])
    "Gradio's own shape"
    """
    first = next((m["content"] for m in messages if m.get("role") == "user"), "")
    if isinstance(first, list):  # Gradio 6 hands messages back as content parts
        first = " ".join(str(x.get("text", "")) for x in first if isinstance(x, dict))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(first))).split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def conversations(store: dict | None) -> list[dict]:
    return list((store or {}).get("convs") or [])


def upsert(store: dict | None, conv_id: str, messages: list[dict], earlier: list[str]) -> dict:
    """The store with this conversation saved first; an empty one is not kept.

    >>> s = upsert(None, "a", [{"role": "user", "content": "q1"}], ["q1"])
    >>> s = upsert(s, "b", [{"role": "user", "content": "q2"}], [])
    >>> [c["id"] for c in conversations(upsert(s, "a", s["convs"][1]["messages"], ["q1"]))]
    ['a', 'b']
    """
    rest = [c for c in conversations(store) if c["id"] != conv_id]
    if not messages:
        return {"convs": rest}
    conv = {"id": conv_id, "title": title_of(messages), "updated": time.time(),
            "messages": messages, "earlier": list(earlier)}
    return {"convs": ([conv] + rest)[:MAX_CONVERSATIONS]}


def remove(store: dict | None, conv_id: str) -> dict:
    return {"convs": [c for c in conversations(store) if c["id"] != conv_id]}


def find(store: dict | None, conv_id: str | None) -> dict | None:
    return next((c for c in conversations(store) if c["id"] == conv_id), None)


def choices(store: dict | None) -> list[tuple[str, str]]:
    """(label, id) pairs for the list of conversations."""
    return [(c["title"] or "(untitled)", c["id"]) for c in conversations(store)]
