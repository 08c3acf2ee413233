"""The question as the pipeline takes it: cleaned once, at the edge that
receives it, and carried as a `Question` so no later stage cleans it again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InputError
from .facts import mended_months

_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
WORD_END_WINDOW = 40  # characters searched backwards for a space to cut at


@dataclass(frozen=True)
class Question:
    text: str
    notes: list[str] = field(default_factory=list)  # what cleaning did ("question trimmed ...")


def cut(text: str, n: int) -> str:
    """The first `n` characters, backed off to a word's end when one is near
    (text without spaces, such as Chinese, is cut anywhere).

    >>> cut("tariffs on goods", 12)
    'tariffs on'
    """
    head = text[:n]
    return head.rsplit(" ", 1)[0] if len(head) < len(text) and " " in head[-WORD_END_WINDOW:] else head


def clean_question(question: str | Question, max_chars: int) -> Question:
    """Strip control characters; refuse an empty question, or one that is
    not text (a lone surrogate: JSON's "\\ud800", or bytes that were not
    UTF-8 on a command line); trim a huge one; read a month's name typed
    one slip short as that month (`facts.mended_months`). A `Question` is
    already clean and passes through.

    >>> clean_question("  what\\ttariff   rate? ", 1000).text
    'what tariff rate?'
    """
    if isinstance(question, Question):
        return question
    try:
        (question or "").encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the question is not valid text (it holds bytes that are not UTF-8, or a lone "
                         "surrogate such as \\ud800); send it as UTF-8 text.") from None
    q = re.sub(r"\s+", " ", _CTRL.sub(" ", question or "")).strip()
    if not q:
        raise InputError('empty question; ask something, e.g. ask "what tariff rate?"')
    if len(q) > max_chars:
        q, notes = cut(q, max_chars), [f"question trimmed to its first {max_chars} characters"]
    else:
        notes = []
    read = mended_months(q)
    if read != q:
        notes.append(f"read the question as: {read}")
    return Question(read, notes)
