"""The index on disk: FAISS vectors + a BM25 index + the chunk and document
store, under one manifest that records what made it and a sha256 per file.

Layout (index/README.md): `<dir>/current` is a symlink to `<dir>/v-<id>/`.
A build writes a new version folder, then swaps the symlink with one atomic
rename, so a crash leaves the old index or the new one, never a mix.

The old version is deleted right after the swap, and a reader that was
still loading it retries on the new `current` (`Index.load`): a version
that failed to read after `current` moved on is not a damaged index. We
chose that over keeping the previous version for a while, which would
double the index's disk use (and a full disk is a failure ingest meets).
A failed write removes its own temporary folder; leftovers of a killed
one are removed before the next write, so they cannot fill the disk.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import math
import os
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DiskFull, IndexCorrupt, IndexMismatch, IndexMissing, IndexUnwritable
from .fileutil import sha256_file, sha256_if_file
from .progress import progress_bar, status
from .text import lexical_words, load_bm25s
from .types import Chunk, Document

FORMAT_VERSION = 3  # 2: sentence vectors stored with the index; 3: read in their chunk's context (late chunking)
LEXICAL = "headline+text"  # what BM25 reads of a chunk (text.lexical_words); another value: BM25 rebuilt, vectors kept
REBUILD_HINT = "rebuild it with `rag index --rebuild`"
FLAT_MAX = 50_000  # up to this many vectors, exact search (~5 ms a question); above, IVF
IVF_TRAIN_PER_LIST = 40  # k-means sample per list (FAISS wants at least 39)
IVF_NPROBE_SHARE = 1 / 32  # lists searched: recall@10 >= 0.99 on clustered synthetic data (`rag bench`), with room for real text
LOAD_TRIES = 5  # a reader starts again on the new version this often when writers swap versions under it
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def corpus_hash(docs: list[Document]) -> str:
    return hashlib.sha256("\n".join(sorted(d.content_hash for d in docs)).encode()).hexdigest()


def params(embedder_id: str, dim: int, chunk_tokens: int, chunk_overlap: int) -> dict:
    """Everything that changes the index's contents besides the corpus."""
    return {"format_version": FORMAT_VERSION, "embedder": embedder_id, "dim": dim,
            "chunk_tokens": chunk_tokens, "chunk_overlap": chunk_overlap, "lexical": LEXICAL}


def ivf_lists(n: int) -> int:
    """Lists of an IVF index of n vectors: ~4 sqrt(n) (1M -> 4000)."""
    return max(1, round(4 * math.sqrt(n)))


def make_faiss(vectors: np.ndarray, progress: bool = False, flat_max: int = FLAT_MAX):
    """Exact inner-product search up to `flat_max` vectors; above, an
    inverted file (IVF) trained on a sample, probing 1/32 of its lists.
    FAISS saves nprobe with the index, so a loaded index searches the same."""
    import faiss

    n, dim = vectors.shape
    if n <= flat_max:
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return index
    nlist = ivf_lists(n)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.spherical = True  # centroids on the unit sphere, like the vectors
    index.cp.niter = 10
    rng = np.random.default_rng(0)
    sample = vectors[np.sort(rng.choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False))]
    with status(f"training {nlist} IVF lists on {len(sample):,} vectors") if progress else nullcontext():
        index.train(sample)
    step = 50_000
    with progress_bar("adding vectors", total=n if progress else 0) as advance:
        for i in range(0, n, step):
            index.add(vectors[i:i + step])
            advance(min(step, n - i))
    index.nprobe = max(16, round(nlist * IVF_NPROBE_SHARE))
    return index


def not_a_folder(root: Path) -> str | None:
    """Why `root` cannot hold an index when it is a file, else None."""
    if root.exists() and not root.is_dir():
        return f"{root} is a file, not an index folder; name a folder with --index DIR (or RAG_INDEX_DIR)."
    return None


