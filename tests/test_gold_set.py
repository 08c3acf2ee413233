"""The gold set is well formed: every quote is an exact substring of its
article in seeds/, ids are unique and sequential, kinds and styles meet the
minimums the eval issue set."""

import collections
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _items():
    with open(ROOT / "eval" / "gold.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _article(doc_id: str) -> str:
    return (ROOT / "seeds" / f"{doc_id}.txt").read_text(encoding="utf-8")


def test_quotes_are_exact_substrings_of_their_articles():
    for item in _items():
        for q in item["quotes"]:
            assert q["text"] in _article(q["doc_id"]), (item["id"], q["text"][:60])
        for v in item["versions"]:
            assert v["quote"] in _article(v["doc_id"]), (item["id"], v["quote"][:60])


def test_ids_kinds_and_styles():
    items = _items()
    assert [i["id"] for i in items] == [f"q{n:03d}" for n in range(1, len(items) + 1)]
    kinds = collections.Counter(i["kind"] for i in items)
    styles = collections.Counter(i["style"] for i in items)
    assert len(items) >= 60
    assert kinds["fact"] >= 38 and kinds["multi"] >= 6 and kinds["conflict"] >= 5 and kinds["unanswerable"] >= 10
    assert styles["typo"] >= 5 and styles["terse"] >= 5
    for i in items:
        if i["kind"] == "unanswerable":
            assert i["answers"] == [] and i["quotes"] == []
        else:
            assert i["answers"] and i["quotes"], i["id"]
        if i["kind"] == "conflict":
            assert len({v["doc_id"] for v in i["versions"]}) >= 2, i["id"]
