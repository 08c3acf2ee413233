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
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass
class LoadReport:
    """What a load did: documents read and files skipped, each with why."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[str] = field(default_factory=list)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iter_files(paths: list[Path], report: LoadReport) -> Iterator[Path]:
    """Supported files under `paths`, each once, in a stable order. Symlink
    loops and unreadable folders are skipped, not followed forever."""
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            if root.is_symlink():  # exists() follows the link: a dangling link or a loop
                raise InputError(f"{root}: a broken symlink or a symlink loop; point it at a file or folder.")
            raise InputError(f"{root}: no such file or folder. Check the path and try again.")
        if root.is_file():
            walk = [(str(root.parent), [], [root.name])]
        else:
            walk = os.walk(root, followlinks=True, onerror=lambda e: report.skipped.append((str(e.filename), "unreadable folder")))
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
                seen.add(real)
                yield p


def decode(data: bytes, name: str) -> tuple[str, str | None]:
    """Bytes -> text, or InputError for binary. Returns (text, warning)."""
    head = data[:8192]
    if b"\x00" in head or (head and sum(b < 9 or 13 < b < 32 for b in head) / len(head) > 0.05):
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


def _norm_date(value) -> str | None:
    if value is None:
        return None
    m = _DATE.search(str(value))
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else str(value)[:32]


def _meta(raw: dict) -> dict:
    """Front-matter or sidecar keys -> Document fields."""
    low = {str(k).lower(): v for k, v in raw.items() if str(k).lower() in META_KEYS and v}
    return {
        "title": str(low["title"]).strip() if "title" in low else None,
        "outlet": str(low.get("outlet") or low.get("source") or low.get("publisher") or "").strip() or None,
        "date": _norm_date(low.get("date") or low.get("published")),
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
    meta = {"title": d.get("title"), "outlet": d.get("sitename"), "date": _norm_date(d.get("date")), "url": d.get("url")}
    return meta, d.get("text") or ""


def guess_title(text: str) -> str:
    """A headline-like first line, else the start of the first sentence."""
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    if first and len(first) <= 150 and first[-1] not in ".!?\"”":
        return first
    sents = split_sentences(text[:2000])
    s = sents[0] if sents else first
    return s if len(s) <= 90 else s[:87].rsplit(" ", 1)[0] + "…"


def load_file(path: Path, max_bytes: int) -> tuple[Document, str | None]:
    """One file -> Document. Raises InputError for what cannot be read."""
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
        id=path.stem,
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
    for p in iter_files([Path(x) for x in paths], report):
        try:
            doc, warning = load_file(p, max_bytes)
        except InputError as e:  # the reason without the path, which the report pairs with it
            report.skipped.append((str(p), str(e).removeprefix(f"{p}: ")))
            continue
        if warning:
            report.warnings.append(warning)
        if doc.content_hash in hashes:
            report.skipped.append((str(p), "same content as another file; stored once"))
            continue
        if doc.id in ids:  # another article with the same file name
            doc = Document(**{**doc.__dict__, "id": f"{doc.id}-{doc.content_hash[:8]}"})
        hashes.add(doc.content_hash)
        ids.add(doc.id)
        report.documents.append(doc)
    return report
