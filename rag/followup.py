"""Follow-up questions: "and what about soybeans?" after "What did China
agree to buy?" becomes one standalone question before retrieval.

The LLM rewrites the follow-up from the user's earlier questions only (the
answers carry article text, which is never an instruction, and would
lengthen the prompt). Its rewrite is kept only when it invents nothing:
every content word comes from the follow-up or the earlier questions, and
every content word of the follow-up is kept. Otherwise a plain rule joins
the follow-up to the question before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .text import content_words

_LEAD = re.compile(r"^\s*(?:and|but|also|so|then|ok(?:ay)?|well)?[\s,]*"
                   r"(?:what|how)\s+about\b|^\s*(?:and|but|also|so|then)\b[\s,]*", re.I)
_POINTER = re.compile(r"\b(?:it|its|they|them|their|theirs|that|this|those|these|he|him|his|she|her|there|"
                      r"the same|the other)\b", re.I)
MAX_WORDS = 40
SHORT_QUESTION_WORDS = 4  # content words of a question short enough for a pronoun to point back
CONNECTIVES = "regarding concerning related respect specifically"  # words a rewrite may add

SYSTEM = ("You rewrite a follow-up question so that it can be understood without the conversation. "
          "Use the earlier questions only to fill in what the follow-up leaves out. "
          "Reply with the rewritten question only, on one line.")


def needs_context(question: str) -> bool:
    """Whether a question leans on the ones before it.

    >>> needs_context("and what about soybeans?"), needs_context("What did they agree to?")
    (True, True)
    >>> needs_context("What tariff rate did the US set on Chinese goods?")
    False
    """
    if _LEAD.match(question):
        return True
    n = len(content_words(question))
    return n <= 1 or (n <= SHORT_QUESTION_WORDS and bool(_POINTER.search(question)))


def rule_rewrite(question: str, earlier: str) -> str:
    """The follow-up joined to the earlier question, without its lead-in.

    >>> rule_rewrite("and what about soybeans?", "What did China agree to buy?")
    'What did China agree to buy, regarding soybeans?'
    >>> rule_rewrite("When was it signed?", "What trade deal did Trump and Xi reach?")
    'When was it signed? (about: What trade deal did Trump and Xi reach?)'
    """
    m = _LEAD.match(question)
    if m and re.search(r"about\s*$", m.group(0), re.I):
        rest = question[m.end():].strip(" ?.!,")
        if rest:
            return f"{earlier.strip().rstrip('?.! ')}, regarding {rest}?"
    return f"{question.strip()} (about: {earlier.strip()})"


def valid_rewrite(rewrite: str, question: str, earlier: list[str]) -> bool:
    """A rewrite keeps the follow-up's content words and adds none of its own.

    >>> valid_rewrite("What did China agree to buy, regarding soybeans?", "and soybeans?", ["What did China agree to buy?"])
    True
    >>> valid_rewrite("How many soybeans did Brazil sell?", "and soybeans?", ["What did China agree to buy?"])
    False
    """
    if not rewrite or "\n" in rewrite.strip() or len(rewrite.split()) > MAX_WORDS:
        return False
    mine = set(content_words(rewrite))
    allowed = set(content_words(question + " " + CONNECTIVES)).union(*(content_words(q) for q in earlier))
    return bool(mine) and set(content_words(question)) <= mine and mine <= allowed


def _clean(reply: str) -> str:
    line = reply.strip().split("\n")[0].strip()
    line = re.sub(r"^(?:rewritten question|question|standalone question)\s*:\s*", "", line, flags=re.I)
    return line.strip(" \"'`")


def condense(question: str, earlier: list[str], complete: Callable[[list[dict]], str] | None) -> tuple[str, str]:
    """(standalone question, how): how is "as asked", "rewritten" (by the
    LLM, validated) or "joined" (the rule). `complete(messages)` returns the
    LLM's reply; None skips the LLM."""
    if not earlier or not needs_context(question):
        return question, "as asked"
    recent = earlier[-3:]
    if complete is not None:
        listed = "\n".join(f"- {q}" for q in recent)
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Earlier questions:\n{listed}\n\nFollow-up: {question}"}]
        rewrite = _clean(complete(messages))
        if valid_rewrite(rewrite, question, recent):
            return rewrite, "rewritten"
    return rule_rewrite(question, recent[-1]), "joined"
