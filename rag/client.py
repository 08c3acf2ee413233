"""The warm path: `ask` sends its question to a running `rag serve` on the
same index, whose models are already loaded. Standard library only, so a
cold `ask` with no server pays nothing but the probe."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .errors import RagError

ANSWER_TIMEOUT_S = 600  # an answer on a busy 2-core server can wait behind others
HEALTH_MAX_BYTES = 100_000
HTTP_BAD_REQUEST = 400
INDEX_ID_CHARS = 16


def index_id(index_dir: Path) -> str:
    """An index folder as `rag serve`'s /health names it: a hash of its
    resolved path (no path in responses), which `ask` compares with its own."""
    return hashlib.sha256(str(Path(index_dir).resolve()).encode()).hexdigest()[:INDEX_ID_CHARS]


class ServerGone(Exception):
    """The server did not answer as expected: answer in this process instead."""


def _opener():
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never via a proxy


def find_server(settings, model: str | None) -> str | None:
    """The base URL of a ready `rag serve` on the same index (offering the
    model and the LLM server asked for, if any), else None."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    base = f"http://{'[' + host + ']' if ':' in host else host}:{settings.port}"
    try:
        with _opener().open(base + "/health", timeout=settings.server_probe_s) as r:
            h = json.loads(r.read(HEALTH_MAX_BYTES))
    except Exception:  # nothing there, or not ours: in-process
        return None
    if not isinstance(h, dict) or h.get("service") != "newsrag" or h.get("state") != "ready":
        return None
    if h.get("index_id") != index_id(settings.index_dir):
        return None
    if settings.llm_url and h.get("llm_url") != settings.llm_url:  # asked for another LLM server
        return None
    if model is not None and model not in h.get("models", []):
        return None
    return base


def _server_error(status: int, body: bytes) -> Exception:
    """A 400 is the user's error (print it, as in-process would); anything
    else sends the question back to this process."""
    try:
        msg = json.loads(body)["error"]
    except Exception:
        msg = None
    return RagError(msg) if status == HTTP_BAD_REQUEST and msg else ServerGone(f"HTTP {status}")


def ask_server(base: str, question: str, model: str | None, top_k: int | None,
               on_token: Callable[[str], None] | None = None) -> dict:
    """POST the question to the server's /ask (or /ask/stream, to show a live
    preview); returns the answer's JSON. RagError for a 400, ServerGone for
    anything else that went wrong."""
    body = json.dumps({"question": question, "model": model, "top_k": top_k}).encode()
    path = "/ask/stream" if on_token else "/ask"
    req = urllib.request.Request(base + path, data=body, headers={"Content-Type": "application/json"})
    try:
        with _opener().open(req, timeout=ANSWER_TIMEOUT_S) as r:
            if not on_token:
                return json.loads(r.read())
            event = "message"
            for raw in r:  # server-sent events: "event: x", "data: {json}", blank line
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:].strip())
                    if event == "token":
                        on_token(data)
                    elif event == "answer":
                        return data
                    elif event == "error":
                        raise _server_error(data.get("status", 500), json.dumps(data).encode())
            raise ServerGone("the stream ended without an answer")
    except urllib.error.HTTPError as e:
        raise _server_error(e.code, e.read()) from None
    except (OSError, ValueError, KeyError) as e:  # refused, reset, timed out, garbled
        raise ServerGone(str(e)) from None
