"""Disagreeing sources: passages from different articles that give different
values for what the question asks."""

from __future__ import annotations

import math
import re

from . import facts as F
from .text import content_words, inert, split_sentences
from .types import Conflict, Passage, byline

CHARS_PER_WORD = 8  # distance in characters counted as one word between a value and a question term
QUALIFIER_WINDOW = 14
MIN_VERSIONS = 2  # a disagreement needs two articles and two values  # characters before a value searched for its qualifier ("over", "nearly")

_QUAL = re.compile(r"(?:\b(?:over|about|around|nearly|almost|roughly|more than|less than|at least|up to|some|to)\s+)$", re.I)


def asked_kinds(question: str) -> set[str]:
    """Which kinds of value a question asks for (empty = unclear).

    >>> sorted(asked_kinds("what tariff rate?"))
    ['pct']
    >>> sorted(asked_kinds("How big was the trade deficit?"))
    ['money']
    """
    q = question.lower()
    kinds = set()
    if re.search(r"\b(rate|percent|percentage|%|share|level|tariffs?|duties|duty)\b", q):
        kinds.add("pct")
    if re.search(r"\b(how much|worth|value|cost|deficit|surplus|imbalance|dollars?|billion|million|spent|size|large|big)\b", q):
        kinds.add("money")
    if re.search(r"\b(date|day|time)\b", q):
        kinds.add("date")
    elif re.search(r"\b(when|month)\b", q):
        kinds |= {"date", "month"}
    if re.search(r"\b(how many|number of|how long)\b", q):
        kinds.add("num")
    return kinds


def _with_qualifier(sentence: str, surface: str) -> str:
    """The value as written, with a qualifier before it: "over 40%"."""
    i = sentence.find(surface)
    m = _QUAL.search(sentence[max(0, i - QUALIFIER_WINDOW):i]) if i >= 0 else None
    if m and m.group(0).strip().lower() != "to":
        return m.group(0) + surface
    return surface


def closeness(sentence: str, f: F.Fact, weights: dict[str, float]) -> float:
    """How near a value sits to the question's words, each weighted (idf)."""
    low = sentence.lower()
    pos = low.find(f.surface.lower())
    total = 0.0
    for t, w in weights.items():
        for m in re.finditer(r"\b" + re.escape(t), low):
            total += w / (1 + abs(pos - m.start()) / CHARS_PER_WORD)
    return total


def best_value(sentence: str, kinds: set[str], weights: dict[str, float]) -> F.Fact | None:
    """The value of an asked kind that sits closest to the question's
    distinctive words."""
    values = [f for f in F.quantities(sentence) + F.dates(sentence) if f.kind in kinds]
    if not values:
        return None
    return max(values, key=lambda f: closeness(sentence, f, weights))


def find(question: str, passages: list[Passage], scores: dict[str, float] | None, margin: float) -> list[Conflict]:
    """Where two articles near the top of the evidence give different values
    of the asked kind (e.g. tariffs "to 30%" in one, "over 40%" in
    another): one Conflict listing each article's value with its passage.

    `scores` maps a sentence to its cosine with the question; sentences
    within `margin` of the best passage's relevance are candidates."""
    kinds = asked_kinds(question)
    if not kinds or not passages:
        return []
    scores = scores or {}
    best = max(p.relevance for p in passages)
    terms = [t for t in dict.fromkeys(content_words(question)) if not t.isdigit()]

    cands = []  # (passage, sentence): sentences about as relevant as the best one
    for p in passages:
        for x in split_sentences(p.text):
            if scores.get(x, p.relevance) >= best - margin:
                cands.append((p, x))
    if not cands:
        return []
    # idf of each question term over the candidate sentences: a term in every
    # candidate tells nothing; a rare one ("deficit") tells which value is meant
    n = len(cands)
    weights = {}
    for t in terms:
        df = sum(t in content_words(x) for _, x in cands)
        if 0 < df < n:
            weights[t] = math.log(n / df)
    chosen: dict[str, tuple[float, F.Fact, str, Passage]] = {}
    for p, x in cands:
        f = best_value(x, kinds, weights)
        if f is None:
            continue
        fit = closeness(x, f, weights) + scores.get(x, p.relevance)
        if p.doc.id not in chosen or fit > chosen[p.doc.id][0]:
            chosen[p.doc.id] = (fit, f, x, p)
    chosen = {d: v[1:] for d, v in chosen.items()}
    distinct = {(f.kind, f.value) for f, _, _ in chosen.values()}
    if len(chosen) < MIN_VERSIONS or len(distinct) < MIN_VERSIONS:
        return []
    values, seen = [], set()
    for d, (f, s, p) in chosen.items():
        if (f.kind, f.value) in seen:
            continue
        seen.add((f.kind, f.value))
        values.append({"value": _with_qualifier(s, f.surface), "n": p.n, "doc_id": d, "chunk_id": p.chunk.id,
                       "title": p.doc.title, "outlet": p.doc.outlet, "date": p.doc.date, "quote": s})
    return [Conflict(kind="/".join(sorted(kinds)), values=values)]


def summary(found: list[Conflict]) -> str:
    """The sentence an answer ends with when its sources disagree (the
    articles' values and outlets made inert: this is answer text).

    >>> summary([Conflict("pct", [{"value": "30%", "n": 1, "outlet": "AP"}, {"value": "over 40%", "n": 2}])])
    'The sources differ: 30% [1] (AP); over 40% [2].'
    """
    parts = []
    for c in found:
        vs = []
        for v in c.values:
            where = inert(byline(v.get("outlet"), v.get("date")))
            vs.append(f"{inert(v['value'])} [{v['n']}]" + (f" ({where})" if where else ""))
        parts.append("The sources differ: " + "; ".join(vs) + ".")
    return " ".join(parts)
