"""The Reuters-21578 gold set (eval/gold_reuters.jsonl) is well formed and
every quote is an exact substring of its story as the converter writes it and
the loader cleans it; plus a unit test of the converter (eval/reuters.py) on a
hand-written SGML snippet."""

import collections
import json
from pathlib import Path

import pytest

from eval import reuters
from rag.corpus import load_file
from rag.text import clean_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parents[2] / "shared/corpora/reuters21578"
KEYS = ["id", "question", "kind", "style", "answers", "quotes", "versions", "split"]
KINDS = {"fact", "multi", "conflict", "unanswerable"}
STYLES = {"plain", "terse", "typo"}

needs_corpus = pytest.mark.skipif(
    not (CORPUS / reuters.SUBSET[0]).is_file(),
    reason=f"Reuters-21578 is not at {CORPUS} (it stays out of the repository; see eval/REUTERS.md)",
)


def _items() -> list[dict]:
    with open(ROOT / "eval" / "gold_reuters.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


_BODIES: dict[str, str] = {}


def _bodies() -> dict[str, str]:
    """doc_id -> the body the loader sees, for every story of the subset."""
    if not _BODIES:
        for name in reuters.SUBSET:
            for story in reuters.read_file(CORPUS / name):
                _BODIES[str(story["newid"])] = clean_text(story["body"])
    return _BODIES


def test_schema_key_order_and_ids():
    items = _items()
    assert [i["id"] for i in items] == [f"r{n:03d}" for n in range(1, len(items) + 1)]
    for i in items:
        assert list(i) == KEYS, i["id"]
        assert i["kind"] in KINDS and i["style"] in STYLES and i["split"] in {"dev", "test"}, i["id"]
        assert isinstance(i["question"], str) and i["question"].strip(), i["id"]
        assert all(isinstance(a, str) and a.strip() for a in i["answers"]), i["id"]
        for q in i["quotes"]:
            assert list(q) == ["doc_id", "text"] and q["doc_id"].isdigit() and q["text"], i["id"]
        for v in i["versions"]:
            assert list(v) == ["answers", "doc_id", "quote"] and v["answers"] and v["doc_id"].isdigit(), i["id"]
    assert len({i["question"] for i in items}) == len(items), "a question is repeated"


def test_kinds_styles_and_splits_meet_minimums():
    items = _items()
    kinds = collections.Counter(i["kind"] for i in items)
    styles = collections.Counter(i["style"] for i in items)
    assert len(items) >= 150
    assert kinds["unanswerable"] >= 25 and kinds["conflict"] >= 20 and kinds["multi"] >= 15
    assert styles["terse"] >= 10 and styles["typo"] >= 8
    for kind in KINDS:  # dev and test are halves within each kind
        split = collections.Counter(i["split"] for i in items if i["kind"] == kind)
        assert abs(split["dev"] - split["test"]) <= 1, (kind, split)


def test_answers_quotes_and_versions_fit_the_kind():
    for i in _items():
        if i["kind"] == "unanswerable":
            assert i["answers"] == [] and i["quotes"] == [] and i["versions"] == [], i["id"]
            continue
        assert i["answers"] and i["quotes"], i["id"]
        if i["kind"] == "multi":
            assert len({q["doc_id"] for q in i["quotes"]}) >= 2, i["id"]
        if i["kind"] == "conflict":
            assert len(i["versions"]) >= 2 and len({v["doc_id"] for v in i["versions"]}) >= 2, i["id"]
            union = {a for v in i["versions"] for a in v["answers"]}
            assert set(i["answers"]) == union, i["id"]
            assert {(v["doc_id"], v["quote"]) for v in i["versions"]} <= {(q["doc_id"], q["text"]) for q in i["quotes"]}, i["id"]
        else:
            assert i["versions"] == [], i["id"]


@needs_corpus
def test_quotes_are_exact_substrings_of_subset_stories():
    bodies = _bodies()
    for i in _items():
        for q in i["quotes"]:
            assert q["doc_id"] in bodies, (i["id"], q["doc_id"], "not a story of the subset")
            assert q["text"] in bodies[q["doc_id"]], (i["id"], q["text"][:60])
        for v in i["versions"]:
            assert v["doc_id"] in bodies, (i["id"], v["doc_id"], "not a story of the subset")
            assert v["quote"] in bodies[v["doc_id"]], (i["id"], v["quote"][:60])


@needs_corpus
def test_quoted_stories_survive_the_loaders_duplicate_check():
    """rag.corpus.load_paths keeps one file per content (the first by file
    name): a quoted story must not be a later copy of another story."""
    bodies = _bodies()
    first: dict[str, str] = {}
    for doc_id in sorted(bodies, key=lambda d: f"{d}.txt"):
        first.setdefault(bodies[doc_id], doc_id)
    for i in _items():
        for doc_id in {q["doc_id"] for q in i["quotes"]} | {v["doc_id"] for v in i["versions"]}:
            assert first[bodies[doc_id]] == doc_id, (i["id"], doc_id, "same text as", first[bodies[doc_id]])


SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="7">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TEXT>&#2;
<TITLE>ACME &lt;ACM> SEES "RECORD" NET: UP</TITLE>
<DATELINE>    NEW YORK, Feb 26 - </DATELINE><BODY>Acme Corp &lt;ACM> said its profit
rose 15 pct in the\x7f year [1].
    It sells anvils.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="8">
<DATE> 2-MAR-1987 09:00:00.00</DATE>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>ACME BRIEF HEADLINE ONLY</TITLE>
&#3;</TEXT>
</REUTERS>
"""


def test_converter_on_a_handwritten_story(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "mini.sgm").write_bytes(SGML.encode("latin-1"))
    out = tmp_path / "out"
    assert reuters.convert(src, out, ["mini.sgm"]) == 1
    assert [p.name for p in out.iterdir()] == ["7.txt"]  # the story without a body is skipped
    text = (out / "7.txt").read_text("utf-8")
    assert text.startswith('---\ntitle: "ACME <ACM> SEES \\"RECORD\\" NET: UP"\noutlet: Reuters\ndate: 1987-02-26\n---\n\n')
    body = text.split("\n---\n\n", 1)[1]
    assert "Reuter" not in body and "\x7f" not in body and "&lt;" not in body
    doc, warning = load_file(out / "7.txt", max_bytes=1_000_000)
    assert warning is None
    assert (doc.id, doc.title, doc.outlet, doc.date) == ("7", 'ACME <ACM> SEES "RECORD" NET: UP', "Reuters", "1987-02-26")
    assert doc.text == "Acme Corp <ACM> said its profit rose 15 pct in the year.\nIt sells anvils."
    assert reuters.convert(src, out, ["mini.sgm"]) == 1 and (out / "7.txt").read_text("utf-8") == text  # idempotent


def test_iso_date_and_unwrap():
    assert reuters.iso_date(" 2-MAR-1987 09:00:00.00") == "1987-03-02"
    assert reuters.iso_date("garbage") is None
    assert reuters.clean_body("Net rose.\n    Shr 1 ct vs 2 cts\n    REUTER\n") == "Net rose.\nShr 1 ct vs 2 cts"
