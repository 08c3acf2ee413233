"""Sentence vectors computed at ingest and stored with the index: the
question is the only text embedded at question time, and the ranking is the
one embedding the sentences then would give."""

from dataclasses import replace

import numpy as np
import pytest

from rag import indexing, store
from rag.retrieve import IndexedHit, score_sentences, search
from rag.text import split_sentences
from rag.types import Hit

from helpers import FakeEmbedder, write_articles

QUESTIONS = ["What did the United States cut tariffs on Chinese goods to?", "How many tonnes of soybeans?",
             "Where did the storm flood basements?", "When will shipments leave Gulf ports?"]

MORE = {
    "metro.txt": "Storm closes Paris metro\n\nA storm flooded the Paris metro on Tuesday. "
                 "Officials closed twelve stations while pumps cleared the tunnels. "
                 "The United States sent no aid. China sent pumps.\n",
    "ports.txt": "Ports reopen\n\nGulf ports reopened on Monday after the storm. Soybean shipments resumed. "
                 "Exporters said tariffs on Chinese goods were not discussed.\n",
}


@pytest.fixture
def bigger(index, settings, embedder, tmp_path):
    idx, _, _ = indexing.ingest(settings, embedder, [write_articles(tmp_path / "more", MORE)])
    embedder.calls.clear()
    return idx


def test_every_chunk_has_one_vector_per_sentence(bigger, embedder):
    for i, c in enumerate(bigger.chunks):
        sents = split_sentences(c.text)
        vecs = bigger.sentences.of(i)
        assert vecs.shape == (len(sents), FakeEmbedder.dim)
        assert np.allclose(vecs, embedder.embed(sents), atol=1e-6)


@pytest.mark.parametrize("q", QUESTIONS)
def test_stored_sentence_vectors_rank_as_embedding_at_question_time(bigger, settings, embedder, q):
    qvec = embedder.embed([q])[0]
    hits = search(bigger, qvec, q, settings)[:settings.sentence_chunks]
    assert hits and all(isinstance(h, IndexedHit) and h.sentence_vectors is not None for h in hits)
    embedder.calls.clear()
    stored = score_sentences(hits, qvec, q, embedder, settings.rrf_k)
    assert embedder.calls == []  # nothing embedded but the question (above)
    plain = [Hit(h.chunk, h.score, h.rank, h.dense) for h in hits]  # what the old code had: embed now
    live = score_sentences(plain, qvec, q, embedder, settings.rrf_k)
    assert embedder.n_embedded > 0
    assert [(s.text, s.hit.chunk.id, s.pos) for s in stored] == [(s.text, s.hit.chunk.id, s.pos) for s in live]
    assert np.allclose([s.dense for s in stored], [s.dense for s in live], atol=1e-6)
    assert [s.score for s in stored] == [s.score for s in live]


def test_a_hit_without_vectors_has_only_its_sentences_embedded(bigger, settings, embedder):
    q = QUESTIONS[0]
    qvec = embedder.embed([q])[0]
    hits = search(bigger, qvec, q, settings)[:3]
    mixed = [hits[0], *(replace(h, sentence_vectors=None) for h in hits[1:])]
    embedder.calls.clear()
    score_sentences(mixed, qvec, q, embedder, settings.rrf_k)
    embedded = {t for call in embedder.calls for t in call}
    assert embedded and embedded <= {s for h in hits[1:] for s in split_sentences(h.chunk.text)}


def test_ingest_reuses_stored_sentence_vectors(bigger, settings, embedder):
    """A rebuild from the same articles with the vectors of the current index
    embeds nothing and stores the same sentence vectors."""
    with store.write_lock(settings.index_dir):
        again = indexing.build(settings, embedder, list(bigger.docs.values()), reuse=bigger)
    assert embedder.calls == []
    assert [c.id for c in again.chunks] == [c.id for c in bigger.chunks]
    for i in range(len(again.chunks)):
        assert np.array_equal(again.sentences.of(i), bigger.sentences.of(i))


