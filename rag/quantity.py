"""How a value sits in its sentence: what it counts (`unit_after`), its
qualifier ("over 40%"), whether it is a change ("by 10%") rather than a
level, one the sentence says was replaced, or the same value restated in
another unit beside it. Read by `conflicts` to tell one quantity's
versions apart from other figures."""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import facts as F
from .lexicon import (
    CHANGE_BY,
    CHANGE_NOUNS,
    CHANGE_VERBS,
    CHANGE_WIRE,
    OTHER_MEASURES,
    QUALIFIERS,
    RELATIVE_YEARS,
    SUPERSEDED_AFTER,
    SUPERSEDED_BEFORE,
    SUPERSEDED_UNTIL,
)
from .text import split_sentences

QUALIFIER_WINDOW = 14  # characters before a value searched for its qualifier ("over", "nearly")
UNIT_REACH = 3  # words after a count searched for what it counts
SCALE_WORDS = {"mln", "bln", "million", "billion", "thousand", "hundred"}  # between a count and its unit ("16 mln bpd")
_RANGE_END = re.compile(r"^\s*(?:and|to|or|-)\s*[\d.,]+\d")  # the other end of a range
_SPELLED = re.compile(r"^\s*(?:(?:" + "|".join(SCALE_WORDS) + r")\s+)?(?P<words>(?:[A-Za-z]+\s+){2,4})\((?P<short>[A-Za-z]{2,5})\)")
_QUAL = re.compile(r"(?:\b(?:" + "|".join(QUALIFIERS) + r")\s+)$", re.I)
_REPLACED = re.compile(r"\b(?:" + "|".join(SUPERSEDED_BEFORE) + r")\b", re.I)
_UNTIL = re.compile(r";|\b(?:" + "|".join(SUPERSEDED_UNTIL) + r")\b", re.I)
_REPLACED_AFTER = re.compile(r"^\W*(?:" + "|".join(SUPERSEDED_AFTER) + r")\b", re.I)
_BESIDE = re.compile(r"^\s*(?:,\s*or|\()\s*(?:(?:" + "|".join(QUALIFIERS) + r")\s+)?$", re.I)  # one value, two units
_CHANGE = re.compile(r"\b(?:" + "|".join(CHANGE_BY) + r")\s+(?:(?:" + "|".join(QUALIFIERS) + r")\s+)?$", re.I)
_CHANGE_REACH = QUALIFIER_WINDOW + max(map(len, CHANGE_BY)) + 1  # characters before a value searched by _CHANGE
_HEDGES = [q for q in QUALIFIERS if q not in ("to", "up to")]  # "fell to 164.1" is a level
_MOVED_BEFORE = re.compile(r"\b(?:" + "|".join(CHANGE_VERBS + CHANGE_WIRE) + r")\s+(?:(?:" + "|".join(_HEDGES) + r")\s+)?$", re.I)
_MOVED_AFTER = re.compile(r"^\s+(?:" + "|".join(CHANGE_NOUNS) + r")\b", re.I)
_MOVED_REACH = QUALIFIER_WINDOW + max(map(len, CHANGE_VERBS)) + 1
LABEL_BEFORE, LABEL_AFTER = 5, 3  # words, without a number among them, between a value and the measure it is labelled
_MEASURE = r"(?P<noun>" + "|".join(sorted(set().union(*OTHER_MEASURES), key=len, reverse=True)) + r")\b"
_LABEL_BEFORE = re.compile(rf"\b{_MEASURE}(?:[^\w.;]+[A-Za-z]+){{0,{LABEL_BEFORE}}}[^\w.;]*$", re.I)
_JOINS = r"(?!(?:and|or|but|while|whereas|against|vs|versus|compared|from|to|than|on)\b)"  # another clause's words
_LABEL_AFTER = re.compile(rf"^(?:[^\w.;]+{_JOINS}[A-Za-z]+){{0,{LABEL_AFTER - 1}}}[^\w.;]+{_MEASURE}", re.I)


