"""Building and updating the index: documents -> chunks -> vectors + BM25,
written atomically by `store.write`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import store
from .chunking import chunk_document
from .corpus import LoadReport, load_paths
from .embed import Embedder
from .errors import IndexCorrupt, IndexMismatch, InputError
from .progress import progress_bar, status
from .settings import Settings
from .types import Chunk, Document

REASONS_SHOWN = 3  # files named in the one-line error of an ingest that read nothing


def index_params(settings: Settings, embedder: Embedder) -> dict:
    return store.params(embedder.id, embedder.dim, settings.chunk_tokens, settings.chunk_overlap)


def embed_chunks(chunks: list[Chunk], embedder: Embedder, batch: int) -> np.ndarray:
    out = [np.zeros((0, embedder.dim), dtype=np.float32)]
    with progress_bar("embedding chunks", total=len(chunks)) as advance:
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            out.append(embedder.embed([c.text for c in part]))
            advance(len(part))
    return np.concatenate(out)


def build(settings: Settings, embedder: Embedder, docs: list[Document],
          reuse: store.Index | None = None) -> store.Index:
    """Write an index of `docs`, reusing vectors of chunks `reuse` already has."""
    root = settings.index_dir
    chunks = [c for d in docs for c in chunk_document(d, settings.chunk_tokens, settings.chunk_overlap)]
    known = {}
    if reuse is not None:
        known = {c.id: reuse.vectors[i] for i, c in enumerate(reuse.chunks)}
    new = [c for c in chunks if c.id not in known]
    fresh = dict(zip((c.id for c in new), embed_chunks(new, embedder, settings.embed_batch))) if new else {}
    vectors = np.stack([known.get(c.id, fresh.get(c.id)) for c in chunks]) if chunks \
        else np.zeros((0, embedder.dim), dtype=np.float32)
    with status("writing index"):
        store.write(root, docs, chunks, vectors, index_params(settings, embedder))
    return store.Index.load(root, index_params(settings, embedder))


def _stored(settings: Settings, embedder: Embedder) -> tuple[store.Index | None, list[Document]]:
    """The current index if it matches these settings, and its documents
    (readable even from a mismatched index, so a rebuild loses nothing)."""
    root = settings.index_dir
    if not store.exists(root):
        return None, []
    try:
        idx = store.Index.load(root, index_params(settings, embedder))
        return idx, list(idx.docs.values())
    except IndexMismatch:
        idx = store.Index.load(root)
        return None, list(idx.docs.values())


def ingest(settings: Settings, embedder: Embedder, paths: list[Path]) -> tuple[store.Index, LoadReport, int]:
    """Add files or folders to the index; returns (index, report, n_added)."""
    report = load_paths(paths, settings.max_file_bytes)
    if not report.documents:  # nothing readable: refuse before touching the index
        raise InputError(nothing_read(paths, report))
    with store.write_lock(settings.index_dir):
        current, docs = _stored(settings, embedder)
        have = {d.content_hash for d in docs}
        ids = {d.id for d in docs}
        added = []
        for d in report.documents:
            if d.content_hash in have:
                report.skipped.append((d.source, "already in the index"))
                continue
            if d.id in ids:  # same name, new content: a new version of the article replaces the old
                docs = [x for x in docs if x.id != d.id]
            docs.append(d)
            have.add(d.content_hash)
            ids.add(d.id)
            added.append(d)
        if not added and current is not None:
            return current, report, 0
        return build(settings, embedder, docs, reuse=current), report, len(added)


def nothing_read(paths: list[Path], report: LoadReport) -> str:
    """One line: why no article was read from `paths`.

    >>> r = LoadReport(skipped=[("a/x.txt", "looks like a binary file, not text; skipped.")])
    >>> nothing_read([Path("a")], r)
    'no article read from a: a/x.txt: looks like a binary file, not text; add .txt, .md or .html files.'
    """
    where = ", ".join(map(str, paths))
    shown = REASONS_SHOWN
    why = "; ".join(f"{p}: {r.removesuffix('; skipped.').rstrip('.')}" for p, r in report.skipped[:shown])
    more = f" (and {len(report.skipped) - shown} more skipped)" if len(report.skipped) > shown else ""
    return f"no article read from {where}" + (f": {why}{more}" if why else "") + "; add .txt, .md or .html files."


def rebuild(settings: Settings, embedder: Embedder, paths: list[Path] | None = None) -> store.Index:
    """Rebuild from `paths`, or else from the documents the index already holds
    (falling back to the shipped seeds)."""
    with store.write_lock(settings.index_dir):
        docs: list[Document] = []
        if paths:
            docs = load_paths(paths, settings.max_file_bytes).documents
        else:
            try:
                _, docs = _stored(settings, embedder)
            except IndexCorrupt:  # keep the articles when their own file is intact
                docs = store.stored_documents(settings.index_dir)
                status_note(f"the damaged index's articles: {len(docs)} recovered" if docs else
                            "the damaged index's articles cannot be read; rebuilding from the seeds")
            if not docs:
                docs = load_paths([settings.seeds_dir], settings.max_file_bytes).documents
        if not docs:
            raise InputError("nothing to index; add articles with `rag ingest PATH`.")
        return build(settings, embedder, docs)


def ensure(settings: Settings, embedder: Embedder) -> store.Index:
    """The index for these settings: built from the seeds on first use, and
    rebuilt (from its own stored documents) when its settings differ."""
    root = settings.index_dir
    if store.exists(root):
        try:
            return store.Index.load(root, index_params(settings, embedder))
        except IndexMismatch as e:
            status_note(f"{e}; rebuilding now")
            return rebuild(settings, embedder)
    status_note(f"first use: building the index of {settings.seeds_dir} in {root}")
    return rebuild(settings, embedder, [settings.seeds_dir])


def status_note(msg: str) -> None:
    from .progress import note

    note(msg)
