"""Disagreeing sources: passages from different articles that give different
values for what the question asks."""

from __future__ import annotations

import difflib
import math
import re

from . import facts as F
from .asked import MENDED_SIMILARITY, TIME_REACH, asked_kinds, differ, placed_other, time_of, value_span
from .gate import headed, holds_name, names_any, names_held
from .lexicon import PART_OF_YEAR
from .quantity import counted, is_change, restated, span_unit, superseded, unit_after, with_qualifier
from .text import content_words, inert, split_sentences, stopwords
from .types import Conflict, Passage, byline

CHARS_PER_WORD = 8  # distance in characters counted as one word between a value and a question term
MIN_VERSIONS = 2  # a disagreement needs two articles and two values
MAX_SPREAD = 10  # values further apart than this factor measure different things (a total and a part)
MIN_HELD = 0.75  # share of the question's words the answer's version holds that another version must hold
MIN_HELD_TERMS = 2  # ... when it holds at least this many
MIN_SHARED = 0.5  # share of the best version's question words a far version must hold (find's `spread`)
MIN_RECOVERED_CHARS = 4  # shorter question words are not read as names (`recovered`)

_PART = re.compile(r"\b(?:" + "|".join(PART_OF_YEAR) + r")\b", re.I)


def closeness(sentence: str, f: F.Fact, weights: dict[str, float]) -> float:
    """How near a value sits to the question's words, each weighted (idf)."""
    low = sentence.lower()
    pos = low.find(f.surface.lower())
    total = 0.0
    for t, w in weights.items():
        for m in re.finditer(r"\b" + re.escape(t), low):
            total += w / (1 + abs(pos - m.start()) / CHARS_PER_WORD)
    return total


def best_value(sentence: str, kinds: set[str], weights: dict[str, float], question: str = "",
               date: str | None = None) -> F.Fact | None:
    """The value of an asked kind that sits closest to the question's
    distinctive words, not one the sentence says was replaced (`superseded`)
    nor one of another time than the question's (`placed_other`)."""
    found = [f for f in F.values(sentence) if f.kind in kinds and not superseded(sentence, f)
             and not placed_other(sentence, f, question, date)]
    if not found:
        return None
    return max(found, key=lambda f: closeness(sentence, f, weights))


def find(question: str, passages: list[Passage], scores: dict[str, float] | None, margin: float,
         floor: float = 0.0, spread: float = 1.0) -> list[Conflict]:
    """Where two articles near the top of the evidence give different values
    of the asked kind (e.g. tariffs "to 30%" in one, "over 40%" in
    another): one Conflict listing each article's value with its passage.

    `scores` maps a sentence to its cosine with the question; sentences
    within `margin` of their article's best passage, and at least `floor`,
    are candidates (or below `floor`, a table's row under a headline
    naming all the question names: `headed`). Each article's value comes
    from its best candidate.
    A version read from a sentence more than `spread` below the best
    version's, and holding under half as many of the question's words, is
    about something else ("50 pct of its stock" beside "55.5 pct of seats
    filled"); one close planted article cannot put the others out so."""
    kinds = asked_kinds(question)
    if not kinds or not passages:
        return []
    scores = scores or {}
    # each article against its own best passage: one very close article (a
    # planted "update") must not put every other article out of reach
    best_of: dict[str, float] = {}
    for p in passages:
        best_of[p.doc.id] = max(best_of.get(p.doc.id, -1.0), p.relevance)
    terms = question_terms(question)

    named = [f.value for f in F.names(question)] or recovered(question, passages)  # what a version must be about
    cands = []  # (passage, sentence): sentences about as relevant as their article's best
    for p in passages:
        for x in split_sentences(p.text):
            rel = scores.get(x, p.relevance)
            if rel >= best_of[p.doc.id] - margin and (rel >= floor or headed(x, p.doc.title or "", named)) and about(x, p, named):
                cands.append((p, x))
    if not cands:
        return []
    # idf of each question term over the candidate sentences: a term in every
    # candidate tells nothing; a rare one ("deficit") tells which value is meant
    n = len(cands)
    words = {x: set(content_words(x)) for _, x in cands}  # each candidate's stemmed words, once
    weights = {}
    for t in terms:
        df = sum(t in words[x] for _, x in cands)
        if 0 < df < n:
            weights[t] = math.log(n / df)
    chosen: dict[str, tuple[float, F.Fact, str, Passage]] = {}  # doc id -> its best value
    for p, x in cands:
        f = best_value(x, kinds, weights, question, p.doc.date)
        if f is None:
            continue
        fit = closeness(x, f, weights) + scores.get(x, p.relevance)
        if p.doc.id not in chosen or fit > chosen[p.doc.id][0]:
            chosen[p.doc.id] = (fit, f, x, p)
    if chosen:  # a version far below the best, and sharing few of its question words, is about something else
        near = {d: scores.get(x, p.relevance) for d, (_, _, x, p) in chosen.items()}
        best = max(near, key=near.get)
        shared = {d: len(set(terms) & words[x]) for d, (_, _, x, _) in chosen.items()}
        chosen = {d: v for d, v in chosen.items()
                  if near[d] >= near[best] - spread or shared[d] >= shared[best] * MIN_SHARED}
    # one quantity: values of one kind in one unit ("mln bpd", "dlrs a share"),
    # of the same order of size, none of them a number the question itself
    # gives ("in the first 20 days"); a rate and an amount never disagree
    given = {f.value for f in F.quantities(question)}
    # and a change ("by 10%") never disagrees with a level ("to 30%")
    groups: dict[tuple[str, str, bool], list[tuple[float, str, F.Fact, str, Passage]]] = {}
    asked_units = counted(question)  # "how many days": a span in hours is of something else
    for d, (fit, first, x, p) in chosen.items():
        for f in filter(None, (first, restated(x, first, kinds))):  # "7.4 billion dlrs, or 6.7 pct": either
            unit = unit_after(x, f)
            if asked_units and (unit or f.kind == "duration") and (unit or span_unit(f)) not in asked_units:
                continue
            if f.value not in given and (unit or f.kind != "num"):  # a bare count ("eight") counts nothing known
                groups.setdefault((f.kind, unit, is_change(x, f)), []).append((fit, d, f, x, p))
    if not groups:
        return []
    group = max(groups.values(), key=lambda g: (len(g), max(v[0] for v in g)))
    top = max(group, key=lambda v: v[0])[2]  # the best-fitting version; one far from it is of something else
    group = [v for v in group if v[2] is top or not _far(v[2], top)]
    if len({f.value for _, _, f, _, _ in group}) < MIN_VERSIONS:
        return []
    values, seen = [], set()
    for _, d, f, x, p in sorted(group, key=lambda v: v[4].doc.date or "", reverse=True):  # newest first
        if f.value in seen:
            continue
        seen.add(f.value)
        values.append({"value": with_qualifier(x, f.surface), "n": p.n, "doc_id": d, "chunk_id": p.chunk.id,
                       "title": p.doc.title, "outlet": p.doc.outlet, "date": p.doc.date, "quote": x})
    return [Conflict(kind=group[0][2].kind, values=values)]


