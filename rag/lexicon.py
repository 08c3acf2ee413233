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
    # "how much of" a thing, a stake or a holding: a share of it
    (r"\b(?:rate|percent(?:age)?|pct|proportion|share of|how much of|stake|(?:share)?holding|inflation)\b|%",
     frozenset({"pct"})),
    # ("consumer price inflation", "price index": a rate, not a price)
    (r"\bhow much\b|(?<!consumer )\b(?:price(?! index| inflation| level)|cost|value|worth|amount|sum)\b",
     frozenset({"money", "num"})),
    # a change asked by how much it moved is answered by a rate as often as by an amount
    (r"\bhow much\b.*\b(?:rise|rose|risen|fall|fell|fallen|grow|grew|grown|increase|decrease|decline|drop|"
     r"gain|climb|jump|slip|cut)", frozenset({"pct"})),
    (r"\bhow many\b|\bnumber of\b", frozenset({"num", "duration"})),  # "how many days": a span of time
    # a currency's rate against another is a price of it ("35 to one dollar", "153.70 yen"), not a percentage
    (r"\bexchange rates?\b|\brate (?:to|against|versus|per)\b|\bparity\b", frozenset({"num", "money"})),
    # what a company earned, made or lost: an amount of money
    (r"\b(?:earn(?:ed|s)?|net (?:income|profit|loss)|profits?|revenues?|turnover)\b", frozenset({"money"})),
    # a fee, a fine or a salary asked by "what" ("what fee is it paid"): an amount of money
    (r"\b(?:what|which)\s+(?:[\w-]+\s+)?(?:fees?|fines?|compensation|salary|salaries|wages?|payments?|costs?)\b",
     frozenset({"money"})),
    # a utility's or an insurer's "rate increase" is granted in money as often as in percent
    (r"\brate (?:increase|rise|hike|cut|reduction)s?\b", frozenset({"money", "pct"})),
    # "what were the terms": a price, a count of shares or a share of the company, not a sentence without one
    (r"(?<!\bin )\bterms\b", frozenset({"money", "num", "pct"})),
    # "what were its sales": an amount, of money or of things sold
    (r"\bsales\b", frozenset({"money", "num"})),
    # "how long": a span of time ("15 months"); a length ("510 km") is rarely asked so in news
    (r"\bhow long\b|\bduration\b", frozenset({"duration"})),
    (r"\bhow (?:large|big|small)\b", frozenset({"num", "money"})),
    # "how thick", "how old", "how strong" (a quake): a measure, a number with its unit
    (r"\bhow (?:thick|thin|deep|tall|far|heavy|wide|fast|strong|old|severe)\b", frozenset({"num"})),
    # "what pay rise", "which price cut": how much something moved, in percent or as an amount
    # (a noun: "which investor cut its stake" asks a name)
    (r"\b(?:what|which)\s+(?:[\w-]+\s+)?(?:rise|increase|hike|cut|reduction|decrease|raise)s?\b"
     r"(?=\s+(?:was|were|is|are|did|does|do|has|have|had|will|would|could|of|in|for|on)\b|\s*\?)",
     frozenset({"pct", "money", "num"})),
    (r"\bhow (?:high|low)\b|\blevel\b", frozenset({"num", "money", "pct"})),
    # "when" leading or ending the question ("what stake did it hold when it sold?" asks a stake);
    # "time" alone, not in "all-time" or "time-frame"
    (r"^\W*when\b|\bwhen\W*$|\b(?:since|until|by) when\b|\b(?:what|which) (?:month|year)\b|(?<!-)\btime\b(?!-)",
     frozenset({"date", "month", "year"})),
    (r"\bdate\b|\b(?:what|which) day\b", frozenset({"date"})),  # a day, not just its month
]

# The words of six letters or more that ASKED_FORMS and MONEY_NOUNS read a
# question's form by, as typed correctly: a question's word one slip away from
# one ("inflaton", "percentge") is read as that word (`asked.asked_kinds`), or
# a typo would leave the question asking for no kind of value. Source: the
# two tables above and below.
FORM_WORDS = ["inflation", "percent", "percentage", "proportion", "holding", "shareholding", "amount", "revenue",
              "revenues", "turnover", "profit", "profits", "earned", "earnings", "income", "salary", "compensation",
              "payment", "duration", "exchange", "parity", "number", "prices", "dollars"]

# Nouns that name an amount of money: a question asking for one ("at what
# price", "how much compensation") is answered by money, not by a count.
# Source: English nouns of price and payment.
MONEY_NOUNS = (r"(?<!consumer )\b(?:price[sd]?(?! index| inflation| level)|costs?|fees?|fine|compensation|salary|"
               r"wages?|pay|payment|revenues?|profits?|earnings|(?:net )?income|dollars|dlrs)\b")

# Currency words written after an amount ("233 dlrs", "9.5 mln stg", "500
# mln yen"), each with the unit it is compared in. Source: ISO 4217 currency
# names and codes in English, and the wire-service abbreviations "dlrs", "stg" and "cts".
CURRENCIES = {"dollars": "dollar", "dollar": "dollar", "dlrs": "dollar", "dlr": "dollar", "usd": "dollar",
              "stg": "sterling", "sterling": "sterling", "yen": "yen", "marks": "mark", "francs": "franc",
              "lire": "lira", "lira": "lira", "guilders": "guilder", "pesos": "peso", "rupees": "rupee",
              "euros": "euro", "yuan": "yuan", "rand": "rand", "roubles": "rouble", "crowns": "crown",
              "cents": "cent", "cts": "cent", "eur": "euro", "gbp": "sterling"}

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
# "an additional one mln tonnes" was bought on top of what was bought before.
# The two are different quantities and never disagree. Source: English
# grammar (the preposition of difference after verbs of change; the
# adjectives of increment).
CHANGE_BY = ["by", "additional", "further", "extra", "another"]

