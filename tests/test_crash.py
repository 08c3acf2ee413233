"""Crashes lose nothing (issue #7): a damaged index file is caught by its
checksum and reported with the command that rebuilds it, which keeps the
articles; a model file that fails its sha256 is rebuilt from its parts; and
`rag ingest` killed (SIGKILL) at random moments leaves the old index or the
new one, never a mix (slow)."""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import indexing, models, store
from rag.corpus import load_paths
from rag.embed import MINILM_INT8
from rag.errors import IndexCorrupt, ModelNotInstalled

from helpers import ARTICLES, FakeEmbedder, write_articles

BIN = Path(sys.executable).parent
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


# ---- a damaged index ----------------------------------------------------------

def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01  # one bit
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


DAMAGE = {"flip": flip, "truncate": truncate, "delete": Path.unlink, "empty": lambda p: p.write_bytes(b"")}


@pytest.fixture
def vdir(index, settings) -> Path:
    return (settings.index_dir / "current").resolve()


def test_every_index_file_is_checksummed(index, vdir):
    files = json.loads((vdir / "manifest.json").read_text())["files"]
    on_disk = {str(p.relative_to(vdir)) for p in vdir.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(files) == on_disk and any(f.startswith("bm25/") for f in files)


@pytest.mark.parametrize("how", list(DAMAGE))
def test_any_damaged_file_is_refused_with_the_rebuild_command(index, settings, vdir, how):
    """Each file of the index in turn (the BM25 files too), damaged `how`."""
    files = sorted(json.loads((vdir / "manifest.json").read_text())["files"])
    backup = vdir.parent / "backup"
    shutil.copytree(vdir, backup)
    for name in files:
        DAMAGE[how](vdir / name)
        with pytest.raises(IndexCorrupt, match=r"rag index --rebuild") as e:
            store.Index.load(settings.index_dir, indexing.index_params(settings, FakeEmbedder()))
        assert name in str(e.value)
        shutil.copy2(backup / name, vdir / name)  # mend it for the next file
    store.Index.load(settings.index_dir, indexing.index_params(settings, FakeEmbedder()))  # mended: loads


def test_rag_index_reports_damage_in_one_line(index, settings, vdir, tmp_path):
    truncate(vdir / "vectors.npy")
    env = {**os.environ, "RAG_INDEX_DIR": str(settings.index_dir), "RAG_USE_SERVER": "0", "NO_COLOR": "1"}
    p = subprocess.run([str(BIN / "rag"), "index"], env=env, capture_output=True, text=True, timeout=60)
    lines = p.stderr.strip().splitlines()
    assert p.returncode != 0 and len(lines) == 1 and "Traceback" not in p.stderr
    assert lines[0].startswith("error:") and "vectors.npy" in lines[0] and "rag index --rebuild" in lines[0]


def test_rebuild_of_a_damaged_index_keeps_its_articles(index, settings, embedder, vdir, tmp_path):
    # an article ingested later is not among the seeds: a rebuild from the seeds would lose it
    more = write_articles(tmp_path / "more", {"ferry.txt": "Ferry resumes\n\nThe island ferry resumed service on Tuesday.\n"})
    indexing.ingest(settings, embedder, [more])
    flip((settings.index_dir / "current").resolve() / "vectors.faiss")
    idx = indexing.rebuild(settings, embedder)
    assert sorted(idx.docs) == sorted(["ferry"] + [n.rsplit(".", 1)[0] for n in ARTICLES])


def test_rebuild_falls_back_to_the_seeds_when_the_articles_are_damaged(index, settings, embedder, tmp_path):
    more = write_articles(tmp_path / "more", {"ferry.txt": "Ferry resumes\n\nThe island ferry resumed service on Tuesday.\n"})
    indexing.ingest(settings, embedder, [more])
    flip((settings.index_dir / "current").resolve() / "docs.jsonl")
    idx = indexing.rebuild(settings, embedder)
    assert sorted(idx.docs) == sorted(n.rsplit(".", 1)[0] for n in ARTICLES)  # the seeds, never a crash


# ---- a model file that fails its sha256 -----------------------------------------

PARTS = [b"GGUF" + bytes(range(256)) * 40, bytes(range(255, -1, -1)) * 30, b"tail of the model" * 50]
WHOLE = b"".join(PARTS)


@pytest.fixture
def split_model(tmp_path, monkeypatch):
    """A split model in the registry's layout: three installed "packages"
    (ragfake-part1..3, each data/partNN.bin) and a registry naming them."""
    site = tmp_path / "site"
    for i, data in enumerate(PARTS, start=1):
        pkg = site / f"ragfake_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    mdir = tmp_path / "models"
    mdir.mkdir()
    (mdir / "registry.toml").write_text(
        '[fake]\nname = "Fake-1B"\nfile = "fake.gguf"\nparts = "ragfake-part{i}"\nn_parts = 3\nextra = "model-fake"\n'
        f'size = {len(WHOLE)}\nsha256 = "{hashlib.sha256(WHOLE).hexdigest()}"\nchat_format = "chatml"\n')
    return site, mdir


def resolve_ok(mdir: Path) -> Path:
    path, name, fmt = models.resolve("fake", mdir)
    assert (name, fmt) == ("Fake-1B", "chatml")
    assert path == mdir / "fake.gguf" and path.read_bytes() == WHOLE
    return path


def damage_keeping_size_and_mtime(path: Path) -> None:
    st = path.stat()
    flip(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # only the content differs


@pytest.mark.parametrize("damage", [flip, truncate, damage_keeping_size_and_mtime,
                                    lambda p: p.write_bytes(b"\x00" * len(WHOLE))], ids=["flip", "truncate", "same-mtime", "zeros"])
def test_damaged_model_file_is_rebuilt_from_its_parts(split_model, damage):
    site, mdir = split_model
    path = resolve_ok(mdir)  # first use: assembled and verified
    damage(path)
    assert path.read_bytes() != WHOLE
    assert resolve_ok(mdir) == path  # rebuilt, checked, and only then used
    assert not list(mdir.glob("*.part"))


def test_interrupted_assembly_is_never_used(split_model):
    site, mdir = split_model
    (mdir / "fake.gguf.part").write_bytes(WHOLE[:100])  # a kill mid-assembly
    resolve_ok(mdir)
    assert not (mdir / "fake.gguf.part").exists()


def test_bad_part_fails_with_the_reinstall_command_and_leaves_no_model(split_model):
    site, mdir = split_model
    flip(site / "ragfake_part2" / "data" / "part02.bin")
    with pytest.raises(ModelNotInstalled, match=r"sha256.*make install-fake"):
        models.resolve("fake", mdir)
    assert not (mdir / "fake.gguf").exists() and not list(mdir.glob("*.part"))


def test_missing_part_names_its_package(split_model):
    site, mdir = split_model
    shutil.rmtree(site / "ragfake_part3")
    with pytest.raises(ModelNotInstalled, match=r"ragfake-part3.*make install-fake"):
        models.resolve("fake", mdir)


def test_single_file_model_that_fails_its_sha256_is_refused(tmp_path, monkeypatch):
    """A model used in place from its package (like `tiny`) cannot be rebuilt
    here: refused with the command that reinstalls it."""
    pkg = tmp_path / "site" / "ragfake_single"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "m.gguf").write_bytes(WHOLE[:-1] + b"!")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    mdir = tmp_path / "models"
    mdir.mkdir()
    (mdir / "registry.toml").write_text(
        '[one]\nname = "One"\npackage = "ragfake-single"\npackage_file = "m.gguf"\nextra = "model-one"\n'
        f'size = {len(WHOLE)}\nsha256 = "{hashlib.sha256(WHOLE).hexdigest()}"\nchat_format = ""\n')
    with pytest.raises(ModelNotInstalled, match=r"fails its sha256.*make install-one"):
        models.resolve("one", mdir)


# ---- SIGKILL during `rag ingest` ---------------------------------------------------

EXPECT = store.params(MINILM_INT8, 384, 128, 24)
KILLS = 20


def state(root: Path) -> tuple[tuple[str, ...], str]:
    """The index as loaded with every check: (article ids, corpus hash)."""
    idx = store.Index.load(root, EXPECT)
    assert idx.manifest["corpus_hash"] == store.corpus_hash(list(idx.docs.values()))
    return tuple(sorted(idx.docs)), idx.manifest["corpus_hash"]


def phase(root: Path, old, new, before: set[str]) -> str:
    """Where a kill landed, read from what it left behind (beyond `before`)."""
    now = state(root)
    if now == new:
        return "after the switch"
    assert now == old, "a mix of the old and the new index"
    names = set(os.listdir(root)) - before
    current = os.readlink(root / "current")
    if any(n.startswith(".tmp-") for n in names):
        return "writing the new version"
    if any(n.startswith("v-") and n != current for n in names):
        return "written, before the switch"
    return "before writing (start-up, model, embedding)"


def round_article(folder: Path, i: int) -> Path:
    """A new article per round: a seed's text under a new name and headline."""
    seeds = sorted(SEEDS.glob("*.txt"))
    body = seeds[i % len(seeds)].read_text(encoding="utf-8").split("\n", 1)[1]
    d = folder / f"round_{i:02d}"
    d.mkdir(parents=True)
    (d / f"bulletin_{i:02d}.txt").write_text(f"Bulletin {i}: trade news roundup\n{body}\nEnd of bulletin {i}.\n",
                                             encoding="utf-8")
    return d


def ingest(args: list[Path], env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "rag"), "ingest", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def after_write_begins(delay: float, before: set[str]):
    """A `watch` stop: `delay` seconds after a new version folder appears."""
    began: list[float] = []

    def until(elapsed: float, names: list[str]) -> bool:
        if not began and any(n.startswith(".tmp-") and n not in before for n in names):
            began.append(elapsed)
        return bool(began) and elapsed >= began[0] + delay
    return until


def watch(proc: subprocess.Popen, root: Path, until=lambda t, names: False) -> dict:
    """Poll the index folder every few ms while `proc` runs: when the new
    version began to be written, when `current` switched, when it ended.
    Stops early (without waiting) when `until(elapsed, names)` is true."""
    t0, first = time.perf_counter(), os.readlink(root / "current")
    seen: dict = {}
    while proc.poll() is None:
        t = time.perf_counter() - t0
        try:
            names = os.listdir(root)
            cur = os.readlink(root / "current")
        except OSError:
            continue
        if "write" not in seen and any(n.startswith(".tmp-") for n in names):
            seen["write"] = t
        if "switch" not in seen and cur != first:
            seen["switch"] = t
        if until(t, names):
            seen["stopped"] = t
            return seen
        time.sleep(0.004)
    seen["end"] = time.perf_counter() - t0
    return seen


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_the_old_or_the_new_index(tmp_path):
    seed = int(os.environ.get("RAG_CRASH_SEED", time.time_ns() % 100_000))
    rnd = random.Random(seed)
    print(f"\nseed {seed} (RAG_CRASH_SEED={seed} repeats this run)")
    root = tmp_path / "index"
    env = {**os.environ, "RAG_INDEX_DIR": str(root), "RAG_USE_SERVER": "0", "NO_COLOR": "1", "TERM": "dumb"}
    shutil.copytree(SEEDS, tmp_path / "seeds")
    base = ingest([tmp_path / "seeds"], env)
    assert base.wait(timeout=180) == 0, base.stderr.read().decode()
    rounds = tmp_path / "rounds"

    # one ingest to its end, to time its phases
    cal = ingest([round_article(rounds, 0)], env)
    t = watch(cal, root)
    assert cal.returncode == 0 and {"write", "switch"} <= set(t), (t, cal.stderr.read().decode())
    write_len = t["switch"] - t["write"]
    print(f"one ingest: writing began at {t['write']:.2f} s, switch at {t['switch']:.2f} s, end at {t['end']:.2f} s")

    kills, finished, log = 0, 0, []
    i = 0
    while kills < KILLS and i < KILLS + 10:
        i += 1
        old = state(root)
        folder = round_article(rounds, i)
        doc = load_paths([folder]).documents[0]
        now = store.Index.load(root, EXPECT).docs
        new = (tuple(sorted([*now, doc.id])), store.corpus_hash([*now.values(), doc]))
        before = set(os.listdir(root))  # what earlier kills left behind
        proc = ingest([folder], env)
        if i % 2:  # at a random time in [half the time to writing, the end]
            at = rnd.uniform(0.5 * t["write"], t["end"])
            seen = watch(proc, root, until=lambda el, names, at=at: el >= at)
            mode = "timed"
        else:  # at a random moment of the write itself, timed from when the new version appears
            seen = watch(proc, root, until=after_write_begins(rnd.uniform(0, 1.5 * write_len), before))
            mode = "during write"
        if "stopped" not in seen:  # it finished first
            finished += 1
            assert proc.returncode == 0, proc.stderr.read().decode()
            assert state(root) == new
            log.append((mode, None, "finished"))
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.returncode == 0:  # it ended between the last look and the kill
            finished += 1
            assert state(root) == new
            log.append((mode, seen["stopped"], "finished"))
            continue
        assert proc.returncode == -signal.SIGKILL
        kills += 1
        log.append((mode, seen["stopped"], phase(root, old, new, before)))
    for mode, at, where in log:
        print(f"  {mode:12s} {'' if at is None else f'{at:5.2f} s':>8s}  {where}")
    by_phase: dict[str, int] = {}
    for _, _, where in log:
        by_phase[where] = by_phase.get(where, 0) + 1
    print(f"kills survived: {kills} of {i} rounds ({finished} finished first); by phase: {by_phase}")
    assert kills >= KILLS

    # a following ingest completes and holds everything
    final = ingest([rounds], env)
    assert final.wait(timeout=180) == 0, final.stderr.read().decode()
    ids, _ = state(root)
    want = {p.stem for p in (tmp_path / "seeds").glob("*.txt")} | {f"bulletin_{k:02d}" for k in range(i + 1)}
    assert {i.rsplit("/", 1)[-1] for i in ids} == want  # a round a kill stopped is added now, as round_NN/bulletin_NN
    leftovers = [p.name for p in root.iterdir() if p.name.startswith((".tmp-", ".current-", "v-"))]
    assert leftovers == [os.readlink(root / "current")]  # the next write cleared what the kills left
