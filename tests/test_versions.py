"""Disagreements: versions found beyond the passages the model read, and versions read with their passage."""

from rag import indexing
from rag.conflicts import anchored
from rag.pipeline import answer
from rag.settings import Settings
from rag.types import Chunk, Conflict, Document, Hit, Passage
from rag.versions import more

from helpers import FakeEmbedder, FakeLLM, check_contract, write_articles

Q = "How large is Brazil's total foreign debt?"


def doc(i: str, date: str, title: str = "BRAZIL DEBT") -> Document:
    return Document(i, "", i, title, outlet="Reuters", date=date)


def shown(text: str, d: Document, n: int = 1) -> Passage:
    return Passage(n, Chunk(f"{d.id}-c", d.id, text, 0, 20), d, text, 0.7)


def hit(text: str, d: Document, rank: int) -> Hit:
    return Hit(Chunk(f"{d.id}-h", d.id, text, 0, 20), 0.01, rank, 0.5)


def run(answer: str, passages: list[Passage], hits: list[Hit], found: list[Conflict] = (), question: str = Q):
    docs = {p.doc.id: p.doc for p in passages} | {h.chunk.doc_id: d for h, d in hits}
    return more(list(found), answer, question, passages, [h for h, _ in hits], docs)


def test_a_second_account_further_down_the_ranking_is_shown_with_its_own_passage():
    a, b = doc("a", "1987-03-02"), doc("b", "1987-03-03")
    p = shown("Funaro said Brazil's 108 billion dlr foreign debt would be partly serviced.", a)
    h = hit("Funaro is in Europe. Brazil's foreign debt totals some 109 billion dlrs.", b, 9)
    found, added = run("108 billion dlr [1]", [p], [(h, b)])
    assert [v["value"] for v in found[0].values] == ["some 109 billion dlrs", "108 billion dlr"]  # newest first
    assert [(q.n, q.doc.id) for q in added] == [(2, "b")] and found[0].values[0]["n"] == 2


def test_other_figures_further_down_are_not_versions():
    a, b = doc("a", "1987-03-02"), doc("b", "1987-03-03")
    p = shown("Brazil's foreign debt totals 108 billion dlrs.", a)
    for text in ("Brazil's foreign debt was 95 billion dlrs in 1985.",  # another year
                 "Brazil's foreign debt to banks is 68 billion of its 108 billion dlrs.",  # agrees, and gives a part
                 "Brazil's trade surplus was 1.1 pct of output.",  # another kind
                 "Brazil's foreign debt totals 250 billion dlrs."):  # too far from the answer's to be of one thing
        assert run("108 billion dlrs [1]", [p], [(hit(text, b, 9), b)]) == ([], []), text
    m = doc("m", "1987-03-03", "MEXICO DEBT TALKS")
    assert run("108 billion dlrs [1]", [p], [(hit("Mexico's foreign debt totals 100 billion dlrs.", m, 9), m)]) == ([], [])
    same_article = hit("Brazil's foreign debt totals 109 billion dlrs.", a, 9)
    assert run("108 billion dlrs [1]", [p], [(same_article, a)]) == ([], [])


def test_a_share_of_another_firm_is_not_a_version_of_the_stake_asked():
    a, b = doc("a", "1987-03-06", "TWA HOLDS USAIR STAKE"), doc("b", "1987-03-05", "USAIR TWA PIEDMONT")
    p = shown("TWA said it owns about 15 pct of USAir's shares.", a)
    h = hit("USAir and TWA boards met; USAir offered to buy 50.1 pct of Piedmont shares.", b, 9)
    assert run("15 pct [1]", [p], [(h, b)], question="What stake in USAir does TWA hold?") == ([], [])


def test_versions_join_the_disagreement_the_passages_already_show():
    a, b, c = doc("a", "1987-03-02"), doc("b", "1987-03-03"), doc("c", "1987-03-04")
    p1 = shown("Brazil's foreign debt totals 108 billion dlrs.", a)
    p2 = shown("Brazil's foreign debt totals 110 billion dlrs.", b, 2)
    listed = Conflict("money", [{"value": "110 billion dlrs", "n": 2, "doc_id": "b", "date": "1987-03-03"},
                                {"value": "108 billion dlrs", "n": 1, "doc_id": "a", "date": "1987-03-02"}])
    h = hit("Brazil's foreign debt totals some 109 billion dlrs.", c, 9)
    found, added = run("108 billion dlrs [1]", [p1, p2], [(h, c)], [listed])
    assert len(found) == 1 and [v["n"] for v in found[0].values] == [3, 2, 1] and added[0].n == 3


