"""`rag bench`: how fast the assistant is, and what bounds it.

Sections, each run in a fresh process (`python -m eval.bench section ...`)
so that its peak memory (ru_maxrss) is its own:
- index: build the index of the shipped articles; chunks per second;
- answers/<model>: warm answers over the gold questions: latency p50/p90,
  time to first token, prompt and output tokens, the LLM's own time;
- floor/<model>: llama.cpp alone on the exact prompts the pipeline built,
  in the same order; the pipeline's overhead over it, as a ratio;
- cold/<model>: `ask --json --no-server` in a fresh process, and `ask --help`;
- retrieval/<n>: FAISS latency and recall@10 against exact search on a
  synthetic clustered corpus of n chunks;
- ingest, stage, full-ingest, cold-parts: scale, in eval/bench_scale.py
  (the torch baseline against `rag ingest`, the retrieval stage at 10k and
  50k real chunks, the whole Reuters collection, a cold `ask` taken apart).

Writes <out>/bench.json and <out>/bench.md (default eval/reports/bench/).
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rag.settings import ROOT, Settings

from .scoring import percentile

DIM = 384  # MiniLM's
K = 10  # recall@10
SWEEP_STOP_RECALL = 0.995  # the search-depth sweep stops once recall@10 reaches this
WHOLE_FROM = 100  # figures this large are shown without decimals
LOCAL_DIM = 48  # a synthetic topic's own dimensions
BUDGET = {  # issue #6, for the `default` model on 2 cores
    "warm_p50_s": 6.0, "ttft_p50_s": 3.0, "overhead_ratio": 0.10, "help_s": 0.5,
    "retrieval_p50_ms_1m": 50.0, "recall_at_10_1m": 0.95,
}


# ---- pure helpers ------------------------------------------------------------

def summary(xs: list[float], digits: int = 3) -> dict:
    """{"n", "p50", "p90", "mean"} of a list of values."""
    return {"n": len(xs), "p50": round(percentile(xs, 0.5), digits), "p90": round(percentile(xs, 0.9), digits),
            "mean": round(sum(xs) / len(xs), digits) if xs else 0.0}


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's true k nearest found among its k results
    (ids of -1, FAISS's "no result", never count).

    >>> recall_at_k(np.array([[1, 2, -1]]), np.array([[2, 1, 3]]))
    0.6666666666666666
    """
    k = truth.shape[1]
    hits = [len(set(f[f >= 0].tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)]
    return float(np.mean(hits)) if hits else 0.0


def clustered(n: int, dim: int = DIM, centres: int = 200, seed: int = 0, batch: int = 20_000,
              first: int = 0) -> np.ndarray:
    """n unit vectors on topics: each of `centres` random directions has its
    own 48-dimensional subspace along which its points spread, plus a little
    noise in every direction. A point's cosine with its topic's centre is
    ~0.7, with a point of another topic ~0: roughly how MiniLM places
    sentences on one subject and on different ones, and, like text
    embeddings, of low intrinsic dimension. (n, dim) float32. `first` skips
    that many points of the same stream (held-out questions).

    Why not uniform random vectors: in 384 dimensions they are all nearly
    orthogonal, so a point's nearest neighbours are hardly nearer than any
    other point; the exact order is noise and no index can find it, unlike
    on text. And not plain isotropic blobs either: their members are all
    equally far apart, so one probed cell holds a whole blob and recall
    comes too easily."""
    rng = np.random.default_rng(seed)
    c = _unit(rng.standard_normal((centres, dim), dtype=np.float32))
    basis = rng.standard_normal((centres, dim, LOCAL_DIM), dtype=np.float32) / math.sqrt(dim)  # ~orthonormal columns
    spread = rng.uniform(0.8, 1.2, centres).astype(np.float32) / math.sqrt(LOCAL_DIM)
    pts = np.random.default_rng([seed, first])
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, batch):
        m = min(batch, n - i)
        label = pts.integers(0, centres, m)
        z = pts.standard_normal((m, LOCAL_DIM), dtype=np.float32) * spread[label, None]
        x = c[label] + pts.standard_normal((m, dim), dtype=np.float32) * (0.5 / math.sqrt(dim))
        for t in np.unique(label):
            rows = label == t
            x[rows] += z[rows] @ basis[t].T
        out[i:i + m] = _unit(x)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def queries(n_queries: int, data_seed: int = 0, **kw) -> np.ndarray:
    """Questions on topics the corpus covers: fresh points of the same topics
    as `clustered(seed=data_seed)`, not in the corpus."""
    return clustered(n_queries, seed=data_seed, first=1 + 10**9, **kw)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MB (Linux reports ru_maxrss in KB)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


