"""`rag bench` sections on scale (issue #16), each run in its own process by
eval/bench.py:

- ingest: the raw rate of plain sentence-transformers (torch, fp32) on the
  chunk texts of a collection, embedded 64 at a time in document order as
  ingest used to, against the full ingest (read, chunk, embed chunks and
  sentences, write the index) with the product's embedder; the ratio;
- stage: the retrieval stage of a question (question embedding, FAISS, BM25,
  sentence ranking, packing) at 10k and 50k real chunks, p50/p90;
- full-ingest: `rag ingest` of the whole Reuters collection in a fresh
  process: time and peak memory (long; skip it with --skip full-ingest);
- cold-parts: a cold `ask` taken apart in one fresh process: imports, index
  load, embedder load, LLM load, retrieval, prompt to the first token.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.settings import ROOT, Settings

CACHE = ROOT / "eval" / ".cache"
TORCH_BATCH = 64  # what `rag ingest` used per call before the ONNX embedder (settings.embed_batch)


def summary(xs: list[float], digits: int = 2) -> dict:
    from .scoring import percentile

    return {"n": len(xs), "p50": round(percentile(xs, 0.5), digits), "p90": round(percentile(xs, 0.9), digits)}


def reuters_all() -> Path:
    """The whole Reuters-21578 collection as article files, converted once."""
    from . import reuters

    out = CACHE / "reuters-all"
    stamp = out / ".converted.json"
    if not stamp.exists():
        n = reuters.convert(reuters.SOURCE, out)
        stamp.write_text(json.dumps({"articles": n}), "utf-8")
    return out


def _first_articles(corpus: Path, n: int | None, into: Path) -> Path:
    """A folder with the first n article files of `corpus` (by name), linked."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in {".txt", ".md", ".html"})[:n]
    into.mkdir(parents=True, exist_ok=True)
    for p in files:
        (into / p.relative_to(corpus)).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(p.resolve(), into / p.relative_to(corpus))
    return into


def section_ingest(settings: Settings, corpus: Path, n_articles: int | None) -> dict:
    """Torch baseline vs the full ingest on the same chunk texts."""
    from rag import indexing
    from rag.chunking import chunk_document
    from rag.corpus import load_paths
    from rag.embed import MINILM_TORCH, SentenceTransformerEmbedder, embedder_for

    with tempfile.TemporaryDirectory() as tmp:
        folder = _first_articles(corpus, n_articles, Path(tmp) / "articles")
        docs = load_paths([folder], settings.max_file_bytes).documents
        texts = [c.text for d in docs for c in chunk_document(d, settings.chunk_tokens, settings.chunk_overlap)]
        emb = embedder_for(settings)
        t0 = time.perf_counter()
        emb.warm_up()
        load_s = time.perf_counter() - t0
        s = settings.model_copy(update={"index_dir": Path(tmp) / "index"})
        t0, c0 = time.perf_counter(), time.process_time()
        idx = indexing.rebuild(s, emb, [folder])
        ingest_s, ingest_cpu = time.perf_counter() - t0, time.process_time() - c0
        n = len(idx.chunks)
        n_sent = len(idx.sentences.vectors)
        del idx
        t0, c0 = time.perf_counter(), time.process_time()
        emb.embed(texts)  # the same chunk texts, embedding only: the embedder's own speed-up
        embed_s, embed_cpu = time.perf_counter() - t0, time.process_time() - c0
    torch = SentenceTransformerEmbedder(MINILM_TORCH, batch_size=TORCH_BATCH)
    t0 = time.perf_counter()
    torch.warm_up()
    torch_load_s = time.perf_counter() - t0
    torch.embed(texts[:8])
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), TORCH_BATCH):
        torch.embed(texts[i:i + TORCH_BATCH])
    base_s, base_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"articles": len(docs), "chunks": len(texts), "sentences": n_sent, "embedder": emb.id,
            "torch_load_s": round(torch_load_s, 2), "embedder_load_s": round(load_s, 2),
            "torch_s": round(base_s, 1), "torch_cpu_s": round(base_cpu, 1),
            "torch_chunks_per_s": round(len(texts) / base_s, 1),
            "ingest_s": round(ingest_s, 1), "ingest_cpu_s": round(ingest_cpu, 1),
            "ingest_chunks_per_s": round(n / ingest_s, 1),
            "embed_only_s": round(embed_s, 1), "embed_only_cpu_s": round(embed_cpu, 1),
            "embed_only_chunks_per_s": round(len(texts) / embed_s, 1), "embed_only_ratio_cpu": round(base_cpu / embed_cpu, 2),
            "ratio": round(base_s / ingest_s * n / len(texts), 2),
            "ratio_cpu": round(base_cpu / ingest_cpu * n / len(texts), 2)}


