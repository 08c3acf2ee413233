"""The eval harness: runs the real pipeline on a gold set and scores it.

`rag eval` writes eval/reports/<gold set>-<model>/report.{json,md} and
scores.png: the product's row, an extractive no-LLM baseline row and the
model's unchecked answers, each scored overall and per split (dev/test), and
compares the test split (the whole set where there is no split) to
eval/thresholds.toml."""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import scoring as S

HERE = Path(__file__).resolve().parent
GOLD = HERE / "gold.jsonl"
THRESHOLDS = HERE / "thresholds.toml"
ANSWERABLE = {"fact", "multi", "conflict"}
METRICS = ["recall_at_k", "mrr", "accuracy", "token_f1", "citation_precision", "citation_coverage",
           "refusal_precision", "refusal_recall", "refusal_f1", "conflict_coverage"]
# the figures issue #15 asks for, per gold set and split
TRUST = ["accuracy", "refusal_accuracy", "false_refusal_rate", "disagreement_recall", "false_disagreement_rate",
         "citation_precision"]


def load_gold(path: Path = GOLD) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def decided_by(out: dict) -> str:
    """Which stage made the outcome: the gate (no LLM call), the model's
    checked answer, the extractive fallback, or an abstention after the
    model (a refusal, or nothing it wrote survived the check)."""
    if not out["abstained"]:
        return "fallback" if out.get("mode") == "extract" else "llm"
    return "abstain after llm" if out.get("prompt_tokens") else "gate"


def disagreement_shown(out: dict, versions: list[dict]) -> bool:
    """Every version is named in the answer and held by a cited passage."""
    cited = " ".join(c["text"] for c in out["citations"])
    return bool(versions) and not out["abstained"] and all(
        S.any_alias(out["answer"], v["answers"]) and S.any_alias(cited, v["answers"]) for v in versions)


@dataclass
class Row:
    item: dict
    out: dict  # the ask --json object

    @property
    def answerable(self) -> bool:
        return self.item["kind"] in ANSWERABLE

    @property
    def right(self) -> bool:
        """Answered (not refused), naming a gold answer."""
        return not self.out["abstained"] and S.any_alias(self.out["answer"], self.item["answers"])

    @property
    def gold_rank(self) -> int | None:
        """The first passage holding a gold quote (1-based), if any does."""
        return S.first_rank([p["text"] for p in self.out["passages"]], [q["text"] for q in self.item["quotes"]])


def score(rows: list[Row], k: int = 5) -> dict:
    """All metrics over the rows of one system."""
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]
    ranks = [r.gold_rank for r in ans]
    answered = [r for r in ans if not r.out["abstained"]]
    cites = [(r, c) for r in answered for c in r.out["citations"]]
    valid = [S.citation_valid(c["text"], [q["text"] for q in r.item["quotes"]], r.item["answers"]) for r, c in cites]
    covered = [any(S.citation_valid(c["text"], [q["text"] for q in r.item["quotes"]], r.item["answers"])
                   for c in r.out["citations"]) for r in answered]
    tp = sum(r.out["abstained"] for r in una)
    fp = sum(r.out["abstained"] for r in ans)
    rp, rr, rf = S.prf(tp, fp, len(una) - tp)
    conflicts = [r for r in rows if r.item["kind"] == "conflict"]
    lat = [r.out["timings_ms"]["total"] for r in rows]
    plain = [r for r in rows if r.item["kind"] != "conflict" and not r.out["abstained"]]
    stages: dict[str, int] = {}
    for r in rows:
        stages[decided_by(r.out)] = stages.get(decided_by(r.out), 0) + 1
    return {
        "n": len(rows),
        "recall_at_k": S.mean([x is not None and x <= k for x in ranks]),
        "mrr": S.mean([1 / x if x else 0.0 for x in ranks]),
        "accuracy": S.mean([r.right for r in ans]),
        "token_f1": S.mean([S.token_f1(r.out["answer"], r.item["answers"]) for r in ans]),
        "citation_precision": S.mean(valid),
        "citation_coverage": S.mean(covered) if answered else 0.0,
        "refusal_precision": rp, "refusal_recall": rr, "refusal_f1": rf,
        "hallucinations": len(una) - tp,
        "false_refusals": fp,
        "conflict_coverage": S.mean([S.versions_covered(r.out["answer"], [v["answers"] for v in r.item["versions"]])
                                     for r in conflicts]),
        "conflicts_flagged": S.mean([bool(r.out["conflicts"]) for r in conflicts]),
        "refusal_accuracy": S.mean([r.out["abstained"] for r in una]),
        "false_refusal_rate": S.mean([r.out["abstained"] for r in ans]),
        "disagreement_recall": S.mean([disagreement_shown(r.out, r.item["versions"]) for r in conflicts]),
        "false_disagreement_rate": S.mean([bool(r.out["conflicts"]) for r in plain]),
        "decided_by": stages,
        "latency_p50_ms": S.percentile(lat, 0.5), "latency_p90_ms": S.percentile(lat, 0.9),
        "prompt_tokens_mean": S.mean([r.out.get("prompt_tokens", 0) for r in rows]),
    }


