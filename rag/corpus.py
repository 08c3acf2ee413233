"""Articles -> Documents. Reads .txt, .md and .html; metadata from front
matter or a sidecar `<stem>.meta.json`; HTML reduced to its article text."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .text import clean_text, split_sentences
from .types import Document

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
META_KEYS = {"title", "outlet", "source", "publisher", "date", "published", "url", "link"}
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
MAX_TITLE_CHARS = 150  # a longer first line is a paragraph, not a headline
SHORT_TITLE_CHARS = 90  # a title made from a first sentence is cut to this
TITLE_SCAN_CHARS = 2000
SNIFF_BYTES = 8192  # the head of a file read to tell text from binary
MAX_CONTROL_SHARE = 0.05  # control bytes (not tab, line breaks, form feed) in text: rare
_CONTROL = set(range(9)) | set(range(14, 32))
NOT_REGULAR = "not a regular file (a FIFO, socket or device)"


@dataclass
class LoadReport:
    """What a load did: documents read and files skipped, each with why."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # ids whose stored article an ingest replaced


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def doc_id(path: Path, root: Path) -> str:
    """An article's id: its path under the folder that was ingested, without
    its suffix; a file named directly: its stem.

    >>> doc_id(Path("news/business/001.txt"), Path("news")), doc_id(Path("a/004_f2.txt"), Path("a/004_f2.txt"))
    ('business/001', '004_f2')
    """
    if path == root:
        return path.stem
    return path.relative_to(root).with_suffix("").as_posix()


def iter_files(paths: list[Path], report: LoadReport) -> Iterator[tuple[Path, str]]:
    """Supported files under `paths`, each once, in a stable order, with
    their ids (`doc_id`). Symlink loops and unreadable folders are skipped,
    not followed forever."""
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            if root.is_symlink():  # exists() follows the link: a dangling link or a loop
                raise InputError(f"{root}: a broken symlink or a symlink loop; point it at a file or folder.")
            raise InputError(f"{root}: no such file or folder. Check the path and try again.")
        if not root.is_dir() and not root.is_file():
            raise InputError(f"{root}: {NOT_REGULAR}; name a file or folder of articles.")
        if root.is_file():
            walk = [(str(root.parent), [], [root.name])]
            base = root
        else:
            walk = os.walk(root, followlinks=True, onerror=lambda e: report.skipped.append((str(e.filename), "unreadable folder")))
            base = root
        for dirpath, dirnames, filenames in walk:
            real_dir = Path(dirpath).resolve()
            if real_dir in seen and root.is_dir():  # a symlink loop, or a folder seen twice
                dirnames[:] = []
                continue
            seen.add(real_dir)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if name.startswith(".") or name.endswith(".meta.json"):
                    continue
                if p.suffix.lower() not in SUFFIXES:
                    if root.is_file():
                        report.skipped.append((str(p), f"unsupported type {p.suffix or '(none)'}; use .txt, .md or .html"))
                    continue
                try:
                    real = p.resolve()
                except (RuntimeError, OSError):  # RuntimeError: Python 3.11's "Symlink loop"
                    report.skipped.append((str(p), "a symlink loop; skipped"))
                    continue
                if real in seen:
                    continue
                if real.exists() and not real.is_file():  # reading a FIFO would wait forever for a writer
                    report.skipped.append((str(p), f"{NOT_REGULAR}; skipped"))
                    continue
                seen.add(real)
                yield p, doc_id(p, base)


def decode(data: bytes, name: str) -> tuple[str, str | None]:
    """Bytes -> text, or InputError for binary. Returns (text, warning)."""
    head = data[:SNIFF_BYTES]
    if b"\x00" in head or (head and sum(b in _CONTROL for b in head) / len(head) > MAX_CONTROL_SHARE):
        raise InputError(f"{name}: looks like a binary file, not text; skipped.")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    # Not UTF-8: legacy news exports are mostly Windows-1252 / Latin-1.
    try:
        return data.decode("cp1252"), f"{name}: not UTF-8, read as Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), f"{name}: not UTF-8, read as Latin-1"


