"""Chunking: whole sentences packed up to a token limit, with overlap; ids are
content hashes."""

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rag.chunking import chunk_document
from rag.corpus import content_hash
from rag.text import count_tokens, split_sentences
from rag.types import Document

# Five sentences of exactly 10 cl100k tokens each (checked below).
S = [
    "The red fox ran across the wide open field.",
    "A small bird sang in the tall oak tree.",
    "Rain fell on the quiet little town all night.",
    "Farmers sold their corn at the busy market.",
    "Ships left the harbor before the storm came.",
]


def doc_of(text: str, doc_id: str = "d1") -> Document:
    return Document(id=doc_id, text=text, content_hash=content_hash(text), title="t")


def flat(text: str) -> str:
    """Text with its whitespace runs as single spaces (the joiner between a
    chunk's sentences is not part of the contract)."""
    return " ".join(text.split())


def spans(chunks) -> list[list[int]]:
    """Each chunk as the indexes of the sentences of S it holds."""
    return [[i for i, s in enumerate(S) if s in c.text] for c in chunks]


def test_hand_worked_sentences_are_ten_tokens():
    assert [count_tokens(s) for s in S] == [10] * 5
    assert split_sentences(" ".join(S)) == S


def test_hand_worked_overlap_of_one_sentence():
    # max 25: two sentences (20) fit, a third (30) does not. Overlap 12: the
    # last sentence (10) of each chunk starts the next one.
    # [s0 s1] [s1 s2] [s2 s3] [s3 s4]; the last chunk reaches the end, so no more.
    chunks = chunk_document(doc_of(" ".join(S)), max_tokens=25, overlap=12)
    assert spans(chunks) == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert [c.start for c in chunks] == [0, 1, 2, 3]
    assert [c.n_tokens for c in chunks] == [20, 20, 20, 20]
    assert flat(chunks[0].text) == S[0] + " " + S[1]
    assert all(c.doc_id == "d1" for c in chunks)


def test_hand_worked_no_overlap():
    # overlap 0: [s0 s1] [s2 s3] [s4]
    chunks = chunk_document(doc_of(" ".join(S)), max_tokens=25, overlap=0)
    assert spans(chunks) == [[0, 1], [2, 3], [4]]
    assert [c.start for c in chunks] == [0, 2, 4]
    assert [c.n_tokens for c in chunks] == [20, 20, 10]


def test_hand_worked_overlap_smaller_than_two_sentences():
    # max 35: three sentences (30). Overlap 12 holds one sentence (10), not two (20).
    # [s0 s1 s2] [s2 s3 s4]
    chunks = chunk_document(doc_of(" ".join(S)), max_tokens=35, overlap=12)
    assert spans(chunks) == [[0, 1, 2], [2, 3, 4]]


def test_overlap_never_stalls_progress():
    # an overlap as big as the chunk would step back to the chunk's own start;
    # each chunk must still start after the previous one
    chunks = chunk_document(doc_of(" ".join(S)), max_tokens=25, overlap=25)
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))
    assert spans(chunks)[-1][-1] == 4


def test_overlap_smaller_than_a_sentence_repeats_nothing():
    chunks = chunk_document(doc_of(" ".join(S)), max_tokens=25, overlap=9)
    assert spans(chunks) == [[0, 1], [2, 3], [4]]


def test_whole_document_in_one_chunk_when_it_fits():
    chunks = chunk_document(doc_of(" ".join(S)), max_tokens=128, overlap=24)
    assert len(chunks) == 1 and flat(chunks[0].text) == " ".join(S) and chunks[0].n_tokens == 50


def test_empty_document_has_no_chunks():
    assert chunk_document(doc_of(""), 128, 24) == []


def test_over_long_sentence_is_cut_to_the_limit():
    run_on = " ".join(["tariff"] * 300)  # one "sentence" far over the limit
    chunks = chunk_document(doc_of(run_on), max_tokens=50, overlap=0)
    assert len(chunks) > 1
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert sum(c.text.split().count("tariff") for c in chunks) == 300  # nothing lost


def test_over_long_cjk_sentence_is_cut_without_losing_characters():
    # 400 Chinese characters, no sentence punctuation: cut into several pieces
    text = "中国和美国的贸易关税谈判继续进行双方同意降低" * 18 + "中国和美"
    chunks = chunk_document(doc_of(text), max_tokens=128, overlap=0)
    joined = "".join("".join(c.text.split()) for c in chunks)
    assert "\ufffd" not in joined
    assert joined == text


