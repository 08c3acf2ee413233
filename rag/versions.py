"""Versions beyond the passages: other articles, further down the search's
ranking, that give the answer's quantity differently.

The model reads four passages, packed for the question; a second account of
the same figure (a story filed again, a later estimate) often ranks below
them, because it shares the question's words less than the answer's
sentence. Once the answer is known, each further hit's sentences are read
for a value of the same kind and unit as the answer's, about what the
question names and of the same time, part of the year and thing
(`conflicts.same_thing`). Neither the words the answer's sentence uses nor
its meaning (cosine) told the real versions from other figures on the
Reuters dev half (eval/REUTERS.md, tenth session), so these checks are all.
No model call, no new search: the hits are the ones retrieval already fused.
"""

from __future__ import annotations

import re

from . import facts as F
from .asked import asked_kinds, differ, placed_other, time_of
from .conflicts import about, closeness, question_terms, recovered, same_thing
from .gate import holds_name, name_words, names_held, telling
from .lexicon import LEGAL_FORMS
from .quantity import is_change, measures_other, superseded, unit_after, with_qualifier
from .text import split_sentences
from .types import Conflict, Hit, Passage
from .verify import MARK

MAX_SPREAD = 2.0  # a version from beyond the passages is within this factor of the answer's (`conflicts.MAX_SPREAD` is 10)
_CLAUSE = re.compile(r"[,;]|\band\b")  # what separates one firm's figure from the next in a list
_OF_NAME = re.compile(r"\s+of\s+([A-Z][A-Za-z&.-]+)")  # "50.1 pct of Piedmont": whose the figure is


def anchor(answer: str, cited: list[Passage], question: str) -> tuple[F.Fact, dict] | None:
    """The value of the asked kind the answer states, as its cited passage's
    sentence gives it: the version others are compared with. None when the
    answer states none, or only a bare count (no unit: it counts nothing
    known) or a number the question itself gives.

    >>> from rag.types import Chunk, Document
    >>> p = Passage(1, Chunk("c", "a", "", 0, 0), Document("a", "", "h", "T"), "Output was 16.1 mln bpd. It fell.", 0.8)
    >>> anchor("16.1 mln bpd [1]", [p], "How much crude did OPEC produce?")[1]["quote"]
    'Output was 16.1 mln bpd.'
    >>> anchor("Eight [1]", [p], "How much crude did OPEC produce?") is None
    True
    """
    kinds, given = asked_kinds(question), {f.value for f in F.quantities(question)}
    said = set(F.values(MARK.sub("", answer)))
    for p in cited:
        for x in split_sentences(p.text):
            for f in F.values(x):
                unit = unit_after(x, f)
                if f.kind in kinds and f.value not in given and F.matches(f, said, answer) and not superseded(x, f) \
                        and (unit or f.kind != "num"):
                    return f, _version(x, f, p)
    return None


def more(found: list[Conflict], answer: str, question: str, passages: list[Passage], hits: list[Hit],
         docs: dict, most: int = 2) -> tuple[list[Conflict], list[Passage]]:
    """The disagreements with up to `most` versions added from hits of
    articles no passage is from (the best-ranked first, one per article:
    reading the passages' articles further gave other figures of theirs as
    versions on the dev half, a month's growth for a year's), and the
    passages, numbered after the others, that cite them. The versions join
    the disagreement listing the answer's value, or make one with it."""
    got = anchor(answer, [p for p in passages if f"[{p.n}]" in answer], question)
    if got is None:
        return found, []
    f, a = got
    target = next((c for c in found if any(F.matches(g, {f}, a["quote"]) for v in c.values for g in F.values(v["value"]))),
                  None)  # the disagreement listing the answer's value, if one does
    if found and target is None:  # the answer's sentence gives another figure too, and the passages disagree on that
        return found, []
    named = [n for n in F.named(question) or recovered(question, passages) if n not in LEGAL_FORMS]  # "Corp" is any firm's
    terms = set(question_terms(question))
    own = names_held(question)
    seen = {p.doc.id for p in passages} | {v["doc_id"] for c in found for v in c.values}
    listed = {g.value for v in (target.values if target else [a]) for g in F.values(v["value"])}
    new: list[dict] = []
    added: list[Passage] = []
    for h in hits:
        if len(new) >= most:
            break
        doc = docs.get(h.chunk.doc_id)
        if doc is None or doc.id in seen:
            continue
        p = Passage(len(passages) + len(added) + 1, h.chunk, doc, h.chunk.text, h.dense)
        for x in split_sentences(h.chunk.text):
            v = _other(x, f, a, p, question, own, named) if about(x, p, named) else None
            said = {g.value for g in F.values(v["value"])} if v else set()
            if v and same_thing(a, v, named, terms) and not _past(a, v) and not said & listed:
                seen.add(doc.id)
                listed |= said
                new.append(v)
                added.append(p)
                break
    if not new:
        return found, []
    if target is None:
        return [Conflict(f.kind, _newest_first([a, *new]))], added
    out = [Conflict(c.kind, _newest_first(c.values + new)) if c is target else c for c in found]
    return out, added