def norm_date(value) -> str | None:
    """A date as ISO yyyy-mm-dd, so that dates sort as text; None when it is
    not a date with a year (a guessed year would misplace the article).

    >>> norm_date("February 5, 2026"), norm_date("2026-01-30T08:00:00Z"), norm_date("26-FEB-1987 15:01:01.79")
    ('2026-02-05', '2026-01-30', '1987-02-26')
    >>> norm_date("Feb 5"), norm_date("soon"), norm_date(None)
    (None, None, None)
    """
    import datetime as dt

    from dateutil import parser

    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, dt.date):  # YAML reads 2026-02-05 as a date
        return value.isoformat()[:10]
    text = str(value).strip()
    try:  # two defaults that differ in year: a date without one parses differently
        a = parser.parse(text, default=dt.datetime(2000, 1, 1), fuzzy=False)
        b = parser.parse(text, default=dt.datetime(2001, 2, 2), fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    return a.date().isoformat() if a.year == b.year else None


def _meta(raw: dict) -> dict:
    """Front-matter or sidecar keys -> Document fields."""
    low = {str(k).lower(): v for k, v in raw.items() if str(k).lower() in META_KEYS and v}
    return {
        "title": str(low["title"]).strip() if "title" in low else None,
        "outlet": str(low.get("outlet") or low.get("source") or low.get("publisher") or "").strip() or None,
        "date": norm_date(low.get("date") or low.get("published")),
        "url": str(low.get("url") or low.get("link") or "").strip() or None,
    }


def _front_matter(text: str) -> tuple[dict, str]:
    m = _FRONT.match(text)
    if not m:
        return {}, text
    import yaml

    try:
        raw = yaml.safe_load(m.group(1))
    except (yaml.YAMLError, ValueError):  # ValueError: an impossible date such as 2025-13-45
        return {}, text
    return (_meta(raw) if isinstance(raw, dict) else {}), text[m.end():]


def _html(text: str) -> tuple[dict, str]:
    import trafilatura

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, favor_recall=True)
    if doc is None:
        return {}, ""
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    meta = {"title": d.get("title"), "outlet": d.get("sitename"), "date": norm_date(d.get("date")), "url": d.get("url")}
    return meta, d.get("text") or ""


def guess_title(text: str) -> str:
    """A headline-like first line, else the start of the first sentence."""
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    if first and len(first) <= MAX_TITLE_CHARS and first[-1] not in ".!?\"”":
        return first
    sents = split_sentences(text[:TITLE_SCAN_CHARS])
    s = sents[0] if sents else first
    return s if len(s) <= SHORT_TITLE_CHARS else s[:SHORT_TITLE_CHARS - 3].rsplit(" ", 1)[0] + "…"


def load_file(path: Path, max_bytes: int, doc_id: str | None = None) -> tuple[Document, str | None]:
    """One file -> Document (id: `doc_id`, else the file's stem). Raises
    InputError for what cannot be read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit per article; split it or raise RAG_MAX_FILE_BYTES.")
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror}).") from e
    text, warning = decode(data, str(path))
    if path.suffix.lower() in {".html", ".htm"}:
        meta, body = _html(text)
    else:
        meta, body = _front_matter(text)
    sidecar = path.with_name(path.stem + ".meta.json")
    if sidecar.is_file():
        try:
            side = json.loads(sidecar.read_text("utf-8"))
            if not isinstance(side, dict):
                raise ValueError("not an object")
            meta = {**meta, **{k: v for k, v in _meta(side).items() if v}}
        except (ValueError, OSError):
            warning = f"{sidecar}: not a JSON object of title/outlet/date/url; metadata ignored"
    body = clean_text(body)
    if not body.strip():
        raise InputError(f"{path}: no text in it; skipped.")
    return Document(
        id=doc_id or path.stem,
        text=body,
        content_hash=content_hash(body),
        title=meta.get("title") or guess_title(body),
        source=str(path),
        outlet=meta.get("outlet"),
        date=meta.get("date"),
        url=meta.get("url"),
    ), warning


def load_paths(paths: list[Path], max_bytes: int = 20_000_000) -> LoadReport:
    """Files and folders -> Documents, the same content kept once."""
    report = LoadReport()
    hashes: set[str] = set()
    ids: set[str] = set()
    for p, did in iter_files([Path(x) for x in paths], report):
        try:
            doc, warning = load_file(p, max_bytes, did)
        except InputError as e:  # the reason without the path, which the report pairs with it
            report.skipped.append((str(p), str(e).removeprefix(f"{p}: ")))
            continue
        if warning:
            report.warnings.append(warning)
        if doc.content_hash in hashes:
            report.skipped.append((str(p), "same content as another file; stored once"))
            continue
        if doc.id in ids:  # the same path under two ingested folders
            doc = Document(**{**doc.__dict__, "id": f"{doc.id}-{doc.content_hash[:8]}"})
        hashes.add(doc.content_hash)
        ids.add(doc.id)
        report.documents.append(doc)
    return report
