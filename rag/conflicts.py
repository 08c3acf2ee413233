"""Disagreeing sources: passages from different articles that give different
values for what the question asks."""

from __future__ import annotations

import re

from . import facts as F
from .text import split_sentences
from .types import Conflict, Passage

_QUAL = re.compile(r"(?:\b(?:over|about|around|nearly|almost|roughly|more than|less than|at least|up to|some)\s+)$", re.I)


def asked_kinds(question: str) -> set[str]:
    """Which kinds of value a question asks for ("" = unclear).

    >>> sorted(asked_kinds("what tariff rate?"))
    ['pct']
    >>> sorted(asked_kinds("How big was the trade deficit?"))
    ['money']
    """
    q = question.lower()
    kinds = set()
    if re.search(r"\b(rate|percent|percentage|%|share|level|tariffs?|duties|duty)\b", q):
        kinds.add("pct")
    if re.search(r"\b(how much|worth|value|cost|deficit|surplus|imbalance|dollars?|billion|million|spent|trade)\b", q):
        kinds.add("money")
    if re.search(r"\b(when|what month|which month|date|day)\b", q):
        kinds |= {"date", "month"}
    if re.search(r"\b(how many|number of|how long)\b", q):
        kinds.add("num")
    return kinds


def _with_qualifier(sentence: str, surface: str) -> str:
    i = sentence.find(surface)
    if i < 0:
        return surface
    m = _QUAL.search(sentence[max(0, i - 14):i])
    return (m.group(0) + surface) if m else surface


def _values(p: Passage, kinds: set[str]) -> list[tuple[F.Fact, str]]:
    out = []
    for s in split_sentences(p.text):
        fs = [f for f in F.quantities(s) + F.dates(s) if f.kind in kinds]
        out.extend((f, s) for f in fs)
    return out


def find(question: str, passages: list[Passage], margin: float = 0.12) -> list[Conflict]:
    """One Conflict per asked kind where two articles near the top of the
    evidence state values with nothing in common, e.g. tariffs "to 30%" in
    one article and "over 40%" in another."""
    kinds = asked_kinds(question)
    if not kinds or not passages:
        return []
    best = max(p.relevance for p in passages)
    near = [p for p in passages if p.relevance >= best - margin]
    conflicts = []
    for kind in sorted(kinds):
        by_doc: dict[str, list[tuple[F.Fact, str, Passage]]] = {}
        for p in near:
            for f, s in _values(p, {kind} | ({"date"} if kind == "month" else set())):
                by_doc.setdefault(p.doc.id, []).append((f, s, p))
        if len(by_doc) < 2:
            continue
        sets = {d: {(f.kind, f.value) for f, _, _ in vs} for d, vs in by_doc.items()}
        docs = list(by_doc)
        disjoint = any(not (sets[a] & sets[b]) for i, a in enumerate(docs) for b in docs[i + 1:])
        if not disjoint:
            continue
        values, seen = [], set()
        for d in docs:
            f, s, p = by_doc[d][0]  # the first value in the best passage of that article
            if (f.kind, f.value) in seen:
                continue
            seen.add((f.kind, f.value))
            values.append({"value": _with_qualifier(s, f.surface), "n": p.n, "doc_id": d, "chunk_id": p.chunk.id,
                           "title": p.doc.title, "outlet": p.doc.outlet, "date": p.doc.date, "quote": s})
        if len(values) >= 2:
            conflicts.append(Conflict(kind=kind, values=values))
    return conflicts