# ---- sections ------------------------------------------------------------------

def gold_questions(limit: int | None = None) -> list[str]:
    from eval.harness import load_gold

    return [g["question"] for g in load_gold()][:limit]


def section_index(settings: Settings) -> dict:
    """Build the index of the shipped articles from scratch into settings.index_dir."""
    import shutil

    from rag import indexing
    from rag.embed import SentenceTransformerEmbedder

    shutil.rmtree(settings.index_dir, ignore_errors=True)
    t0 = time.perf_counter()
    emb = SentenceTransformerEmbedder(settings.embedder)
    emb.warm_up()
    t1 = time.perf_counter()
    idx = indexing.rebuild(settings, emb, [settings.seeds_dir])
    t2 = time.perf_counter()
    n = len(idx.chunks)
    return {"articles": len(idx.docs), "chunks": n, "embedder_load_s": round(t1 - t0, 2),
            "build_s": round(t2 - t1, 2), "chunks_per_s": round(n / (t2 - t1), 1)}


class TimedLLM:
    """Wraps an LLM and records, per call, when it started, when its first
    piece came and when it ended (perf_counter), and its token usage."""

    def __init__(self, llm):
        self.inner, self.calls = llm, []

    def __getattr__(self, name):  # id, last_usage, count_tokens, ...
        return getattr(self.inner, name)

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        call = {"messages": messages, "start": time.perf_counter(), "first": None}
        for piece in self.inner.stream(messages, max_tokens):
            if call["first"] is None:
                call["first"] = time.perf_counter()
            yield piece
        call["end"] = time.perf_counter()
        call.update(self.inner.last_usage)
        self.calls.append(call)


def section_answers(settings: Settings, questions: list[str]) -> dict:
    """Warm answers, one after another, with models loaded once (as `rag serve`
    and `ask -` run them). Returns per-question rows and their summary; the
    exact prompts go to the floor section."""
    from rag.pipeline import answer
    from rag.progress import progress_bar
    from rag.service import Assistant

    t0 = time.perf_counter()
    rt = Assistant(settings)
    rt.warm_up()
    load_s = time.perf_counter() - t0
    llm = TimedLLM(rt.llm())
    rows, prompts = [], []
    with progress_bar(f"answers ({settings.model})", total=len(questions)) as advance:
        for q in questions:
            n_calls, first = len(llm.calls), []
            start = time.perf_counter()
            a = answer(q, rt.index, rt.embedder, llm, settings,
                       on_token=lambda _p, first=first: first.append(time.perf_counter()) if not first else None)
            total = time.perf_counter() - start
            row = {"question": q, "mode": a.mode, "total_s": round(total, 3)}
            if len(llm.calls) > n_calls:  # the gate let it reach the LLM
                c = llm.calls[-1]
                row.update(ttft_s=round((first[0] if first else c["end"]) - start, 3), llm_s=round(c["end"] - c["start"], 3),
                           prompt_tokens=c.get("prompt_tokens", 0), output_tokens=c.get("completion_tokens", 0))
                prompts.append({"question": q, "messages": c["messages"], "total_s": row["total_s"]})
            rows.append(row)
            advance()
    return {"model": llm.id, "n_threads": getattr(llm, "n_threads", None), "load_s": round(load_s, 2),
            **answers_summary(rows), "rows": rows, "prompts": prompts}