def test_chunk_text_within_limit_when_a_sentence_starts_with_a_digit():
    # "Trade." is 2 tokens and "30%." is 2 tokens: six sentences, 12 tokens by
    # the sum; joined, the "30" after a separator is its own token: 13.
    chunks = chunk_document(doc_of("Trade. Trade. Trade. Trade. 30%. Trade."), max_tokens=12, overlap=0)
    assert [c.n_tokens for c in chunks] == [count_tokens(c.text) for c in chunks]
    assert all(count_tokens(c.text) <= 12 for c in chunks)


def test_ids_are_stable_across_runs():
    doc = doc_of(" ".join(S))
    a = chunk_document(doc, 25, 12)
    b = chunk_document(doc_of(" ".join(S)), 25, 12)  # a fresh Document, same text
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    assert all(len(c.id) == 16 and int(c.id, 16) >= 0 for c in a)


def test_ids_change_when_text_changes():
    old = chunk_document(doc_of(" ".join(S)), 25, 12)
    edited = S[:4] + ["Ships left the harbor after the storm came."]
    new = chunk_document(doc_of(" ".join(edited)), 25, 12)
    changed = [c for c in new if c.text not in {o.text for o in old}]
    assert changed  # the last chunk holds the edit
    assert not {c.id for c in changed} & {o.id for o in old}


# ---- properties -------------------------------------------------------------

WORDS = ["trade", "tariff", "china", "talks", "deal", "farmers", "soybeans", "market", "rare", "earth",
         "minerals", "ports", "ships", "officials", "said", "on", "the", "a", "of", "in", "for", "30%",
         "90", "billion", "week", "leaders", "agreed", "call", "visit", "xi", "trump", "beijing"]


@st.composite
def documents(draw):
    def sentence(n_words):
        ws = draw(st.lists(st.sampled_from(WORDS), min_size=n_words, max_size=n_words))
        return ws[0].capitalize() + (" " + " ".join(ws[1:]) if ws[1:] else "") + "."

    n = draw(st.integers(1, 12))
    sents = [sentence(draw(st.one_of(st.integers(1, 14), st.integers(30, 70)))) for _ in range(n)]
    seps = [draw(st.sampled_from([" ", " ", "\n", "\n\n"])) for _ in range(n)]
    return "".join(s + sep for s, sep in zip(sents, seps)).strip()


PROPS = dict(max_examples=50, deadline=None)


@hsettings(**PROPS)
@given(text=documents(), max_tokens=st.integers(12, 80), overlap=st.integers(0, 30))
def test_every_sentence_lands_in_a_chunk(text, max_tokens, overlap):
    chunks = chunk_document(doc_of(text), max_tokens, overlap)
    for s in split_sentences(text):
        if count_tokens(s) <= max_tokens:
            assert any(s in c.text for c in chunks), s


@hsettings(**PROPS)
@given(text=documents(), max_tokens=st.integers(12, 80))
def test_without_overlap_chunks_hold_the_text_once_in_order(text, max_tokens):
    # run-on sentences are cut between tokens, so compare without whitespace
    chunks = chunk_document(doc_of(text), max_tokens, overlap=0)
    assert "".join("".join(c.text.split()) for c in chunks) == "".join(text.split())


@hsettings(**PROPS)
@given(text=documents(), max_tokens=st.integers(12, 80), overlap=st.integers(0, 30))
def test_no_chunk_over_its_token_limit(text, max_tokens, overlap):
    for c in chunk_document(doc_of(text), max_tokens, overlap):
        assert c.n_tokens <= max_tokens
        assert count_tokens(c.text) == c.n_tokens  # the joined text itself, not the sum of its parts
        assert c.text.strip()


@hsettings(**PROPS)
@given(text=documents(), max_tokens=st.integers(12, 80), overlap=st.integers(0, 30))
def test_ids_stable_and_unique(text, max_tokens, overlap):
    a = chunk_document(doc_of(text), max_tokens, overlap)
    b = chunk_document(doc_of(text), max_tokens, overlap)
    assert [(c.id, c.text, c.start) for c in a] == [(c.id, c.text, c.start) for c in b]
    assert len({c.id for c in a}) == len(a)
    assert [c.start for c in a] == sorted({c.start for c in a})  # strictly increasing


@hsettings(**PROPS)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=600),
       max_tokens=st.integers(4, 60), overlap=st.integers(0, 30))
def test_any_unicode_text_chunks_within_the_limit(text, max_tokens, overlap):
    """Random text of any script, emoji and control characters included:
    no crash, no chunk over its limit, no broken character, same ids twice."""
    a = chunk_document(doc_of(text), max_tokens, overlap)
    for c in a:
        assert 0 < c.n_tokens == count_tokens(c.text) <= max_tokens
        assert "\ufffd" not in c.text or "\ufffd" in text
    assert [c.id for c in a] == [c.id for c in chunk_document(doc_of(text), max_tokens, overlap)]
