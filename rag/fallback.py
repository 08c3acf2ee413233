"""The extractive fallback: when no sentence of the model's answer survives
the checks, the best evidence sentence answers instead, if it is a full
statement, relevant enough, and holds the kind of thing asked. Only for a
question that asks for a value or a name: for any other ("which book won?",
"what illness?") a sentence about the subject cannot be checked to hold the
answer, and presenting it as one is how non-answers passed as answers."""

from __future__ import annotations

from .asked import answers_type, is_typed
from .retrieve import Sentence
from .types import Passage
from .verify import Claim

MIN_STATEMENT_WORDS = 5  # shorter lines are headlines or fragments


def is_statement(sentence: str) -> bool:
    """A full sentence, not a headline or a bullet fragment."""
    return sentence.rstrip().endswith((".", "!", "?", "\"", "”", "’", "'")) and len(sentence.split()) >= MIN_STATEMENT_WORDS


def extract(question: str, sentences: list[Sentence], passages: list[Passage], min_relevance: float,
            tries: int) -> list[Claim]:
    """The best of the first `tries` evidence sentences that qualifies, cited
    to the passage that holds it; [] when none does."""
    if not is_typed(question):
        return []
    by_chunk = {p.chunk.id: p for p in passages}
    for s in sentences[:tries]:
        p = by_chunk.get(s.hit.chunk.id)
        if (p is not None and s.text in p.text and s.dense >= min_relevance and is_statement(s.text)
                and answers_type(s.text, question)):
            return [Claim(s.text, [p.n], True, 1.0)]
    return []
