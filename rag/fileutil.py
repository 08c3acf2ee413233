"""File helpers shared by the index store, the model assembler and the two
upload paths (POST /ingest and the chat page)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

UPLOAD_SUFFIXES = {".txt", ".md", ".html", ".htm"}  # what an upload may be
MAX_STEM_BYTES = 150  # of an upload's cleaned name (UTF-8); names are at most 255 bytes
NAME_HASH_CHARS = 6  # hex digits of the original name's hash added to a name cleaning changed


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None, block: int = 8 << 20) -> str:
    """Hex sha256 of a file, read in blocks; `on_bytes(n)` reports progress."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            h.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return h.hexdigest()


def sha256_if_file(path: Path) -> str | None:
    """`sha256_file`, or None when `path` is not a readable file, including
    one deleted between a check and its opening (a writer swapping versions)."""
    try:
        return sha256_file(path) if path.is_file() else None
    except OSError:
        return None


def safe_name(filename: str | None, taken: set[str]) -> str:
    """A file name of our making from an uploaded one: its last path part,
    letters (any script), digits, '.', '-', '_' only, no leading dot, unique
    in `taken`. When cleaning changed the name, a short hash of the original
    is added, so two names never clean to the same article id.

    >>> safe_name("../../etc/passwd.txt", set()), safe_name("Été à Zürich.md", set())
    ('passwd.txt', 'Été_à_Zürich-329a30.md')
    >>> safe_name("a\\x00b.txt", set()), safe_name("a\\nb.txt", set()), safe_name("日本.txt", set())
    ('a_b-72d70e.txt', 'a_b-8ca072.txt', '日本.txt')
    """
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", filename or "")[-1])
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    clean = re.sub(r"[^\w.-]+", "_", stem).strip("._-")
    while len(clean.encode()) > MAX_STEM_BYTES:  # file systems limit names in bytes
        clean = clean[:-1]
    if clean != stem:
        digest = hashlib.sha256(base.encode("utf-8", "surrogatepass")).hexdigest()[:NAME_HASH_CHARS]
        clean = f"{clean or 'article'}-{digest}"
    clean = clean or "article"  # no name at all (two such uploads meet ArticleExists, never a silent swap)
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix)[:10].lower()
    name, i = f"{clean}.{suffix}" if suffix else clean, 1
    while name in taken:
        i += 1
        name = f"{clean}-{i}.{suffix}" if suffix else f"{clean}-{i}"
    taken.add(name)
    return name
