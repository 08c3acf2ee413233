"""Scorers: pure functions, no LLM judge. Each takes plain values so it can
be tested by hand (tests/test_scoring.py)."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter

_PUNCT = re.compile(r"[^\w%. ]+")


def normalize(s: str) -> str:
    """Lower case, plain quotes, "percent" and "pct" -> "%", the wire's
    "mln", "bln" and "dlrs" spelled out, "$5" -> "5 dollars", no thousands
    commas, no punctuation but "%" and decimal points.

    >>> normalize("Duties of over 40 percent, $1,200")
    'duties of over 40% 1200 dollars'
    >>> normalize("$250 million"), normalize("250 mln dlrs"), normalize("10 to 15 pct")
    ('250 million dollars', '250 million dollars', '10 to 15%')
    """
    s = unicodedata.normalize("NFKC", s).lower().replace("’", "'").replace("‘", "'")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    s = re.sub(r"(\d)\s*(?:percent|per cent|pct)\b", r"\1%", s)
    s = re.sub(r"\bmln\b", "million", re.sub(r"\bbln\b", "billion", s))
    s = re.sub(r"\bdlrs?\b", "dollars", s)
    s = re.sub(r"(?:us)?\$\s?(\d[\d.]*(?:\s(?:million|billion|trillion))?)", r"\1 dollars", s)
    s = re.sub(r"\[\d+\]", " ", s)
    s = _PUNCT.sub(" ", s)
    s = re.sub(r"\.(?!\d)", " ", s)  # sentence periods go, decimal points stay
    return re.sub(r"\s+", " ", s).strip()


def contains(answer: str, alias: str) -> bool:
    """Normalized containment on word boundaries.

    >>> contains("Tariffs were cut to 30 percent [1].", "30%")
    True
    >>> contains("It cost $130 billion", "30 billion")
    False
    """
    a, b = normalize(answer), normalize(alias)
    if not b:
        return False
    return re.search(r"(?<![\w.])" + re.escape(b) + r"(?![\w%]|\.\d)", a) is not None


def any_alias(answer: str, aliases: list[str]) -> bool:
    return any(contains(answer, x) for x in aliases)


def token_f1(answer: str, aliases: list[str]) -> float:
    """Best SQuAD-style token F1 of the answer against any alias.

    >>> round(token_f1("the 30% tariff", ["30%"]), 3)
    0.5
    """
    best = 0.0
    pred = normalize(answer).split()
    for alias in aliases:
        gold = normalize(alias).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def quote_in(passage: str, quote: str, min_share: float = 0.6) -> bool:
    """Does a passage hold a supporting quote? Whole, or (the passage was cut
    at a sentence edge) a contiguous run of at least `min_share` of its words.

    >>> quote_in("x y. Tariffs were cut to 30% for 90 days.", "tariffs were cut to 30% for 90 days")
    True
    >>> quote_in("Tariffs rose.", "tariffs were cut to 30% for 90 days")
    False
    """
    p, q = normalize(passage), normalize(quote).split()
    if not q:
        return False
    if " ".join(q) in p:
        return True
    need = max(1, int(len(q) * min_share + 0.999))
    return any(" ".join(q[i:i + need]) in p for i in range(len(q) - need + 1))


def first_rank(passages: list[str], quotes: list[str]) -> int | None:
    """1-based rank of the first passage holding any quote, else None."""
    for rank, text in enumerate(passages, start=1):
        if any(quote_in(text, q) for q in quotes):
            return rank
    return None


def citation_valid(cited_text: str, quotes: list[str], aliases: list[str]) -> bool:
    """A citation is valid when its passage holds a supporting quote or the
    answer's fact."""
    return any(quote_in(cited_text, q) for q in quotes) or any_alias(cited_text, aliases)


def versions_covered(answer: str, versions: list[list[str]]) -> bool:
    """Every version of a disagreement is named in the answer.

    >>> versions_covered("30% [1]; over 40% [2]", [["30%"], ["40%"]])
    True
    >>> versions_covered("30% [1]", [["30%"], ["40%"]])
    False
    """
    return bool(versions) and all(any_alias(answer, v) for v in versions)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1; 0 where undefined.

    >>> prf(8, 2, 4)
    (0.8, 0.667, 0.727)
    """
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return round(p, 3), round(r, 3), round(f, 3)


def percentile(xs: list[float], q: float) -> float:
    """Nearest-rank percentile.

    >>> percentile([1, 2, 3, 4, 10], 0.9)
    10
    """
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def mean(xs: list[float]) -> float:
    return round(statistics.fmean(xs), 3) if xs else 0.0