def _open_lock(root: Path):
    """The lock file, opened for writing; IndexUnwritable, saying what to
    do, when the folder cannot be made or written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK):  # an existing lock file may be writable in a read-only folder
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return open(root / ".lock", "w")
    except OSError as e:
        raise IndexUnwritable(not_a_folder(root) or f"cannot write the index folder {root} ({e.strerror or e}); "
                              "make it writable, or name another with --index DIR (or RAG_INDEX_DIR).") from None


@contextmanager
def write_lock(root: Path):
    """One writer at a time per index folder. Whatever a killed writer left
    (a partial version, a link) goes first, before it can fill the disk."""
    with _open_lock(root) as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            _collect(root, keep=_current_name(root))
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass
class SentenceVectors:
    """The vectors of every chunk's sentences (`text.split_sentences` order),
    each distinct sentence once: chunk i's sentences are
    `vectors[rows[offsets[i]:offsets[i + 1]]]`."""

    vectors: np.ndarray  # (n_distinct, dim) float32, unit rows
    offsets: np.ndarray  # (n_chunks + 1,) int64
    rows: np.ndarray  # (n_sentences_of_all_chunks,) int64

    def of(self, i: int) -> np.ndarray:  # (n_sentences of chunk i, dim)
        return self.vectors[self.rows[self.offsets[i]:self.offsets[i + 1]]]

    def subset(self, keep: list[int]) -> SentenceVectors:
        """The sentence vectors of chunks `keep`, in that order."""
        parts = [self.rows[self.offsets[i]:self.offsets[i + 1]] for i in keep]
        return SentenceVectors.build(self.vectors, parts)

    @classmethod
    def build(cls, vectors: np.ndarray, rows_per_chunk: list[np.ndarray]) -> SentenceVectors:
        """From each chunk's rows into `vectors`; unused rows are dropped."""
        flat = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows_per_chunk]) if rows_per_chunk \
            else np.zeros(0, dtype=np.int64)
        used, rows = np.unique(flat, return_inverse=True)
        offsets = np.zeros(len(rows_per_chunk) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows_per_chunk])
        vecs = vectors[used] if len(used) else np.zeros((0, vectors.shape[1]), dtype=np.float32)
        return cls(np.ascontiguousarray(vecs, dtype=np.float32), offsets, rows.astype(np.int64))