def is_change(sentence: str, f: F.Fact) -> bool:
    """Is the value how much something moved ("by 10 percent"), not its level?

    >>> q = F.quantities("a 10 percent cut")[0]
    >>> is_change("cut tariffs by 10 percent", q), is_change("tariffs of 10 percent", q)
    (True, False)
    >>> is_change("it bought an additional about 10 percent", q)
    True
    """
    i = sentence.find(f.surface)
    return i >= 0 and _CHANGE.search(sentence[max(0, i - _CHANGE_REACH):i]) is not None


def moved(sentence: str, f: F.Fact) -> bool:
    """Is the value, everywhere the sentence writes it, how far something
    moved: after a verb of change ("fell 0.1 pct", "up 2.8 pct"), before a
    noun of change ("a 0.1 pct rise") or after "by" (`is_change`)? Not the
    level it moved to ("to 164.1"). Read only to check a level question's
    answer: the disagreement finder keeps `is_change`, under which "dropped
    7.5 pct" and "a 6.7 pct decline" stay one quantity.

    >>> s = "The index fell 0.1 pct to 164.1 in December after a 0.1 pct rise in November."
    >>> [moved(s, f) for f in F.values(s)[:2]]
    [True, False]
    """
    spots = [m.start() for m in re.finditer(re.escape(f.surface), sentence)]
    return bool(spots) and all(_MOVED_BEFORE.search(sentence[max(0, i - _MOVED_REACH):i])
                               or _MOVED_AFTER.match(sentence[i + len(f.surface):])
                               or _CHANGE.search(sentence[max(0, i - _CHANGE_REACH):i]) for i in spots)


def superseded(sentence: str, f: F.Fact) -> bool:
    """Does the sentence give the value as one since replaced: after
    "originally" or "had estimated" (`lexicon.SUPERSEDED_BEFORE`) with no
    word of contrast between ("but now", `lexicon.SUPERSEDED_UNTIL`), or
    followed by "reported earlier"? It is then an earlier version, not the
    story's own.

    >>> s = "It was originally to last 15 months, but will now go for one year."
    >>> [superseded(s, f) for f in F.values(s)]
    [True, False]
    >>> s = "The tender originally called for two to three cargoes."
    >>> [superseded(s, f) for f in F.values(s)]
    [True, True]
    >>> s = "Net was corrected to 485,380 dlrs from 528,790 dlrs reported earlier."
    >>> [superseded(s, f) for f in F.values(s)]
    [False, True]
    """
    i = sentence.find(f.surface)
    if i < 0:
        return False
    if _REPLACED_AFTER.match(sentence[i + len(f.surface):]):
        return True
    marks = [m.end() for m in _REPLACED.finditer(sentence, 0, i)]
    return bool(marks) and not _UNTIL.search(sentence, marks[-1], i)


def restated(sentence: str, f: F.Fact, kinds: set[str]) -> F.Fact | None:
    """The same value in another asked kind, given beside it ("fell 7.4
    billion dlrs, or 6.7 pct"; "6.7 pct (7.4 billion dlrs)").

    >>> s = "Orders fell 7.4 billion dlrs, or 6.7 pct, to 103 billion dlrs."
    >>> [restated(s, f, {"money", "pct"}).surface for f in F.values(s)[:1]], restated(s, F.values(s)[2], {"pct"})
    (['6.7 pct'], None)
    """
    i = sentence.find(f.surface)
    for g in F.values(sentence):
        j = sentence.find(g.surface)
        if g.kind == f.kind or g.kind not in kinds or i < 0 or j < 0:
            continue
        a, b = (i + len(f.surface), j) if i < j else (j + len(g.surface), i)
        if _BESIDE.match(sentence[a:b]):
            return g
    return None


def with_qualifier(sentence: str, surface: str) -> str:
    """The value as written, with a qualifier before it: "over 40%"."""
    i = sentence.find(surface)
    m = _QUAL.search(sentence[max(0, i - QUALIFIER_WINDOW):i]) if i >= 0 else None
    if m and m.group(0).strip().lower() != "to":
        return m.group(0) + surface
    return surface