def failed(row: Row) -> str | None:
    """Why an item failed, or None."""
    if not row.answerable:
        return None if row.out["abstained"] else "answered an unanswerable question"
    if row.out["abstained"]:
        return "refused an answerable question"
    if row.item["kind"] == "conflict" and not S.versions_covered(row.out["answer"], [v["answers"] for v in row.item["versions"]]):
        return "did not name every version"
    if not row.right:
        return "wrong answer"
    return None


def run_system(gold: list[dict], answer_one, progress=None) -> list[Row]:
    """Each gold question through `answer_one(question) -> Answer`."""
    rows = []
    for item in gold:
        rows.append(Row(item, answer_one(item["question"]).to_json()))
        if progress:
            progress(1)
    return rows


class CachedLLM:
    """For development only (`rag eval --llm-cache`): the model's reply to
    the exact same messages comes from a file instead of llama.cpp. At
    temperature 0 the reply is the same, so the stages after the model can be
    changed and re-scored in seconds. Never used by CI or the product."""

    def __init__(self, llm, path: Path):
        self.llm, self.path = llm, path
        self.id = llm.id
        self.last_usage: dict = {}
        self.hits = 0
        self.cache: dict[str, dict] = {}
        if path.is_file():
            for line in path.read_text("utf-8").splitlines():
                row = json.loads(line)
                self.cache[row["key"]] = row

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def yes_probability(self, messages: list[dict]) -> float | None:
        import hashlib

        key = "yes:" + hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        if key not in self.cache:
            self.cache[key] = {"key": key, "p": self.llm.yes_probability(messages)}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(self.cache[key]) + "\n")
        return self.cache[key]["p"]

    def stream(self, messages: list[dict], max_tokens: int):
        import hashlib

        key = hashlib.sha256(json.dumps([messages, max_tokens], sort_keys=True).encode()).hexdigest()
        if key in self.cache:
            self.hits += 1
            self.last_usage = self.cache[key]["usage"]
            yield self.cache[key]["reply"]
            return
        pieces = list(self.llm.stream(messages, max_tokens))
        self.last_usage = dict(self.llm.last_usage)
        self.cache[key] = {"key": key, "reply": "".join(pieces), "usage": self.last_usage}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(self.cache[key], ensure_ascii=False) + "\n")
        yield from pieces


def load(settings, gold_set: str, split: str | None, limit: int | None, llm_cache: bool):
    """A gold set's items (its `split`, the first `limit`), the settings that
    search its collection, and its warm index, embedder and LLM (replies
    from eval/.cache/llm/ with `llm_cache`)."""
    from rag.service import Assistant

    from .goldsets import GOLD_SETS

    gs = GOLD_SETS[gold_set]
    gold = gs.items(split)[:limit] if limit else gs.items(split)
    settings = gs.settings(settings)
    assistant = Assistant(settings)
    assistant.warm_up()
    llm = assistant.llm()
    if llm_cache:
        llm = CachedLLM(llm, HERE / ".cache" / "llm" / f"{model_slug(settings)}.jsonl")
    return gold, settings, assistant.index, assistant.embedder, llm


def model_slug(settings) -> str:
    """The model's name as a file or folder name (a GGUF path has slashes)."""
    return settings.model.replace("/", "_")