def question_terms(question: str) -> list[str]:
    """The question's stemmed words, once each, in order, without its
    numbers: what a version's sentence is weighed by (`find`) and must
    hold (`same_thing`)."""
    return [t for t in dict.fromkeys(content_words(question)) if not t.isdigit()]


def _far(a: F.Fact, b: F.Fact) -> bool:
    """Are two values more than MAX_SPREAD times apart (a total and a part)?"""
    if not isinstance(a.value, int | float) or not isinstance(b.value, int | float):
        return False  # a day of the month ("3-4") has no size
    x, y = abs(float(a.value)), abs(float(b.value))
    return min(x, y) == 0 < max(x, y) or min(x, y) > 0 and max(x, y) / min(x, y) > MAX_SPREAD


def about(sentence: str, p: Passage, named: list[str]) -> bool:
    """Is a sentence about what the question names: it names one of them
    (`gate.names_any`), or it names nothing and its article's headline does (an
    earnings table's "Sales 33.0 mln vs 29.1 mln" under "ACME CORP YEAR NET")?

    >>> from rag.types import Chunk, Document
    >>> p = Passage(1, Chunk("c", "a", "", 0, 0), Document("a", "", "h", "ACME CORP YEAR NET"), "", 0.8)
    >>> about("Sales 33.0 mln vs 29.1 mln", p, ["acme"]), about("Sales at Zenith were 5 mln.", p, ["acme"])
    (True, False)
    """
    return names_any(sentence, named) or not F.names(sentence) and names_any(p.doc.title or "", named)


def anchored(found: list[Conflict], answer: str, question: str = "", passages: list[Passage] = ()) -> list[Conflict]:
    """The disagreements about what the answer states: those listing a value
    the answer gives, kept with the versions that are figures of the same
    thing as that one (`same_thing`). Others measure something the answer
    is not about.

    >>> c = Conflict("pct", [{"value": "30%"}, {"value": "over 40%"}])
    >>> len(anchored([c], "Tariffs were cut to 30% [1].")), len(anchored([c], "Talks resume in May [1]."))
    (1, 0)
    >>> len(anchored([Conflict("num", [{"value": "32.9 mln"}, {"value": "33.0 mln"}])], "32.9 million dollars [1]"))
    1
    """
    said = set(F.values(answer))
    named = F.named(question) or recovered(question, passages)
    terms = set(question_terms(question))
    around = {p.chunk.id: p.text for p in passages}
    out = []
    for c in found:
        anchor = next((v for v in c.values if any(F.matches(f, said, answer) for f in F.values(v["value"]))), None)
        if anchor is None:
            continue
        kept = [v for v in c.values if v is anchor or same_thing(anchor, v, named, terms, around)]
        if len({v["value"] for v in kept}) >= MIN_VERSIONS:
            out.append(Conflict(kind=c.kind, values=kept))
    return out