def unit_after(sentence: str, f: F.Fact) -> str:
    """What a count counts: the word right after it, past scale words
    ("16 mln bpd" -> "bpd", "eight cargoes" -> "cargoe"), singular-ish;
    an amount's currency; "" for rates and dates, whose kind is their unit,
    and where a function word follows.

    >>> unit_after("Output was 16 mln bpd in February.", F.quantities("16 mln bpd")[0])
    'bpd'
    >>> s = "It made 16.1 mln barrels per day (bpd), or between 15.3 and 15.5 mln bpd."
    >>> [unit_after(s, f) for f in F.quantities(s)]
    ['bpd', 'bpd', 'bpd']
    """
    i = sentence.find(f.surface)
    if f.kind == "money":
        return F.currency(f)  # "5 mln dlrs" and "5 mln stg" are different amounts
    if f.kind != "num" or i < 0:
        return ""
    rest = _RANGE_END.sub("", sentence[i + len(f.surface):], count=1)  # "15.3 and 15.5 mln bpd": bpd
    m = _SPELLED.match(rest)
    if m and "".join(w[0] for w in m.group("words").split()).lower() == m.group("short").lower():
        return m.group("short").lower()  # "16.1 mln barrels per day (bpd)": the text's own short form
    after = [w.lower() for w in re.findall(r"[A-Za-z]+", rest)[:UNIT_REACH]]
    after = [w for w in after if w not in SCALE_WORDS]
    return singular(after[0]) if after and after[0] not in F.stopwords() else ""


def span_unit(f: F.Fact) -> str:
    """The unit a span of time is written in: "24 hours" -> "hour"."""
    words = re.findall(r"[A-Za-z]+", f.surface)
    return singular(words[-1]) if words else ""


_HOW_MANY = re.compile(r"\bhow many\s+((?:[A-Za-z-]+\s*){1,4})", re.I)


def counted(question: str) -> set[str]:
    """The words that may name what a "how many" question counts (the
    next few, singular-ish), empty for other questions.

    >>> sorted(counted("How many days did the meeting last?"))
    ['day', 'did', 'meeting', 'the']
    """
    m = _HOW_MANY.search(question)
    return {singular(w) for w in re.findall(r"[A-Za-z]+", m.group(1))} if m else set()


def singular(word: str) -> str:
    """A word lower-cased without a plural "s" ("Cargoes" -> "cargoe"): the
    one form in which what a question counts and what a figure counts are
    compared (`counted`, `unit_after`)."""
    return word.lower().removesuffix("s")


_NAMES_OF = {n: {singular(w) for w in row} for row in OTHER_MEASURES for n in row}  # a measure -> its row's names


def labelled(sentence: str, f: F.Fact) -> str:
    """The measure a sentence labels a value with, of those a story gives to
    describe a thing (`lexicon.OTHER_MEASURES`): "assets" in "banks with
    assets totalling more than 233.2 mln dlrs" and "233 mln dlrs in
    assets", "miles" in "passenger miles rose to 367.6 mln"; "" if none.

    >>> s = "It will buy four banks with assets totalling more than 233.2 mln dlrs."
    >>> labelled(s, F.values(s)[0]), labelled("It paid 50 mln dlrs for banks with assets.", F.values("50 mln dlrs")[0])
    ('assets', '')
    >>> labelled("The bank has 233 mln dlrs in assets.", F.values("233 mln dlrs")[0])
    'assets'
    >>> labelled("The crop is put at 6.4 mln bags and sales at 6.2 mln.", F.values("6.4 mln bags")[0])
    ''
    """
    i = sentence.find(f.surface)
    if i < 0:
        return ""
    m = _LABEL_BEFORE.search(sentence[:i]) or _LABEL_AFTER.match(sentence[i + len(f.surface):])
    return m.group("noun").lower() if m else ""


