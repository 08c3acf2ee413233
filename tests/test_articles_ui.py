"""Fast tests of issue 17's pure parts: conflict labels in words, the draft
notes, the plain-text copy, example questions, passage context, the stored
conversations, and deleting articles from the index (fake embedder)."""

from __future__ import annotations

import pytest

from rag import indexing, store
from rag.articles import example_questions, listing, matching, passage_context, question_from
from rag.errors import InputError
from rag.render import kind_words, looks_like_refusal, render_answer, render_copy, render_draft
from ui import history as H

from helpers import ARTICLES


def _answer(**over) -> dict:
    j = {"question": "q", "answer": "Cut to 30% [1]. Others say 40% [2].", "abstained": False,
         "citations": [{"n": 1, "doc_id": "a", "chunk_id": "a1", "title": "Truce <b>", "text": "Cut to 30%.",
                        "outlet": "Wire", "date": "2026-02-05"},
                       {"n": 2, "doc_id": "b", "chunk_id": "b1", "title": "Duties", "text": "Over 40%."}],
         "conflicts": [{"kind": "pct", "values": [{"value": "30%", "n": 1}, {"value": "40%", "n": 2}]}],
         "evidence": [], "removed": []}
    return j | over


@pytest.mark.parametrize(("kind", "words"), [("pct", "rate"), ("money", "amount"), ("num", "number"),
                                             ("date", "date"), ("month", "date"), ("date/month", "date"),
                                             ("num/pct", "number or rate")])
def test_conflict_kinds_read_as_words(kind, words):
    assert kind_words(kind) == words
    h = render_answer(_answer(conflicts=[{"kind": kind, "values": [{"value": "1", "n": 1}]}]), turn=1)
    assert f"on the {words}:" in h and f"on the {kind}:" not in h.replace(f"on the {words}:", "")


def test_draft_never_shows_the_refusal_marker_or_a_check_not_yet_run():
    for partial in ("NOT", "NOT IN", "NOT IN ARTICLES", "not in articles."):
        assert looks_like_refusal(partial)
        assert "NOT IN" not in render_draft(partial, "writing…").upper()
    assert not looks_like_refusal("Nothing changed in 2024 [1].")
    assert "checking" not in render_draft("It rose", "writing…")


def test_copy_is_plain_text_with_numbered_sources():
    text = render_copy(_answer())
    assert text.splitlines()[0] == "Cut to 30% [1]. Others say 40% [2]."
    assert "Sources disagree on the rate: 30% [1]; 40% [2]." in text
    assert "[1] Truce ‹b› (Wire, 2026-02-05)" in text and "[2] Duties" in text  # an article's tag, inert
    h = render_answer(_answer(), turn=1)
    assert 'class="rag-copy"' in h and "Truce &#60;b&#62;" in h  # the page escapes the title as written


def test_example_questions_ask_for_a_stated_value():
    assert question_from("Floods closed 14 schools in Leeds on Monday, officials said.") == \
        "Floods closed how many schools in Leeds on Monday?"
    assert question_from("The bank raised its rate to 4.5% in March.") == \
        "The bank raised its rate to what percentage in March?"
    assert question_from("No numbers in this sentence at all, sadly.") is None


def test_articles_listing_context_examples_and_delete(index, settings):
    rows = listing(index)
    assert {r["id"] for r in rows} == {"tariffs", "soybeans", "storm"}
    assert rows[0]["id"] == "soybeans"  # the one dated article first
    assert [r["id"] for r in matching(rows, "farm journal")] == ["soybeans"]
    qs = example_questions(index, 3)
    assert len(qs) == 3 and all(q.endswith("?") for q in qs)
    assert "China agreed to buy how many" in " ".join(qs) or any("tonnes" in q for q in qs)

    chunk = next(c for c in index.chunks if c.doc_id == "storm")
    cited = "Firefighters rescued residents from flooded basements overnight."
    ctx = passage_context(index, "storm", chunk.id, cited)
    assert ctx["cited"] == [cited] and cited in ctx["passage"]

    idx, gone = indexing.delete(settings, ["storm", "nope"])
    assert gone == ["storm"] and set(idx.docs) == {"tariffs", "soybeans"}
    assert all(c.doc_id != "storm" for c in idx.chunks) and idx.faiss_index.ntotal == len(idx.chunks)
    kept = {c.id: v for c, v in zip(index.chunks, index.vectors)}
    assert all((kept[c.id] == v).all() for c, v in zip(idx.chunks, idx.vectors))  # vectors reused
    assert store.Index.load(settings.index_dir).manifest["n_docs"] == 2
    with pytest.raises(InputError):
        indexing.delete(settings, ["storm"])
    with pytest.raises(InputError):
        indexing.delete(settings, ["tariffs", "soybeans"])  # never an empty index
    assert len(ARTICLES) == 3


def test_conversations_are_kept_newest_first_and_removed():
    s = H.upsert(None, "a", [{"role": "user", "content": "first &#63;"}], ["first?"])
    s = H.upsert(s, "b", [{"role": "user", "content": "second"}], [])
    assert [c for _, c in H.choices(s)] == ["b", "a"] and H.find(s, "a")["earlier"] == ["first?"]
    assert H.choices(H.remove(s, "b")) == [("first ?", "a")]
    assert H.upsert(s, "c", [], [])["convs"] == s["convs"]  # an empty chat is not stored


def test_http_lists_and_deletes_articles(settings, embedder, index):
    import httpx

    from rag.server import create_app

    from helpers import ThreadServer, fake_assistant

    with ThreadServer(create_app(fake_assistant(settings, embedder, index))) as srv:
        got = httpx.get(srv.url + "/articles", params={"q": "storm"}).json()
        assert [a["id"] for a in got["articles"]] == ["storm"] and got["total"] == 3
        assert httpx.delete(srv.url + "/articles/nope").status_code == 404
        r = httpx.delete(srv.url + "/articles/storm").json()
        assert r["deleted"] == ["storm"] and r["articles"] == 2
        assert httpx.get(srv.url + "/articles").json()["total"] == 2


def test_cli_lists_and_deletes(settings, index):
    from click.testing import CliRunner

    from rag.cli import rag

    out = CliRunner().invoke(rag, ["articles", "--index", str(settings.index_dir)])
    assert out.exit_code == 0 and "soybeans  China resumes soybean purchases (Farm Journal, 2025-11-03)" in out.output
    out = CliRunner().invoke(rag, ["delete", "storm", "--index", str(settings.index_dir)])
    assert out.exit_code == 0 and "deleted storm" in out.output and "2 articles" in out.output
    out = CliRunner().invoke(rag, ["delete", "storm", "--index", str(settings.index_dir)])
    assert out.exit_code != 0 and "no article 'storm'" in out.output