def recovered(question: str, passages: list[Passage]) -> list[str]:
    """For a question that names nothing readable (typed in lower case or
    misspelt: "what price will teneco pay ..."), the names the passages
    write (capitalized in their text, or in their headlines) that its words
    are, up to a slip (`asked.MENDED_SIMILARITY`); [] when it names
    something (`facts.named`). Without them any firm's figure could be a
    version ("101.50 dlrs" of another utility's preferred stock).

    >>> from rag.types import Chunk, Document
    >>> p = Passage(1, Chunk("c", "a", "", 0, 0), Document("a", "", "h", "TENNECO TO REDEEM"), "Tenneco Inc will pay 102 dlrs.", 0.8)
    >>> recovered("what price will teneco pay", [p]), recovered("What will Tenneco pay?", [p])
    (['tenneco'], [])
    """
    if F.named(question):
        return []
    have = {w.lower() for p in passages for w in re.findall(r"\b[A-Z][A-Za-z]+", f"{p.text} {p.doc.title or ''}")}
    have -= stopwords()
    words = {w for w in re.findall(r"[a-z]+", question.lower()) if len(w) >= MIN_RECOVERED_CHARS} - stopwords()
    return sorted({m for w in words for m in difflib.get_close_matches(w, have, n=1, cutoff=MENDED_SIMILARITY)})


def same_thing(a: dict, b: dict, named: list[str], terms: set[str] = frozenset(),
               around: dict[str, str] | None = None) -> bool:
    """Is version `b` a figure of what version `a` is of: not of another
    year or month (`time_of`), nor of a part of the year where `a` is not
    (`part`); naming each of the question's `named` things that `a` names
    (in its sentence or its article's headline); and holding MIN_HELD of
    the question's `terms` that `a`'s sentence holds (those very terms:
    other question words do not stand in for them; `b`'s headline may hold
    them, as it says what a list of firms' figures is of)? A loan to U.K. banks
    and a loan from anyone, 1986's sales and this year's target, a wheat
    tender and sugar production, or the price of a buyback and a tax refund
    in a story naming the same people, are different quantities, not two
    accounts of one. A sentence naming nothing is read with its passage
    (`around`, chunk id -> text).

    >>> a = {"value": "8.5 billion dlrs", "quote": "Brazil owes U.K. banks 8.5 billion dlrs.", "date": "1987-03-02"}
    >>> b = {"value": "11 billion dlrs", "quote": "Brazil got 11 billion dlrs in loans.", "date": "1987-03-02"}
    >>> same_thing(a, b, ["brazil", "british"]), same_thing(a, b, ["brazil"])
    (False, True)
    """
    ta, tb = time_of(a), time_of(b)
    if ta and tb and differ(ta, tb) or part(a) != part(b):
        return False
    around = around or {}
    have_a, have_b = _names_of(a, around), _names_of(b, around)
    if not all(holds_name(n, have_b) for n in named if holds_name(n, have_a)):
        return False
    held_a = terms & set(content_words(a.get("quote") or ""))
    if len(held_a) < MIN_HELD_TERMS:  # one shared word says too little ("tariffs" and "duties" are one thing)
        return True
    held_b = set(content_words(f"{_read_with(b, around)} {b.get('title') or ''}"))  # a headline says what its list is of
    return len(held_a & held_b) >= MIN_HELD * len(held_a)


def _names_of(version: dict, around: dict[str, str]) -> set[str]:
    """The names a version is given with: its sentence's and its headline's;
    for a sentence that names nothing ("The ratio is now in effect until
    March 16"), its passage's too (`around`: chunk id -> passage text),
    whose earlier sentence says whose it is."""
    return names_held(f"{_read_with(version, around)} {version.get('title') or ''}")


def _read_with(version: dict, around: dict[str, str]) -> str:
    """A version's sentence, with its passage (`around`) where the sentence
    names nothing and so refers back to it."""
    quote = version.get("quote") or ""
    return quote if F.names(quote) else f"{quote} {around.get(version.get('chunk_id', ''), '')}"


def part(version: dict) -> bool:
    """Is a version's value of a part of a year (a quarter, a half, weeks:
    `lexicon.PART_OF_YEAR`), written within TIME_REACH characters of it, or,
    with no time written near it, in its article's headline ("4TH QTR NET")?

    >>> part({"value": "1.1 pct", "quote": "GDP rose 1.1 pct in the fourth quarter."})
    True
    >>> part({"value": "3.1 pct", "quote": "GDP grew 3.1 pct in 1986.", "title": "GDP UP IN QUARTER"})
    False
    """
    x, i, j = value_span(version)
    if i >= 0 and _PART.search(x, max(0, i - TIME_REACH), j + TIME_REACH):
        return True
    return time_of(version) is None and _PART.search(version.get("title") or "") is not None


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