def answers_summary(rows: list[dict]) -> dict:
    """Latency figures over all answers and over those the LLM wrote."""
    called = [r for r in rows if "llm_s" in r]
    total, llm_total = sum(r["total_s"] for r in called), sum(r["llm_s"] for r in called)
    return {
        "questions": len(rows), "llm_called": len(called),
        "latency_s": summary([r["total_s"] for r in rows]),
        "latency_llm_answers_s": summary([r["total_s"] for r in called]),
        "ttft_s": summary([r["ttft_s"] for r in called]),
        "llm_s": summary([r["llm_s"] for r in called]),
        "prompt_tokens": summary([r["prompt_tokens"] for r in called], 1),
        "output_tokens": summary([r["output_tokens"] for r in called], 1),
        # the pipeline's own work (retrieval, checks) over the LLM's time, in-process
        "pipeline_over_llm": round((total - llm_total) / llm_total, 4) if llm_total else None,
    }


def section_floor(settings: Settings, prompts: list[dict]) -> dict:
    """llama.cpp alone (a fresh Llama, same parameters as the app's) on the
    pipeline's exact prompts, in the same order, so KV-cache reuse of the
    shared prefix is the same. overhead = (pipeline - floor) / floor."""
    from rag.llm import make_llm
    from rag.progress import progress_bar

    llm = make_llm(settings)
    llm.warm_up()
    times, ttfts = [], []
    with progress_bar(f"llama.cpp alone ({settings.model})", total=len(prompts)) as advance:
        for p in prompts:
            t0, first = time.perf_counter(), None
            # llama-cpp-python itself, called as LlamaCppLLM.stream calls it
            for _ in llm._llm.create_chat_completion(messages=p["messages"], stream=True, temperature=0.0, top_k=1,
                                                    max_tokens=settings.max_answer_tokens, seed=0):
                first = first or time.perf_counter()
            times.append(time.perf_counter() - t0)
            ttfts.append((first or time.perf_counter()) - t0)
            advance()
    floor, pipe = sum(times), sum(p["total_s"] for p in prompts)
    return {"questions": len(prompts), "floor_s": summary(times), "floor_ttft_s": summary(ttfts),
            "floor_total_s": round(floor, 2), "pipeline_total_s": round(pipe, 2),
            "overhead_ratio": round((pipe - floor) / floor, 4) if floor else None}


