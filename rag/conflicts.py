"""Disagreeing sources: passages from different articles that give different
values for what the question asks."""

from __future__ import annotations

import math
import re

from . import facts as F
from .asked import asked_kinds
from .text import content_words, split_sentences
from .types import Conflict, Passage, byline

CHARS_PER_WORD = 8  # distance in characters counted as one word between a value and a question term
QUALIFIER_WINDOW = 14  # characters before a value searched for its qualifier ("over", "nearly")
MIN_VERSIONS = 2  # a disagreement needs two articles and two values
VALUE_KINDS = {"pct", "money", "num", "date", "month"}  # kinds that can disagree (a bare year or weekday: too loose)
UNIT_FILLER = {"mln", "bln", "million", "billion", "dlr", "dlrs", "dollar", "dollars", "us", "a", "an", "per"}
UNIT_REACH = 3  # words after a value searched for its unit  # scale and currency words, skipped to reach the unit

_QUAL = re.compile(r"(?:\b(?:over|about|around|nearly|almost|roughly|more than|less than|at least|up to|some|to)\s+)$", re.I)


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
    kinds = asked_kinds(question) & VALUE_KINDS
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
    # one quantity: the values of one kind, measured in one unit ("bpd",
    # "dlrs a share"); a rate and an amount, or tonnes and bags, never disagree
    groups: dict[tuple[str, str], list[tuple[float, str, F.Fact, str, Passage]]] = {}
    for d, (fit, f, x, p) in chosen.items():
        groups.setdefault((f.kind, unit_after(x, f)[0]), []).append((fit, d, f, x, p))
    if not groups:
        return []
    group = max(groups.values(), key=lambda g: (len(g), max(v[0] for v in g)))
    if len(group) < MIN_VERSIONS or len({f.value for _, _, f, _, _ in group}) < MIN_VERSIONS:
        return []
    values, seen = [], set()
    for _, d, f, x, p in sorted(group, key=lambda v: v[4].doc.date or "", reverse=True):  # newest first
        if f.value in seen:
            continue
        seen.add(f.value)
        unit = unit_after(x, f)[1]
        values.append({"value": _with_qualifier(x, f.surface) + (f" {unit}" if unit else ""), "n": p.n, "doc_id": d, "chunk_id": p.chunk.id,
                       "title": p.doc.title, "outlet": p.doc.outlet, "date": p.doc.date, "quote": x})
    return [Conflict(kind=group[0][2].kind, values=values)]


def unit_after(sentence: str, f: F.Fact) -> tuple[str, str]:
    """The word right after a count or an amount, when it is a unit
    ("bags", "bpd", "share" in "dlrs a share"): (its stem, as written);
    ("", "") for rates and dates, whose kind is their unit, and where no
    unit follows.

    >>> unit_after("Output was 16 mln bpd in February.", F.quantities("16 mln bpd")[0])
    ('bpd', 'bpd')
    >>> unit_after("Tariffs fell to 30% for 90 days.", F.quantities("30%")[0])
    ('', '')
    """
    i = sentence.find(f.surface)
    if f.kind not in {"num", "money"} or i < 0:
        return "", ""
    after = [w for w in re.findall(r"[A-Za-z]+", sentence[i + len(f.surface):])[:UNIT_REACH]
             if w.lower() not in UNIT_FILLER]
    unit = content_words(after[0]) if after else []
    return (unit[0], after[0]) if unit and unit[0].isalpha() else ("", "")


def summary(found: list[Conflict]) -> str:
    """The sentence an answer ends with when its sources disagree.

    >>> summary([Conflict("pct", [{"value": "30%", "n": 1, "outlet": "AP"}, {"value": "over 40%", "n": 2}])])
    'The sources differ: 30% [1] (AP); over 40% [2].'
    """
    parts = []
    for c in found:
        vs = []
        for v in c.values:
            where = byline(v.get("outlet"), v.get("date"))
            vs.append(f"{v['value']} [{v['n']}]" + (f" ({where})" if where else ""))
        parts.append("The sources differ: " + "; ".join(vs) + ".")
    return " ".join(parts)
