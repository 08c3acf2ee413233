"""Articles -> Documents: formats, metadata, and the files that must be
skipped with a reason rather than crash an ingest."""

import json
import os
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rag.corpus import load_file, load_paths
from rag.errors import InputError

BODY = "The United States cut tariffs on Chinese goods to 30% for 90 days. Talks continue in Geneva."


@contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (no pytest-timeout in the venv)."""
    def boom(signum, frame):
        raise TimeoutError(f"took over {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def reasons(report) -> dict[str, str]:
    return {Path(p).name: why for p, why in report.skipped}


def test_txt_headline_is_the_title(tmp_path):
    f = tmp_path / "004_abc.txt"
    f.write_text("Tariffs cut to 30%\n\n" + BODY + "\n", encoding="utf-8")
    doc, warning = load_file(f, 10_000)
    assert warning is None
    assert doc.id == "004_abc"
    assert doc.title == "Tariffs cut to 30%"
    assert BODY in doc.text
    assert doc.source == str(f)
    assert len(doc.content_hash) == 64


def test_txt_without_headline_takes_the_first_sentence_as_title(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(BODY, encoding="utf-8")
    doc, _ = load_file(f, 10_000)
    assert doc.title == "The United States cut tariffs on Chinese goods to 30% for 90 days."


def test_markdown_front_matter(tmp_path):
    f = tmp_path / "soy.md"
    f.write_text("---\ntitle: China buys soybeans\noutlet: Farm Journal\ndate: 2025-11-03\n"
                 "url: https://example.com/soy\n---\n" + BODY + "\n", encoding="utf-8")
    doc, _ = load_file(f, 10_000)
    assert (doc.title, doc.outlet, doc.date, doc.url) == (
        "China buys soybeans", "Farm Journal", "2025-11-03", "https://example.com/soy")
    assert doc.text == BODY  # the front matter is not part of the text
    assert "---" not in doc.text


def test_sidecar_meta_json(tmp_path):
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps(
        {"title": "Tariff truce", "outlet": "Wire", "published": "2025-05-12T08:00:00Z", "link": "https://x.test/a"}))
    report = load_paths([tmp_path])
    assert [d.id for d in report.documents] == ["a"]  # the sidecar is not an article
    doc = report.documents[0]
    assert (doc.title, doc.outlet, doc.date, doc.url) == ("Tariff truce", "Wire", "2025-05-12", "https://x.test/a")


def test_sidecar_overrides_front_matter(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: Old title\noutlet: Old outlet\n---\n" + BODY, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps({"title": "New title"}))
    doc, _ = load_file(tmp_path / "a.md", 10_000)
    assert (doc.title, doc.outlet) == ("New title", "Old outlet")


def test_sidecar_with_bad_json_is_a_warning(tmp_path):
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text("{not json")
    doc, warning = load_file(tmp_path / "a.txt", 10_000)
    assert doc.text == BODY and "a.meta.json" in warning


def test_sidecar_that_is_not_an_object_is_a_warning(tmp_path):
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text("[1, 2]")
    report = load_paths([tmp_path])
    assert [d.id for d in report.documents] == ["a"]


def test_front_matter_with_impossible_date_does_not_crash_the_load(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: T\ndate: 2025-13-45\n---\n" + BODY, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Another article about soybeans and farmers.", encoding="utf-8")
    report = load_paths([tmp_path])
    assert "b" in [d.id for d in report.documents]


@pytest.mark.parametrize("written, iso", [
    ("2025-11-03", "2025-11-03"), ("February 5, 2026", "2026-02-05"), ("5 Feb 2026", "2026-02-05"),
    ("2026-01-30T08:00:00Z", "2026-01-30"), ("26-FEB-1987 15:01:01.79", "1987-02-26"),
    ("Feb 5", None), ("last week", None), ("2025-13-45", None)])
def test_dates_are_iso_or_nothing(tmp_path, written, iso):
    """Dates sort as text ("newest first"), so every one is ISO; a date
    without a year, or not a date, is left out rather than guessed."""
    f = tmp_path / "a.md"
    f.write_text(f"---\ntitle: T\ndate: {json.dumps(written)}\n---\n" + BODY, encoding="utf-8")
    assert load_file(f, 10_000)[0].date == iso


def test_newest_first_orders_dates_written_any_way(tmp_path):
    from rag.retrieve import newest_first
    from rag.types import Chunk, Passage

    for name, date in [("jan", "2026-01-30"), ("feb", "February 5, 2026"), ("old", "March 3, 2025")]:
        (tmp_path / f"{name}.md").write_text(f"---\ndate: {date}\n---\n{BODY}\n{name}", encoding="utf-8")
    docs = load_paths([tmp_path]).documents
    passages = [Passage(i, Chunk(d.id, d.id, "", 0, 0), d, d.text, 0.5) for i, d in enumerate(docs, start=1)]
    assert [p.doc.id for p in newest_first(passages)] == ["feb", "jan", "old"]


def test_ids_are_paths_under_the_ingested_folder(tmp_path):
    """Two folders may each hold a 001.txt: an id says where its article is."""
    for sub in ("business", "sport"):
        (tmp_path / "news" / sub).mkdir(parents=True)
        (tmp_path / "news" / sub / "001.txt").write_text(f"{BODY} ({sub})", encoding="utf-8")
    (tmp_path / "top.md").write_text(BODY + " (top)", encoding="utf-8")
    ids = [d.id for d in load_paths([tmp_path / "news", tmp_path / "top.md"]).documents]
    assert ids == ["business/001", "sport/001", "top"]  # a file named directly: its stem


HTML = """<!DOCTYPE html><html><head><title>Port strike ends after talks | Harbor Daily</title>
<meta property="og:title" content="Port strike ends after talks">
<meta property="og:site_name" content="Harbor Daily">
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Port strike ends after talks</h1>
<p>Dock workers in Rotterdam ended a nine-day strike on Friday after union leaders accepted a new wage offer from the port authority.</p>
<p>The agreement raises wages by 6% over two years and adds a safety review of night shifts, the union said in a statement.</p>
<p>Shipping companies expect the backlog of containers to clear within a week.</p>
</article>
<footer>Subscribe now <script>var tracker = 1;</script></footer>
</body></html>"""


def test_html_article_text_and_title(tmp_path):
    f = tmp_path / "port.html"
    f.write_text(HTML, encoding="utf-8")
    doc, _ = load_file(f, 100_000)
    assert doc.title == "Port strike ends after talks"
    assert "Dock workers in Rotterdam ended a nine-day strike" in doc.text
    assert "backlog of containers" in doc.text
    for junk in ("<p>", "var tracker", "</", "Subscribe"):
        assert junk not in doc.text


def test_binary_file_is_skipped_with_a_message(tmp_path):
    (tmp_path / "good.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    report = load_paths([tmp_path])
    assert [d.id for d in report.documents] == ["good"]
    assert "binary" in reasons(report)["blob.txt"]
    with pytest.raises(InputError):
        load_file(tmp_path / "blob.txt", 10_000)


def test_cp1252_bytes_are_read_with_a_warning(tmp_path):
    raw = "Caf\u00e9 prices rose to \u20ac5 \u2014 a \u201crecord\u201d in Z\u00fcrich.".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the premise: not UTF-8
    (tmp_path / "l.txt").write_bytes(raw)
    report = load_paths([tmp_path])
    assert report.documents[0].text == "Caf\u00e9 prices rose to \u20ac5 \u2014 a \u201crecord\u201d in Z\u00fcrich."
    assert len(report.warnings) == 1 and "l.txt" in report.warnings[0]


def test_latin1_bytes_are_read(tmp_path):
    # 0x81 is undefined in cp1252, so this is Latin-1 only
    (tmp_path / "l.txt").write_bytes(b"Gr\xfc\xdfe aus M\xfcnchen \x81 und K\xf6ln.")
    doc, warning = load_file(tmp_path / "l.txt", 10_000)
    assert "M\u00fcnchen" in doc.text and "K\u00f6ln" in doc.text
    assert warning


def test_empty_and_blank_files_are_skipped(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n \t\n")
    (tmp_path / "good.txt").write_text(BODY)
    report = load_paths([tmp_path])
    assert [d.id for d in report.documents] == ["good"]
    assert set(reasons(report)) == {"empty.txt", "blank.md"}
    assert all(reasons(report).values())


def test_same_content_twice_is_stored_once(tmp_path):
    (tmp_path / "a.txt").write_text(BODY)
    (tmp_path / "b.txt").write_text(BODY)
    report = load_paths([tmp_path])
    assert len(report.documents) == 1
    assert len(report.skipped) == 1 and report.skipped[0][1]


def test_same_file_name_in_two_folders_keeps_both(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "a.txt").write_text(BODY)
    (tmp_path / "y" / "a.txt").write_text("A different article about soybean farmers in Iowa.")
    ids = [d.id for d in load_paths([tmp_path]).documents]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_missing_path_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no/such"):
        load_paths([tmp_path / "no" / "such"])


def test_unsupported_file_named_directly_is_reported(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    report = load_paths([tmp_path / "data.csv"])
    assert report.documents == [] and "data.csv" in reasons(report)


def test_symlink_loop_does_not_hang(tmp_path):
    root = tmp_path / "news"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text(BODY)
    os.symlink("..", root / "sub" / "up")  # sub/up -> news
    os.symlink(".", root / "self")  # news/self -> news
    with time_limit(10):
        report = load_paths([root])
    assert [d.id for d in report.documents] == ["sub/a"]  # its path under the folder


def test_file_over_max_bytes_is_skipped_with_a_message(tmp_path):
    (tmp_path / "big.txt").write_text(BODY * 10)  # ~950 bytes
    (tmp_path / "small.txt").write_text("Short article about soybeans.")
    report = load_paths([tmp_path], max_bytes=500)
    assert [d.id for d in report.documents] == ["small"]
    assert "limit" in reasons(report)["big.txt"]
    with pytest.raises(InputError):
        load_file(tmp_path / "big.txt", 500)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400),
                      st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
                      st.binary(max_size=200).map(lambda b: b"---\ntitle: x\n---\n" + b)),
       suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_fuzz_load_file_returns_a_document_or_raises_input_error(tmp_path, data, suffix):
    f = tmp_path / f"fuzz{suffix}"
    f.write_bytes(data)
    try:
        doc, warning = load_file(f, 10_000)
    except InputError as e:
        assert str(e)
        return
    assert doc.text.strip() and "\x00" not in doc.text
    assert isinstance(doc.title, str) and (warning is None or isinstance(warning, str))
