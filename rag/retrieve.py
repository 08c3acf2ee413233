"""Hybrid retrieval (FAISS dense + BM25, fused by reciprocal rank), then
sentence-level evidence: the best sentences of the best chunks, diverse
across articles, packed into a token budget as numbered passages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from .asked import holds_kind
from .embed import Embedder
from .gate import headed, names_any
from .lexicon import LATEST
from .settings import Settings
from .store import Index
from .text import content_words, count_tokens, lexical_words, load_bm25s, split_sentences
from .types import Hit, Passage

COVER_ARTICLES = 2  # articles whose sentences may bring in a name no passage holds (two: a story and its correction)


def rrf(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion: sum of 1/(k + rank) over the rankings.

    >>> sorted(rrf([[7, 3], [3]], k=1).items())
    [(3, 0.8333333333333333), (7, 0.5)]
    """
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, i in enumerate(ranking, start=1):
            scores[i] = scores.get(i, 0.0) + 1.0 / (k + rank)
    return scores


def bm25_scores(bm25, terms: list[str]) -> np.ndarray | None:
    """BM25 scores of every document for `terms`; None when no term is known."""
    known = [t for t in terms if t in bm25.vocab_dict]
    return bm25.get_scores(known) if known else None


def _top(scores: np.ndarray, n: int) -> list[int]:
    n = min(n, len(scores))
    part = np.argpartition(-scores, n - 1)[:n]
    return [int(i) for i in part[np.argsort(-scores[part])]]


@dataclass(frozen=True)
class IndexedHit(Hit):
    """A hit that carries its chunk's stored sentence vectors (one row per
    sentence of `split_sentences(chunk.text)`), so ranking its sentences
    embeds nothing."""

    sentence_vectors: np.ndarray | None = field(default=None, compare=False, repr=False)


def search(index: Index, qvec: np.ndarray, question: str, settings: Settings) -> list[Hit]:
    """Chunks ranked by RRF of dense and BM25 rankings, the best
    `settings.candidates`, with their stored sentence vectors."""
    if not index.chunks:
        return []
    n = settings.candidates
    _, ids = index.faiss_index.search(qvec[None, :], min(n, len(index.chunks)))
    rankings = [[int(i) for i in ids[0] if i >= 0]]
    lex = bm25_scores(index.bm25, content_words(question))
    if lex is not None:
        rankings.append([i for i in _top(lex, n) if lex[i] > 0])
    fused = rrf(rankings, settings.rrf_k)
    order = sorted(fused, key=lambda i: -fused[i])[:n]
    dense = index.vectors[order] @ qvec if order else np.zeros(0)
    sv = index.sentences
    return [IndexedHit(index.chunks[i], fused[i], r, float(d), sv.of(i) if sv is not None else None)
            for r, (i, d) in enumerate(zip(order, dense), start=1)]


@dataclass(frozen=True)
class Sentence:
    text: str
    hit: Hit
    pos: int  # position within its chunk
    dense: float  # cosine with the question
    score: float  # fused rank score


def score_sentences(hits: list[Hit], qvec: np.ndarray, question: str, embedder: Embedder,
                    rrf_k: int = 60, headlines: dict[str, str] | None = None) -> list[Sentence]:
    """Every sentence of the hits, ranked by RRF of dense and BM25 rankings
    over the sentences themselves (BM25 reading each with its article's
    headline, `lexical_words`); duplicates from overlapping chunks once.
    Sentence vectors come from the index (`IndexedHit`); only hits without
    them (an index of an older format) have their sentences embedded."""
    bm25s = load_bm25s()

    seen: set[tuple[str, str]] = set()
    items: list[tuple[str, Hit, int]] = []
    stored: list[np.ndarray | None] = []  # each item's stored vector, if its hit has them
    for h in hits:
        vecs = getattr(h, "sentence_vectors", None)
        for pos, s in enumerate(split_sentences(h.chunk.text)):
            key = (h.chunk.doc_id, s)
            if key not in seen and len(s) > 1:
                seen.add(key)
                items.append((s, h, pos))
                stored.append(vecs[pos] if vecs is not None and pos < len(vecs) else None)
    if not items:
        return []
    missing = [i for i, v in enumerate(stored) if v is None]
    if missing:
        for i, v in zip(missing, embedder.embed([items[i][0] for i in missing])):
            stored[i] = v
    dense = np.stack(stored) @ qvec
    rankings = [list(np.argsort(-dense))]
    bm = bm25s.BM25()
    heads = headlines or {}
    bm.index([lexical_words(s, heads.get(h.chunk.doc_id, "")) or ["_"] for s, h, _ in items], show_progress=False)
    lex = bm25_scores(bm, content_words(question))
    if lex is not None:
        rankings.append([i for i in np.argsort(-lex) if lex[i] > 0])
    fused = rrf([[int(i) for i in r] for r in rankings], rrf_k)
    out = [Sentence(s, h, pos, float(dense[i]), fused.get(i, 0.0)) for i, (s, h, pos) in enumerate(items)]
    return sorted(out, key=lambda x: -x.score)


