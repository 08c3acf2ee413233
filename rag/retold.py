"""Versions the question's search left out: another article retelling the
sentence the answer cites, with another value for the same thing.

The disagreement finder (`conflicts.find`) reads only the passages the
model saw, picked for the question. A revised or second story that words
the quantity the same way ("Sales 58.8 mln vs 40.7 mln" under the same
headline, "India bought eight cargoes of white sugar ...") can rank past
them, because the question shares few words with it. The cited sentence
itself is the best query for such a story: searched with it (its stored
vector and its words), a sentence of another article whose cosine with it is
at least `Settings.retold_cosine`, and which gives a value of the same kind
in the same unit, of the same time, naming what the question names
(`conflicts.same_thing`), is another version of it. It is cited as a further
passage after those the model saw."""

from __future__ import annotations

from dataclasses import replace

from . import facts as F
from .asked import asked_kinds, placed_other
from .conflicts import MIN_VERSIONS, _far, about, closeness, same_thing, version
from .quantity import is_change, superseded, unit_after
from .retrieve import Sentence, search
from .settings import Settings
from .store import Index
from .text import content_words, split_sentences
from .types import Conflict, Passage

MAX_RETOLD = 2  # further articles listed as versions of one answer


def anchor(answer: str, cited: list[int], question: str, passages: list[Passage],
           sentences: list[Sentence]) -> tuple[Sentence, F.Fact, Passage] | None:
    """The evidence sentence (with its stored vector) that gives the
    answer's value of the asked kind, in a passage the answer cites."""
    kinds = asked_kinds(question)
    said = F.values(answer)
    by_chunk = {p.chunk.id: p for p in passages if p.n in cited}
    for s in sentences:
        p = by_chunk.get(s.hit.chunk.id)
        if p is None or s.text not in p.text:
            continue
        for f in F.values(s.text):
            if f.kind in kinds and F.matches(f, set(said), answer) and not superseded(s.text, f):
                return s, f, p
    return None


def retold(question: str, answer: str, cited: list[int], passages: list[Passage], sentences: list[Sentence],
           found: list[Conflict], index: Index, settings: Settings) -> tuple[list[Conflict], list[Passage]]:
    """`found` with the versions other articles retelling the cited sentence
    give, and a passage for each, numbered after `passages`."""
    a = anchor(answer, cited, question, passages, sentences)
    vecs = getattr(a[0].hit, "sentence_vectors", None) if a else None
    if a is None or vecs is None or a[0].pos >= len(vecs):
        return found, []
    s, f0, p0 = a
    v = vecs[s.pos]
    named = F.named(question)
    terms = {t for t in content_words(question) if not t.isdigit()}
    first = version(s.text, f0, p0)
    unit, change = unit_after(s.text, f0), is_change(s.text, f0)
    shown = {p.doc.id for p in passages} | {x["doc_id"] for c in found for x in c.values}
    best: dict[str, tuple[float, str, F.Fact, Passage]] = {}  # doc id -> its closest retelling
    for h in search(index, v, s.text, settings):
        did = h.chunk.doc_id
        hv = getattr(h, "sentence_vectors", None)
        if did in shown or hv is None or did not in index.docs:
            continue
        p = Passage(0, h.chunk, index.docs[did], "", h.dense)
        for x, cos in zip(split_sentences(h.chunk.text), hv @ v):
            if cos < settings.retold_cosine or cos <= best.get(did, (-1.0,))[0] or not about(x, p, named):
                continue
            fits = [g for g in F.values(x) if g.kind == f0.kind and g.value != f0.value and not _far(f0, g)
                    and unit_after(x, g) == unit and is_change(x, g) == change and not superseded(x, g)
                    and not placed_other(x, g, question, p.doc.date)]
            fits = [g for g in fits if same_thing(first, version(x, g, p), named, terms)]
            if fits:
                g = max(fits, key=lambda g: closeness(x, g, dict.fromkeys(terms, 1.0)))
                best[did] = (float(cos), x, g, p)
    if not best:
        return found, []
    extra, versions = [], []
    for _, x, g, p in sorted(best.values(), key=lambda b: -b[0])[:MAX_RETOLD]:
        # not ranked for the question (found by the cited sentence): no cosine with it
        p = replace(p, n=len(passages) + len(extra) + 1, text=x, relevance=0.0)
        extra.append(p)
        versions.append(version(x, g, p))
    return _joined(found, first, versions, f0.kind), extra


def _joined(found: list[Conflict], first: dict, versions: list[dict], kind: str) -> list[Conflict]:
    """The retold versions added to the disagreement listing the answer's
    value, or a new one of the answer's version and them; newest first."""
    target = next((c for c in found if any(x["value"] == first["value"] or x["quote"] == first["quote"]
                                           for x in c.values)), None)
    base = target.values if target else [first]
    seen = {x["value"] for x in base}
    new = [x for x in versions if x["value"] not in seen and not seen.add(x["value"])]
    values = sorted(base + new, key=lambda x: x.get("date") or "", reverse=True)
    if len({x["value"] for x in values}) < MIN_VERSIONS:
        return found
    joined = Conflict(kind=target.kind if target else kind, values=values)
    return [joined if c is target else c for c in found] + ([] if target else [joined])