def measures_other(claim: str, passage: str, question: str, kinds: set[str]) -> bool:
    """Does the passage label every place it gives the claim's figures (of
    the asked `kinds`) with a measure the question does not name
    (`labelled`)? Asked what a bank pays for four banks, "233.2 mln dlrs"
    from "banks with assets totalling 233.2 mln dlrs" answers nothing.

    >>> p = "SouthTrust agreed to buy four banks with assets totalling 233.2 mln dlrs. Terms were not disclosed."
    >>> measures_other("$233.2 million [1]", p, "How much is SouthTrust paying for the banks?", {"money"})
    True
    >>> measures_other("$233.2 million [1]", p, "What assets do the banks have?", {"money"})
    False
    """
    said = [f for f in F.values(claim) if f.kind in kinds]
    asked = {singular(w) for w in re.findall(r"[A-Za-z]+", question)}
    places = [labelled(sentence, g) for sentence, _, g in given_at(said, passage)]
    return bool(places) and all(p and not asked & _NAMES_OF[p] for p in places)


def given_at(said: list[F.Fact], passage: str) -> Iterator[tuple[str, list[F.Fact], F.Fact]]:
    """Each place the passage gives one of the `said` figures (a claim's):
    its sentence, that sentence's values, and the figure as written there.
    What a passage says around a figure is read at these places
    (`measures_other`, `placed_before`, `asked.placed_elsewhen`).

    >>> [(g.surface, len(found)) for _, found, g in given_at(F.values("30%"), "Tariffs are 30 pct. They were 25 pct in 2024.")]
    [('30 pct', 1)]
    """
    for sentence in split_sentences(passage):
        found = F.values(sentence)
        for g in found:
            if any(F.matches(c, {g}, sentence) for c in said):
                yield sentence, found, g


EARLIER_REACH = 50  # characters around a figure searched for "last year's" (as `asked.TIME_REACH`)
_EARLIER = re.compile(r"\b(?:" + "|".join(re.escape(k) for k, v in RELATIVE_YEARS.items() if v < 0)
                      + r"|year-ago|year-earlier|year ago|year earlier)\b", re.I)
_COMPARED = re.compile(r"\b(?:from|than|since|vs|versus|against|over|with)\s+$", re.I)  # "up 60,000 over last year's"
_ASKS_EARLIER = re.compile(r"\b(?:last|previous|prior|earlier|ago|before|year-ago|year-earlier|\d{4})\b", re.I)


def placed_before(claim: str, passage: str, question: str) -> bool:
    """Does the passage give the claim's (first) figure only as of the year before
    its story ("In last year's third quarter, it earned 1,788,000 dlrs"),
    while the question names no year and asks for no earlier time? Such a
    figure is what was, not what the question asks (a loss expected now).

    >>> p = "It expects a loss. In last year's third quarter it earned 1,788,000 dlrs."
    >>> placed_before("1,788,000 dlrs", p, "How big a loss does it expect for the third quarter?")
    True
    >>> placed_before("1,788,000 dlrs", p, "What did it earn in last year's third quarter?")
    False
    >>> placed_before("2.1 mln dlrs", "Net rose to 2.1 mln dlrs from 1.5 mln last year.", "What was its net?")
    False
    """
    if _ASKS_EARLIER.search(question):
        return False
    said = [f for f in F.values(claim) if f.kind not in ("year", "month", "date")][:1]  # its figure, not a restatement
    places = []
    for sentence, _, f in given_at(said, passage):
        i = sentence.find(f.surface)
        if i >= 0 and f.kind not in ("year", "month", "date"):
            places.append(any(abs(m.start() - i) <= EARLIER_REACH + len(f.surface)
                              and not _between(sentence, i, m.start(), f) and not _COMPARED.search(sentence[:m.start()])
                              for m in _EARLIER.finditer(sentence)))
    return bool(places) and all(places)


def _between(sentence: str, i: int, j: int, f: F.Fact) -> bool:
    """Is another figure written between a figure (at `i`) and a time (at
    `j`)? Then the time is that figure's ("2.1 mln from 1.5 mln last year")."""
    lo, hi = sorted((i, j))
    return any(g.surface != f.surface and g.kind not in ("year", "month", "date") for g in F.values(sentence[lo:hi]))
