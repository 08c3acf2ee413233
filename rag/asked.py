"""What a question asks for: a kind of value (a rate, an amount, a count, a
date) or a name, read from the question's form (rag.lexicon), never from its
topic. The fallback and the disagreement finder use it: a sentence standing
in for an answer must hold the kind of thing asked, and only values of that
kind can disagree."""

from __future__ import annotations

import difflib
import re

from .facts import MENDED_SIMILARITY, MONTHS, Fact, leading_name, month_of, names, values
from .lexicon import (
    ASKED_FORMS,
    CHANGE_VERBS,
    COMPARISON_BASE,
    FORM_WORDS,
    LEVEL_VERBS,
    MONEY_NOUNS,
    RELATIVE_DAYS,
    RELATIVE_YEARS,
    WANTS_NAME,
)
from .quantity import given_at, singular

TIME_KINDS = {"year", "month", "date"}
MIN_MENDED_CHARS = 6  # shorter words are not mended: "rate" and "rats" are both words
TIME_REACH = 50  # characters around a value searched for the time it is of ("3.0 pct in January")

_RELATIVE = re.compile(r"\b(?:" + "|".join(map(re.escape, RELATIVE_YEARS)) + r")\b", re.I)
_YEAR_AFTER = re.compile(r"^,?\s*(\d{4})\b")  # "January 1986": the month's own year is written
_MONTH_BEFORE = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\.?(?:\s+\d{1,2})?,?\s*$", re.I)  # ... and read with it
_DAY_SPAN = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\.?\s+\d{1,2}\s*(?:-|to|through)\s*(?:(?:" + "|".join(MONTHS)
                       + r")\.?\s+)?\d{1,2}\b|\bweek\s+(?:ended|ending|to)\b", re.I)  # "February 21 to 28", "the week ended March 6"
_FROM_BASE = re.compile(r"\b(?:" + "|".join(COMPARISON_BASE) + r")\b(?:\s+[A-Za-z'-]+){0,4}\s+$", re.I)
_COMPARED = re.compile(r"\b(?:" + "|".join(COMPARISON_BASE) + r")\s+(?:the\s+)?$", re.I)
_FORMS = [(re.compile(rx, re.I), kinds) for rx, kinds in ASKED_FORMS]
_NAME = re.compile(WANTS_NAME, re.I)
_MONEY = re.compile(MONEY_NOUNS, re.I)
_TO_LEVEL = re.compile(r"\blevel\b|\bhow (?:high|low)\b|\b(?:" + "|".join(CHANGE_VERBS + LEVEL_VERBS)
                       + r")\b(?:\s+[\w'-]+){0,6}?\s+to\b(?!\s+(?:be|have|do|make|meet|take|get|pay|buy|sell)\b)", re.I)
_BY_HOW_MUCH = re.compile(r"\bby how (?:much|many)\b", re.I)
_RELATIVE_TIME = re.compile(r"\b(?:" + "|".join(map(re.escape, RELATIVE_DAYS + list(RELATIVE_YEARS))) + r")\b", re.I)


def asked_kinds(question: str) -> set[str]:
    """The kinds of value a question asks for (empty: no particular kind).

    >>> sorted(asked_kinds("What rate did the bank cut to?")), sorted(asked_kinds("At what rate to the dollar?"))
    (['pct'], ['money', 'num', 'pct'])
    >>> sorted(asked_kinds("When did the strike end?"))
    ['date', 'month', 'year']
    >>> asked_kinds("What did China agree to buy?")
    set()
    >>> sorted(asked_kinds("At what price did it sell its sugar?")), sorted(asked_kinds("How many dollars did it make?"))
    (['money'], ['money'])
    >>> sorted(asked_kinds("What pay rise were unions demanding?")), sorted(asked_kinds("How thick was the ice?"))
    (['money', 'pct'], ['num'])
    """
    question = mended(question)
    out: set[str] = set()
    for rx, kinds in _FORMS:
        if rx.search(question):
            out |= kinds
    if out & {"num", "money"} and _MONEY.search(question):  # an amount of money, not a count
        out = (out - {"num", "duration"}) | {"money"}
    return out


def mended(question: str) -> str:
    """The question with a word one slip away from a word its form is read by
    (`lexicon.FORM_WORDS`) written as that word.

    >>> mended("What inflaton target has Turkey set?"), mended("What relation has Turkey set?")
    ('What inflation target has Turkey set?', 'What relation has Turkey set?')
    """
    for word in set(re.findall(r"[A-Za-z]{" + str(MIN_MENDED_CHARS) + ",}", question)):
        if word.lower() not in FORM_WORDS:
            close = difflib.get_close_matches(word.lower(), FORM_WORDS, n=1, cutoff=MENDED_SIMILARITY)
            if close and singular(close[0]) != singular(word):  # "dollar" is a word, not a slip of "dollars"
                question = re.sub(r"\b" + word + r"\b", close[0], question)
    return question


def asks_level(question: str) -> bool:
    """Does the question ask the level a thing stands at or moved to
    ("what level", "fall to"), not how far it moved ("by how much")?

    >>> asks_level("What level did the index fall to in December?"), asks_level("By how much did it fall?")
    (True, False)
    >>> asks_level("What did GM cut the pool for merit raises to?"), asks_level("How much did sales rise?")
    (True, False)
    """
    return bool(_TO_LEVEL.search(question)) and not _BY_HOW_MUCH.search(question)


def wants_name(question: str) -> bool:
    return _NAME.search(question) is not None


def holds_kind(text: str, kinds: set[str] | frozenset[str], given: set[Fact] | frozenset[Fact] = frozenset()) -> bool:
    """Does a text give a value of one of these kinds, other than the `given`
    ones? A time counted from the story's own date gives the time a "when"
    question asks ("confirmed Thursday that ...", "next week"): news dates
    events so. It is not a value `facts` reads, because two stories' such
    times cannot be compared (`lexicon.RELATIVE_DAYS`).

    >>> holds_kind("He confirmed Thursday that they spoke.", {"date"}), holds_kind("He spoke.", {"date"})
    (True, False)
    """
    return (any(f.kind in kinds for f in values(text) if f not in given)
            or bool(kinds & TIME_KINDS) and _RELATIVE_TIME.search(text) is not None)


def answers_type(text: str, question: str) -> bool:
    """Does a text hold the kind of thing asked: a value of an asked kind,
    or, for "who", a name besides the question's own? True when the
    question asks for neither.

    >>> answers_type("Rates were cut to 6.5 pct.", "What rate did the bank cut to?")
    True
    >>> answers_type("The bank cut its rates again.", "What rate did the bank cut to?")
    False
    >>> answers_type("It sold 35,000 tons of sugar.", "At what price did it sell its 35,000 tons?")
    False
    >>> answers_type("Beijing [1]", "Which city did he visit?")  # a name leading the answer
    True
    """
    kinds = asked_kinds(question)
    if kinds and not holds_kind(text, kinds, given=set(values(question))):  # "its 35,000 tons" answers nothing
        return False
    if kinds and _BY_HOW_MUCH.search(question) and all(_from_base(text, f) for f in values(text) if f.kind in kinds):
        return False  # "asked to reduce prices from 18 dlrs" gives the level moved from, not by how much
    if wants_name(question):
        asked = {f.value for f in names(question)}
        return any(f.value not in asked for f in names(text) + [leading_name(text)] if f is not None)
    return True


def elsewhen(text: str, question: str) -> bool:
    """Does a text place itself at another time than the question: a year,
    month or day of the question's kind, none of them the question's, or
    some days of the whole month asked (`_DAY_SPAN`)? (A 1985 peak does not
    answer a question about January 1987.)

    >>> elsewhen("On February 25, 1985, the dollar peaked.", "What was the dollar's low in January 1987?")
    True
    >>> elsewhen("It fell to 150 yen in January.", "What was the low in January 1987?")
    False
    >>> elsewhen("Sales for the February 21 to 28 period fell.", "What were sales in February?")
    True
    """
    asked = values(question)
    return _other_time(asked, values(text)) or (_whole_month(asked) and _DAY_SPAN.search(text) is not None)


def _whole_month(asked: list[Fact]) -> bool:
    """Do the question's times name a month and no day of it?"""
    return any(f.kind == "month" for f in asked) and not any(f.kind == "date" for f in asked)


def _other_time(asked: list[Fact], said: list[Fact]) -> bool:
    """Do the `said` times hold one of a kind the `asked` ones have, and
    none of that kind that is asked?"""
    for kind in TIME_KINDS:
        q = {f for f in asked if f.kind == kind}
        t = {f for f in said if f.kind == kind}
        if q and t and not q & t:
            return True
    return False


def of_the_year(text: str, question: str) -> bool:
    """Does the question ask about a month of a year while the text gives a
    year and no month or day at all? Then it speaks of the year: "0.5 pct
    for 1987 as a whole" is no February figure.

    >>> q = "What was inflation in February 1987?"
    >>> of_the_year("Inflation will average 0.5 pct in 1987.", q), of_the_year("It rose 0.5 pct in February 1987.", q)
    (True, False)
    >>> of_the_year("Inflation was 0.5 pct.", q), of_the_year("Inflation will average 0.5 pct in 1987.", "What was inflation in 1987?")
    (False, False)
    """
    asked, said = {f.kind for f in values(question)}, {f.kind for f in values(text)}
    return "year" in asked and bool(asked & {"month", "date"}) and "year" in said and not said & {"month", "date"}


def placed_elsewhen(claim: str, passage: str, question: str) -> bool:
    """Does the passage place the claim's figures at another time than the
    question's: every place it gives one of them has, within TIME_REACH
    characters in its sentence, a year, month or day of a kind the question
    gives, and none of them the question's (`elsewhen`)? The model may drop
    the time its passage gives: "3.0% [1]" from "3.0 pct in January" does
    not answer a question on February. Nor does a figure of some of a
    month's days ("the February 21 to 28 period", "the week ended March 6":
    `_DAY_SPAN`) answer one on the whole month.

    >>> q = "What was the jobless rate in February 1987?"
    >>> placed_elsewhen("3.0% [1]", "The rate rose to 3.0 pct in January. It was 2.9 pct in December.", q)
    True
    >>> placed_elsewhen("3.0%", "The rate rose to 3.0 pct in February, after 2.9 pct in January.", q)
    False
    >>> placed_elsewhen("3.0%", "The jobless rate was 3.0 pct, the agency said.", q)
    False
    >>> placed_elsewhen("1,572", "Sales for the February 21 to 28 period fell to 1,572.", "What were sales in February?")
    True
    >>> placed_elsewhen("3.1%", "Growth for the year was 3.1 pct, down from 1985's four pct.", "How much did GDP grow in 1986?")
    False
    """
    said = [f for f in values(claim) if f.kind not in TIME_KINDS]
    if not said:
        return False
    places = []  # the times near each place the passage gives one of the claim's figures
    for sentence, found, f in given_at(said, passage):
        i = sentence.find(f.surface)
        if f.kind not in TIME_KINDS and i >= 0:
            times = [t for t in found if t.kind in TIME_KINDS and not _base(sentence, t)]
            near = [t for t in times if abs(sentence.find(t.surface) - i) <= TIME_REACH + len(f.surface)]
            places.append((near, any(abs(m.start() - i) <= TIME_REACH + len(f.surface) for m in _DAY_SPAN.finditer(sentence))))
    asked = values(question)
    return bool(places) and all(_other_time(asked, times) or (part and _whole_month(asked)) for times, part in places)


def _from_base(text: str, f: Fact) -> bool:
    """Is a value the base something moves from or is compared with ("from
    the current average of 18 dlrs"), a few words after "from", "than"
    (`lexicon.COMPARISON_BASE`) with no other number between?

    >>> _from_base("asked India to reduce prices from the current average of 18 dlrs", values("18 dlrs")[0])
    True
    >>> _from_base("cut prices by five dlrs from 18 dlrs", values("five dlrs")[0])
    False
    """
    i = text.find(f.surface)
    return i >= 0 and _FROM_BASE.search(text[:i]) is not None


def _base(sentence: str, t: Fact) -> bool:
    """Is a time the base a figure is compared with ("down from 1985's")?"""
    return _COMPARED.search(sentence[:max(sentence.find(t.surface), 0)]) is not None


def answers(text: str, question: str, same_time: bool = True) -> bool:
    """Does a text hold the kind of thing asked (`answers_type`) and, with
    `same_time`, give no other time than the question's (`elsewhen`)? The
    one test for the model's answer and the fallback's sentence alike."""
    return answers_type(text, question) and not (same_time and elsewhen(text, question))


def asked_time(question: str) -> tuple[int | None, int | None]:
    """The year and month a question asks about, where it gives one of each.

    >>> asked_time("How much crude did OPEC produce in February 1987?"), asked_time("What was sold on March 4?")
    ((1987, 2), (None, 3))
    """
    found = values(question)
    years = {int(f.value) for f in found if f.kind == "year"}
    months = {month_of(f) for f in found if f.kind in ("month", "date")}
    return (years.pop() if len(years) == 1 else None), (months.pop() if len(months) == 1 else None)


def placed_other(sentence: str, f: Fact, question: str, date: str | None) -> bool:
    """Is the value of another time than the question asks about: its own
    time (`time_of`) another year or month, or, with none written near it,
    every time its sentence gives another (`asked.elsewhen`)? "14.7 mln bpd
    in early March" is no version of February's output.

    >>> placed_other("Output was 14.7 mln bpd in early March, from 16 mln in February.",
    ...              values("14.7 mln")[0], "What was output in February 1987?", "1987-03-05")
    True
    """
    t = time_of({"value": f.surface, "quote": sentence, "date": date})
    return elsewhen(sentence, question) if t is None else differ(t, asked_time(question))


def differ(t: tuple[int | None, int | None], u: tuple[int | None, int | None]) -> bool:
    """Are two (year, month) times different: their years, where both give
    one, or their months, where both give one?

    >>> differ((1987, 2), (1987, None)), differ((1987, 2), (None, 3)), differ((1986, None), (1987, 2))
    (False, True, True)
    """
    return None not in (t[0], u[0]) and t[0] != u[0] or None not in (t[1], u[1]) and t[1] != u[1]


def value_span(version: dict) -> tuple[str, int, int]:
    """A version's sentence and where its value is written in it (-1, -1 when it is not)."""
    x, own = version.get("quote") or "", values(version["value"])
    i = x.find(own[0].surface) if own else -1
    return x, i, (i + len(own[0].surface) if i >= 0 else -1)


def _gap(i: int, j: int, k: int, m: int) -> int:
    """Characters between the spans [i, j) and [k, m) (0 when they touch)."""
    return max(0, k - j, i - m)


def time_of(version: dict) -> tuple[int, int | None] | None:
    """The year, and month where one is written, that a version's value is
    of: the nearest time written within TIME_REACH characters of it in its
    sentence, as a year ("in 1986"), a month (with its year, else of the
    story's year, or the year before for a later month) or words counted
    from the story's date ("this year", `lexicon.RELATIVE_YEARS`). None when
    no time is written near it.

    >>> time_of({"value": "8,000", "quote": "GM hopes to sell 8,000 cars in Europe this year.", "date": "1987-03-03"})
    (1987, None)
    >>> time_of({"value": "1,500", "quote": "That is up from 1986 when GM sold 1,500 cars.", "date": "1987-03-04"})
    (1986, None)
    >>> time_of({"value": "3.0 pct", "quote": "Unemployment rose to 3.0 pct in December.", "date": "1987-03-02"})
    (1986, 12)
    >>> time_of({"value": "16.1 mln", "quote": "Output was 16.1 mln bpd in February 1986.", "date": "1987-03-02"})
    (1986, 2)
    >>> time_of({"value": "33.0 mln", "quote": "Sales were 33.0 mln vs 29.1 mln.", "date": "1987-03-04"}) is None
    True
    """
    x, i, j = value_span(version)
    if i < 0:
        return None
    date = version.get("date") or ""
    story = int(date[:4]) if date[:4].isdigit() else None
    now = int(date[5:7]) if date[5:7].isdigit() else 12
    found: list[tuple[int, tuple[int, int | None]]] = []  # (characters away, (year, month))
    for f in values(x):
        k = x.find(f.surface)
        m = k + len(f.surface)
        if k < 0 or _gap(i, j, k, m) == 0:
            continue  # the value itself
        if f.kind == "year" and not _MONTH_BEFORE.search(x[:k]):
            found.append((_gap(i, j, k, m), (int(f.value), None)))
        elif f.kind in ("month", "date"):
            month = month_of(f)
            written = _YEAR_AFTER.match(x[m:])
            year = int(written.group(1)) if written else story and (story if month <= now else story - 1)
            if year:
                found.append((_gap(i, j, k, m), (year, month)))
    if story:
        found += [(_gap(i, j, r.start(), r.end()), (story + RELATIVE_YEARS[r.group(0).lower()], None))
                  for r in _RELATIVE.finditer(x)]
    near = [v for v in found if v[0] <= TIME_REACH]
    return min(near, key=lambda v: v[0])[1] if near else None