def scaled_index(idx, n: int):
    """An in-memory index of n chunks: the first n of `idx`, or all of them
    repeated (ids made distinct) when it holds fewer. Texts and vectors are
    the real ones."""
    from dataclasses import replace

    from rag.store import Index, SentenceVectors, make_faiss
    from rag.text import content_words, load_bm25s

    bm25s = load_bm25s()

    m = len(idx.chunks)
    pick = [i % m for i in range(n)]
    chunks = [c if i < m else replace(c, id=f"{c.id}-{i // m}") for i, c in zip(range(n), (idx.chunks[j] for j in pick))]
    vectors = np.ascontiguousarray(idx.vectors[pick])
    sv = idx.sentences.subset(pick)
    bm = bm25s.BM25()
    bm.index([content_words(c.text) or ["_"] for c in chunks], show_progress=False)
    return Index(idx.root, idx.manifest, idx.docs, chunks, vectors, make_faiss(vectors), bm,
                 SentenceVectors(sv.vectors, sv.offsets, sv.rows))


def section_stage(settings: Settings, index_dir: Path, sizes: list[int], questions: list[str]) -> dict:
    """The retrieval stage (`pipeline.gather_evidence`) at each size."""
    from rag import indexing, store
    from rag.embed import embedder_for
    from rag.pipeline import gather_evidence
    from rag.question import clean_question

    emb = embedder_for(settings)
    emb.warm_up()
    idx = store.Index.load(index_dir, indexing.index_params(settings, emb))
    out = {"source": str(index_dir), "real_chunks": len(idx.chunks), "sizes": {}}
    for n in sizes:
        big = scaled_index(idx, n)
        for q in questions[:3]:  # warm caches
            gather_evidence(clean_question(q, settings.max_question_chars), big, emb, settings)
        lat = []
        for q in questions:
            t = time.perf_counter()
            gather_evidence(clean_question(q, settings.max_question_chars), big, emb, settings)
            lat.append((time.perf_counter() - t) * 1000)
        out["sizes"][str(n)] = {"chunks": n, "tiled": n > len(idx.chunks), "questions": len(lat),
                                "latency_ms": summary(lat, 1)}
    return out


def build_stage_index(settings: Settings, corpus: Path, own: Path) -> Path:
    """The index the stage section searches: the whole-collection index when
    the full-ingest section built one, else an index of `corpus` in `own`,
    built once."""
    from rag import indexing, store
    from rag.embed import embedder_for

    for d in (CACHE / "index-reuters-all", own):
        if store.exists(d):
            try:
                store.Index.load(d, indexing.index_params(settings, embedder_for(settings)))
                return d
            except Exception:  # another embedder or format: build ours
                continue
    indexing.rebuild(settings.model_copy(update={"index_dir": own}), embedder_for(settings), [corpus])
    return own


