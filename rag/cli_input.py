"""Where `ask` takes its questions: its argument, or with `-` one question
a line from stdin. Stdin is read as bytes, so that a line that is not UTF-8
is refused on its own (by `question.clean_question`) and the batch goes on."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from .errors import InputError

BATCH_HINT = "pipe one question a line, e.g. printf 'q1\\nq2\\n' | ask --json -"


def questions(arg: str | None) -> Iterator[str]:
    """The questions to answer, in order; InputError when there are none
    (no argument, stdin closed, or stdin without a question)."""
    if arg is None:
        raise InputError('no question; try: ask "what tariff rate?" (or `ask --help`)')
    if arg != "-":
        yield arg
        return
    if sys.stdin is None:
        raise InputError(f"stdin is closed, so `ask -` has no questions to read; {BATCH_HINT}")
    n = 0
    try:
        for raw in sys.stdin.buffer:
            line = raw.decode("utf-8", "surrogateescape").strip()  # bad bytes: lone surrogates, refused per line
            if line:
                n += 1
                yield line
    except OSError as e:
        raise InputError(f"cannot read stdin ({e.strerror or e}); {BATCH_HINT}") from None
    if not n:
        raise InputError(f"no question on stdin; {BATCH_HINT}")


def shown(question: str) -> str:
    """A question as it can be printed: bytes that were not text become "?".

    >>> shown("bad \\udcff line")
    'bad ? line'
    """
    return question.encode("utf-8", "replace").decode("utf-8")
