"""The extractive fallback: when no sentence of the model's answer survives
the claim check, the best evidence sentence answers instead, if it is a
full statement, relevant enough, and holds the kind of thing asked.
A question asking for no particular kind of thing ("what did X say?") takes
the sentence as it is: answering only questions that ask for a value or a
name took the shipped articles' accuracy from 0.725 to 0.594 (#15 notes)."""

from __future__ import annotations

from .asked import answers, asked_kinds, of_the_year
from .facts import Fact, matches, named, values
from .gate import names_any, other_country
from .quantity import measures_other
from .retrieve import Sentence
from .types import Passage
from .verify import Claim

MIN_STATEMENT_WORDS = 5  # shorter lines are headlines or fragments


def is_statement(sentence: str) -> bool:
    """A full sentence, not a headline or a bullet fragment."""
    return sentence.rstrip().endswith((".", "!", "?", "\"", "”", "’", "'")) and len(sentence.split()) >= MIN_STATEMENT_WORDS


def extract(question: str, sentences: list[Sentence], passages: list[Passage], min_relevance: float,
            tries: int, same_time: bool = True, mistyped: set[Fact] | frozenset[Fact] = frozenset()) -> list[Claim]:
    """The best of the first `tries` evidence sentences that qualifies, cited
    to the passage that holds it; [] when none does. With `same_time`, a
    sentence giving another year, month or day than the question's is about
    another event (a tender on March 11 for a question on the March 4 one),
    and one giving a year and no month speaks of the year, not of the
    question's month (`asked.of_the_year`). Its article must name one of
    the question's names (`gate.names_any`, a country by its capital or its
    people too): India's budget deficit answers nothing on Australia's.
    A sentence giving one of the `mistyped` figures (the model's, dropped
    as not what was asked) does not answer either."""
    by_chunk = {p.chunk.id: p for p in passages}
    asked, kinds = named(question), asked_kinds(question)
    for s in sentences[:tries]:
        p = by_chunk.get(s.hit.chunk.id)
        if (p is not None and s.text in p.text and s.dense >= min_relevance and is_statement(s.text)
                and names_any(f"{p.doc.title} {p.doc.text}", asked)
                and answers(s.text, question, same_time) and not (same_time and of_the_year(s.text, question))
                and not measures_other(s.text, s.text, question, kinds)
                and not any(matches(f, mistyped, s.text) for f in values(s.text)) and not other_country(s.text, question)):
            return [Claim(s.text, [p.n], True, 1.0)]
    return []
