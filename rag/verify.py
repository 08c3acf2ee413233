"""Claim-level citation check. Each answer sentence that states a fact must
cite a passage that holds every one of its numbers, dates and names and
enough of its content words; citations to passages that do not exist are
dropped; an uncited but supported sentence gets the passage that supports it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import facts as F
from .text import content_words, split_sentences
from .types import Passage

MARK = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_REFUSAL = re.compile(
    r"NOT IN ARTICLES|\b(?:passages?|articles?|context|text)\s+(?:do(?:es)?\s+not|don'?t|doesn'?t)\s+"
    r"(?:contain|say|mention|provide|specify|state|include|answer)|\bnot\s+(?:mentioned|specified|stated|provided)\b"
    r"|\bno information\b|\bcannot (?:be )?(?:answer|determine)", re.I)


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """Split a sentence into its text and its citation numbers, in order.

    >>> parse_markers("Tariffs fell to 30% [1][3, 2].")
    ('Tariffs fell to 30%.', [1, 3, 2])
    """
    ns: list[int] = []
    while MARK.search(sentence):  # again: removing "[2]" from "[1[2]]" leaves a marker "[1]"
        for m in MARK.finditer(sentence):
            for x in re.split(r"[,;]", m.group(1)):
                if int(x) not in ns:
                    ns.append(int(x))
        sentence = MARK.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", sentence).strip()
    return re.sub(r"\s{2,}", " ", text), ns


_LIST_NUMBER = re.compile(r"(?m)^[ \t]*\d{1,2}[.)][ \t]+")  # "1. " opening a line of a numbered list


def answer_sentences(raw: str) -> list[str]:
    """The sentences of a model's reply: markers separated from their
    sentence by a line break stay with it, and a numbered list's "1." is
    not a sentence of its own (it was checked, and reported removed, as a
    claim of the number 1).

    >>> answer_sentences("1. Output fell 5 pct.\\n[2]\\n2. 1.42 mln tonnes [1]")
    ['Output fell 5 pct. [2]', '1.42 mln tonnes [1]']
    """
    return split_sentences(_LIST_NUMBER.sub("", raw).replace("\n[", " ["))


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


@dataclass
class Support:
    ok: bool
    overlap: float  # share of the claim's content words found in the passages
    missing: list[str] = field(default_factory=list)  # facts not found, as written


GIVEN_TIMES = ("date", "month", "year")  # kinds of fact besides names a question gives that an answer may repeat


def given_by(question: str) -> frozenset[tuple[str, object]]:
    """What a question gives, which an answer may repeat without its passage
    holding it: its names (`facts.named`) and its days, months and years,
    each as (kind, value). "What shortage did the Bank expect on March 3?" answered
    "... on March 3 [1]" from a passage of that day's story, which says
    "today", claims no date of its own; whether the passage is of the
    question's time is `pipeline.typed`'s test.

    >>> sorted(given_by("What did Acme earn on March 3?"))
    [('date', '3-3'), ('name', 'acme')]
    """
    return frozenset({("name", n) for n in F.named(question)}
                     | {(f.kind, f.value) for f in F.extract(question) if f.kind in GIVEN_TIMES})


def support(claim: str, passages: list[Passage], min_support: float, given: frozenset[tuple[str, object]] = frozenset()) -> Support:
    """Does the union of `passages` state `claim`? Its numbers and dates
    must be in the passages' text; its names may be in their articles'
    headlines too (a story's subject is often named only there: "Sales 33.0
    mln vs 29.1 mln" under "ACME CORP YEAR NET" says Acme's sales). What
    the question gives (`given_by`: its names and times, as (kind, value)) need
    not be there: an answer that repeats the question's "Monfort of
    Colorado" claims nothing by it (whether its passage is about what the
    question names is `pipeline.typed`'s test).

    >>> from rag.types import Chunk, Document, Passage
    >>> d = Document("a", "", "h", "t"); c = Chunk("c", "a", "", 0, 0)
    >>> p = Passage(1, c, d, "Tariffs on Chinese goods were cut to 30 percent for 90 days.", 0.8)
    >>> support("Tariffs were cut to 30% [1].", [p], 0.5).ok
    True
    >>> support("Tariffs were cut to 25%.", [p], 0.5).missing
    ['25%']
    >>> q = Passage(1, c, Document("a", "", "h", "ACME CORP YEAR NET"), "Sales 33.0 mln vs 29.1 mln", 0.8)
    >>> support("Acme's sales were 33.0 mln [1].", [q], 0.5).ok, support("Acme's sales were 2021 mln.", [q], 0.5).ok
    (True, False)
    >>> support("33.0 million dollars [1]", [q], 0.5).ok
    True
    """
    claim = MARK.sub("", claim)
    text = " ".join(p.text for p in passages)
    pool = F.extract(text)  # numbers and dates: from the passages alone
    context = " ".join([text, *dict.fromkeys(p.doc.title or "" for p in passages)])  # names: their headlines too
    said = sorted(F.extract(claim), key=lambda f: f.surface)
    held = [f for f in said if F.matches(f, pool, context) or (f.kind, f.value) in given]
    missing = [f.surface for f in said if f not in held]
    lead = F.leading_name(claim)
    if lead and (lead.kind, lead.value) not in given and not F.matches(lead, pool, context):
        missing.append(lead.surface)
    words = set(content_words(claim))
    # a value the passages state holds its own words as the claim writes
    # them ("million dollars" for an earnings table's "32.9 mln"); its
    # digits still count only where the passages write them
    have = set(content_words(context)) | {w for f in held if f.kind != "name" for w in content_words(f.surface)
                                          if w.isalpha()}
    overlap = len(words & have) / len(words) if words else 0.0
    return Support(not missing and overlap >= min_support, overlap, missing)


@dataclass
class Claim:
    text: str  # without markers
    cited: list[int]  # valid passage numbers, after checking
    supported: bool
    overlap: float
    dropped: list[int] = field(default_factory=list)  # markers removed: no such passage, or not supporting
    missing: list[str] = field(default_factory=list)
    reassigned: bool = False


def check_sentence(sentence: str, passages: dict[int, Passage], min_support: float,
                   given: frozenset[tuple[str, object]] = frozenset()) -> Claim | None:
    """Check one answer sentence; None when it states nothing (filler)."""
    text, ns = parse_markers(sentence)
    if not content_words(text) or is_refusal(text):
        return None
    valid = [n for n in ns if n in passages]
    dropped = [n for n in ns if n not in passages]
    if valid:
        s = support(text, [passages[n] for n in valid], min_support, given)
        if s.ok:
            # keep only the cited passages that contribute
            keep = [n for n in valid if support(text, [passages[n]], 0.0).overlap > 0] or valid
            return Claim(text, keep, True, s.overlap, dropped + [n for n in valid if n not in keep])
    # no valid citation, or the cited passages fail: find the one that holds it
    best: tuple[float, int] | None = None
    for n, p in passages.items():
        s = support(text, [p], min_support, given)
        if s.ok and (best is None or s.overlap > best[0]):
            best = (s.overlap, n)
    if best is not None:
        return Claim(text, [best[1]], True, best[0], dropped + [n for n in valid if n != best[1]], reassigned=True)
    s = support(text, [passages[n] for n in valid] or list(passages.values()), min_support, given)
    return Claim(text, valid, False, s.overlap, dropped, s.missing)


def check_answer(answer: str, passages: list[Passage], min_support: float, given: frozenset[tuple[str, object]] = frozenset()) -> list[Claim]:
    """Every fact-stating sentence of `answer`, checked against `passages`
    (what the question gives, `given_by`: `support`)."""
    by_n = {p.n: p for p in passages}
    claims = []
    for sentence in answer_sentences(answer):
        c = check_sentence(sentence, by_n, min_support, given)
        if c is not None:
            claims.append(c)
    return claims
