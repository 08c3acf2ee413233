"""`rag bench`: its helpers, the FAISS index chosen by size, and one run of
the whole command on the tiny model with small corpora."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from eval import bench
from rag import store
from rag.settings import ROOT

SEEDS = ROOT / "seeds"


def test_percentile_nearest_rank_worked_by_hand():
    xs = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert bench.percentile(xs, 0.5) == 3.0
    assert bench.percentile(xs, 0.9) == 5.0  # ceil(0.9 * 5) = 5th of 5
    assert bench.percentile(xs, 0.2) == 1.0
    assert bench.percentile([], 0.5) == 0.0
    assert bench.summary([1.0, 2.0, 3.0, 10.0]) == {"n": 4, "p50": 2.0, "p90": 10.0, "mean": 4.0}


def test_recall_at_k_counts_shared_ids_and_ignores_missing():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    assert bench.recall_at_k(truth.copy(), truth) == 1.0
    found = np.array([[4, 3, 9, -1], [-1, -1, -1, -1]])  # 2 of 4, then none
    assert bench.recall_at_k(found, truth) == 0.25
    assert bench.recall_at_k(np.array([[2, 2, 2, 2]]), truth[:1]) == 0.25  # a repeated id counts once


def test_synthetic_corpus_is_clustered_unit_vectors_and_queries_are_new_points():
    x = bench.clustered(3000, seed=3)
    q = bench.queries(20, data_seed=3)
    assert x.shape == (3000, bench.DIM) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)
    assert np.array_equal(x, bench.clustered(3000, seed=3))  # reproducible
    best = (q @ x.T).max(axis=1)
    assert best.min() > 0.3  # each question has neighbours on its topic ...
    assert best.max() < 0.999  # ... but is not a copy of a corpus point
    rnd = np.random.default_rng(0).standard_normal((20, bench.DIM))
    rnd /= np.linalg.norm(rnd, axis=1, keepdims=True)
    assert (rnd @ x.T).max(axis=1).mean() < best.mean() - 0.2  # unlike uniform random directions


def test_index_type_by_size_and_nprobe_survives_a_round_trip(tmp_path):
    import faiss

    small = bench.clustered(500)
    assert isinstance(store.make_faiss(small), faiss.IndexFlatIP)
    assert store.ivf_lists(1_000_000) == 4000
    data = bench.clustered(6000)
    ivf = store.make_faiss(data, flat_max=5000)
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.ntotal == 6000
    assert ivf.nlist == store.ivf_lists(6000) and ivf.nprobe >= 16
    faiss.write_index(ivf, str(tmp_path / "i.faiss"))
    back = faiss.read_index(str(tmp_path / "i.faiss"))
    assert back.nprobe == ivf.nprobe  # what the app searches with after a reload
    q = bench.queries(50)
    exact = faiss.IndexFlatIP(bench.DIM)
    exact.add(data)
    assert bench.recall_at_k(back.search(q, 10)[1], exact.search(q, 10)[1]) >= 0.95


def test_budget_check_marks_missing_and_failed_figures():
    report = {"answers": {"default": {"latency_s": {"p50": 4.0}, "latency_llm_answers_s": {"p50": 7.0},
                                      "ttft_s": {"p50": 2.0}}},
              "floor": {}, "cold": {"default": {"help_s": {"p50": 0.3}}},
              "retrieval": {"1000000": {"n": 1_000_000, "latency_ms": {"p50": 2.0}, "recall_at_10": 0.9}}}
    got = {b["what"].split(" (")[0]: b["ok"] for b in bench.budget_check(report)}
    assert got["warm answer p50, all questions"] is True
    assert got["warm answer p50, questions that reached the LLM"] is False
    assert got["pipeline overhead over llama.cpp alone"] is None  # not run
    assert got["recall@10 at 1,000,000 chunks"] is False


@pytest.mark.slow
def test_rag_bench_smoke_on_tiny_model(tmp_path):
    out = tmp_path / "bench"
    r = subprocess.run([os.path.join(os.path.dirname(sys.executable), "rag"), "bench", "--models", "tiny",
                        "--limit", "2", "--sizes", "2000,60000", "--floor-limit", "2", "--out", str(out),
                        "--skip", "full-ingest", "--corpus", str(SEEDS), "--ingest-articles", "3",
                        "--stage-sizes", "300"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    j = json.loads((out / "bench.json").read_text())
    md = (out / "bench.md").read_text()
    assert j["index"]["chunks"] > 0 and j["index"]["chunks_per_s"] > 0 and j["index"]["peak_rss_mb"] > 0
    a = j["answers"]["tiny"]
    assert a["questions"] == 2 and all(row["total_s"] > 0 for row in a["rows"])
    if a["llm_called"]:
        assert 0 < a["ttft_s"]["p50"] <= a["latency_llm_answers_s"]["p90"] and a["prompt_tokens"]["p50"] > 0
        assert j["floor"]["tiny"]["floor_total_s"] > 0
    c = j["cold"]["tiny"]
    assert len(c["rows"]) == 2 and all(x["wall_s"] > 0 for x in c["rows"]) and c["help_s"]["p50"] > 0
    small, big = j["retrieval"]["2000"], j["retrieval"]["60000"]
    assert small["index"].startswith("Flat") and small["recall_at_10"] == 1.0  # exact search
    assert big["index"].startswith("IVF") and 0.0 <= big["recall_at_10"] <= 1.0 and big["sweep"]
    assert big["latency_ms"]["p50"] > 0 and big["peak_rss_mb"] > 0
    assert {b["what"] for b in j["budget_check"]} and "## Budget" in md and "| tiny |" in md
    i = j["ingest"]
    assert i["articles"] == 3 and i["chunks"] > 0 and i["torch_chunks_per_s"] > 0 and i["ingest_chunks_per_s"] > 0
    assert i["ratio"] > 0 and "## Ingest" in md
    st = j["stage"]["sizes"]["300"]
    assert st["tiled"] and st["latency_ms"]["p50"] > 0 and "## Retrieval stage" in md
    parts = j["cold_parts"]["tiny"]
    assert all(parts[k] >= 0 for k in ("imports_s", "index_load_s", "embedder_load_s", "llm_load_s", "retrieval_s",
                                      "prompt_to_first_token_s"))
    assert "full_ingest" not in j


@pytest.mark.slow
def test_rag_eval_ablate_turns_each_mechanism_off_in_its_row(tmp_path):
    from eval.ablate import ABLATIONS, ablate
    from rag.settings import Settings

    r = ablate(Settings(model="tiny", index_dir=tmp_path / "index", seeds_dir=SEEDS), "seeds", limit=4,
               out_dir=tmp_path / "out")
    rows = r["rows"]
    assert list(rows) == ["all on", *(name for name, _, _ in ABLATIONS), "nothing checked"]
    assert all(row["n"] == 4 for row in rows.values())
    assert "fallback" not in rows["extractive fallback"]["decided_by"]
    assert rows["disagreements"]["false_disagreement_rate"] == 0 == rows["disagreements"]["disagreement_recall"]
    assert set(rows["nothing checked"]["decided_by"]) <= {"llm", "abstain after llm"}  # no gate, no fallback
    gated = rows["all on"]["decided_by"].get("gate", 0)
    assert rows["name gate"]["decided_by"].get("gate", 0) <= gated  # only off-topic questions are stopped
    h = r["headroom"]  # a perfect check can keep any row's right answer, so no row beats the headroom
    assert h["answerable"] > 0 and all(row["accuracy"] <= h["right_in_some_row"] <= 1 for row in rows.values())
    assert rows["all on"]["recall_at_k"] == h["gold_passage_read"]  # top_k 4 passages, recall counted at 5: the same
    assert 0 < h["gold_n"] <= h["answerable"] and 0 <= h["right_on_gold_chunks"] + h["refused_on_gold_chunks"] <= 1
    md = (tmp_path / "out" / "ablation.md").read_text()
    assert "| name gate off |" in md and "| nothing checked |" in md and "Headroom:" in md and "only the chunks" in md
