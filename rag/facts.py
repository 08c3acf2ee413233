"""Checkable facts in a sentence: numbers, percentages, money, dates and
proper names, normalized so "30 percent" = "30%" and "$295 billion" =
"295 billion dollars"."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .lexicon import CURRENCIES, DURATION_UNITS, QUALIFIERS
from .text import stopwords

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
FULL_MONTHS = list(MONTHS)
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "trillion": 1e12, "tn": 1e12,
          "mln": 1e6, "bln": 1e9}  # wire-service abbreviations (Reuters and AP style: "5 mln", "1.2 bln")
PERCENT_WORDS = r"%|percent\b|per cent\b|pct\b|percentage points?\b"  # "pct": wire-service style
# "dlrs", "stg": wire style; a word may name whose currency it is ("Canadian dlrs", "U.S. dlrs", "Swiss francs")
DOLLAR_WORDS = r"(?:(?-i:U\.S\.|US|[A-Z][a-z]+)\s+)?(?:" + "|".join(sorted(CURRENCIES, key=len, reverse=True)) + r")\b"
CURRENCY_SIGNS = {"$": "dollar", "€": "euro", "£": "sterling", "¥": "yen"}
WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100})

# a whole number with a fraction, wire-service style ("11-3/4 pct" is 11.75), or a fraction alone ("1/2 pct")
_FRACTION = r"(?:[1-7]/[248]|\d{1,2}/(?:16|32|64))\b(?!/)"  # not a date ("3/4/87", "12/4")
_NUM = r"(?P<num>(?<![\d/])" + _FRACTION + r"|(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:-" + _FRACTION + r")?)"
_SCALE = r"(?:[\s-]*(?P<scale>" + "|".join(sorted(SCALES, key=len, reverse=True)) + r")\b)?"
_QUANTITY = re.compile(
    r"(?P<cur>[A-Z]{0,2}\$|USD\s?|EUR\s?|GBP\s?|[€£¥])?\s?" + _NUM + _SCALE +  # "$", "C$", "€", "£"
    r"(?:[\s-]*(?P<pct>" + PERCENT_WORDS + r")|\s*(?P<dollars>" + DOLLAR_WORDS + r"))?",
    re.I)
_WORDNUM = re.compile(r"\b(" + "|".join(WORD_NUMBERS) + r")(?:-(" + "|".join(list(WORD_NUMBERS)[1:10]) + r"))?\b"
                      + _SCALE + r"(?:\s*(?P<pct>" + PERCENT_WORDS + r")|\s+(?P<dollars>" + DOLLAR_WORDS + r"))?", re.I)
_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_MD = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?!\s*(?:%|percent|pct|million|mln|billion|bln))", re.I)
_DATE_DM = re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b", re.I)
_DATE_ISO = re.compile(r"\b(?:19|20)\d\d-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])\b")  # "2026-12-05"
_MONTH_ONLY = re.compile(r"\b" + _MONTH + r"\b(?!-[a-z])", re.I)  # not "Mar-a-Lago"
# a count followed by a unit of time: "15 months", "a 15-month loan", "four weeks"
_TIME_UNIT = re.compile(r"[\s-]*(?P<unit>" + "|".join(DURATION_UNITS) + r")s?\b", re.I)
# "a month" is a span of time only after a hedge: "more than a month", "about a year"
_A_SPAN = re.compile(r"\b(?:" + "|".join(q for q in QUALIFIERS if q != "to") + r")\s+(?P<span>an?\s+(?P<unit>" + "|".join(DURATION_UNITS) + r")\b)",
                     re.I)
_RANGE_GAP = re.compile(r"\s*(?:and|to|or|-|–)\s*(?:\$|US\$)?", re.I)  # between the two ends of a range
YEARS = range(1900, 2101)  # a bare whole number in this range reads as a year
MIN_RUN_WORDS = 2  # capitalized words an initialism is made of, at least
MONTH_ABBREV_MAX = 4  # "Sept", "Jan.": short forms of month names
MIN_NAME_CHARS = 3  # a shorter leading word ("He", "An") is not checked as a name
# a name is the whole word: "ConAgra", "USAir", "BankAmerica" are one name, not "Con", "USA", "Bank"
_NAME = re.compile(r"\b(?:[A-Z][a-zA-Z]*[a-z][a-zA-Z]*(?:-[A-Z]?[a-zA-Z]+)*|[A-Z]{2,}s?\b|(?:[A-Z]\.){2,})")
_CAPS_RUN = re.compile(r"(?:\b(?:[A-Z][\w.]*|of|for)\b[ -]?)+")


def initialisms(text: str) -> set[str]:
    """Initials of runs of capitalized words, so an acronym in one text meets
    its spelled-out name in another.

    >>> sorted(initialisms("the US Department of Agriculture and United Nations data"))
    ['un', 'usda']
    """
    out = set()
    for m in _CAPS_RUN.finditer(text):
        parts = [w for w in re.split(r"[ -]", m.group(0).strip()) if w and w[0].isupper()]
        if len(parts) >= MIN_RUN_WORDS:
            out.add("".join(w.replace(".", "") if w.replace(".", "").isupper() else w[0] for w in parts).lower())
    return out


@dataclass(frozen=True, order=True)
class Fact:
    kind: str  # "pct" | "money" | "num" | "duration" | "year" | "date" | "month" | "name"
    value: object  # float for quantities (days for a duration), "m-d" for dates, int for months, str for names
    surface: str = ""  # the words as written, for display; not part of equality

    def __eq__(self, other):
        return isinstance(other, Fact) and (self.kind, self.value) == (other.kind, other.value)

    def __hash__(self):
        return hash((self.kind, self.value))


def _number(s: str) -> float:
    """A written number's value: "1,250.5", "11-3/4" (11.75), "1/2".

    >>> _number("1,250.5"), _number("11-3/4"), _number("1/2")
    (1250.5, 11.75, 0.5)
    """
    s = s.replace(",", "")
    if "/" not in s:
        return float(s)
    whole, _, fraction = s.rpartition("-")
    top, _, bottom = fraction.partition("/")
    return float(whole or 0) + int(top) / int(bottom)


def quantities(text: str) -> list[Fact]:
    """Numbers with their kind and scale; a count of a unit of time is a
    span of time in days ("duration").

    >>> [(f.kind, f.value) for f in quantities("cut to 30 percent, a $295 billion gap")]
    [('pct', 30.0), ('money', 295000000000.0)]
    >>> [(f.kind, f.value) for f in quantities("between 15.3 and 15.5 mln bpd, 3 to 4 pct")]
    [('num', 15300000.0), ('num', 15500000.0), ('pct', 3.0), ('pct', 4.0)]
    >>> [(f.kind, f.surface, round(f.value)) for f in quantities("a 15-month loan, more than a month, one year")]
    [('duration', '15-month', 457), ('duration', 'one year', 365), ('duration', 'a month', 30)]
    """
    out: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for m in _DATE_MD.finditer(text):
        taken.append(m.span("day"))
    for m in _DATE_DM.finditer(text):
        taken.append(m.span("day"))
    for m in _DATE_ISO.finditer(text):
        taken += [m.span("month"), m.span("day")]
    found = [m for m in _QUANTITY.finditer(text) if not any(a <= m.start("num") < b for a, b in taken)]
    for m, nxt in zip(found, found[1:] + [None]):
        value = _number(m.group("num"))
        scale = _scale(m)
        # a range's first end takes the scale and unit written after the last:
        # "between 15.3 and 15.5 mln bpd", "3 to 4 pct"
        end = nxt if nxt is not None and not (scale or m.group("pct") or m.group("cur") or m.group("dollars")) \
            and _RANGE_GAP.fullmatch(text, m.end(), nxt.start("num")) else m
        scale = scale or _scale(end)
        value *= SCALES.get(scale, 1.0)
        if end.group("pct"):
            kind = "pct"
        elif end.group("cur") or end.group("dollars"):
            kind = "money"
        elif not scale and value.is_integer() and int(value) in YEARS and "," not in m.group("num"):  # "2,000" is a count
            kind = "year"
        else:
            kind = "num"
        out.append(_span_of_time(Fact(kind, value, m.group(0).strip()), text, m.start() + len(m.group(0).rstrip())))
    for m in _WORDNUM.finditer(text):  # "ninety", "twenty-five percent", "five pct", "two mln dlrs"
        value = WORD_NUMBERS[m.group(1).lower()] + (WORD_NUMBERS[m.group(2).lower()] if m.group(2) else 0)
        value *= SCALES.get(_scale(m), 1.0)
        kind = "pct" if m.group("pct") else "money" if m.group("dollars") else "num"
        out.append(_span_of_time(Fact(kind, float(value), m.group(0)), text, m.end()))
    for m in _A_SPAN.finditer(text):
        out.append(Fact("duration", DURATION_UNITS[m.group("unit").lower()], m.group("span")))
    return out


def _scale(m: re.Match) -> str:
    """A quantity match's scale word; "m", "b" and "k" count only as money's ("$5m", "5m euros", "$50k"), not as words."""
    scale = (m.group("scale") or "").lower()
    return "" if scale in {"m", "b", "k"} and not (m.groupdict().get("cur") or m.group("dollars")) else scale


def _span_of_time(f: Fact, text: str, end: int) -> Fact:
    """A count followed by a unit of time ("15 months") as that span in days."""
    m = _TIME_UNIT.match(text, end)
    if f.kind != "num" or not m:
        return f
    return Fact("duration", float(f.value) * DURATION_UNITS[m.group("unit").lower()], f.surface + m.group(0))


def currency(f: Fact) -> str:
    """The currency an amount is written in ("9.5 mln stg" -> "sterling"; "$5" -> "dollar"); "" if none.

    >>> currency(quantities("500 mln yen")[0]), currency(quantities("$5 bln")[0]), currency(quantities("£3m")[0])
    ('yen', 'dollar', 'sterling')
    """
    words = re.findall(r"[a-z]+", f.surface.lower())
    code = next((CURRENCIES[w] for w in reversed(words) if w in CURRENCIES), "")
    return code or next((c for sign, c in CURRENCY_SIGNS.items() if sign in f.surface), "")  # "usd" is in CURRENCIES


def count_of(f: Fact) -> float | None:
    """The count a span of time was written with ("15 months" -> 15)."""
    m = re.match(r"\s*(" + _NUM + r"|[a-z]+)", f.surface, re.I)
    if f.kind != "duration" or not m:
        return None
    word = m.group(1).lower()
    return _number(word) if word[0].isdigit() else float(WORD_NUMBERS.get(word, 1))


def dates(text: str) -> list[Fact]:
    """Month-day dates and months. "May" counts as a month only beside a number
    or after "in"/"of"/"since" (it is also a verb).

    >>> sorted((f.kind, f.value) for f in dates("On Feb. 4 and 4 February; in April; on 2026-02-04"))
    [('date', '2-4'), ('date', '2-4'), ('date', '2-4'), ('month', 4)]
    >>> dates("Xi visited Mar-a-Lago in April.")[0].value
    4
    """
    out, spans = [], []
    for rx in (_DATE_MD, _DATE_DM):
        for m in rx.finditer(text):
            month = MONTHS[m.group("month").lower().rstrip(".")]
            out.append(Fact("date", f"{month}-{int(m.group('day'))}", m.group(0)))
            spans.append(m.span())
    for m in _DATE_ISO.finditer(text):
        out.append(Fact("date", f"{int(m.group('month'))}-{int(m.group('day'))}", m.group(0)))
    for m in _MONTH_ONLY.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        word = m.group("month")
        if word.lower() == "may" or len(word.rstrip(".")) <= MONTH_ABBREV_MAX and word.lower() not in MONTHS or word[0].islower():
            before = text[max(0, m.start() - 7):m.start()].lower()
            after = text[m.end():m.end() + 6]
            if not (re.search(r"\b(in|of|since|until|by)\s+$", before) and word[0].isupper()) and not re.match(r"\s*\d", after):
                continue
        out.append(Fact("month", MONTHS[word.lower().rstrip(".")], word))
    return out


def names(text: str) -> list[Fact]:
    """Capitalized words that are not the first word of a sentence, months or
    stopwords; "U.S." reads as "US"."""
    out = []
    stop = stopwords()
    for m in _NAME.finditer(text):
        word = m.group(0)
        start = m.start()
        before = text[:start].rstrip()
        if not before or before[-1] in ".!?:\"“(":
            continue  # sentence-initial: capitalized by grammar, not by name
        key = re.sub(r"'s$", "", word.replace(".", "").lower())
        if key in stop or key in MONTHS:
            continue
        out.append(Fact("name", key, word))
    return out


def named(question: str) -> list[str]:
    """The names a question gives, its first word included when it may be
    one ("India called a tender ..."): what a passage must be about.

    >>> named("India called a tender for Turkey's sugar?"), named("How much did OPEC pump?")
    (['turkey', 'india'], ['opec'])
    """
    return [f.value for f in [*names(question), leading_name(question)] if f is not None]


def leading_name(sentence: str) -> Fact | None:
    """The first word when it may be a name ("Macron cut tariffs ..."):
    capitalized, not a stopword, not a month. Grammar capitalizes every
    first word, so it is checked against the passage like a name, and a
    common word ("Tariffs") passes because the passage holds it too."""
    m = re.match(r"\s*[\"“']?([A-Z][a-z]+(?:-[A-Z]?[a-z]+)*|[A-Z]{2,}s?)\b", sentence)
    if not m:
        return None
    key = re.sub(r"'s$", "", m.group(1).lower())
    if key in stopwords() or key in MONTHS or len(key) < MIN_NAME_CHARS:
        return None
    return Fact("name", key, m.group(1))


def values(text: str) -> list[Fact]:
    """The quantities and dates a text gives."""
    return quantities(text) + dates(text)


def extract(text: str) -> set[Fact]:
    return set(values(text)) | set(names(text))


def month_of(f: Fact) -> int | None:
    """The month a month or a date is in (1-12); None for other facts.

    >>> [month_of(f) for f in dates("On March 4; in April")]
    [3, 4]
    """
    if f.kind == "month":
        return int(f.value)
    return int(str(f.value).split("-")[0]) if f.kind == "date" else None


def matches(fact: Fact, pool: set[Fact], pool_text: str) -> bool:
    """Is `fact` stated in the passage whose facts are `pool`?

    Quantities match by value (a percentage only a percentage); a month
    matches a date in that month; a name matches its word in the text."""
    if fact.kind == "name":
        low = pool_text.lower().replace(".", "")
        return re.search(r"\b" + re.escape(fact.value.rstrip("s")), low) is not None
    if fact.kind == "month":
        return any(month_of(f) == fact.value for f in pool)
    if fact.kind == "date":
        return fact in pool
    for f in pool:
        if f.kind in {"name", "month", "date"}:
            continue
        if (fact.kind == "pct") != (f.kind == "pct"):
            continue
        if (fact.kind == "duration") != (f.kind == "duration"):  # "15" may be the count of "15 months"
            if fact.kind == "num" and count_of(f) == fact.value:
                return True
            continue
        if abs(float(f.value) - float(fact.value)) <= 1e-9 * max(1.0, abs(float(f.value))):
            return True
    return False


MENDED_SIMILARITY = 0.9  # difflib's ratio: one letter dropped or doubled in a word of eight or more
MIN_MONTH_SLIP_CHARS = 5  # "Aprl", "Jne": too short to tell from other words


def mended_months(text: str) -> str:
    """The text with a word one slip short of a month's full name
    ("Febuary", "Octber") written as that month: read as a name, it would
    be a name no passage holds, and the question would be refused. Only
    words no longer than the month are mended ("Augusta" is a name).

    >>> mended_months("What was the load factor in Febuary 1987?"), mended_months("Augusta said in octber")
    ('What was the load factor in February 1987?', 'Augusta said in october')
    """
    for word in set(re.findall(r"[A-Za-z]{" + str(MIN_MONTH_SLIP_CHARS) + ",}", text)):
        low = word.lower()
        if low in MONTHS:
            continue
        near = [m for m in FULL_MONTHS if 0 <= len(m) - len(low) <= 1]
        close = difflib.get_close_matches(low, near, n=1, cutoff=MENDED_SIMILARITY)
        if close:
            text = re.sub(r"\b" + word + r"\b", close[0].capitalize() if word[0].isupper() else close[0], text)
    return text