def test_an_answer_giving_two_figures_keeps_the_disagreement_its_passages_show():
    a, c = doc("a", "1987-03-02"), doc("c", "1987-03-04")
    p1 = shown("Brazil's foreign debt totals 108 billion dlrs, against 95 billion dlrs owed to banks.", a)
    listed = Conflict("money", [{"value": "95 billion dlrs", "n": 1, "doc_id": "a"}, {"value": "90 billion dlrs", "n": 2, "doc_id": "b"}])
    h = hit("Brazil's foreign debt totals some 109 billion dlrs.", c, 9)
    assert run("108 billion dlrs, against 95 billion dlrs [1]", [p1], [(h, c)], [listed]) == ([listed], [])


def test_a_version_naming_nothing_is_read_with_its_passage():
    q = "Until what date did Home Intensive Care extend the conversion ratio on its preferred stock?"
    a, b = doc("a", "1987-03-03", "HOME INTENSIVE EXTENDS"), doc("b", "1987-03-04", "HOME INTENSIVE EXTENDS")
    first = "Home Intensive Care said it extended until March 15 the conversion ratio on its preferred stock."
    later = "The ratio is now in effect until March 16."
    p1, p2 = shown(first, a), shown(f"Home Intensive Care said it extended its preferred stock's conversion. {later}", b, 2)
    c = Conflict("date", [{"value": "March 16", "n": 2, "doc_id": "b", "chunk_id": "b-c", "title": b.title, "quote": later},
                          {"value": "March 15", "n": 1, "doc_id": "a", "chunk_id": "a-c", "title": a.title, "quote": first}])
    assert len(anchored([c], "It extended until March 15 [1].", q, [p1, p2])) == 1
    assert anchored([c], "It extended until March 15 [1].", q, [p1, shown(later, b, 2)]) == []  # whose ratio? not said


def test_a_version_in_a_list_is_the_figure_of_the_firm_asked_and_its_headline_says_what_the_list_is_of():
    q = "By how much did American Motors' U.S. car sales fall in late February from a year earlier?"
    a = doc("a", "1987-03-04", "AMERICAN MOTORS LATE FEBRUARY SALES OFF")
    b = doc("b", "1987-03-04", "U.S. CAR SALES UP 6.7 PCT IN LATE FEBRUARY")
    p = shown("American Motors said its U.S. car sales for late February dropped 65 pct from a year earlier.", a)
    h = hit("Volkswagen of America fell 42.5 pct, American Motors plunged 62.5 pct and Toyota sold 1,082.", b, 9)
    found, _ = run("65% [1]", [p], [(h, b)], question=q)
    assert [v["value"] for v in found[0].values] == ["65 pct", "62.5 pct"]


def test_a_quota_is_no_version_of_the_output_asked():
    q = "How much crude oil did OPEC produce in February?"
    a, b = doc("a", "1987-03-05", "OPEC OUTPUT"), doc("b", "1987-03-06", "OIL PRICES")
    p = shown("OPEC produced an average 16.1 mln bpd of crude oil in February.", a)
    h = hit("Traders assumed OPEC was producing crude well above its 15.8 mln bpd quota in February.", b, 9)
    assert run("16.1 mln bpd [1]", [p], [(h, b)], question=q) == ([], [])


def test_the_answer_cites_a_version_the_model_did_not_read(tmp_path):
    """Through the pipeline: the model reads one passage (-k 1) and answers
    30%; another article's 32% is listed with its own citation, after the
    model's passages, and the JSON keeps to the contract."""
    news = write_articles(tmp_path / "news", {
        "cut.txt": "US cuts tariffs on Chinese goods\n\nThe United States cut tariffs on Chinese goods to 30% for 90 days.\n",
        "later.txt": ("---\ntitle: Tariff truce holds\ndate: 2025-11-05\n---\n"
                      "Importers said tariffs on Chinese goods in the United States stood at 32%.\n"),
        "storm.txt": "Storm floods coastal town\n\nHeavy rain flooded the coastal town of Brighton on Monday.\n",
    })
    settings, embedder = Settings(index_dir=tmp_path / "index", seeds_dir=news, top_k=1), FakeEmbedder()
    index, _, _ = indexing.ingest(settings, embedder, [news])
    llm = FakeLLM(lambda m: "30% [1]" if "to 30%" in m[-1]["content"] else "32% [1]")
    a = answer("What tariff rate do Chinese goods face in the United States?", index, embedder, llm, settings)
    j = a.to_json()
    check_contract(j, index)
    assert len(j["passages"]) == 1 and "The sources differ" in j["answer"], j["answer"]
    cited = {c["n"]: c["doc_id"] for c in j["citations"]}
    assert len(cited) == 2 and set(cited.values()) == {"cut", "later"} and max(cited) == 2
    assert [e["n"] for e in j["evidence"]] == [1, 2]
    off = answer("What tariff rate do Chinese goods face in the United States?", index, embedder, llm,
                 settings.model_copy(update={"more_versions": 0}))
    assert "differ" not in off.answer and len(off.citations) == 1
