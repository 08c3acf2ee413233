"""The extractive fallback: when no sentence of the model's answer survives
the claim check, the best evidence sentence answers instead, if it is a
full statement, relevant enough, and holds the kind of thing asked."""

from __future__ import annotations

import re

from .conflicts import asked_kinds
from .facts import dates, names, quantities
from .retrieve import Sentence
from .types import Passage
from .verify import Claim

MIN_STATEMENT_WORDS = 5  # shorter lines are headlines or fragments
_WANTS_NAME = re.compile(r"\b(who|whom|whose|name|which (?:person|leader|official|company|companies|outlet|city|country|platform))\b", re.I)


def answers_type(sentence: str, question: str) -> bool:
    """Does a sentence hold the kind of thing asked: a value of the asked
    kind ("how many", "what rate", "when"), or a name for "who"?

    >>> answers_type("Tariffs were cut to 30%.", "what tariff rate?"), answers_type("Talks went on.", "what tariff rate?")
    (True, False)
    """
    kinds = asked_kinds(question)
    if kinds and not any(f.kind in kinds for f in quantities(sentence) + dates(sentence)):
        return False
    if _WANTS_NAME.search(question):
        asked = {f.value for f in names(question)}
        return any(f.value not in asked for f in names(sentence))
    return True


def is_statement(sentence: str) -> bool:
    """A full sentence, not a headline or a bullet fragment."""
    return sentence.rstrip().endswith((".", "!", "?", "\"", "”", "’", "'")) and len(sentence.split()) >= MIN_STATEMENT_WORDS


def extract(question: str, sentences: list[Sentence], passages: list[Passage], min_relevance: float,
            tries: int) -> list[Claim]:
    """The best of the first `tries` evidence sentences that qualifies, cited
    to the passage that holds it; [] when none does."""
    by_chunk = {p.chunk.id: p for p in passages}
    for s in sentences[:tries]:
        p = by_chunk.get(s.hit.chunk.id)
        if (p is not None and s.text in p.text and s.dense >= min_relevance and is_statement(s.text)
                and answers_type(s.text, question)):
            return [Claim(s.text, [p.n], True, 1.0)]
    return []
