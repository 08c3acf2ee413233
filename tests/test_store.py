"""The index on disk: manifest, checksums, atomic versions, incremental ingest."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from rag import indexing, store
from rag.errors import IndexCorrupt, IndexMismatch, IndexMissing
from rag.fileutil import sha256_file
from rag.text import split_sentences

from helpers import ARTICLES, FakeEmbedder, write_articles

NEW_ARTICLE = ("Rare earth exports resume\n\n"
               "China resumed exports of rare earth magnets to carmakers in Germany on Tuesday. "
               "Suppliers said the first shipments would arrive within three weeks.\n")


def version_dir(root: Path) -> Path:
    return (root / "current").resolve()


def versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("v-"))


def expect(settings, embedder=None):
    return indexing.index_params(settings, embedder or FakeEmbedder())


def test_build_then_load(index, settings):
    again = store.Index.load(settings.index_dir, expect(settings))
    assert sorted(again.docs) == ["soybeans", "storm", "tariffs"]
    assert [c.id for c in again.chunks] == [c.id for c in index.chunks]
    assert again.vectors.dtype == np.float32 and again.vectors.shape == (len(again.chunks), FakeEmbedder.dim)
    assert np.allclose(np.linalg.norm(again.vectors, axis=1), 1.0, atol=1e-5)
    assert again.faiss_index.ntotal == len(again.chunks)
    assert again.docs["soybeans"].outlet == "Farm Journal"  # metadata survives the round trip
    assert {c.doc_id for c in again.chunks} == set(again.docs)


def test_manifest_records_what_made_the_index(index, settings):
    m = json.loads((version_dir(settings.index_dir) / "manifest.json").read_text())
    assert m["format_version"] == store.FORMAT_VERSION
    assert (m["embedder"], m["dim"]) == ("fake-embedder", 64)
    assert (m["chunk_tokens"], m["chunk_overlap"]) == (settings.chunk_tokens, settings.chunk_overlap)
    assert m["corpus_hash"] == store.corpus_hash(list(index.docs.values()))
    assert {"chunks.jsonl", "docs.jsonl", "vectors.npy", "vectors.faiss"} <= set(m["files"])
    vdir = version_dir(settings.index_dir)
    for name, digest in m["files"].items():
        assert digest == sha256_file(vdir / name), name


def test_corpus_hash_ignores_order(index):
    docs = list(index.docs.values())
    assert store.corpus_hash(docs) == store.corpus_hash(docs[::-1])


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("name,damage", [
    ("vectors.npy", _flip_byte),
    ("vectors.npy", _truncate),
    ("chunks.jsonl", _truncate),
    ("chunks.jsonl", _flip_byte),
    ("docs.jsonl", lambda p: p.unlink()),
    ("vectors.faiss", _truncate),
    ("manifest.json", lambda p: p.write_text("{not json")),
])
def test_damaged_index_is_refused_with_the_rebuild_command(index, settings, name, damage):
    damage(version_dir(settings.index_dir) / name)
    with pytest.raises(IndexCorrupt, match=r"rag index --rebuild"):
        store.Index.load(settings.index_dir, expect(settings))


@pytest.mark.parametrize("change", [
    {"chunk_tokens": 64},
    {"chunk_overlap": 0},
])
def test_index_built_with_other_chunking_is_a_mismatch(index, settings, change):
    other = settings.model_copy(update=change)
    with pytest.raises(IndexMismatch, match=r"rag index --rebuild"):
        store.Index.load(settings.index_dir, expect(other))


def test_index_built_with_another_embedder_is_a_mismatch(index, settings):
    p = store.params("all-MiniLM-L6-v2", 384, settings.chunk_tokens, settings.chunk_overlap)
    with pytest.raises(IndexMismatch, match=r"rag index --rebuild") as e:
        store.Index.load(settings.index_dir, p)
    assert "fake-embedder" in str(e.value)


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissing):
        store.Index.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexMissing):
        store.Index.load(tmp_path / "empty")


def test_second_write_leaves_one_version(index, settings, embedder):
    first = version_dir(settings.index_dir)
    indexing.rebuild(settings, embedder)
    root = settings.index_dir
    assert len(versions(root)) == 1
    assert os.readlink(root / "current") == versions(root)[0]
    assert version_dir(root) != first and not first.exists()
    assert not [p for p in root.iterdir() if p.name.startswith((".tmp-", ".current-"))]
    assert sorted(store.Index.load(root, expect(settings)).docs) == sorted(index.docs)


def test_ingest_adds_a_new_file_and_reuses_old_vectors(index, settings, embedder, tmp_path):
    old = {c.id: index.vectors[i].copy() for i, c in enumerate(index.chunks)}
    new_dir = write_articles(tmp_path / "more", {"rare_earths.txt": NEW_ARTICLE})
    idx, report, added = indexing.ingest(settings, embedder, [new_dir])
    assert added == 1
    assert sorted(idx.docs) == ["rare_earths", "soybeans", "storm", "tariffs"]
    new_chunks = [c for c in idx.chunks if c.doc_id == "rare_earths"]
    # only the new article's chunks (with their sentences) were embedded, each once
    fresh = {c.text for c in new_chunks} - {c.text for c in index.chunks}
    assert embedder.n_embedded == embedded_count(fresh)
    assert fresh <= {t for call in embedder.calls for t in call}
    for i, c in enumerate(idx.chunks):
        if c.id in old:
            assert np.array_equal(idx.vectors[i], old[c.id])
    assert len(idx.chunks) == len(old) + len(new_chunks)
    assert store.Index.load(settings.index_dir, expect(settings)).manifest["n_docs"] == 4


def test_ingest_same_file_twice_adds_nothing(index, settings, embedder, news_dir):
    before = version_dir(settings.index_dir)
    idx, report, added = indexing.ingest(settings, embedder, [news_dir])
    assert added == 0
    assert embedder.calls == []
    assert version_dir(settings.index_dir) == before  # nothing rewritten
    assert sorted(idx.docs) == sorted(index.docs)
    assert len(report.skipped) == len(ARTICLES)


def test_ingest_new_version_of_an_article_replaces_it(index, settings, embedder, tmp_path):
    new_dir = write_articles(tmp_path / "v2", {"storm.txt": "Storm passes\n\nThe storm moved out to sea on Tuesday."})
    idx, _, added = indexing.ingest(settings, embedder, [new_dir])
    assert added == 1
    assert sorted(idx.docs) == ["soybeans", "storm", "tariffs"]
    assert "moved out to sea" in idx.docs["storm"].text
    assert not any("Brighton" in c.text for c in idx.chunks)


def test_ensure_builds_from_seeds_on_first_use(settings, embedder):
    assert not store.exists(settings.index_dir)
    idx = indexing.ensure(settings, embedder)
    assert sorted(idx.docs) == ["soybeans", "storm", "tariffs"]


def test_ensure_rebuilds_a_mismatched_index_from_its_own_documents(index, settings, embedder, tmp_path):
    # an article ingested later (not in seeds_dir) must survive the rebuild
    indexing.ingest(settings, embedder, [write_articles(tmp_path / "more", {"rare_earths.txt": NEW_ARTICLE})])
    other = settings.model_copy(update={"chunk_tokens": 64})
    idx = indexing.ensure(other, embedder)
    assert idx.manifest["chunk_tokens"] == 64
    assert "rare_earths" in idx.docs


def embedded_count(texts) -> int:
    """Texts a `FakeEmbedder` embeds for these distinct chunk texts: each
    chunk, and its sentences with it (`embed.embed_chunks` without late chunking)."""
    return sum(1 + len(split_sentences(t)) for t in texts)


class OtherEmbedder(FakeEmbedder):
    """Another embedder: other id, other dimension."""

    id = "other-embedder"
    dim = 32


def test_index_of_another_embedder_is_never_searched_with_this_one(index, settings, embedder, tmp_path):
    """Both ways out of a mismatch: loading with checks refuses it; `ensure`
    and `ingest` rebuild it from its own articles, every vector re-embedded."""
    indexing.ingest(settings, embedder, [write_articles(tmp_path / "more", {"rare_earths.txt": NEW_ARTICLE})])
    other = OtherEmbedder()
    with pytest.raises(IndexMismatch):
        store.Index.load(settings.index_dir, expect(settings, other))
    idx = indexing.ensure(settings, other)
    assert (idx.manifest["embedder"], idx.manifest["dim"], idx.vectors.shape[1]) == ("other-embedder", 32, 32)
    assert sorted(idx.docs) == ["rare_earths", "soybeans", "storm", "tariffs"]
    assert other.n_embedded == embedded_count({c.text for c in idx.chunks})  # nothing reused from the first embedder
    back = FakeEmbedder()
    idx, _, added = indexing.ingest(settings, back, [write_articles(tmp_path / "v2", {"ferry.txt": "Ferry resumes on Tuesday.\n"})])
    assert added == 1 and idx.manifest["embedder"] == "fake-embedder" and "rare_earths" in idx.docs
    assert back.n_embedded == embedded_count({c.text for c in idx.chunks})


def test_assistant_never_searches_a_mismatched_index(index, settings, tmp_path):
    from rag.service import Assistant

    from helpers import FakeLLM

    other = OtherEmbedder()
    a = Assistant(settings, embedder=other, llms={settings.model: FakeLLM()})
    answer = a.ask("What did the United States cut tariffs on Chinese goods to?")
    assert answer.model["embedder"] == "other-embedder"
    assert store.Index.load(settings.index_dir, expect(settings, other)).manifest["embedder"] == "other-embedder"
    assert a.index.vectors.shape[1] == other.dim


def test_a_file_gone_or_not_a_file_has_no_checksum_and_no_error(tmp_path):
    """Index loads check each file by `sha256_if_file`: a version deleted by a
    swap mid-read (rag/store.py) must be damage, which load() retries, not an OSError."""
    from rag.fileutil import sha256_file, sha256_if_file

    (tmp_path / "f").write_text("x")
    assert sha256_if_file(tmp_path / "f") == sha256_file(tmp_path / "f")
    assert sha256_if_file(tmp_path / "gone") is None and sha256_if_file(tmp_path) is None


HEADLINED = ("ACME CORP <ACME> YEAR NET\n\n"  # an earnings table: the company is named only in its headline
             "Shr 73 cts vs 58 cts. Net 1,101,000 vs 901,000. Sales 33.0 mln vs 29.1 mln.\n")


def test_bm25_reads_each_chunk_with_its_headline(index, settings, embedder, tmp_path):
    from rag.retrieve import bm25_scores
    from rag.text import content_words

    idx, _, _ = indexing.ingest(settings, embedder, [write_articles(tmp_path / "more", {"acme.txt": HEADLINED})])
    scores = bm25_scores(idx.bm25, content_words("Acme Corp"))
    assert scores is not None and idx.chunks[int(np.argmax(scores))].doc_id == "acme"


def test_a_change_of_what_bm25_reads_rebuilds_it_without_embedding(index, settings, embedder, monkeypatch):
    """An index built before BM25 read headlines (its manifest says another
    `lexical`) is rebuilt on first use, from its own vectors: nothing is
    embedded again, and the new BM25 is in place."""
    monkeypatch.setattr(store, "LEXICAL", "text")
    indexing.rebuild(settings, embedder)
    assert store.Index.load(settings.index_dir).manifest["lexical"] == "text"
    monkeypatch.undo()
    embedder.calls.clear()
    idx = indexing.ensure(settings, embedder)
    assert idx.manifest["lexical"] == store.LEXICAL
    assert embedder.calls == []
    assert [c.id for c in idx.chunks] == [c.id for c in index.chunks]
    assert np.array_equal(idx.vectors, index.vectors)


def test_deleting_from_an_index_of_another_lexical_gives_todays_bm25(index, settings, embedder, monkeypatch):
    monkeypatch.setattr(store, "LEXICAL", "text")
    indexing.rebuild(settings, embedder)
    monkeypatch.undo()
    idx, gone = indexing.delete(settings, ["storm"])
    assert gone == ["storm"] and idx.manifest["lexical"] == store.LEXICAL
    assert store.Index.load(settings.index_dir, expect(settings)).manifest["n_docs"] == 2