def section_full_ingest(settings: Settings) -> dict:
    """`rag ingest` of the whole collection, from scratch, in a fresh process."""
    corpus = reuters_all()
    index_dir = CACHE / "index-reuters-all"
    shutil.rmtree(index_dir, ignore_errors=True)
    rag = str(Path(sys.executable).with_name("rag"))
    env = {**os.environ, "RAG_EMBEDDER": settings.embedder}
    t0 = time.perf_counter()
    r = subprocess.run([rag, "ingest", str(corpus), "--index", str(index_dir)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"rag ingest failed: {r.stderr.strip()[-300:]}")
    m = json.loads((index_dir / "current" / "manifest.json").read_text("utf-8"))
    return {"articles": m["n_docs"], "chunks": m["n_chunks"], "ingest_s": round(wall, 1),
            "chunks_per_s": round(m["n_chunks"] / wall, 1),
            "ingest_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


COLD_PARTS = r"""
import json, sys, time
t0 = time.perf_counter(); marks = {}
def mark(k):
    global t0
    now = time.perf_counter(); marks[k] = round(now - t0, 3); t0 = now
from rag import indexing, store
from rag.embed import embedder_for
from rag.llm import make_llm
from rag.pipeline import gather_evidence, token_counter
from rag.prompts import fit
from rag.question import clean_question
from rag.settings import Settings
mark("imports_s")
s = Settings(**json.loads(sys.argv[1]))
emb = embedder_for(s)
idx = store.Index.load(s.index_dir, indexing.index_params(s, emb))
mark("index_load_s")
emb.warm_up()
mark("embedder_load_s")
llm = make_llm(s)
llm.warm_up()
mark("llm_load_s")
ev = gather_evidence(clean_question(sys.argv[2], s.max_question_chars), idx, emb, s)
mark("retrieval_s")
msgs, _ = fit(ev.question.text, ev.passages, token_counter(llm), s.n_ctx, s.max_answer_tokens)
next(iter(llm.stream(msgs, s.max_answer_tokens)), None)
mark("prompt_to_first_token_s")
print(json.dumps(marks))
"""


def section_cold_parts(settings: Settings, question: str) -> dict:
    """A cold `ask` taken apart, in a fresh process (the index already built)."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", COLD_PARTS, settings.model_dump_json(), question],
                       capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"cold parts failed: {r.stderr.strip()[-300:]}")
    parts = json.loads(r.stdout.strip().splitlines()[-1])
    return {"model": settings.model, **parts, "process_s": round(wall, 2),
            "python_start_s": round(wall - sum(parts.values()), 2)}


def markdown(r: dict) -> list[str]:
    """The scale sections of bench.md."""
    lines = []
    i = r.get("ingest")
    if i and "error" not in i:
        lines += ["", "## Ingest: the torch baseline against the full `rag ingest`, same chunk texts", "",
                  f"{i['articles']:,} articles, {i['chunks']:,} chunks ({i['sentences']:,} distinct sentences, "
                  "embedded too, so questions embed only themselves).", "",
                  "| | wall s | CPU s | chunks/s |", "| --- | --- | --- | --- |",
                  f"| sentence-transformers, torch fp32, embedding only | {i['torch_s']} | {i['torch_cpu_s']} | {i['torch_chunks_per_s']} |",
                  f"| {i['embedder']}, embedding only | {i['embed_only_s']} | {i['embed_only_cpu_s']} | {i['embed_only_chunks_per_s']} |",
                  f"| `rag ingest` ({i['embedder']}), read to written, sentences too | {i['ingest_s']} | {i['ingest_cpu_s']} | {i['ingest_chunks_per_s']} |",
                  "", f"Ratio (target >= 3): {i['ratio']} by wall clock, {i['ratio_cpu']} by CPU time. "
                  f"Loading: torch {i['torch_load_s']} s, the ONNX embedder {i['embedder_load_s']} s."]
    st = r.get("stage")
    if st and "error" not in st:
        lines += ["", f"## Retrieval stage of a question (embedding included), {st['real_chunks']:,} real chunks", "",
                  "| chunks | questions | p50 ms | p90 ms |", "| --- | --- | --- | --- |"]
        for n, x in st["sizes"].items():
            lines.append(f"| {int(n):,}{' (real chunks repeated)' if x['tiled'] else ''} | {x['questions']} | "
                         f"{x['latency_ms']['p50']} | {x['latency_ms']['p90']} |")
    f = r.get("full_ingest")
    if f and "error" not in f:
        lines += ["", "## The whole Reuters collection", "",
                  f"`rag ingest`: {f['articles']:,} articles, {f['chunks']:,} chunks in {f['ingest_s']} s "
                  f"({f['chunks_per_s']} chunks/s), peak {f['ingest_peak_rss_mb']} MB."]
    for m, c in (r.get("cold_parts") or {}).items():
        if "error" not in c:
            lines += ["", f"## Cold `ask`, taken apart ({m})", "",
                      " | ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v} s" for k, v in c.items()
                                 if k.endswith("_s"))]
    return lines
