"""Versions the question's search left out, found by the sentence the answer
cites (`rag.retold`): a revised story giving another value of the same thing
is listed and cited; another firm's, or the feature turned off, is not."""

from test_pipeline import citing, indexed

from rag.pipeline import answer

from helpers import FakeLLM, check_contract

QUESTION = "What were Acme Corp's sales in the second quarter?"
FIRST = {"acme.txt": "Acme Corp second quarter sales\n\nAcme Corp said its sales were 58.7 mln dlrs in the second quarter."}
REVISED = {"revised.txt": "Correction\n\nAcme Corp said its sales were 58.8 mln dlrs in the second quarter."}
OTHER_FIRM = {"zenith.txt": "Correction\n\nZenith Corp said its sales were 58.8 mln dlrs in the second quarter."}


def ask(tmp_path, articles, **settings):
    emb, s, idx = indexed(tmp_path, articles)
    s = s.model_copy(update=settings)
    llm = FakeLLM(citing("58.7", "Acme Corp's sales were 58.7 mln dlrs"))
    a = answer(QUESTION, idx, emb, llm, s, top_k=1)  # one passage: the finder alone cannot see the revision
    check_contract(a.to_json(), idx)
    return a


def test_a_revision_outside_the_passages_is_listed_and_cited(tmp_path):
    a = ask(tmp_path, {**FIRST, **REVISED})
    assert [p.doc.id for p in a.evidence] == ["acme", "revised"]
    assert [v["value"] for c in a.conflicts for v in c.values] == ["58.7 mln dlrs", "58.8 mln dlrs"]
    assert "58.8 mln dlrs [2]" in a.answer
    assert {c.doc_id for c in a.citations} == {"acme", "revised"}
    assert [p.chunk.id for p in a.passages] == [p.chunk.id for p in a.evidence]  # every cited chunk is listed


def test_another_firms_figure_is_not_a_version(tmp_path):
    a = ask(tmp_path, {**FIRST, **OTHER_FIRM})
    assert not a.abstained and a.conflicts == [] and [p.doc.id for p in a.evidence] == ["acme"]


def test_the_search_can_be_turned_off(tmp_path):
    a = ask(tmp_path, {**FIRST, **REVISED}, retold_cosine=1.01)
    assert a.conflicts == [] and len(a.evidence) == 1