# Words of movement: a value written right after one of the verbs ("fell
# 0.1 pct", the wire's "up 2.8 pct", "off 17.8 pct") or right before one of
# the nouns ("a 0.1 pct rise") is how far something moved, not the level it
# moved to ("to 164.1"). A question with one of the verbs (or LEVEL_VERBS)
# followed by "to" asks the level. Source: English verbs and nouns of
# increase and decrease, and wire-service style for "up", "down", "off".
CHANGE_VERBS = ["rose", "rise", "rises", "risen", "rising", "fell", "fall", "falls", "fallen", "falling", "dropped",
                "drop", "drops", "declined", "decline", "declines", "increased", "increase", "increases",
                "decreased", "decrease", "decreases", "climbed", "climb", "climbs", "gained", "gain", "gains", "grew",
                "grow", "grows", "grown", "jumped", "jump", "jumps", "slipped", "slip", "slips", "eased", "ease",
                "eases", "slumped", "surged", "plunged", "soared", "tumbled", "shrank", "expanded"]
CHANGE_WIRE = ["up", "down", "off"]  # before a value only: "up 2.8 pct"
CHANGE_NOUNS = ["rise", "fall", "drop", "decline", "increase", "decrease", "gain", "growth", "jump", "slide", "cut",
                "reduction"]
LEVEL_VERBS = ["cut", "raise", "raised", "lower", "lowered", "reduce", "reduced", "bring", "brought", "push",
               "pushed", "narrow", "narrowed", "widen", "widened", "hit", "reach", "reached"]

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

# Words placing a figure in a year counted from the story's own date ("sales
# this year", "output last year"): two stories' figures for different years
# are different quantities, not a disagreement. Source: English temporal
# deixis (the adverbial phrases of year reference).
RELATIVE_YEARS = {"this year": 0, "the current year": 0, "this season": 0, "last year": -1,
                  "the previous year": -1, "the prior year": -1, "a year earlier": -1, "a year ago": -1,
                  "last season": -1, "next year": 1, "the coming year": 1, "next season": 1}

# Times a story gives counted from its own date ("confirmed Thursday", "said
# yesterday", "next week"): they answer "when", but two stories' cannot be
# compared, so they are never read as values. Source: the calendar's days
# and English temporal deixis (see RELATIVE_YEARS for years).
RELATIVE_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
                 "yesterday", "tomorrow", "tonight", "this week", "last week", "next week", "this month",
                 "last month", "next month"]

# Words before a time that make it the base a figure is compared with, not
# the figure's own time ("3.1 pct, down from 1985's four pct"; "up from
# January"). Source: English prepositions of comparison.
COMPARISON_BASE = ["from", "than", "since", "vs", "versus", "against"]

# Words marking a value as one a story says was replaced: "originally to
# last 15 months, but now one year"; "had estimated that orders fell 7.5
# pct"; "to 485,380 dlrs from 528,790 dlrs reported earlier". Such a value is
# the earlier version, not the story's own. Source: English phrases of
# revision and correction (pluperfect of reporting verbs, adverbs of the
# original state).
SUPERSEDED_BEFORE = ["originally", "initially", "previously", "had estimated", "had forecast", "had projected",
                     "had reported", "had been estimated", "had been reported", "earlier estimated",
                     "earlier reported", "before revision"]
# ... up to a word of contrast, after which the value is the new one ("but now one year").
SUPERSEDED_UNTIL = ["but", "now", "instead", "while", "whereas", "however", "since then"]
SUPERSEDED_AFTER = ["reported earlier", "previously reported", "originally reported", "reported previously",
                    "estimated earlier", "originally estimated", "before revision"]

# Parts of a year a figure may be of ("rose 1.1 pct in the fourth quarter";
# an earnings table under "4TH QTR NET"): a quarter's figure and the whole
# year's are different quantities. Source: English (and wire-service) names
# of the periods of a financial year.
PART_OF_YEAR = ["quarter", "qtr", "half", "week", "weeks"]  # "half" is also read in "first half", "half-year"

# Nouns naming what a figure measures where a story gives it to describe a
# thing, not to answer about it: a bank's assets or deposits beside the price
# paid for it ("four Florida banks with assets totalling 233.2 mln dlrs";
# "Terms were not disclosed"), an airline's passenger miles beside its
# passengers, a firm's sales beside the price paid for it. A figure so labelled answers only a question naming the noun.
# Source: the measures of size and traffic in financial news (balance-sheet
# totals; airline traffic reports; a firm's sales, under any of their names);
# found on the Reuters dev half (r309, r359, r402). A question naming any word
# of a row names the measure. The last row is a limit set, not an amount
# reached ("above its 15.8 mln bpd quota" beside output: dev r155).
OTHER_MEASURES: list[frozenset[str]] = [frozenset({"assets"}), frozenset({"deposits"}), frozenset({"miles"}),
                                        frozenset({"sales", "revenues", "revenue", "turnover"}),
                                        frozenset({"quota", "ceiling", "target", "limit"})]

# A company's legal form, written after its name ("Unicorp American Corp",
# "Silver State Mining Corp"): every company has one, so it tells no company
# from another and is not read as a name. Source: the common English-language
# abbreviations and words for entity legal forms (as listed in ISO 20275's
# code list), found on the Reuters dev half (r483: "Corp" matched any firm).
LEGAL_FORMS = frozenset({"corp", "corporation", "inc", "incorporated", "co", "cos", "ltd", "limited", "plc", "llc",
                         "ag", "sa", "nv", "bv", "gmbh", "spa", "bhd", "pty", "kk"})
