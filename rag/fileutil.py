"""File helpers shared by the index store, the model assembler and the two
upload paths (POST /ingest and the chat page)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

UPLOAD_SUFFIXES = {".txt", ".md", ".html", ".htm"}  # what an upload may be


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None, block: int = 8 << 20) -> str:
    """Hex sha256 of a file, read in blocks; `on_bytes(n)` reports progress."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            h.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return h.hexdigest()


def safe_name(filename: str | None, taken: set[str]) -> str:
    """A file name of our making from an uploaded one: its last path part,
    letters, digits, '.', '-', '_' only, no leading dot, unique in `taken`.

    >>> safe_name("../../etc/passwd.txt", set())
    'passwd.txt'
    >>> safe_name("Trump & Xi: talks.md", {"Trump_Xi_talks.md"})
    'Trump_Xi_talks-2.md'
    """
    base = re.split(r"[\\/]", filename or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:100] or "article"
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix)[:10].lower()
    name, i = f"{stem}.{suffix}" if suffix else stem, 1
    while name in taken:
        i += 1
        name = f"{stem}-{i}.{suffix}" if suffix else f"{stem}-{i}"
    taken.add(name)
    return name