def pack(sentences: list[Sentence], index: Index, settings: Settings, top_k: int | None = None,
         kinds: set[str] | frozenset[str] = frozenset(), named: list[str] | tuple[str, ...] = ()) -> list[Passage]:
    """Best sentences -> at most `top_k` numbered passages (one per chunk,
    sentences in document order), at most `max_per_doc` per article, within
    `context_tokens`. A sentence is taken once by its text: a story filed
    twice under two headlines would fill two passages with the same words.

    When the question asks for a kind of value (`kinds`), each article's best
    sentence giving such a value, and naming one of the question's `named`
    things (in it or its article's headline), comes first, so one article (a
    planted "update", a revision) cannot push the others' versions out of
    view, nor a figure about something else (another country's output) push
    out a version. A table's row naming nothing under a headline naming all
    the question's names (`gate.headed`) is such a sentence even below
    `min_relevance`: rows are far from any question by meaning, and the
    disagreement finder reads them as their article's version."""
    top_k = top_k or settings.top_k
    chosen: dict[str, list[Sentence]] = {}  # chunk id -> its chosen sentences
    per_doc: dict[str, int] = {}
    budget = settings.context_tokens
    taken: set[int] = set()
    said: set[str] = set()  # sentences chosen, by text: a story filed twice is read once
    top = max((s.dense for s in sentences), default=0.0)
    # three passes: each article's best sentence giving a value of the asked
    # kind; the best sentence of each article about as relevant as the best
    # one (diversity across sources); then the rest by rank
    for valued, cap in ((True, 1), (False, 1), (False, settings.max_per_doc)):
        for i, s in enumerate(sentences):
            cid, did = s.hit.chunk.id, s.hit.chunk.doc_id
            if i in taken or s.text in said or cid not in chosen and (len(chosen) >= top_k or per_doc.get(did, 0) >= cap):
                continue
            if valued and (cid in chosen or per_doc.get(did) or s.dense < settings.min_relevance and not _headed(s, index, named)
                           or not holds_kind(s.text, kinds) or not _names(s, index, named)):
                continue
            if cap == 1 and not valued and (cid in chosen or s.dense < top - settings.diversity_margin):
                continue
            cost = count_tokens(s.text) + (settings.passage_frame_tokens if cid not in chosen else 0)
            if cost > budget:
                continue
            budget -= cost
            taken.add(i)
            said.add(s.text)
            if cid not in chosen:
                chosen[cid] = []
                per_doc[did] = per_doc.get(did, 0) + 1
            chosen[cid].append(s)
    _cover(sentences, index, named, chosen, taken, budget, top_k, settings.passage_frame_tokens)
    passages = []
    for n, ss in enumerate(chosen.values(), start=1):
        ss = sorted(ss, key=lambda x: x.pos)
        chunk = ss[0].hit.chunk
        passages.append(Passage(n=n, chunk=chunk, doc=index.docs[chunk.doc_id],
                                text="\n".join(x.text for x in ss), relevance=max(x.dense for x in ss)))
    return passages


def _cover(sentences: list[Sentence], index: Index, named: list[str] | tuple[str, ...],
           chosen: dict[str, list[Sentence]], taken: set[int], budget: int, top_k: int, frame: int) -> None:
    """Each of the question's names that no chosen passage (nor its
    article's headline) holds gets the best-ranked sentence that holds it,
    from each of up to COVER_ARTICLES articles, in place of the last
    passages that hold none of them: an earnings table's rows rank low by
    meaning ("Sales 58.7 mln vs 40.6 mln"), and without them the gate
    refuses a question its headline answers (and a corrected table is a
    second version). `chosen` and `taken` are updated in place, within
    the `budget` of tokens left."""
    for name in named:
        if any(_names(x, index, [name]) for ss in chosen.values() for x in ss):
            continue
        docs: set[str] = set()
        for i, s in enumerate(sentences):
            if len(docs) >= COVER_ARTICLES:
                break
            if i in taken or s.hit.chunk.doc_id in docs or not _names(s, index, [name]):
                continue
            free = [c for c, ss in chosen.items() if not any(_names(x, index, named) for x in ss)]
            drop = free[-1] if len(chosen) >= top_k and free else None
            back = sum(count_tokens(x.text) for x in chosen[drop]) + frame if drop else 0
            cost = count_tokens(s.text) + frame
            if len(chosen) >= top_k and drop is None or cost > budget + back:
                break
            if drop:
                del chosen[drop]
            budget += back - cost
            taken.add(i)
            docs.add(s.hit.chunk.doc_id)
            chosen.setdefault(s.hit.chunk.id, []).append(s)


def _headline(s: Sentence, index: Index) -> str:
    doc = index.docs.get(s.hit.chunk.doc_id)
    return (doc.title or "") if doc else ""


def _names(s: Sentence, index: Index, named: list[str] | tuple[str, ...]) -> bool:
    """Does a sentence, or its article's headline, name one of these (or are there none)?"""
    return names_any(s.text + " " + _headline(s, index), named)


def _headed(s: Sentence, index: Index, named: list[str] | tuple[str, ...]) -> bool:
    """Is a sentence a row naming nothing under a headline naming all the question names (`gate.headed`)?"""
    return headed(s.text, _headline(s, index), named)


_LATEST = re.compile(r"\b(?:" + "|".join(LATEST) + r")\b", re.I)


def wants_latest(question: str) -> bool:
    """Does the question ask for the newest state of things?

    >>> wants_latest("What is the latest tariff?"), wants_latest("What tariff?")
    (True, False)
    """
    return _LATEST.search(question) is not None


def newest_first(passages: list[Passage]) -> list[Passage]:
    """Passages from dated articles, newest first, renumbered; undated ones
    keep their order after them (dates are ISO, so text order is time order)."""
    order = sorted(passages, key=lambda p: p.doc.date or "", reverse=True)  # stable: ties keep rank order
    return [replace(p, n=i) for i, p in enumerate(order, start=1)]
