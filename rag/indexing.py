"""Building and updating the index: documents -> chunks -> vectors + BM25,
written atomically by `store.write`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import store
from .chunking import chunk_document
from .corpus import LoadReport, load_paths
from .embed import Embedder, embed_chunks
from .embed_cache import EmbedCache, key, sentence_key
from .errors import ArticleExists, IndexCorrupt, IndexMismatch, IndexMissing, InputError, TooLarge
from .progress import progress_bar, status
from .settings import Settings
from .types import Chunk, Document

REASONS_SHOWN = 3  # files named in the one-line error of an ingest that read nothing
VECTORLESS = {"lexical"}  # index settings that change no vector: a rebuild for them embeds nothing


def index_params(settings: Settings, embedder: Embedder) -> dict:
    return store.params(embedder.id, embedder.dim, settings.chunk_tokens, settings.chunk_overlap)


def _known(reuse: store.Index | None) -> dict[bytes, np.ndarray]:
    """Vectors the current index already holds, by key: each chunk's, and
    its sentences' (`sentence_key`: a sentence's vector depends on its chunk)."""
    if reuse is None or reuse.sentences is None:
        return {}
    known = {}
    for i, c in enumerate(reuse.chunks):
        known[key(c.text)] = reuse.vectors[i]
        known.update((sentence_key(c.text, k), v) for k, v in enumerate(reuse.sentences.of(i)))
    return known


def embed_documents(settings: Settings, embedder: Embedder, docs: list[Document], known: dict[bytes, np.ndarray],
                    cache: EmbedCache | None = None) -> tuple[list[Chunk], np.ndarray, store.SentenceVectors]:
    """Chunks of `docs` with their vectors and their sentences' vectors, one
    model pass per chunk (`embed.embed_chunks`). Chunks whose vectors are in
    `known` (by key) are not embedded again; new vectors are added to it and
    appended to `cache` every `settings.ingest_batch` chunks."""
    chunks: list[Chunk] = []
    pending: dict[bytes, str] = {}  # chunk key -> text

    def flush() -> None:
        texts = list(pending.values())
        vecs, sents = embed_chunks(embedder, texts)
        keys, rows = [], []
        for k, t, v, sv in zip(pending, texts, vecs, sents):  # a chunk's key after its sentences': a record
            keys += [*(sentence_key(t, j) for j in range(len(sv))), k]  # torn by a kill never leaves a chunk
            rows += [sv, v[None]]  # whose sentence vectors are missing
        flat = np.concatenate(rows) if rows else np.zeros((0, embedder.dim), dtype=np.float32)
        if cache is not None:
            cache.append(keys, flat)
        known.update(zip(keys, flat))
        pending.clear()

    with progress_bar("embedding articles", total=len(docs)) as advance:
        for d in docs:
            for c in chunk_document(d, settings.chunk_tokens, settings.chunk_overlap):
                chunks.append(c)
                k = key(c.text)
                if k not in known and k not in pending:
                    pending[k] = c.text
            if len(pending) >= settings.ingest_batch:
                flush()
            advance(1, f"{len(chunks):,} chunks")
        if pending:
            flush()
    if not chunks:
        empty = np.zeros((0, embedder.dim), dtype=np.float32)
        return chunks, empty, store.SentenceVectors.build(empty, [])
    vectors = np.stack([known[key(c.text)] for c in chunks]).astype(np.float32)
    per_chunk = [_sentences_known(c.text, known) for c in chunks]
    starts = np.cumsum([0] + [len(v) for v in per_chunk])
    flat = [v for vs in per_chunk for v in vs]
    svecs = np.stack(flat).astype(np.float32) if flat else np.zeros((0, embedder.dim), dtype=np.float32)
    return chunks, vectors, store.SentenceVectors.build(svecs, [np.arange(a, b) for a, b in zip(starts[:-1], starts[1:])])


def _sentences_known(chunk_text: str, known: dict[bytes, np.ndarray]) -> list[np.ndarray]:
    """A chunk's sentence vectors, by their keys 0, 1, ... (every chunk in
    `known` has them all), without splitting the chunk into sentences again."""
    out = []
    while (v := known.get(sentence_key(chunk_text, len(out)))) is not None:
        out.append(v)
    return out


def build(settings: Settings, embedder: Embedder, docs: list[Document],
          reuse: store.Index | None = None) -> store.Index:
    """Write an index of `docs`, reusing the vectors `reuse` already has and
    those an interrupted build of this folder stored (`embed_cache`).
    Callers hold the write lock."""
    root = settings.index_dir
    cache = EmbedCache(root, embedder.id, embedder.dim)
    known = _known(reuse)
    known.update(cache.read())
    with store.disk_full_is_clean(root):  # the resume file's appends
        chunks, vectors, sentences = embed_documents(settings, embedder, docs, known, cache)
    with status("writing index"):
        store.write(root, docs, chunks, vectors, index_params(settings, embedder), sentences)
    EmbedCache.remove_all(root)
    return store.Index.load(root, index_params(settings, embedder))


def _stored(settings: Settings, embedder: Embedder) -> tuple[store.Index | None, list[Document], store.Index | None]:
    """The current index if it matches these settings, its documents
    (readable even from a mismatched index, so a rebuild loses nothing), and
    a mismatched index whose vectors a build may still reuse, because what
    differs changes no vector (`VECTORLESS`)."""
    root = settings.index_dir
    if not store.exists(root):
        return None, [], None
    want = index_params(settings, embedder)
    try:
        idx = store.Index.load(root, want)
        return idx, list(idx.docs.values()), None
    except IndexMismatch:
        idx = store.Index.load(root)
        same = all(idx.manifest.get(k) == v for k, v in want.items() if k not in VECTORLESS)
        return None, list(idx.docs.values()), idx if same else None


def ingest(settings: Settings, embedder: Embedder, paths: list[Path], replace: bool = True,
           max_chunks: int | None = None) -> tuple[store.Index, LoadReport, int]:
    """Add files or folders to the index; returns (index, report, n_added).
    An article whose id is taken by other content replaces the stored one
    (listed in `report.replaced`), or, with `replace=False`, the ingest is
    refused (ArticleExists) with nothing changed. More than `max_chunks`
    new passages: refused (TooLarge) before anything is embedded."""
    report = load_paths(paths, settings.max_file_bytes)
    if not report.documents:  # nothing readable: refuse before touching the index
        raise InputError(nothing_read(paths, report))
    with store.write_lock(settings.index_dir):
        current, docs, kept = _stored(settings, embedder)
        have = {d.content_hash for d in docs}
        ids = {d.id for d in docs}
        added = []
        for d in report.documents:
            if d.content_hash in have:
                report.skipped.append((d.source, "already in the index"))
                continue
            if d.id in ids:  # same name, new content: a new version of the article replaces the old
                docs = [x for x in docs if x.id != d.id]
                report.replaced.append(d.id)
            docs.append(d)
            have.add(d.content_hash)
            ids.add(d.id)
            added.append(d)
        if report.replaced and not replace:
            raise ArticleExists(f"already in the index with other content: {', '.join(report.replaced)}; nothing "
                                "was added. Rename the file, or ask to replace the stored article (replace=true).")
        if max_chunks is not None:
            _check_chunks(settings, added, max_chunks)
        if not added and current is not None:
            return current, report, 0
        return build(settings, embedder, docs, reuse=current if current is not None else kept), report, len(added)


def _check_chunks(settings: Settings, docs: list[Document], limit: int) -> None:
    n = sum(len(chunk_document(d, settings.chunk_tokens, settings.chunk_overlap)) for d in docs)
    if n > limit:
        raise TooLarge(f"refused: these articles make {n:,} passages, over the limit of {limit:,} per request "
                       "(RAG_MAX_UPLOAD_CHUNKS); nothing was added. Send fewer or shorter articles.")


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
        kept = None
        if paths:
            docs = load_paths(paths, settings.max_file_bytes).documents
        else:
            try:
                _, docs, kept = _stored(settings, embedder)  # a rebuild re-embeds, unless only `VECTORLESS` changed
            except IndexCorrupt:  # keep the articles when their own file is intact
                docs = store.stored_documents(settings.index_dir)
                status_note(f"the damaged index's articles: {len(docs)} recovered" if docs else
                            "the damaged index's articles cannot be read; rebuilding from the seeds")
            if not docs:
                docs = load_paths([settings.seeds_dir], settings.max_file_bytes).documents
        if not docs:
            raise InputError("nothing to index; add articles with `rag ingest PATH`.")
        return build(settings, embedder, docs, reuse=kept)


def ensure(settings: Settings, embedder: Embedder) -> store.Index:
    """The index for these settings: built from the seeds on first use
    (`Settings.seeds_on_first_use`), and rebuilt (from its own stored
    documents) when its settings differ."""
    root = settings.index_dir
    if store.exists(root):
        try:
            return store.Index.load(root, index_params(settings, embedder))
        except IndexMismatch as e:
            status_note(f"{str(e).split('; ')[0]}: rebuilding it now")
            return rebuild(settings, embedder)
    if store.not_a_folder(root):
        raise IndexMissing(store.not_a_folder(root))
    if not settings.seeds_on_first_use():
        raise IndexMissing(f"no index at {root}; build it with `rag ingest FOLDER --index {root}`.")
    status_note(f"first use: building the index of {settings.seeds_dir} in {root}")
    return rebuild(settings, embedder, [settings.seeds_dir])


def status_note(msg: str) -> None:
    from .progress import note

    note(msg)


def delete(settings: Settings, ids: list[str]) -> tuple[store.Index, list[str]]:
    """Remove articles and their passages; returns (index, ids removed).
    The stored vectors of the other passages are kept as they are (nothing
    is embedded, so no embedder is needed), and the new version is written
    atomically by `store.write` under the write lock, like an ingest.
    InputError when no id is in the index, or when nothing would be left."""
    root = settings.index_dir
    with store.write_lock(root):
        current = store.Index.load(root)
        gone = [i for i in dict.fromkeys(ids) if i in current.docs]
        if not gone:
            raise InputError(f"no article {', '.join(map(repr, ids))} in the index; `rag articles` lists them.")
        docs = [d for d in current.docs.values() if d.id not in set(gone)]
        if not docs:
            raise InputError("that would leave the index empty; add other articles first.")
        keep = [i for i, c in enumerate(current.chunks) if c.doc_id not in set(gone)]
        if current.sentences is None:  # an index of an older format: rebuild first
            raise IndexMismatch(f"index at {root} is of an older format; {store.REBUILD_HINT}.")
        p = {**{k: current.manifest.get(k) for k in store.params("", 0, 0, 0)}, "lexical": store.LEXICAL}  # BM25: rebuilt
        with status("writing index"):
            store.write(root, docs, [current.chunks[i] for i in keep], current.vectors[keep], p,
                        current.sentences.subset(keep))
        return store.Index.load(root, p), gone
