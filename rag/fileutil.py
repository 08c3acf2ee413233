"""File helpers shared by the index store and the model assembler."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None, block: int = 8 << 20) -> str:
    """Hex sha256 of a file, read in blocks; `on_bytes(n)` reports progress."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            h.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return h.hexdigest()
