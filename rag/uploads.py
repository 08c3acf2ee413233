"""Uploaded files into the index: written under names of our making in a
temporary folder, which no message shows, and removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, TooLarge
from .fileutil import UPLOAD_SUFFIXES, safe_name
from .settings import Settings
from .types import Document


@dataclass
class UploadReport:
    """What adding uploaded files did, in the client's own file names."""

    added: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    warnings: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # ids whose stored article was replaced (when asked)


def add(settings: Settings, uploads: list[tuple[str | None, bytes]], ingest: Callable) -> UploadReport:
    """Add uploaded files, given as (client's file name, content), through
    `ingest(paths) -> (LoadReport, n)`. InputError when none of them holds a
    readable article; ArticleExists (from `ingest`) when one would replace a
    stored article unasked; TooLarge past the per-request limits (total
    bytes, new passages)."""
    cap = settings.max_upload_bytes
    check_upload_total(settings, sum(len(data) for _, data in uploads))
    out = UploadReport()
    tmp = Path(tempfile.mkdtemp(prefix="newsrag-upload-"))

    def hide(text: str) -> str:
        return text.replace(f"{tmp}/", "").replace(str(tmp), "the upload")

    try:
        taken: set[str] = set()
        names: dict[str, str] = {}  # our file name -> the client's
        for filename, data in uploads:
            name = safe_name(filename, taken)
            shown = filename or name
            if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
                out.skipped.append((shown, "unsupported type; use .txt, .md or .html files"))
            elif len(data) > cap:
                out.skipped.append((shown, f"larger than the {cap // 1000} kB limit"))
            else:
                (tmp / name).write_bytes(data)
                names[name] = shown
        if not names:
            return out
        try:
            report, _ = ingest([tmp])
        except InputError as e:
            raise type(e)(hide(str(e))) from None
        out.skipped += [(names.get(Path(p).name, Path(p).name), hide(why)) for p, why in report.skipped]
        gone = {p for p, _ in report.skipped}
        out.added = [d for d in report.documents if d.source not in gone]
        out.warnings = [hide(w) for w in report.warnings]
        out.replaced = report.replaced
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)




def check_upload_total(settings: Settings, total: int) -> None:
    """TooLarge when one upload's files together pass the per-request limit."""
    limit = settings.max_upload_request_bytes
    if total > limit:
        raise TooLarge(f"refused: the files total {total:,} bytes, over the limit of {limit:,} per upload "
                       "(RAG_MAX_UPLOAD_REQUEST_BYTES); nothing was added. Send fewer files at a time.")
