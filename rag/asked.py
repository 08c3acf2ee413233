"""What a question asks for: a kind of value (a rate, an amount, a count, a
date) or a name, read from the question's form, never from its topic.

Both the answer check and the disagreement finder use it: an answer must
hold the kind of thing asked, and only values of that kind can disagree."""

from __future__ import annotations

import re

from .facts import dates, names, quantities

# Question forms -> the kinds of value (rag.facts kinds) that answer them.
# Written from English interrogatives and the nouns that name a measure;
# no topic words (issue #15: "tariffs" meaning a percentage was fitted to
# five articles on one story). First match per row; rows add up.
ASKED = [
    (r"\b(?:rate|percent(?:age)?|pct|proportion|share of)\b|%", {"pct"}),
    (r"\bhow much\b|\b(?:price|cost|value|worth|amount|sum)\b", {"money", "num", "pct"}),
    (r"\bhow many\b|\bnumber of\b|\bhow long\b|\bhow (?:large|big|small)\b", {"num", "money", "pct"}),
    (r"\bwhen\b|\bwhat (?:date|day|month|year)\b|\bon what\b|\bwhich (?:date|day|month|year)\b",
     {"date", "month", "year", "weekday"}),
]
_ASKED = [(re.compile(rx, re.I), kinds) for rx, kinds in ASKED]
# "Who", and "which <kind of named thing>": answered by a name.
_WANTS_NAME = re.compile(r"\b(?:who|whom|whose)\b|\bname of\b|\bwhich (?:person|official|minister|leader|company|"
                         r"companies|firm|bank|country|countries|city|state|agency|group|party|outlet)\b", re.I)
# Days and relative dates answer "when" as well as a calendar date does.
_WEEKDAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
                      r"tomorrow|last (?:week|month|year)|next (?:week|month|year))\b", re.I)


def asked_kinds(question: str) -> set[str]:
    """The kinds of value a question asks for (empty: not a value).

    >>> sorted(asked_kinds("What rate did the bank cut to?"))
    ['pct']
    >>> sorted(asked_kinds("When did the strike end?"))
    ['date', 'month', 'weekday', 'year']
    >>> asked_kinds("What did China agree to buy?")
    set()
    """
    out: set[str] = set()
    for rx, kinds in _ASKED:
        if rx.search(question):
            out |= kinds
    return out


def wants_name(question: str) -> bool:
    return _WANTS_NAME.search(question) is not None


def value_kinds(text: str) -> set[str]:
    """The kinds of value a text holds."""
    kinds = {f.kind for f in quantities(text) + dates(text)}
    return kinds | ({"weekday"} if _WEEKDAY.search(text) else set())


def answers_type(text: str, question: str) -> bool:
    """Does a text hold the kind of thing asked: a value of the asked kind,
    or a name besides the question's own for "who"? True when the question
    asks for neither.

    >>> answers_type("Rates were cut to 6.5 pct.", "What rate did the bank cut to?")
    True
    >>> answers_type("The bank cut its rates again.", "What rate did the bank cut to?")
    False
    >>> answers_type("Talks ended on Tuesday.", "When did talks end?")
    True
    """
    kinds = asked_kinds(question)
    if kinds and not kinds & value_kinds(text):
        return False
    if wants_name(question):
        asked = {f.value for f in names(question)}
        return any(f.value not in asked for f in names(text))
    return True


def is_typed(question: str) -> bool:
    """Does the question ask for a value or a name (something a sentence
    can be checked to hold)?"""
    return bool(asked_kinds(question)) or wants_name(question)
