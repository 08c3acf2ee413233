"""A killed ingest resumes: `rag ingest` of a few hundred articles is
SIGKILLed once some batches are stored; the next ingest embeds only what
was missing and ends with the same index as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rag import indexing, store
from rag.embed_cache import PREFIX, EmbedCache, key
from rag.settings import Settings

from helpers import FakeEmbedder

TESTS = Path(__file__).resolve().parent
N_ARTICLES = 300
BATCH = 40  # texts per append to the resume file

# The ingest in its own process: the fake embedder, slowed so the kill lands mid-way.
CHILD = """
import sys, time
from pathlib import Path
from helpers import FakeEmbedder
from rag import indexing
from rag.settings import Settings

class Slow(FakeEmbedder):
    def embed(self, texts):
        time.sleep(0.05)
        return super().embed(texts)

s = Settings(index_dir=Path(sys.argv[1]), ingest_batch=int(sys.argv[3]))
indexing.ingest(s, Slow(), [Path(sys.argv[2])])
"""

WORDS = ("tariff port grain steel oil bank rate shares profit loss coffee sugar copper dollar yen bond "
         "strike merger crude wheat corn cotton gold zinc tin lead rubber cocoa freight ship rail").split()


def articles(folder: Path) -> Path:
    folder.mkdir()
    for i in range(N_ARTICLES):
        w = [WORDS[(i * 7 + j) % len(WORDS)] for j in range(12)]
        body = " ".join(f"The {w[j]} market in region {i} moved {j + i % 5} points on {w[(j + 3) % 12]} news."
                        for j in range(12))
        (folder / f"{i:04d}.txt").write_text(f"Story {i} on {w[0]}\n\n{body}\n", encoding="utf-8")
    return folder


def embedded_chunks(embedder: FakeEmbedder, chunk_texts: set[str]) -> list[str]:
    """The chunk texts the embedder was given (a chunk is the unit embedded:
    its sentences' vectors come with it, keyed by their place in it)."""
    return [t for call in embedder.calls for t in call if t in chunk_texts]


def test_killed_ingest_resumes_without_re_embedding(tmp_path):
    news = articles(tmp_path / "news")
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(killed), str(news), str(BATCH)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cache = EmbedCache(killed, FakeEmbedder.id, FakeEmbedder.dim)
    deadline = time.monotonic() + 60
    while not (cache.path.exists() and cache.path.stat().st_size >= 3 * BATCH * cache.record):
        assert p.poll() is None, p.stderr.read().decode()
        assert time.monotonic() < deadline, "no batch stored in 60 s"
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stderr.close()
    assert not store.exists(killed)  # killed before any version was written
    stored = cache.read()
    assert len(stored) >= 3 * BATCH

    resumed = FakeEmbedder()
    s = Settings(index_dir=killed, ingest_batch=BATCH)
    idx, _, added = indexing.ingest(s, resumed, [news])
    assert added == N_ARTICLES
    texts = {c.text for c in idx.chunks}
    embedded = embedded_chunks(resumed, texts)
    # only what was missing, each once: nothing the killed run stored
    assert len(embedded) == len(set(embedded))
    assert {key(t) for t in embedded}.isdisjoint(stored)
    assert set(embedded) | {t for t in texts if key(t) in stored} == texts
    assert not list(killed.glob(PREFIX + "*"))  # the resume file is gone once the version is written

    whole = FakeEmbedder()
    ref, _, _ = indexing.ingest(Settings(index_dir=tmp_path / "whole", ingest_batch=BATCH), whole, [news])
    assert len(embedded_chunks(whole, texts)) == len(texts)
    assert [c.id for c in idx.chunks] == [c.id for c in ref.chunks]
    assert np.array_equal(idx.vectors, ref.vectors)
    assert all(np.array_equal(idx.sentences.of(i), ref.sentences.of(i)) for i in range(len(idx.chunks)))
    assert store.Index.load(killed, indexing.index_params(s, resumed)).manifest["n_docs"] == N_ARTICLES


def test_torn_record_is_dropped(tmp_path):
    c = EmbedCache(tmp_path, "e", 4)
    c.append([key("a"), key("b")], np.eye(4, dtype=np.float32)[:2])
    with open(c.path, "ab") as f:
        f.write(b"\x01" * (c.record // 2))  # a kill in the middle of a write
    got = c.read()
    assert set(got) == {key("a"), key("b")} and np.array_equal(got[key("b")], np.eye(4)[1])
    assert c.path.stat().st_size == 2 * c.record
