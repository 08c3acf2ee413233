"""Test helpers shared by the test modules: fakes for the two models, three
tiny articles, the `ask --json` contract check, and servers on free loopback
ports. The fakes follow the one-method protocols in rag.embed and rag.llm,
so the pipeline runs end to end in milliseconds. Fixtures live in conftest.py."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

from rag.service import Assistant
from rag.text import content_words

HEAVY = ("torch", "sentence_transformers", "llama_cpp", "gradio")


class FakeEmbedder:
    """Hashed bag of stemmed content words, L2-normalized: texts sharing words
    have a positive cosine, texts sharing none have 0. Deterministic across
    runs (blake2b, not the salted built-in `hash`)."""

    id = "fake-embedder"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[list[str]] = []  # the texts of every embed() call, in order

    @classmethod
    def bucket(cls, word: str) -> int:
        return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little") % cls.dim

    def embed(self, texts: list[str]) -> np.ndarray:  # (n, 64) float32, unit rows (zero rows for no words)
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in content_words(t):
                out[i, self.bucket(w)] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    @property
    def n_embedded(self) -> int:
        return sum(len(c) for c in self.calls)


class FakeLLM:
    """A scripted LLM: replies `reply` (a string, or a function of the
    messages) streamed in a few pieces; records every call's messages."""

    id = "fake-llm"

    def __init__(self, reply: str | Callable[[list[dict]], str] = "NOT IN ARTICLES", pieces: int = 3) -> None:
        self.reply = reply
        self.pieces = pieces
        self.calls: list[list[dict]] = []
        self.last_usage: dict = {}

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        self.calls.append([dict(m) for m in messages])
        text = self.reply(messages) if callable(self.reply) else self.reply
        step = max(1, -(-len(text) // self.pieces))  # ceil: `pieces` pieces at most
        for i in range(0, len(text), step):
            yield text[i:i + step]
        prompt_chars = sum(len(m["content"]) for m in messages)
        self.last_usage = {"prompt_tokens": prompt_chars // 4, "completion_tokens": self.pieces}

    @property
    def last_messages(self) -> list[dict]:
        return self.calls[-1]


# ---- the `ask --json` contract (DESIGN.md) -----------------------------------

CONTRACT = {"question": str, "answer": str, "abstained": bool, "citations": list, "passages": list,
            "conflicts": list, "timings_ms": dict, "model": dict}
CITATION = {"n": int, "doc_id": str, "chunk_id": str, "title": str, "text": str, "supported": bool}
PASSAGE = {"rank": int, "doc_id": str, "chunk_id": str, "score": float, "text": str}
MARK_RX = re.compile(r"\[(\d+)\]")


def check_contract(j: dict, index=None, embedder_id: str = FakeEmbedder.id) -> None:
    """These keys with these types (other faces may add fields, never drop
    these); every [n] in the answer is a citation and every citation is used;
    ids point into `index` when given."""
    j = json.loads(json.dumps(j))  # what a consumer of the JSON line sees
    for key, typ in CONTRACT.items():
        assert isinstance(j[key], typ), key
    for c in j["citations"]:
        for key, typ in CITATION.items():
            assert isinstance(c[key], typ), ("citation", key)
    for p in j["passages"]:
        for key, typ in PASSAGE.items():
            assert isinstance(p[key], typ), ("passage", key)
    assert [p["rank"] for p in j["passages"]] == list(range(1, len(j["passages"]) + 1))
    assert set(j["timings_ms"]) >= {"retrieve", "generate", "total"}
    assert all(isinstance(v, (int, float)) and v >= 0 for v in j["timings_ms"].values())
    assert isinstance(j["model"]["llm"], str) and j["model"]["embedder"] == embedder_id
    used = {int(n) for n in MARK_RX.findall(j["answer"])}
    assert used == {c["n"] for c in j["citations"]}
    if j["abstained"]:
        assert j["citations"] == []
    if index is not None:
        doc_of = {c.id: c.doc_id for c in index.chunks}
        for x in j["citations"] + j["passages"]:
            assert doc_of[x["chunk_id"]] == x["doc_id"] and x["doc_id"] in index.docs


# Three tiny articles. Only the first states a percentage, so no question
# here meets disagreeing sources unless a test adds one.
ARTICLES = {
    "tariffs.txt": (
        "US cuts tariffs on Chinese goods\n\n"
        "The United States cut tariffs on Chinese goods to 30% for 90 days. "
        "The cut followed a 90-minute phone call between President Trump and President Xi on February 4. "
        "Officials said talks on rare earth minerals would continue in Geneva.\n"
    ),
    "soybeans.md": (
        "---\ntitle: China resumes soybean purchases\noutlet: Farm Journal\ndate: 2025-11-03\n"
        "url: https://example.com/soybeans\n---\n"
        "China agreed to buy 12 million tonnes of American soybeans this season. "
        "Farmers in Iowa welcomed the purchases after two difficult harvests. "
        "Exporters expect shipments to leave Gulf ports in December.\n"
    ),
    "storm.txt": (
        "Storm floods coastal town\n\n"
        "Heavy rain flooded the coastal town of Brighton on Monday. "
        "Firefighters rescued residents from flooded basements overnight. "
        "The weather service warned of more rain on Thursday.\n"
    ),
}


def write_articles(folder: Path, articles: dict[str, str] = ARTICLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@contextmanager
def running(cmd: list[str], log: Path, ready_url: str, env: dict | None = None, timeout: float = 120):
    """A server process, entered once GET `ready_url` answers 200; stopped on
    exit. Its output goes to `log`, shown when it dies or never gets ready."""
    out = open(log, "w")
    p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert p.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"{cmd[0]} not ready in {timeout} s: {log.read_text()}"
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield p
    finally:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        out.close()


# ---- servers ---------------------------------------------------------------------

TARIFF_Q = "What did the United States cut tariffs on Chinese goods to?"
REPLY = "The United States cut tariffs on Chinese goods to 30% for 90 days [1]."
NEW_ARTICLE = (b"Storm closes Paris metro\n\nA storm flooded the Paris metro on Tuesday. "
               b"Officials closed twelve stations while pumps cleared the tunnels.\n")
BINARY = bytes(range(256)) * 8
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadServer:
    """uvicorn serving `app` on a free loopback port in a thread."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def fake_assistant(settings, embedder, index, reply=REPLY) -> Assistant:
    a = Assistant(settings, embedder=embedder, llms={settings.model: FakeLLM(reply)}, index=index)
    a.state = "ready"
    return a


class RagServe:
    """`rag serve --model tiny` in a subprocess on a free loopback port, over
    the three test articles indexed into `tmp`; entered once /health says
    ready."""

    def __init__(self, tmp: Path, **env):
        self.tmp, self.port = tmp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.index_dir = tmp / "index"
        self.env = {**os.environ, "RAG_SEEDS_DIR": str(write_articles(tmp / "news")), "NO_COLOR": "1", **env}

    def __enter__(self):
        self.log = open(self.tmp / "serve.log", "w")
        self.p = subprocess.Popen([str(BIN / "rag"), "serve", "--port", str(self.port), "--model", "tiny",
                                   "--index", str(self.index_dir)], env=self.env, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.p.poll() is None, (self.tmp / "serve.log").read_text()
            try:
                state = httpx.get(self.url + "/health", timeout=1).json()["state"]
                if state == "ready":
                    return
                assert not state.startswith("error"), state
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"not ready in {timeout} s: {(self.tmp / 'serve.log').read_text()}")

    def __exit__(self, *exc):
        self.p.terminate()
        try:
            self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()


def clean_error(p: subprocess.CompletedProcess) -> str:
    """Non-zero exit, exactly one line on stderr starting "error:", no traceback."""
    assert p.returncode != 0, p.stdout
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error:"), p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    return lines[0]


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target under an index folder."""
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file() and p.name != ".lock":
            out[rel] = p.read_bytes()
    return out