def test_sentence_store_survives_removing_an_article(bigger, settings):
    keep = [i for i, c in enumerate(bigger.chunks) if c.doc_id != "metro"]
    sub = bigger.sentences.subset(keep)
    for j, i in enumerate(keep):
        assert np.array_equal(sub.of(j), bigger.sentences.of(i))
    assert len(sub.vectors) <= len(bigger.sentences.vectors)


def test_sentence_files_are_checksummed(bigger, settings):
    m = bigger.manifest
    assert {"sentence_vectors.npy", "sentence_rows.npz"} <= set(m["files"])
    assert m["format_version"] == store.FORMAT_VERSION


def test_late_chunking_pools_each_sentence_over_its_own_tokens():
    """Token states 1, 2, 3 on sentence one, 10 on sentence two; [CLS], [SEP]
    and the gap between the sentences belong to neither."""
    from rag.embed import _sentence_vectors

    text = "Oil rose. Gold fell."
    offsets = [(0, 0), (0, 3), (4, 8), (8, 9), (10, 14), (0, 0)]  # [CLS] Oil rose . Gold [SEP]
    h = np.array([[100.0, 0], [1, 0], [2, 0], [3, 0], [0, 10], [0, 100]], dtype=np.float32)
    v = _sentence_vectors(text, offsets, h)
    assert np.allclose(v, [[1, 0], [0, 1]])


def test_a_sentence_cut_off_by_truncation_is_embedded_alone():
    from rag.embed import _fill_unpooled

    sents = [np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32)]
    emb = FakeEmbedder()
    emb.dim = 2
    emb.embed = lambda texts: np.array([[0.0, 1.0]] * len(texts), dtype=np.float32)
    _fill_unpooled(emb, ["Oil rose. Gold fell."], sents)
    assert np.array_equal(sents[0], [[1, 0], [0, 1]])


@pytest.mark.slow
def test_real_model_sentence_vectors_are_read_in_their_chunk():
    """MiniLM (int8, the default): one pass per chunk gives unit vectors, one
    per sentence, near that sentence embedded alone (a short sentence also
    takes on its chunk's subject, so it may be nearer the headline); the
    chunk's own vector is the plain embedding."""
    from rag.embed import SentenceTransformerEmbedder
    from rag.settings import Settings

    emb = SentenceTransformerEmbedder(Settings().embedder)
    chunks = [MORE["metro.txt"], MORE["ports.txt"], "One sentence only."]
    vecs, sents = emb.embed_chunks(chunks)
    assert np.allclose(vecs, emb.embed(chunks), atol=1e-5)
    own = []
    for text, sv in zip(chunks, sents):
        alone = emb.embed(split_sentences(text))
        assert sv.shape == alone.shape and np.allclose(np.linalg.norm(sv, axis=1), 1, atol=1e-4)
        sim = sv @ alone.T
        assert sim.diagonal().min() > 0.35 and sim.diagonal().mean() > 0.6
        own += list(sim.argmax(axis=1) == np.arange(len(alone)))
    assert np.mean(own) >= 0.8


@pytest.mark.slow
def test_building_the_int8_embedder_is_quiet_and_a_damaged_file_fails_its_stamp(tmp_path, capfd):
    """The first use builds the ONNX file: the user sees our status line, not
    transformers' bars, the exporter's warnings or the quantizer's advice, and
    no library is left logging to the terminal afterwards."""
    import logging

    from rag.embed import minilm_dir
    from rag.onnx_build import _source_id, _verified, ensure_model

    handlers = list(logging.getLogger().handlers)
    path = ensure_model(minilm_dir(), tmp_path, quantized=True)
    err = capfd.readouterr().err
    assert "Warning" not in err and "WARNING" not in err and "Loading weights" not in err, err
    assert logging.getLogger().handlers == handlers
    source = _source_id(minilm_dir(), True)
    assert _verified(path, source)
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\x00" * 16)
    assert not _verified(path, source)
