"""The word tables the pipeline reads, in one place, each with where it came
from. They are English grammar (interrogatives, the nouns that name a
measure, hedges before a number) and common short forms of country names:
none is a topic, entity or word list learned from one collection (issue #15:
"tariffs means a percentage" was fitted to five articles on one story).
"""

from __future__ import annotations

# Question forms -> the kinds of value (rag.facts kinds) that answer them.
# Source: English interrogatives ("how much", "how many", "when") and the
# nouns that name a measure rather than a topic ("rate", "price", "number").
# Rows add up; a question matching none asks for no particular kind.
ASKED_FORMS: list[tuple[str, frozenset[str]]] = [
    (r"\b(?:rate|percent(?:age)?|pct|proportion|share of)\b|%", frozenset({"pct"})),
    (r"\bhow much\b|\b(?:price|cost|value|worth|amount|sum)\b", frozenset({"money", "num"})),
    # a change asked by how much it moved is answered by a rate as often as by an amount
    (r"\bhow much\b.*\b(?:rise|rose|risen|fall|fell|fallen|grow|grew|grown|increase|decrease|decline|drop|"
     r"gain|climb|jump|slip|cut)", frozenset({"pct"})),
    (r"\bhow many\b|\bnumber of\b", frozenset({"num"})),
    # "how long": a span of time ("15 months"); a length ("510 km") is rarely asked so in news
    (r"\bhow long\b|\b(?:duration|period|term)\b", frozenset({"duration"})),
    (r"\bhow (?:large|big|small)\b", frozenset({"num", "money"})),
    (r"\bhow (?:high|low)\b|\blevel\b", frozenset({"num", "money", "pct"})),
    # "time" alone, not in "all-time" or "time-frame"
    (r"\bwhen\b|\b(?:what|which) (?:month|year)\b|(?<!-)\btime\b(?!-)", frozenset({"date", "month", "year"})),
    (r"\bdate\b|\b(?:what|which) day\b", frozenset({"date"})),  # a day, not just its month
]

# "Who", and "which <kind of named thing>": answered by a name.
# Source: English interrogatives; the nouns are generic kinds of named things.
WANTS_NAME = (r"\b(?:who|whom|whose)\b|\bname of\b|\bwhich (?:person|official|minister|leader|company|"
              r"companies|firm|bank|country|countries|city|state|agency|group|party|outlet)\b")

# Hedges written before a number ("over 40%"), kept with the value shown.
# Source: English quantifier phrases.
QUALIFIERS = ["over", "about", "around", "nearly", "almost", "roughly", "more than", "less than", "at least",
              "up to", "some", "to"]

# Units of time, in days: a count of one ("15 months", "a 15-month loan")
# is a span of time, so "one year" and "12 months" are the same value and
# "15 months" is not "15 days". Source: the Gregorian calendar's mean year.
DURATION_UNITS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12,
                  "year": 365.25}

# Words written right before a number that make it a change, not a level:
# "cut by 10 percent" says how much a rate moved, "cut to 30%" what it is;
# the two are different quantities and never disagree. Source: English
# grammar (the preposition of difference after verbs of change).
CHANGE_BY = ["by"]

# Words asking for the newest state of things ("what is the latest rate?").
# Source: English temporal adverbs and adjectives.
LATEST = ["latest", "most recent", "newest", "recently", "current", "currently", "now"]

# Names of one country written several ways; any one found in the evidence
# stands for all. Source: ISO 3166 short names with their usual English
# abbreviations and adjectives, for the countries whose abbreviation is not
# the initials of a name the text spells out (those the gate derives itself).
ALIASES: list[frozenset[str]] = [
    frozenset({"us", "usa", "america", "american", "americans"}),
    frozenset({"uk", "britain", "british"}),
    frozenset({"ussr", "soviet", "soviets"}),
]
