"""The resume file of an ingest: every vector embedded since the last
complete index version, appended batch by batch and fsynced, so a killed
ingest loses at most the batch in flight and the next one re-embeds nothing
it stored.

    <index>/.embed-cache-<embedder hash>.bin   records of (16-byte key, dim float32)

A key is the blake2b hash of a chunk's text, or of a sentence's place in
a chunk (`sentence_key`: its vector is read in that chunk's context), so a
vector is found again whatever article holds the chunk. A record cut
short by a kill is dropped on reading. The file is removed once the new
version of the index is written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

KEY_BYTES = 16
PREFIX = ".embed-cache-"
FORMAT = 2  # 2: sentences keyed by their place in a chunk (late chunking)


def key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


def sentence_key(chunk_text: str, k: int) -> bytes:
    """The key of the k-th sentence of a chunk."""
    return hashlib.blake2b(chunk_text.encode("utf-8"), digest_size=KEY_BYTES, person=f"s{k}".encode()[:16]).digest()


class EmbedCache:
    """Append-only vectors of one embedder, under one index folder."""

    def __init__(self, root: Path, embedder_id: str, dim: int):
        tag = hashlib.sha256(f"{embedder_id}\x00{dim}\x00{FORMAT}".encode()).hexdigest()[:12]
        self.path = root / f"{PREFIX}{tag}.bin"
        self.dim = dim
        self.record = KEY_BYTES + 4 * dim

    def read(self) -> dict[bytes, np.ndarray]:
        """The stored vectors by key; a torn last record is cut off the file."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        whole = len(data) // self.record * self.record
        if whole != len(data):
            os.truncate(self.path, whole)
        recs = np.frombuffer(data[:whole], dtype=np.dtype([("k", f"S{KEY_BYTES}"), ("v", "<f4", (self.dim,))]))
        return {bytes(k): v for k, v in zip(recs["k"], np.array(recs["v"], dtype=np.float32))}

    def append(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """One batch, durable when this returns."""
        v = np.ascontiguousarray(vectors, dtype="<f4")
        buf = b"".join(k + v[i].tobytes() for i, k in enumerate(keys))
        with open(self.path, "ab") as f:
            f.write(buf)
            f.flush()
            os.fsync(f.fileno())

    @staticmethod
    def remove_all(root: Path) -> None:
        """After a version is written: its vectors live in the index now."""
        for p in root.glob(PREFIX + "*"):
            p.unlink(missing_ok=True)