@dataclass
class Index:
    """A loaded index. Heavy parts (faiss, bm25s) are imported on load."""

    root: Path
    manifest: dict
    docs: dict[str, Document]
    chunks: list[Chunk]
    vectors: np.ndarray  # (n_chunks, dim) float32, unit rows
    faiss_index: object
    bm25: object
    sentences: SentenceVectors | None = None

    # ---- reading ---------------------------------------------------------
    @classmethod
    def load(cls, root: Path, expect: dict | None = None) -> Index:
        """Load and verify. `expect` (from `params`) must match the manifest.
        A version deleted while it was read (a writer swapped in a newer
        one) is read again from the new `current`."""
        for _ in range(LOAD_TRIES - 1):
            version_dir = _current(root)
            try:
                return cls._load(root, version_dir, expect)
            except IndexCorrupt:
                if _current(root) == version_dir:  # still the current version: really damaged
                    raise
        return cls._load(root, _current(root), expect)

    @classmethod
    def _load(cls, root: Path, version_dir: Path, expect: dict | None) -> Index:
        mpath = version_dir / "manifest.json"
        try:
            manifest = json.loads(mpath.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise IndexCorrupt(f"index at {root}: manifest unreadable; {REBUILD_HINT}.") from e
        for name, digest in manifest.get("files", {}).items():
            f = version_dir / name
            if sha256_if_file(f) != digest:  # a file deleted under the read is damage too: load() retries
                raise IndexCorrupt(f"index at {root}: {name} is missing or fails its checksum; {REBUILD_HINT}.")
        if expect is not None:
            diff = {k: (manifest.get(k), v) for k, v in expect.items() if manifest.get(k) != v}
            if diff:
                what = ", ".join(f"{k} {a!r} (wanted {b!r})" for k, (a, b) in diff.items())
                raise IndexMismatch(f"index at {root} was built with {what}; {REBUILD_HINT}.")
        bm25s = load_bm25s()
        import faiss

        try:
            docs = {d["id"]: Document(**d) for d in _read_jsonl(version_dir / "docs.jsonl")}
            chunks = [Chunk(**c) for c in _read_jsonl(version_dir / "chunks.jsonl")]
            vectors = np.load(version_dir / "vectors.npy")
            fidx = faiss.read_index(str(version_dir / "vectors.faiss"))
            bm25 = bm25s.BM25.load(str(version_dir / "bm25")) if chunks else None
            sentences = None  # an index of format 1 has none; it is only read to be rebuilt
            if (version_dir / "sentence_rows.npz").exists():
                rows = np.load(version_dir / "sentence_rows.npz")
                sentences = SentenceVectors(np.load(version_dir / "sentence_vectors.npy"), rows["offsets"], rows["rows"])
        except Exception as e:  # any unreadable part is the same user-facing problem
            raise IndexCorrupt(f"index at {root}: unreadable ({type(e).__name__}); {REBUILD_HINT}.") from e
        if len(chunks) != vectors.shape[0] or fidx.ntotal != len(chunks) \
                or sentences is not None and len(sentences.offsets) != len(chunks) + 1:
            raise IndexCorrupt(f"index at {root}: parts disagree in size; {REBUILD_HINT}.")
        return cls(root, manifest, docs, chunks, vectors, fidx, bm25, sentences)


def stored_documents(root: Path) -> list[Document]:
    """The articles of a damaged index, when docs.jsonl still passes its
    checksum; [] when it does not (or there is no manifest to check it by)."""
    try:
        vdir = _current(root)
        digest = json.loads((vdir / "manifest.json").read_text("utf-8"))["files"]["docs.jsonl"]
        if sha256_file(vdir / "docs.jsonl") != digest:
            return []
        return [Document(**d) for d in _read_jsonl(vdir / "docs.jsonl")]
    except (OSError, ValueError, KeyError, TypeError, IndexMissing):
        return []


def exists(root: Path) -> bool:
    return (root / "current").exists()


def _current(root: Path) -> Path:
    link = root / "current"
    if not link.exists():
        raise IndexMissing(not_a_folder(root) or f"no index at {root}; build one with `rag index --rebuild` or add articles with `rag ingest PATH`.")
    return link.resolve()


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def disk_full_is_clean(root: Path):
    """A full disk (or quota) while writing under `root` -> DiskFull, one line."""
    try:
        yield
    except OSError as e:
        if e.errno not in DISK_FULL:
            raise
        raise DiskFull(f"disk full while writing the index at {root}: free space and run again; "
                       "nothing was changed.") from e


def write(root: Path, docs: list[Document], chunks: list[Chunk], vectors: np.ndarray, p: dict,
          sentences: SentenceVectors, progress: Callable[[str], None] = lambda _label: None) -> Path:
    """Write a complete new version and make it current atomically.
    Callers hold `write_lock(root)`. On any failure the partial version is
    removed and `current` is as it was."""
    root.mkdir(parents=True, exist_ok=True)
    vdir = root / f"v-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    with disk_full_is_clean(root):
        try:
            _write_version(root / f".tmp-{vdir.name}", docs, chunks, vectors, p, sentences, progress)
            os.rename(root / f".tmp-{vdir.name}", vdir)
            link_tmp = root / f".current-{uuid.uuid4().hex[:8]}"
            os.symlink(vdir.name, link_tmp)
            os.replace(link_tmp, root / "current")  # the one atomic switch
            _fsync_dir(root)
        except BaseException:
            _collect(root, keep=_current_name(root))
            raise
    _collect(root, keep=vdir.name)
    return vdir


def _write_version(tmp: Path, docs: list[Document], chunks: list[Chunk], vectors: np.ndarray, p: dict,
                   sentences: SentenceVectors, progress: Callable[[str], None]) -> None:
    """Every file of a version, with its manifest, fsynced, in folder `tmp`."""
    bm25s = load_bm25s()
    import faiss

    tmp.mkdir()
    progress("writing documents and chunks")
    _write_jsonl(tmp / "docs.jsonl", ({**d.meta(), "text": d.text} for d in docs))
    _write_jsonl(tmp / "chunks.jsonl", (c.__dict__ for c in chunks))
    np.save(tmp / "vectors.npy", vectors.astype(np.float32))
    np.save(tmp / "sentence_vectors.npy", sentences.vectors.astype(np.float32))
    np.savez(tmp / "sentence_rows.npz", offsets=sentences.offsets, rows=sentences.rows)
    progress("writing FAISS index")
    faiss.write_index(make_faiss(vectors), str(tmp / "vectors.faiss"))
    if chunks:
        progress("building BM25 index")
        bm25, titles = bm25s.BM25(), {d.id: d.title or "" for d in docs}
        bm25.index([lexical_words(c.text, titles.get(c.doc_id, "")) or ["_"] for c in chunks], show_progress=False)
        bm25.save(str(tmp / "bm25"))
    files = {str(f.relative_to(tmp)): sha256_file(f) for f in sorted(tmp.rglob("*")) if f.is_file()}
    manifest = {**p, "corpus_hash": corpus_hash(docs), "n_docs": len(docs), "n_chunks": len(chunks),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": files}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    for f in tmp.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())


def _current_name(root: Path) -> str | None:
    """The version folder `current` points at, None when there is none."""
    try:
        return os.readlink(root / "current")
    except OSError:
        return None


def _collect(root: Path, keep: str | None) -> None:
    """Remove old versions and leftovers of interrupted builds."""
    for p in root.iterdir():
        if p.name == keep or p.name in {"current", ".lock", "README.md", ".gitignore"}:
            continue
        if p.name.startswith(("v-", ".tmp-", ".current-")):
            if p.is_symlink() or p.is_file():
                p.unlink(missing_ok=True)
            else:
                shutil.rmtree(p, ignore_errors=True)