def evaluate(settings, gold_set: str = "seeds", split: str | None = None, limit: int | None = None,
             baseline: bool = True, unchecked: bool = True, llm_cache: bool = False,
             out_dir: Path | None = None) -> dict:
    """Run a gold set (or one split of it) through the real pipeline, the
    extractive baseline and the model's unchecked answers; score each system
    overall and per split; write the reports; return the report."""
    from rag.pipeline import answer, answer_unchecked
    from rag.progress import progress_bar

    gold, settings, index, embedder, llm = load(settings, gold_set, split, limit, llm_cache)
    systems: dict[str, list[Row]] = {}
    t0 = time.perf_counter()
    if baseline:
        with progress_bar("eval: extractive baseline", total=len(gold)) as adv:
            systems["extractive (no LLM)"] = run_system(
                gold, lambda q: answer(q, index, embedder, None, settings), adv)
    if unchecked:
        with progress_bar(f"eval: {llm.id}, unchecked", total=len(gold)) as adv:
            systems[f"{llm.id}, unchecked (before)"] = run_system(
                gold, lambda q: answer_unchecked(q, index, embedder, llm, settings), adv)
    with progress_bar(f"eval: {llm.id}", total=len(gold)) as adv:
        systems[llm.id] = run_system(gold, lambda q: answer(q, index, embedder, llm, settings), adv)
    splits = sorted({r.item.get("split") for r in systems[llm.id]} - {None})
    report = {
        "gold_set": gold_set, "split": split or "all", "model": llm.id, "model_key": settings.model,
        "n_items": len(gold), "n_articles": len(index.docs), "n_chunks": len(index.chunks),
        "wall_s": round(time.perf_counter() - t0, 1),
        "settings": json.loads(settings.model_dump_json()),
        "systems": {name: score(rows) for name, rows in systems.items()},
        "splits": {sp: {name: score([r for r in rows if r.item.get("split") == sp]) for name, rows in systems.items()}
                   for sp in splits},
        "failures": [{"id": r.item["id"], "kind": r.item["kind"], "split": r.item.get("split"),
                      "question": r.item["question"], "why": failed(r), "decided_by": decided_by(r.out),
                      "answer": r.out["answer"], "expected": r.item["answers"]}
                     for r in systems[llm.id] if failed(r)],
        "items": [{"id": r.item["id"], "decided_by": decided_by(r.out),
                   **{k: r.out[k] for k in ("answer", "abstained", "mode", "relevance", "confidence", "timings_ms", "prompt_tokens", "notes", "raw")
                      if k in r.out},
                   "conflicts": [[{k: v.get(k) for k in ("value", "n", "doc_id", "date", "quote")} for v in c["values"]]
                                 for c in r.out.get("conflicts", [])]}
                  for r in systems[llm.id]],
    }
    out_dir = out_dir or HERE / "reports" / f"{gold_set}-{model_slug(settings)}"
    write_reports(report, out_dir)
    return report


def write_reports(report: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    (out_dir / "report.md").write_text(markdown(report), "utf-8")
    chart(report, out_dir / "scores.png")


def trust_table(report: dict) -> list[str]:
    """The figures issue #15 names, per split, for each system."""
    parts = [("all", report["systems"])] + list(report.get("splits", {}).items())
    names = list(report["systems"])
    lines = ["| figure | " + " | ".join(f"{n} ({sp})" for sp, _ in parts for n in names) + " |",
             "|---|" + "---|" * (len(parts) * len(names))]
    for c in TRUST + ["decided_by"]:
        lines.append(f"| {c} | " + " | ".join(str(sys_[n].get(c)) for _, sys_ in parts for n in names) + " |")
    return lines


def markdown(report: dict) -> str:
    names = list(report["systems"])
    cols = METRICS + ["hallucinations", "false_refusals", "latency_p50_ms", "latency_p90_ms", "prompt_tokens_mean"]
    lines = [f"# Eval report: {report.get('gold_set', 'seeds')} gold set, {report['model']}", "",
             f"{report['n_items']} gold items ({report.get('split', 'all')}), {report.get('n_articles')} articles, "
             f"{report['wall_s']} s. Thresholds: eval/thresholds.toml.", "", "## Trust figures", "",
             *trust_table(report), "", "## All metrics", "",
             "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for c in cols:
        lines.append(f"| {c} | " + " | ".join(str(report["systems"][n].get(c)) for n in names) + " |")
    lines += ["", f"## Failed items ({len(report['failures'])})", "", "| id | kind | question | why | answer | expected |", "|---|---|---|---|---|---|"]
    for f in report["failures"]:
        cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")[:220]
        lines.append(f"| {f['id']} | {f['kind']} | {cell(f['question'])} | {f['why']} | {cell(f['answer'])} | {cell(', '.join(f['expected']))} |")
    return "\n".join(lines) + "\n"


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(report["systems"])
    x = np.arange(len(METRICS))
    w = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(11, 4.6))
    for i, n in enumerate(names):
        ax.bar(x + i * w, [report["systems"][n][m] for m in METRICS], w, label=n)
    ax.set_xticks(x + w * (len(names) - 1) / 2, METRICS, rotation=30, ha="right")
    ax.set_ylim(0, 1.0)
    ax.set_title(f"Gold-set scores ({report['n_items']} items)")
    fig.legend(loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.subplots_adjust(bottom=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def thresholds(path: Path = THRESHOLDS) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def check(report: dict, limits: dict) -> list[str]:
    """Scores under their threshold ('max_' keys are upper bounds). The
    thresholds of a gold set with a test split gate that split: the dev half
    is where the pipeline was tuned."""
    model = report["model"]
    got = report.get("splits", {}).get("test", {}).get(model) or report["systems"][model]
    bad = []
    for key, limit in limits.get(report.get("gold_set", "seeds"), {}).get(report["model_key"], {}).items():
        if key.startswith("max_"):
            if got[key[4:]] > limit:
                bad.append(f"{key[4:]} = {got[key[4:]]} > {limit}")
        elif got[key] < limit:
            bad.append(f"{key} = {got[key]} < {limit}")
    return bad