def section_cold(settings: Settings, questions: list[str], runs: int = 3) -> dict:
    """`ask --json --no-server "q"` in a fresh process on a built index, and
    `ask --help`, timed from outside (wall clock)."""
    ask = str(Path(sys.executable).with_name("ask"))
    env = {**os.environ, "RAG_INDEX_DIR": str(settings.index_dir), "RAG_MODEL": settings.model, "RAG_USE_SERVER": "0"}
    helps = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([ask, "--help"], env=env, check=True, capture_output=True)
        helps.append(time.perf_counter() - t0)
    rows = []
    for q in questions[:runs]:
        t0 = time.perf_counter()
        r = subprocess.run([ask, "--json", "--no-server", q], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"ask failed: {r.stderr.strip()[-300:]}")
        j = json.loads(r.stdout)
        rows.append({"question": q, "wall_s": round(wall, 2), "answer_s": round(j["timings_ms"]["total"] / 1000, 2),
                     "mode": j.get("mode")})
    return {"help_s": summary(helps), "cold_s": summary([r["wall_s"] for r in rows]), "rows": rows,
            "ask_peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN)}


def section_retrieval(n: int, n_queries: int = 300, seed: int = 0) -> dict:
    """FAISS as the app builds it (store.make_faiss) on n synthetic clustered
    vectors: build time, single-query latency and recall@10 against exact
    search; for an approximate index, recall and latency at each probe depth."""
    import faiss

    from rag.progress import note
    from rag.store import make_faiss

    t0 = time.perf_counter()
    data = clustered(n, seed=seed)
    qs = queries(n_queries, data_seed=seed)
    gen_s = time.perf_counter() - t0
    note(f"retrieval {n:,}: data in {gen_s:.1f} s; building the index")
    t0 = time.perf_counter()
    index = make_faiss(data, progress=True)
    build_s = time.perf_counter() - t0
    exact = faiss.IndexFlatIP(DIM)
    exact.add(data)
    _, truth = exact.search(qs, K)
    del exact

    def measure() -> dict:
        found, lat = np.empty((n_queries, K), dtype=np.int64), []
        for i in range(n_queries):  # one question at a time, like the app
            t = time.perf_counter()
            found[i] = index.search(qs[i:i + 1], K)[1][0]
            lat.append((time.perf_counter() - t) * 1000)
        return {"recall_at_10": round(recall_at_k(found, truth), 4), "latency_ms": summary(lat, 3)}

    kind, depth = _kind(index)
    chosen = measure()
    sweep = []
    if depth is not None:
        for d in (1, 2, 4, 8, 16, 32, 64, 128, 256):
            set_search_depth(index, d)
            sweep.append({"depth": d, **measure()})
            if sweep[-1]["recall_at_10"] >= SWEEP_STOP_RECALL:
                break
        set_search_depth(index, depth)
    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(index, f"{tmp}/i.faiss")
        size_mb = round(os.path.getsize(f"{tmp}/i.faiss") / 2**20, 1)
    return {"n": n, "dim": DIM, "queries": n_queries, "index": kind, "depth": depth, "data_s": round(gen_s, 2),
            "build_s": round(build_s, 2), "index_mb": size_mb, **chosen, "sweep": sweep}


def set_search_depth(index, depth: int) -> None:
    """nprobe of an IVF index, efSearch of an HNSW one."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = depth
    elif isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = depth


def _kind(index) -> tuple[str, int | None]:
    """("IVF4000,Flat nprobe", 48)-style description and search depth."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        return f"IVF{index.nlist},Flat", index.nprobe
    if isinstance(index, faiss.IndexHNSW):
        return "HNSW", index.hnsw.efSearch
    return "Flat (exact)", None


def _run_section(name: str, args: dict) -> dict:
    settings = Settings(**args["settings"]) if "settings" in args else None
    if name == "index":
        return section_index(settings)
    if name == "answers":
        return section_answers(settings, args["questions"])
    if name == "floor":
        return section_floor(settings, json.loads(Path(args["prompts_file"]).read_text("utf-8")))
    if name == "cold":
        return section_cold(settings, args["questions"], args.get("runs", 3))
    if name == "retrieval":
        return section_retrieval(args["n"], args.get("queries", 300))
    from . import bench_scale as sc

    if name == "ingest":
        return sc.section_ingest(settings, Path(args["corpus"]), args.get("articles"))
    if name == "stage":
        index_dir = sc.build_stage_index(settings, Path(args["corpus"]), Path(args["stage_index"]))
        return sc.section_stage(settings, index_dir, args["sizes"], args["questions"])
    if name == "full-ingest":
        return sc.section_full_ingest(settings)
    if name == "cold-parts":
        return sc.section_cold_parts(settings, args["question"])
    raise ValueError(f"unknown section {name!r}")


def child_main(argv: list[str]) -> None:
    """`python -m eval.bench section NAME ARGS.json RESULT.json`"""
    _, name, args_file, result_file = argv
    args = json.loads(Path(args_file).read_text("utf-8"))
    t0 = time.perf_counter()
    out = _run_section(name, args)
    out["wall_s"] = round(time.perf_counter() - t0, 2)
    out["peak_rss_mb"] = peak_rss_mb()
    Path(result_file).write_text(json.dumps(out, ensure_ascii=False), "utf-8")


# ---- composing the sections ------------------------------------------------------

def run_section(name: str, args: dict, out: Path) -> dict:
    """One section in a fresh process; its result, or {"error": ...}."""
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        a, r = Path(tmp, "args.json"), Path(tmp, "result.json")
        a.write_text(json.dumps(args, ensure_ascii=False, default=str), "utf-8")
        proc = subprocess.run([sys.executable, "-m", "eval.bench", "section", name, str(a), str(r)], cwd=ROOT)
        if proc.returncode != 0 or not r.exists():
            return {"error": f"the {name} section failed (exit {proc.returncode}); see the messages above"}
        return json.loads(r.read_text("utf-8"))


def machine() -> dict:
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def main(settings: Settings, models: list[str], limit: int | None = None, sizes: list[int] = (10_000, 100_000, 1_000_000),
         skip: set[str] = frozenset(), out: Path | None = None, floor_limit: int = 30, cold_runs: int = 3,
         corpus: Path | None = None, ingest_articles: int | None = 1000, stage_sizes: list[int] = (10_000, 50_000)) -> dict:
    """Run the sections, write <out>/bench.json and bench.md, print a table.
    `corpus` (default: the Reuters subset) feeds the ingest and stage sections."""
    from rag.errors import ModelNotInstalled
    from rag.models import resolve
    from rag.progress import note

    out = Path(out or ROOT / "eval" / "reports" / "bench").resolve()
    out.mkdir(parents=True, exist_ok=True)
    base = settings.model_copy(update={"index_dir": out / "index", "seeds_dir": settings.seeds_dir})  # never the user's index
    questions = gold_questions(limit)
    report: dict = {"out": str(out), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                    "questions": len(questions), "budget": BUDGET, "index": None,
                    "answers": {}, "floor": {}, "cold": {}, "retrieval": {}}
    t0 = time.perf_counter()
    if "index" not in skip:
        note("index: building the shipped articles' index")
        report["index"] = run_section("index", {"settings": base.model_dump(mode="json")}, out)
    for m in models if not {"answers", "cold"} <= skip else []:  # no section needs an LLM
        s = base.model_copy(update={"model": m})
        try:
            resolve(m, s.models_dir)
        except ModelNotInstalled as e:
            report["answers"][m] = {"skipped": str(e)}
            continue
        args = {"settings": s.model_dump(mode="json")}
        if "answers" not in skip:
            note(f"answers: {len(questions)} gold questions, model {m}, warm")
            a = run_section("answers", {**args, "questions": questions}, out)
            prompts = a.pop("prompts", [])
            report["answers"][m] = a
            if "floor" not in skip and prompts:
                pf = out / f"prompts-{m}.json"
                pf.write_text(json.dumps(prompts[:floor_limit], ensure_ascii=False), "utf-8")
                note(f"floor: llama.cpp alone on the first {min(floor_limit, len(prompts))} of those prompts")
                report["floor"][m] = run_section("floor", {**args, "prompts_file": str(pf)}, out)
        if "cold" not in skip:
            note(f"cold: `ask --json --no-server` in a fresh process, model {m}, {cold_runs} runs")
            report["cold"][m] = run_section("cold", {**args, "questions": questions or gold_questions(cold_runs),
                                                     "runs": cold_runs}, out)
    if "retrieval" not in skip:
        for n in sizes:
            note(f"retrieval: {n:,} synthetic chunks")
            report["retrieval"][str(n)] = run_section("retrieval", {"n": n}, out)
    scale(report, base, models, skip, out, corpus, ingest_articles, stage_sizes, limit)
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    report["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["budget_check"] = budget_check(report)
    (out / "bench.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    (out / "bench.md").write_text(markdown(report), "utf-8")
    print_table(report)
    return report


def scale(report: dict, base: Settings, models: list[str], skip: set[str], out: Path, corpus: Path | None,
          ingest_articles: int | None, stage_sizes: list[int], limit: int | None = None) -> None:
    """The scale sections (eval/bench_scale.py) into `report`."""
    from rag.progress import note

    from .goldsets import GOLD_SETS, reuters_corpus

    own = None  # the stage section's index of the corpus: kept beside the Reuters subset, else in `out`
    if corpus is None and not {"ingest", "stage"} <= skip:
        corpus = reuters_corpus(base)
        own = corpus.parent / "index-bench-reuters-subset"
    args = {"settings": base.model_dump(mode="json"), "corpus": str(corpus),
            "stage_index": str(own or out / "index-stage")}
    if "ingest" not in skip:
        note(f"ingest: the torch baseline against `rag ingest`, first {ingest_articles or 'all'} articles of {corpus}")
        report["ingest"] = run_section("ingest", {**args, "articles": ingest_articles}, out)
    if "full-ingest" not in skip:
        note("full-ingest: `rag ingest` of the whole Reuters collection (long; --skip full-ingest)")
        report["full_ingest"] = run_section("full-ingest", args, out)
    if "stage" not in skip:
        qs = [g["question"] for g in GOLD_SETS["reuters"].items()][:limit]
        note(f"stage: the retrieval stage of {len(qs)} questions at {', '.join(f'{n:,}' for n in stage_sizes)} chunks")
        report["stage"] = run_section("stage", {**args, "sizes": list(stage_sizes), "questions": qs}, out)
    if "cold-parts" not in skip and report.get("index"):
        report["cold_parts"] = {m: run_section("cold-parts", {"settings": base.model_copy(update={"model": m}).model_dump(
            mode="json"), "question": (gold_questions(1) or ["what tariff rate?"])[0]}, out) for m in models}


def _get(d: dict | None, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def budget_check(report: dict, model: str = "default") -> list[dict]:
    """The issue's latency budget against what was measured (None: not run)."""
    a, f, c = (report[k].get(model) for k in ("answers", "floor", "cold"))
    big = report["retrieval"].get(str(max(map(int, report["retrieval"]), default=0)))
    big_n = _get(big, "n")
    rows = [
        ("warm answer p50, all questions (s)", "<", BUDGET["warm_p50_s"], _get(a, "latency_s", "p50")),
        ("warm answer p50, questions that reached the LLM (s)", "<", BUDGET["warm_p50_s"], _get(a, "latency_llm_answers_s", "p50")),
        ("time to first token p50 (s)", "<", BUDGET["ttft_p50_s"], _get(a, "ttft_s", "p50")),
        ("pipeline overhead over llama.cpp alone", "<", BUDGET["overhead_ratio"], _get(f, "overhead_ratio")),
        ("`ask --help` p50 (s)", "<", BUDGET["help_s"], _get(c, "help_s", "p50")),
        (f"retrieval p50 at {big_n or 1_000_000:,} chunks (ms)", "<", BUDGET["retrieval_p50_ms_1m"],
         _get(big, "latency_ms", "p50")),
        (f"recall@10 at {big_n or 1_000_000:,} chunks", ">=", BUDGET["recall_at_10_1m"], _get(big, "recall_at_10")),
    ]
    out = []
    for what, op, limit, got in rows:
        ok = None if got is None else (got < limit if op == "<" else got >= limit)
        out.append({"what": what, "budget": f"{op} {limit:g}", "measured": got, "ok": ok})
    return out


def _f(x, unit: str = "") -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.0f}{unit}" if abs(x) >= WHOLE_FROM else f"{x:.3g}{unit}"
    return f"{x:,}{unit}"


def _table(header: list[str], rows: dict, cells) -> list[str]:
    """Markdown table lines: one row per (name, result) in `rows`, drawn by
    `cells(name, result) -> list[str]`; a failed or skipped result gets its reason."""
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for name, x in rows.items():
        why = x.get("error") or x.get("skipped")
        row = [str(name), why] + [""] * (len(header) - 2) if why else cells(name, x)
        out.append("| " + " | ".join(row) + " |")
    return out


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [f"# rag bench, {r['created']}", "",
             f"{m['cpus']} CPUs ({m['cpu']}), load average {m['load_avg_at_start']} at start, "
             f"{m.get('load_avg_at_end')} at end; {r['questions']} gold questions; {r['wall_s']} s in all.", "",
             "## Budget (`default` model)", ""]
    lines += _table(["what", "budget", "measured", "met"], {b["what"]: b for b in r["budget_check"]},
                    lambda w, b: [w, b["budget"], _f(b["measured"]), "-" if b["ok"] is None else "yes" if b["ok"] else "no"])
    lines += ["", "## Answers (warm: models loaded once)", ""]
    lines += _table(["model", "questions", "reached LLM", "p50 s", "p90 s", "reached LLM p50 s", "TTFT p50 s", "TTFT p90 s",
                     "LLM p50 s", "prompt tokens p50", "output tokens p50", "load s", "peak MB"], r["answers"],
                    lambda n, a: [n, _f(a["questions"]), _f(a["llm_called"]), _f(a["latency_s"]["p50"]),
                                  _f(a["latency_s"]["p90"]), _f(a["latency_llm_answers_s"]["p50"]), _f(a["ttft_s"]["p50"]),
                                  _f(a["ttft_s"]["p90"]), _f(a["llm_s"]["p50"]), _f(a["prompt_tokens"]["p50"]),
                                  _f(a["output_tokens"]["p50"]), _f(a["load_s"]), _f(a["peak_rss_mb"])])
    lines += ["", "## Floor: llama.cpp alone on the same prompts, same order", ""]
    lines += _table(["model", "prompts", "floor p50 s", "floor TTFT p50 s", "floor total s", "pipeline total s",
                     "overhead", "peak MB"], r["floor"],
                    lambda n, f: [n, _f(f["questions"]), _f(f["floor_s"]["p50"]), _f(f["floor_ttft_s"]["p50"]),
                                  _f(f["floor_total_s"]), _f(f["pipeline_total_s"]), f"{f['overhead_ratio']:+.1%}",
                                  _f(f["peak_rss_mb"])])
    lines += ["", "## Cold `ask --json --no-server` (a fresh process, index built)", ""]
    lines += _table(["model", "runs (s)", "p50 s", "`ask --help` p50 s", "peak MB of `ask`"], r["cold"],
                    lambda n, c: [n, ", ".join(_f(x["wall_s"]) for x in c["rows"]), _f(c["cold_s"]["p50"]),
                                  _f(c["help_s"]["p50"]), _f(c["ask_peak_rss_mb"])])
    i = r.get("index")
    if i and "error" not in i:
        lines += ["", "## Index of the shipped articles", "",
                  f"{i['articles']} articles, {i['chunks']} chunks: built in {i['build_s']} s "
                  f"({i['chunks_per_s']} chunks/s) after {i['embedder_load_s']} s loading the embedder; "
                  f"peak {i['peak_rss_mb']} MB."]
    lines += ["", "## Retrieval on synthetic clustered corpora (384-d, single queries, recall@10 vs exact search)", ""]
    lines += _table(["chunks", "index", "nprobe", "build s", "p50 ms", "p90 ms", "recall@10", "index MB", "peak MB"],
                    {f"{int(n):,}": x for n, x in r["retrieval"].items()},
                    lambda n, x: [n, x["index"], _f(x["depth"]), _f(x["build_s"]), _f(x["latency_ms"]["p50"]),
                                  _f(x["latency_ms"]["p90"]), _f(x["recall_at_10"]), _f(x["index_mb"]),
                                  _f(x["peak_rss_mb"])])
    sweeps = [(n, x) for n, x in r["retrieval"].items() if x.get("sweep")]
    if sweeps:
        lines += ["", "Probe depth against recall@10 and p50 latency (ms):", ""]
        for n, x in sweeps:
            lines.append(f"- {int(n):,}: " + "; ".join(f"nprobe {s['depth']}: {s['recall_at_10']:.3f}, "
                                                        f"{s['latency_ms']['p50']:.2f} ms" for s in x["sweep"]))
    lines += ["", SYNTHETIC_NOTE, ""]
    from .bench_scale import markdown as scale_markdown

    lines += scale_markdown(r) + [""]
    return "\n".join(lines)


SYNTHETIC_NOTE = (
    "The synthetic corpora are clustered, not uniform: uniform random vectors in 384 dimensions are all nearly "
    "orthogonal, so their nearest neighbours are hardly nearer than any other point and no index can find them, "
    "unlike on text. Each of 200 topics spreads its points along its own 48 dimensions (text embeddings have a low "
    "intrinsic dimension), a point's cosine with its topic's centre is about 0.7, and the questions are fresh points "
    "of the same topics.")


def print_table(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="rag bench: the budget (default model)")
    for col in ("what", "budget", "measured", "met"):
        t.add_column(col)
    for b in r["budget_check"]:
        t.add_row(b["what"], b["budget"], _f(b["measured"]),
                  "-" if b["ok"] is None else "[green]yes[/green]" if b["ok"] else "[red]no[/red]")
    Console().print(t)


if __name__ == "__main__":
    if len(sys.argv) == len(["bench", "section", "NAME", "ARGS", "RESULT"]) and sys.argv[1] == "section":
        child_main(sys.argv[1:])
    else:
        sys.exit("usage: python -m eval.bench section NAME ARGS.json RESULT.json (or run `rag bench`)")
