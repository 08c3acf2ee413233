"""The int8 ONNX file of the packaged MiniLM, built here once and checked on
every load; nothing is downloaded.

    models/onnx/all-MiniLM-L6-v2-int8.onnx            the model (~23 MB)
    models/onnx/all-MiniLM-L6-v2-int8.onnx.verified   its stamp (JSON)

Built from the package's safetensors: torch exports the transformer to ONNX
(fp32), then onnxruntime quantizes its weights to int8 (dynamic: activations
are quantized per batch at run time). The stamp records the file's sha256,
the recipe and the source it came from; a file that fails it is rebuilt,
never used. Building takes ~20 s and needs torch and onnx, which the package
installs."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import warnings
from pathlib import Path

from .errors import ModelNotInstalled
from .fileutil import sha256_file
from .settings import ROOT

NAMES = {True: "all-MiniLM-L6-v2-int8.onnx", False: "all-MiniLM-L6-v2-fp32.onnx"}  # quantized? -> file
OPSET = 17
# Only the weight MatMuls are quantized, per channel, weights as uint8; the
# attention's activation x activation MatMuls and the embedding table stay
# fp32. Cosine with the fp32 model on 300 Reuters chunks: 0.994 (min 0.987),
# against 0.992 (min 0.981) with every op quantized (QInt8, reduce_range), whose
# Reuters gold-set recall@5 fell 0.017, and 0.954 (min 0.91) with the plain
# QInt8 defaults, whose u8 x s8 kernels saturate on AVX2 without VNNI
# (measured here; README, Benchmark).
RECIPE = {"weights": "QUInt8", "per_channel": True, "ops": ["MatMul"], "act_x_act": "fp32", "opset": OPSET}


def ensure_model(src: Path, models_dir: Path | None = None, quantized: bool = True) -> Path:
    """The verified ONNX model (int8, or the exact fp32 export), built first
    when missing or failing its stamp."""
    folder = (models_dir or ROOT / "models") / "onnx"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAMES[quantized]
    source = _source_id(src, quantized)
    if _verified(path, source):
        return path
    with open(folder / ".lock", "w") as lock:  # one builder at a time (serve, ui and ingest may start together)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _verified(path, source):
            _build(src, path, source, quantized)
    return path


def session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or os.cpu_count() or 1
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # leave idle cores to llama.cpp
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _source_id(src: Path, quantized: bool) -> dict:
    """What the file was built from; cheap to check (no hash of 90 MB)."""
    w = src / "model.safetensors"
    return {"source": str(src), "source_bytes": w.stat().st_size if w.exists() else 0,
            "recipe": RECIPE if quantized else {"opset": OPSET}}


def _verified(path: Path, source: dict) -> bool:
    stamp = path.with_name(path.name + ".verified")
    try:
        s = json.loads(stamp.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return path.is_file() and all(s.get(k) == v for k, v in source.items()) and s.get("sha256") == sha256_file(path)


def quantize(fp32: Path, out: Path) -> None:
    """`RECIPE`: the weight MatMuls to uint8, per channel; the rest stays fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    g = onnx.load(str(fp32)).graph
    weights = {i.name for i in g.initializer}
    act_x_act = [n.name for n in g.node if n.op_type == "MatMul" and not weights & set(n.input)]
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QUInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=act_x_act)


@contextlib.contextmanager
def _quiet():
    """The build's own chatter kept from the user: transformers' weight-loading
    bar, the exporter's tracer warnings, and the quantizer's advice, which it
    logs on the root logger (and so would install a root handler that prints
    every library's messages afterwards)."""
    from transformers.utils import logging as hf_logging

    root, guard = logging.getLogger(), logging.NullHandler()
    root.addHandler(guard)  # a root handler present: logging.warning() does not call basicConfig()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeHandler(guard)
        if bars:
            hf_logging.enable_progress_bar()


def _build(src: Path, path: Path, source: dict, quantized: bool) -> None:
    from .progress import status

    try:
        import onnx  # noqa: F401 (torch's exporter and the quantizer need it)
        import torch
        from transformers import AutoModel
    except ImportError as e:
        raise ModelNotInstalled(f"building the int8 embedder needs torch, transformers, onnx and onnxruntime ({e}); "
                                "run `make install`.") from e
    fp32, tmp = path.with_suffix(".fp32.tmp"), path.with_suffix(".int8.tmp")
    with status(f"building the {'int8' if quantized else 'fp32'} ONNX embedder from the packaged MiniLM (once, ~20 s)"), \
            _quiet():
        model = AutoModel.from_pretrained(str(src)).eval()

        class Hidden(torch.nn.Module):  # keyword call: the forward's positional order differs across versions
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.m(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

        names = ["input_ids", "attention_mask", "token_type_ids"]
        x = torch.ones((2, 16), dtype=torch.long)
        torch.onnx.export(Hidden(model), (x, torch.ones_like(x), torch.zeros_like(x)), str(fp32),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={k: {0: "batch", 1: "seq"} for k in [*names, "last_hidden_state"]},
                          opset_version=OPSET, dynamo=False)
        if quantized:
            quantize(fp32, tmp)
        else:
            os.replace(fp32, tmp)
    fp32.unlink(missing_ok=True)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    stamp = path.with_name(path.name + ".verified")
    stamp.write_text(json.dumps({**source, "sha256": sha256_file(path)}, indent=1), "utf-8")
