"""Text primitives: cleaning, sentences, token counts."""

import logging

from rag.text import clean_text, count_tokens, load_bm25s, split_sentences, truncate_tokens


def test_clean_text_drops_reference_markers_and_nuls():
    raw = "Trump visited Beijing [1].\x00 Talks [2][13] continued.\r\nNext\u00a0 line"
    assert clean_text(raw) == "Trump visited Beijing. Talks continued.\nNext line"


def test_clean_text_keeps_brackets_that_are_not_markers():
    # only 1-3 digit markers are an article's footnotes
    assert clean_text("See [note] and [A]") == "See [note] and [A]"


def test_clean_text_collapses_blank_runs():
    assert clean_text("a\n\n\n\n\nb\n") == "a\n\nb"


def test_split_sentences_keeps_us_inside_a_sentence():
    text = "The U.S. raised tariffs on steel. China responded within a day."
    assert split_sentences(text) == ["The U.S. raised tariffs on steel.", "China responded within a day."]


def test_split_sentences_splits_each_line_on_its_own():
    # a headline without a period is its own sentence; bullets lose their marker
    text = "Trade talks resume\n\n  • Tariffs fall to 30%\nOfficials met on Monday. They agreed."
    assert split_sentences(text) == ["Trade talks resume", "Tariffs fall to 30%", "Officials met on Monday.", "They agreed."]


def test_count_tokens():
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2  # cl100k: "hello", " world"
    assert count_tokens("The red fox ran across the wide open field.") == 10


def test_truncate_tokens_is_a_prefix_within_the_limit():
    text = "The red fox ran across the wide open field."  # 10 tokens
    assert truncate_tokens(text, 10) == text
    assert truncate_tokens(text, 50) == text
    head = truncate_tokens(text, 4)
    assert head == "The red fox ran"
    assert count_tokens(head) == 4
    assert truncate_tokens(text, 0) == ""


def test_bm25s_says_nothing_below_a_warning_when_the_root_logger_listens(caplog):
    """bm25s sets its own logger to DEBUG; a root logger configured by any
    other library then printed its 'Building index from tokens' to users."""
    caplog.set_level(logging.DEBUG)
    bm25s = load_bm25s()
    bm25s.BM25().index([["tariff", "rate"], ["ferry", "fare"]], show_progress=False)
    assert not [r for r in caplog.records if r.name.startswith("bm25s") and r.levelno < logging.WARNING]