def _other(x: str, f: F.Fact, a: dict, p: Passage, question: str, own: set[str], named: list[str]) -> dict | None:
    """A sentence's value that is another version of the answer's `f`: of
    its kind and unit, a change where it is one, not far from it in size,
    neither replaced in its sentence nor of another time than the question's,
    nor of a name the question does not give ("50.1 pct of Piedmont"). A
    sentence that also gives `f` agrees with the answer: its other figure is
    of something else ("undervalued 10 or 15 pct" beside "15 pct"). Of
    several, the one in the clause naming the question's `named` firm
    ("Volkswagen fell 42.5 pct, American Motors plunged 62.5 pct"), else the
    one written nearest them.

    >>> from rag.types import Chunk, Document
    >>> p = Passage(5, Chunk("c", "b", "", 0, 0), Document("b", "", "h", "T"), "", 0.5)
    >>> f, a = F.Fact("pct", 15.0, "15 pct"), {"unit": "", "change": False}
    >>> [_other(x, f, a, p, "What stake in USAir does TWA hold?", {"usair", "twa"}, ["usair", "twa"]) is None
    ...  for x in ("TWA holds 16 pct of USAir.", "USAir will buy 50.1 pct of Piedmont.", "It is 10 or 15 pct.")]
    [False, True, True]
    """
    found = F.values(x)
    if any(F.matches(g, {f}, x) for g in found):
        return None
    fit = [g for g in found if g.kind == f.kind and g.value != f.value and _near(f, g) and unit_after(x, g) == a["unit"]
           and is_change(x, g) == a["change"] and not superseded(x, g)
           and not placed_other(x, g, question, p.doc.date) and not _of_another(x, g, own)
           and not measures_other(g.surface, x, question, {g.kind})]
    near = {w: 1.0 for w in named}
    return _version(x, max(fit, key=lambda g: (_in_clause(x, g, named), closeness(x, g, near))), p) if fit else None


def _in_clause(x: str, g: F.Fact, named: list[str]) -> bool:
    """Is the value written in a clause (between commas, semicolons or an
    "and") that names one of `named`, a country only where it names nothing
    else ("American Motors plunged 62.5 pct", not "Volkswagen of America
    fell 42.5 pct")?

    >>> x = "Volkswagen of America fell 42.5 pct, American Motors plunged 62.5 pct and Toyota sold 1,082."
    >>> [_in_clause(x, g, ["american", "motors", "us"]) for g in F.values(x)]
    [False, True, False]
    """
    i = x.find(g.surface)
    starts = [0] + [m.end() for m in _CLAUSE.finditer(x, 0, i)]
    end = _CLAUSE.search(x, i + len(g.surface))
    words = name_words(x[starts[-1]:end.start() if end else len(x)])  # as written: "America" is no "American"
    return any(holds_name(n, words) for n in telling(named) or named)


def _near(f: F.Fact, g: F.Fact) -> bool:
    """Are two values within MAX_SPREAD of each other ("109 billion" of
    "108 billion", not "250 pct" of "25.5 pct")? A version read from an
    article the question ranked low needs to be nearer than one the
    passages give: two dates or days are near when they are of one month,
    and any two months are (a month asked may be any).

    >>> _near(F.Fact("pct", 25.5, "25.5 pct"), F.Fact("pct", 250.0, "250 pct")), _near(F.Fact("month", 4, "April"), F.Fact("month", 5, "May"))
    (False, True)
    """
    if f.kind == "month":
        return True  # "April" or "May": a month asked is any month
    if not isinstance(f.value, int | float) or not isinstance(g.value, int | float):
        return F.month_of(f) == F.month_of(g)
    x, y = sorted((abs(float(f.value)), abs(float(g.value))))
    return x > 0 and y / x <= MAX_SPREAD


def _past(a: dict, v: dict) -> bool:
    """Is `v` written as of another year than `a`, where `a` writes none
    and so is of its own story's year ("was 95 billion dlrs in 1985" is no
    account of a debt a 1987 story gives)?"""
    ta, tv, year = time_of(a), time_of(v), (a.get("date") or "")[:4]
    return ta is None and tv is not None and year.isdigit() and differ((int(year), None), tv)


def _of_another(x: str, g: F.Fact, own: set[str]) -> bool:
    """Is the value written as "of" a name the question does not give?"""
    m = _OF_NAME.match(x, x.find(g.surface) + len(g.surface))
    word = m.group(1).rstrip(".").lower() if m else ""
    return bool(word) and word not in own and word not in F.MONTHS


def _version(x: str, f: F.Fact, p: Passage) -> dict:
    return {"value": with_qualifier(x, f.surface), "n": p.n, "doc_id": p.doc.id, "chunk_id": p.chunk.id,
            "title": p.doc.title, "outlet": p.doc.outlet, "date": p.doc.date, "quote": x,
            "unit": unit_after(x, f), "change": is_change(x, f)}


def _newest_first(values: list[dict]) -> list[dict]:
    """Newest first, each version as `conflicts.find` lists it."""
    keep = [{k: v for k, v in d.items() if k not in ("unit", "change")} for d in values]
    return sorted(keep, key=lambda d: d.get("date") or "", reverse=True)
