"""Fixtures: the fakes and a tiny index built from the articles in
helpers.py (real FAISS and BM25), and the guard that keeps fast tests light."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hsettings

from rag import indexing
from rag.settings import Settings

from helpers import ARTICLES, HEAVY, FakeEmbedder, write_articles

# No example database on disk: the suite writes nothing outside tmp folders.
hsettings.register_profile("rag", database=None)
hsettings.load_profile("rag")


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def news_dir(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "news")


@pytest.fixture
def settings(tmp_path: Path, news_dir: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", seeds_dir=news_dir)


@pytest.fixture
def index(settings: Settings, embedder: FakeEmbedder, news_dir: Path):
    """The three ARTICLES indexed with the FakeEmbedder (real FAISS and BM25)."""
    idx, report, added = indexing.ingest(settings, embedder, [news_dir])
    assert added == len(ARTICLES), report.skipped
    embedder.calls.clear()
    return idx


@pytest.fixture(autouse=True)
def _fast_tests_stay_light(request) -> Iterator[None]:
    """A fast test that pulls in torch, sentence-transformers, llama.cpp or
    gradio breaks habit 7 (heavy imports stay late); name the test."""
    before = {m for m in HEAVY if m in sys.modules}
    yield
    if request.node.get_closest_marker("slow") or request.node.get_closest_marker("eval"):
        return
    loaded = sorted({m for m in HEAVY if m in sys.modules} - before)
    if loaded:
        pytest.fail(f"fast test imported {loaded}; import them where they are first used", pytrace=False)
