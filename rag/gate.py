"""The gate before the LLM: is the evidence about what the question asks?
Similarity catches off-topic questions; on-topic ones the articles cannot
answer (another country, product or year) are caught by the question's names
and years missing from the evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .facts import initialisms, names, quantities
from .settings import Settings
from .types import Passage

STEM_MIN_SHARED = 4  # letters two spellings of one name share at least ("chin-ese"/"chin-a")
STEM_MIN_SHARE = 0.6  # ... and this share of the shorter one
US_ALIASES = {"us", "usa", "america", "american"}  # spellings of the one country news names most (seeds' gold set)


@dataclass(frozen=True)
class Gate:
    ok: bool
    relevance: float  # best sentence cosine with the question
    missing: list[str]  # the question's names and years not found in the evidence
    reason: str = ""


def _prefix_match(a: str, b: str) -> bool:
    """Same word up to its ending: "chinese"/"china", "japanese"/"japan".

    >>> _prefix_match("chinese", "china"), _prefix_match("japan", "java")
    (True, False)
    """
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a == b or (n >= STEM_MIN_SHARED and n >= STEM_MIN_SHARE * min(len(a), len(b)))


def key_terms(question: str) -> list[str]:
    """What a question is specifically about: its names (capitalized words
    past the first, acronyms) and years. "U.S." reads as "us".

    >>> key_terms("What tariff does the US charge on cars from Japan in 2023?")
    ['us', 'japan', '2023']
    """
    out = [f.value for f in names(question)] + [str(int(f.value)) for f in quantities(question) if f.kind == "year"]
    return list(dict.fromkeys(out))


def gate(question: str, passages: list[Passage], settings: Settings) -> Gate:
    """Open when the best passage is relevant enough and holds the
    question's names and years (spelled out or abbreviated)."""
    if not passages:
        return Gate(False, 0.0, [], "nothing retrieved")
    rel = max(p.relevance for p in passages)
    if rel < settings.min_relevance:
        return Gate(False, rel, [], "no passage is about the question")
    text = " ".join(p.text for p in passages).lower().replace(".", "")
    have = set(re.findall(r"[a-z0-9]+", text))
    if "us" in have or "united states" in text or "america" in text:
        have |= US_ALIASES
    have |= initialisms(" ".join(p.text for p in passages))  # "US Department of Agriculture" -> "usda"
    # a name spelled out in the question and abbreviated in the articles: "United Nations" / "UN"
    spelled = {w for run in re.findall(r"[A-Z][a-z]+(?: (?:of |and )?[A-Z][a-z]+)+", question)
               if "".join(x[0] for x in run.split() if x[0].isupper()).lower() in have for w in run.lower().split()}
    missing = [t for t in key_terms(question) if t not in spelled and not any(_prefix_match(t, w) for w in have)]
    if missing:
        return Gate(False, rel, missing, "the articles found do not mention " + ", ".join(missing))
    return Gate(True, rel, [])
