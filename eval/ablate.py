"""What each trust mechanism adds: the pipeline scored on a gold set with
every mechanism on, then with each one off in turn (`rag eval --ablate`).

A row's figures minus the first row's are what that mechanism costs when it
is gone. The last row is the model's own answer with nothing checked (no
gate, claim check, fallback or disagreements: `pipeline.answer_unchecked`).
With `--llm-cache` the rows whose prompts are the same as the first row's
reuse its replies, so only a row that sends the model other questions
(the name gate off) asks llama.cpp again.

Writes eval/reports/ablation-<gold set>-<model>/ablation.{json,md}.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from . import scoring as S
from .harness import ANSWERABLE, HERE, TRUST, Row, load, model_slug, run_system, score

# (row, the settings that turn the mechanism off, what the mechanism does)
ABLATIONS: list[tuple[str, dict, str]] = [
    ("name gate", {"name_gate": False},
     "refuses without the model when a name or year of the question is in none of the passages (`rag.gate`)"),
    ("typed answers", {"typed_answers": False},
     "drops an answer without the kind of value asked, of another measure, or about another firm (`pipeline.typed`)"),
    ("same time", {"same_time": False},
     "drops an answer, fallback sentence or version of another year, month or quarter than the question's (`rag.asked`)"),
    ("extractive fallback", {"extract_min_relevance": 1.0},
     "answers with the best evidence sentence when nothing the model wrote survives (`rag.fallback`)"),
    ("versions beyond the passages", {"more_versions": 0},
     "adds versions of the answer's figure from hits the model did not read (`rag.versions`)"),
    ("disagreements", {"disagreements": False},
     "lists each article's version where articles give the asked value differently (`rag.conflicts`, `rag.versions`)"),
]
SHOWN = 0.0005  # a change under this prints as 0.000: not shown
LABELS = {"accuracy": "right answers", "refusal_accuracy": "right refusals", "false_refusal_rate": "false refusals",
          "disagreement_recall": "disagreements shown", "false_disagreement_rate": "false \"differ\"",
          "citation_precision": "citation precision"}


def ablate(settings, gold_set: str = "seeds", split: str | None = None, llm_cache: bool = False,
           out_dir: Path | None = None, limit: int | None = None) -> dict:
    """Score every row of ABLATIONS (and all on, and nothing checked) on one
    gold set; write and return the table."""
    from rag.pipeline import answer, answer_unchecked
    from rag.progress import progress_bar

    gold, settings, index, embedder, llm = load(settings, gold_set, split, limit, llm_cache)
    t0 = time.perf_counter()
    runs: dict[str, list[Row]] = {}
    for name, off, _ in [("all on", {}, ""), *ABLATIONS]:
        s = settings.model_copy(update=off)
        with progress_bar(f"ablation: {name}" + (" off" if off else ""), total=len(gold)) as adv:
            runs[name] = run_system(gold, lambda q, s=s: answer(q, index, embedder, llm, s), adv)
    with progress_bar("ablation: nothing checked", total=len(gold)) as adv:
        runs["nothing checked"] = run_system(gold, lambda q: answer_unchecked(q, index, embedder, llm, settings), adv)
    with progress_bar("ablation: the model on the gold chunks", total=len(gold)) as adv:
        reader = on_gold_chunks(gold, index, llm, settings, adv)
    report = {"gold_set": gold_set, "split": split or "all", "model": llm.id, "n_items": len(gold),
              "wall_s": round(time.perf_counter() - t0, 1), "rows": {name: score(r) for name, r in runs.items()},
              "headroom": {**headroom(runs), **reader}, "off": {name: off for name, off, _ in ABLATIONS}}
    out_dir = out_dir or HERE / "reports" / f"ablation-{gold_set}-{model_slug(settings)}"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ablation.json").write_text(json.dumps(report, indent=1), "utf-8")
    (out_dir / "ablation.md").write_text(markdown(report), "utf-8")
    return report


def headroom(runs: dict[str, list[Row]]) -> dict:
    """How far a perfect check could go with these answers: the share of
    answerable items that some row answers right (a check that kept every
    right answer and dropped every wrong one, in any row, would score that,
    with every unanswerable item refused), and the share whose gold passage
    reached the model at all. Checks choose among answers; they cannot make
    one, so where this is under a target, the reader or the retrieval has to
    change, not the checks.

    >>> it = {"kind": "fact", "answers": ["7 pct"], "quotes": [{"text": "rose 7 pct"}]}
    >>> out = lambda a, p: {"abstained": not a, "answer": a, "passages": [{"text": p}]}
    >>> headroom({"all on": [Row(it, out("", "rose 7 pct"))], "off": [Row(it, out("7 pct [1]", "rose 7 pct"))]})
    {'answerable': 1, 'right_in_some_row': 1.0, 'gold_passage_read': 1.0}
    """
    first = next(iter(runs.values()))
    idx = [i for i, r in enumerate(first) if r.answerable]
    right = [any(rows[i].right for rows in runs.values()) for i in idx]
    read = [first[i].gold_rank is not None for i in idx]
    return {"answerable": len(idx), "right_in_some_row": S.mean(right), "gold_passage_read": S.mean(read)}


def on_gold_chunks(gold: list[dict], index, llm, settings, progress=None) -> dict:
    """The reader with perfect retrieval: each answerable item asked, with
    the same prompt, with only the whole chunks that hold its gold quotes as
    passages. Its reply, unchecked, is right when it names a gold answer.
    Where this is under a target, no retrieval or check around this model
    reaches it; where it is over, the passages it is given or the checks lose
    the difference. Items whose quotes lie in no chunk are left out (`gold_n`)."""
    from rag.pipeline import Evidence, generate, read_question
    from rag.types import Passage
    from rag.verify import is_refusal

    by_doc: dict[str, list] = {}
    for c in index.chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    right, refused = [], []
    for it in gold:
        if progress:
            progress(1)
        chunks = []
        for q in it["quotes"] if it["kind"] in ANSWERABLE else []:
            held = [c for c in by_doc.get(q.get("doc_id", ""), []) if S.quote_in(c.text, q["text"])]
            if held and held[0] not in chunks:
                chunks.append(held[0])
        if not chunks:
            continue
        passages = [Passage(n, c, index.docs[c.doc_id], c.text, 1.0) for n, c in enumerate(chunks, start=1)]
        raw = generate(Evidence(read_question(it["question"], index, settings), [], [], passages), llm, settings).raw
        refused.append(is_refusal(raw))
        right.append(not refused[-1] and S.any_alias(raw, it["answers"]))
    return {"gold_n": len(right), "right_on_gold_chunks": S.mean(right), "refused_on_gold_chunks": S.mean(refused)}


def table(settings, gold_set: str, split: str, llm_cache: bool, limit: int | None, check: bool) -> str:
    """`rag eval --ablate`: the ablation run, as its markdown table."""
    from rag.errors import RagError

    if check:
        raise RagError("--ablate turns mechanisms off, and no threshold is for that; run it without --check.")
    return markdown(ablate(settings, gold_set, None if split == "all" else split, llm_cache, limit=limit))


def markdown(report: dict) -> str:
    """The table: one row a mechanism off, each figure with its change from
    all on (a mechanism helps where turning it off makes the figure worse).

    >>> r = {"gold_set": "seeds", "split": "all", "model": "m", "n_items": 2, "wall_s": 1.0, "rows": {
    ...     "all on": dict.fromkeys(TRUST, 0.5), "typed answers": {**dict.fromkeys(TRUST, 0.5), "accuracy": 0.25}}}
    >>> print(markdown(r).splitlines()[-1])
    | typed answers off | 0.250 (-0.250) | 0.500 | 0.500 | 0.500 | 0.500 | 0.500 |
    """
    base = report["rows"]["all on"]
    lines = [f"# Ablation: {report['gold_set']} gold set ({report['split']}), {report['model']}", "",
             f"{report['n_items']} items, {report['wall_s']} s. Each row turns one mechanism off "
             "(eval/ablate.py: ABLATIONS); the change from all on is in brackets.", "",
             "| row | " + " | ".join(LABELS[k] for k in TRUST) + " |", "|---|" + "---|" * len(TRUST)]
    for name, got in report["rows"].items():
        cells = []
        for k in TRUST:
            d = got[k] - base[k]
            cells.append(f"{got[k]:.3f}" + (f" ({d:+.3f})" if name != "all on" and abs(d) >= SHOWN else ""))
        label = name if name in ("all on", "nothing checked") else f"{name} off"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if h := report.get("headroom"):
        lines += ["", f"Headroom: of {h['answerable']} answerable items, some row answers {h['right_in_some_row']:.3f} "
                  f"right, and the model read the gold passage for {h['gold_passage_read']:.3f}. A check that kept "
                  "every right answer and dropped every wrong one could reach the first figure, no more."]
        if "gold_n" in h:
            lines += ["", f"The model given only the chunks that hold the gold quotes ({h['gold_n']} answerable items): "
                      f"{h['right_on_gold_chunks']:.3f} of its replies, unchecked, name a gold answer; "
                      f"{h['refused_on_gold_chunks']:.3f} say the articles don't."]
    return "\n".join(lines) + "\n"
