"""Trust stages with fakes: the model's own yes/no check (asked in the same
conversation, off at 0); what a question asks, read from its form; the gate
reading whole articles; disagreements as one quantity (issue #15)."""

from rag import conflicts
from rag.asked import answers_type, asked_kinds, elsewhen
from rag.facts import names
from rag.gate import gate, names_any
from rag.pipeline import Checked, answer, typed
from rag.settings import Settings
from rag.text import content_words
from rag.types import Chunk, Document, Passage
from rag.verify import Claim, check_answer, given_by

from helpers import FakeLLM

RATE_Q = "What rate did the United States cut tariffs on Chinese goods to?"


class CheckingLLM(FakeLLM):
    """A fake whose own check of its answer says yes with probability `p`."""

    def __init__(self, reply: str, p: float):
        super().__init__(reply)
        self.p, self.checked = p, []

    def yes_probability(self, messages):
        self.checked.append(messages)
        return self.p


def test_the_models_own_check_drops_an_answer_below_the_threshold(index, embedder, settings):
    reply = "The United States cut tariffs on Chinese goods to 30% [1]."
    keep = CheckingLLM(reply, 0.9)
    a = answer(RATE_Q, index, embedder, keep, settings.model_copy(update={"min_answer_confidence": 0.5}))
    assert a.mode == "llm" and a.confidence == 0.9
    asked = keep.checked[0]
    assert asked[-2] == {"role": "assistant", "content": reply}  # the same conversation, one turn on
    doubt = CheckingLLM(reply, 0.2)
    a = answer(RATE_Q, index, embedder, doubt, settings.model_copy(update={"min_answer_confidence": 0.5}))
    assert a.mode != "llm" and a.confidence == 0.2
    off = CheckingLLM(reply, 0.2)
    answer(RATE_Q, index, embedder, off, settings)  # threshold 0: the check is off, nothing asked
    assert off.checked == []


# ---- issue #15: what was asked, and when sources really disagree ------------------

def passage(n: int, doc: str, text: str, date: str | None = None, relevance: float = 0.7, title: str = "",
            body: str = "") -> Passage:
    d = Document(doc, body or text, doc, title or f"{doc} story", outlet="Wire", date=date)
    return Passage(n, Chunk(f"{doc}-c", doc, text, 0, 20), d, text, relevance)


def stands_in(question: str, text: str, title: str) -> bool:
    """Does the fallback take `text`, the one evidence sentence of a story
    under `title`, as the answer to `question`?"""
    from rag.fallback import extract
    from rag.retrieve import Sentence
    from rag.types import Hit

    p = passage(1, "a", text, title=title)
    return bool(extract(question, [Sentence(text, Hit(p.chunk, 1.0, 1, 0.8), 0, 0.8, 1.0)], [p], 0.6, 3))


def said(text: str, n: int = 1) -> Checked:
    """The model's answer `text`, cited to [n], through the claim check."""
    return Checked([Claim(text, [n], True, 1.0)], mode="llm")


def test_what_is_asked_comes_from_the_questions_form_not_its_topic():
    assert asked_kinds("What rate did the bank cut to?") == {"pct"}
    assert asked_kinds("How many cargoes did India buy?") == {"num", "duration"}  # "how many days" too
    assert asked_kinds("How long did the strike last?") == {"duration"}
    assert asked_kinds("At what price did India buy?") == {"money"}  # not a count
    assert asked_kinds("What stake did TWA hold when it sold?") == {"pct"}  # "when" here asks nothing
    assert asked_kinds("What was the dollar's all-time low?") == set()
    assert "pct" in asked_kinds("By how much did orders fall in January?")
    assert asked_kinds("What tariffs did the US impose?") == set()  # a topic word asks for no kind
    assert answers_type("Output rose to 16 mln bpd.", "How many barrels a day did OPEC pump?")
    assert not answers_type("OPEC met in Vienna.", "How many barrels a day did OPEC pump?")


def test_a_model_answer_without_the_kind_asked_is_dropped():
    q = "At what price did the Dominican Republic sell its sugar?"
    said = Checked([Claim("It sold 35,000 long tons of sugar to a New York trader.", [1], True, 0.9)], mode="llm")
    out = typed(said, q, Settings())
    assert out.claims == [] and out.mode == "abstain" and out.removed[0].missing == ["the kind of thing asked"]
    priced = Checked([Claim("It sold the sugar at 233 dlrs a tonne.", [1], True, 0.9)], mode="llm")
    assert typed(priced, q, Settings()) == priced
    assert typed(said, q, Settings(typed_answers=False)) == said


def test_a_figure_its_passage_gives_for_another_time_does_not_answer():
    q = "What was Japan's unemployment rate in February 1987?"
    said = Checked([Claim("3.0%", [1], True, 1.0)], mode="llm")
    january = passage(1, "a", "The jobless rate rose to a record 3.0 pct in January, the agency said.", "1987-03-02",
                      title="Japan jobless rate")
    assert typed(said, q, Settings(), [january]).claims == []  # the model left out "in January"
    february = passage(1, "a", "The jobless rate rose to 3.0 pct in February from 2.9 pct in January.", "1987-03-30",
                       title="Japan jobless rate")
    assert typed(said, q, Settings(), [february]) == said
    assert typed(said, q, Settings(same_time=False), [january]) == said
    base = passage(1, "a", "Growth was 3.0 pct in the month, up from January's 2.9 pct.", "1987-03-30",
                   title="Japan growth")
    assert typed(said, q, Settings(), [base]) == said  # January is what it is compared with


def test_a_sentence_at_another_time_does_not_answer():
    q = "How many cargoes did India buy at its March 4 tender?"
    assert elsewhen("India called a tender for four cargoes on March 11.", q)
    assert not elsewhen("India bought up to 10 cargoes at its March 4 tender.", q)
    assert not elsewhen("India bought up to 10 cargoes at the tender.", q)  # no time given: not another one
    assert elsewhen("In 1985 the dollar peaked at 263 yen.", "What was the dollar's low in 1987?")


def test_a_name_is_the_whole_word():
    assert [f.value for f in names("Will BankAmerica back USAir or ConAgra?")] == ["bankamerica", "usair", "conagra"]


def test_the_gate_finds_the_questions_context_in_the_headline_and_date():
    p = passage(1, "a", "Its load factor rose to 55.5 pct.", date="1987-03-03", title="Piedmont Airlines load factor up",
                body="Its load factor rose to 55.5 pct in February. Eastern reported later.")
    q = "What share of its seats did Piedmont Airlines fill in February 1987?"
    assert gate(q, [p], Settings()).ok  # "Piedmont" in the headline, "1987" in the date
    # a name only somewhere in the body is not enough: the story may not be about it
    assert not gate("What share of its seats did Eastern fill in 1987?", [p], Settings()).ok
    # the outlet is the story's own: "the Wire survey" is about this story, "the Post survey" is not
    assert gate("According to the Wire survey, what share of seats did Piedmont Airlines fill?", [p], Settings()).ok
    assert not gate("According to the Post survey, what share of seats did Piedmont Airlines fill?", [p], Settings()).ok
    # a name spelled out in the question stands for its capital initials in the articles, not for
    # initials made from the articles' own words ("Arbor Drugs" is not the "Agriculture Department")
    usda = passage(1, "a", "Corn sales gained 2.5 mln tonnes, the U.S. Agriculture Department said.", relevance=0.7)
    assert not gate("What were Arbor Drugs' sales?", [usda], Settings()).ok
    un = passage(1, "a", "The U.N. agency said aid sales rose.", relevance=0.7)
    assert gate("What did the United Nations agency say about aid sales?", [un], Settings()).ok
    # ... but one in the best-ranked chunks the passages were drawn from is the question's context
    rate = passage(1, "a", "The Bank charged a penal rate of 11-3/4 pct.", relevance=0.7)
    q = "What penal rate did the Bank charge before the Budget?"
    assert not gate(q, [rate], Settings()).ok
    assert gate(q, [rate], Settings(), "Markets await the Budget. The Bank charged a penal rate of 11-3/4 pct.").ok
    # with the name gate off (the eval's ablation row) only the off-topic check is left
    assert gate(q, [rate], Settings(name_gate=False)).ok
    assert not gate(q, [passage(1, "a", "Bank rates.", relevance=0.1)], Settings(name_gate=False)).ok


def test_a_disagreement_is_one_quantity_newest_first_and_about_the_answer():
    q = "How much crude did OPEC produce in February?"
    ps = [passage(1, "old", "OPEC produced 16.1 mln bpd in February.", "1987-03-01"),
          passage(2, "new", "OPEC output was 15.5 mln bpd in February, a survey said.", "1987-03-05")]
    [c] = conflicts.find(q, ps, None, 0.12)
    assert [v["doc_id"] for v in c.values] == ["new", "old"] and c.kind == "num"
    assert conflicts.anchored([c], "OPEC produced 16.1 mln bpd") == [c]
    assert conflicts.anchored([c], "OPEC met in Vienna") == []
    # different quantities never disagree: barrels vs tonnes, or a total and a part far apart
    other = [ps[0], passage(2, "x", "OPEC produced 16,000 tonnes of something in February.", "1987-03-05")]
    assert conflicts.find(q, other, None, 0.12) == []
    money = "How much did the firm earn in 1986?"
    assert conflicts.find(money, [passage(1, "a", "The firm earned 5.2 mln dlrs in 1986."),
                                  passage(2, "b", "The firm earned 4.1 mln stg in 1986.")], None, 0.12) == []
    far = [ps[0], passage(2, "y", "OPEC produced 900 mln bpd in February.", "1987-03-05")]
    assert conflicts.find(q, far, None, 0.12) == []
    # a number the question gives is not a version ("its March 4 tender")
    assert conflicts.find("How many cargoes were bought in the first 20 days?",
                          [passage(1, "a", "Traders bought 20 cargoes in the first 20 days."),
                           passage(2, "b", "Traders bought 20 cargoes in the first days.")], None, 0.12) == []
    # a change ("cut by 10 percent") is not a level ("cut to 30%")
    rate = "What is the tariff rate on steel?"
    moved = [passage(1, "a", "The tariff on steel was cut to 30% in May."),
             passage(2, "b", "The plan cuts the tariff on steel by 10 percent.")]
    assert conflicts.find(rate, moved, None, 0.12) == []
    levels = [moved[0], passage(2, "b", "The tariff on steel is now 25% after the cut.")]
    assert len(conflicts.find(rate, levels, None, 0.12)) == 1
    # an amount bought on top of another ("an additional one mln tonnes") is not the total
    corn = "How much corn did the buyers purchase?"
    more = [passage(1, "a", "The buyers purchased 1.5 mln tonnes of corn, the official said."),
            passage(2, "b", "The buyers purchased an additional one mln tonnes of corn.")]
    assert conflicts.find(corn, more, None, 0.12) == []
    again = [more[0], passage(2, "b", "The buyers purchased two mln tonnes of corn.")]
    assert len(conflicts.find(corn, again, None, 0.12)) == 1


def test_versions_of_another_year_or_without_the_answers_names_are_not_a_disagreement():
    q = "How many cars did GM sell in Europe?"
    then = passage(1, "a", "That is a jump from 1986, when GM sold 1,500 cars in Europe.", "1987-03-04")
    target = passage(2, "b", "GM hopes to sell 8,000 cars in Europe this year.", "1987-03-03")
    [c] = conflicts.find(q, [then, target], None, 0.12)
    assert conflicts.anchored([c], "GM sold 1,500 cars [1].", q) == []  # 1986's sales, this year's target
    again = passage(2, "b", "GM sold 2,000 cars in Europe in 1986, a later count said.", "1987-03-05")
    [c] = conflicts.find(q, [then, again], None, 0.12)
    assert len(conflicts.anchored([c], "GM sold 1,500 cars [1].", q)) == 1  # one year, two counts
    q = "How much crude did OPEC produce?"
    feb = passage(1, "a", "OPEC produced 16.1 mln bpd in February.", "1987-03-05")
    march = passage(2, "b", "In early March OPEC produced about 14.7 mln bpd, a survey said.", "1987-03-05")
    [c] = conflicts.find(q, [feb, march], None, 0.12)
    assert conflicts.anchored([c], "16.1 mln bpd [1].", q) == []  # February's output, March's
    q = "How much does Brazil owe British banks?"
    uk = passage(1, "a", "Brazil owes U.K. banks 8.5 billion dlrs.", "1987-03-02")
    any_bank = passage(2, "b", "Brazil got 11 billion dlrs in loans.", "1987-03-02")
    [c] = conflicts.find(q, [uk, any_bank], None, 0.12)
    assert conflicts.anchored([c], "8.5 billion dlrs [1].", q) == []  # what the answer is of names U.K. banks
    assert len(conflicts.anchored([c], "11 billion dlrs [2].", q)) == 1  # the wider figure may have a part


def test_an_articles_version_is_its_own_figure_of_the_asked_time_not_one_it_says_was_replaced():
    q = "How long will Jamaica's IMF standby arrangement run?"
    old = passage(1, "a", "Jamaica can draw on the IMF standby over the next 15 months.", "1987-03-03")
    new = passage(2, "b", "Jamaica's IMF standby was originally to run 15 months, but will now last one year.",
                  "1987-03-04")
    [c] = conflicts.find(q, [old, new], None, 0.12)
    assert [v["value"] for v in c.values] == ["one year", "15 months"]  # not 15 months twice
    q = "How much crude did OPEC produce in February 1987?"
    feb = passage(1, "a", "OPEC produced 16.1 mln bpd in February.", "1987-03-05")
    march = passage(2, "b", "OPEC output in early March was about 14.7 mln bpd, from 16 mln bpd in February.",
                    "1987-03-05")
    [c] = conflicts.find(q, [feb, march], None, 0.12)
    assert [v["value"] for v in c.values] == ["16.1 mln", "16 mln"]  # February's, not March's
    only_march = passage(2, "b", "OPEC output in early March was about 14.7 mln bpd.", "1987-03-05")
    assert conflicts.find(q, [feb, only_march], None, 0.12) == []


def test_an_earnings_tables_figures_are_its_headlines_and_a_count_is_of_what_was_asked():
    q = "What were Thunander Corp's sales for the year?"
    a = passage(1, "a", "Sales 32.9 mln vs 29.1 mln", "1987-03-02", title="THUNANDER CORP YEAR NET")
    b = passage(2, "b", "Sales 33.0 mln vs 29.1 mln", "1987-03-02", title="THUNANDER CORP YEAR NET")
    [c] = conflicts.find(q, [a, b], None, 0.12)  # "sales" asks an amount; the table names its firm in the headline
    assert {v["value"] for v in c.values} == {"32.9 mln", "33.0 mln"}
    other = passage(2, "b", "Sales at Zenith were 33.0 mln vs 29.1 mln", "1987-03-02", title="THUNANDER CORP YEAR NET")
    assert conflicts.find(q, [a, other], None, 0.12) == []  # a sentence naming another firm is about it
    assert check_answer("32.9 million dollars [1]", [a], 0.5)[0].supported  # the table's "mln", written out
    q = "How many days did the council meeting last?"
    days = passage(1, "a", "The council meeting ended after eight days of talks.", "1987-03-03")
    hours = passage(2, "b", "The council meeting was extended 24 hours.", "1987-03-02")
    assert conflicts.find(q, [days, hours], None, 0.12) == []  # a span in hours is not what was counted in days
    again = passage(2, "b", "The council meeting ended after nine days of talks.", "1987-03-04")
    assert len(conflicts.find(q, [days, again], None, 0.12)) == 1


def test_a_version_about_something_else_or_of_a_quarter_is_not_a_disagreement():
    q = "How much sugar did Bangladesh produce in its latest season?"
    made = passage(1, "a", "Bangladesh's sugar production rose to 140,000 tonnes this season.", "1987-03-07")
    tender = passage(2, "b", "Bangladesh passed on its tender for 100,000 tonnes of wheat.", "1987-03-03")
    [c] = conflicts.find(q, [made, tender], None, 0.12)
    assert conflicts.anchored([c], "140,000 tonnes [1].", q) == []  # the tender holds none of production, season
    again = passage(2, "b", "Bangladesh's sugar production this season was 150,000 tonnes.", "1987-03-08")
    [c] = conflicts.find(q, [made, again], None, 0.12)
    assert len(conflicts.anchored([c], "140,000 tonnes [1].", q)) == 1
    q = "How much did Canada's GDP grow in 1986?"
    year = passage(1, "a", "Canada's GDP grew 3.1 pct in 1986, Statistics Canada said.", "1987-03-03")
    quarter = passage(2, "b", "Canada's GDP grew 1.1 pct in the fourth quarter of 1986.", "1987-03-03")
    [c] = conflicts.find(q, [year, quarter], None, 0.12)
    assert conflicts.anchored([c], "3.1 pct [1].", q) == []  # a quarter's growth is not the year's
    # one shared word of the question says too little to tell two things apart: tariffs and duties
    q = "What tariff rate?"
    cut = passage(1, "a", "The deal cut U.S. tariffs on Chinese goods to 30% for 90 days.", "2025-11-01")
    duty = passage(2, "b", "Goods imported from China still face duties of over 40%.", "2025-11-02")
    [c] = conflicts.find(q, [cut, duty], None, 0.12)
    assert len(conflicts.anchored([c], "30% [1].", q)) == 1
    # a version far in size from the best-fitting one is left out, not the whole disagreement
    q = "How long will Jamaica's IMF standby arrangement run?"
    ps = [passage(1, "a", "Jamaica's IMF standby arrangement will run 15 months.", "1987-03-03"),
          passage(2, "b", "Jamaica's IMF standby arrangement will now run one year.", "1987-03-04"),
          passage(3, "c", "Poland rejoined the IMF after a 36-year absence.", "1987-03-01", relevance=0.6)]
    [c] = conflicts.find(q, ps, None, 0.12)
    assert {v["value"] for v in c.values} == {"15 months", "one year"}


def ranked(headlines: dict[str, str], said: list[tuple[str, str, float]]):
    """Fake ranked sentences (article, text, cosine), best first, and an index of their articles."""
    from types import SimpleNamespace

    from rag.retrieve import Sentence
    from rag.types import Hit

    docs = {d: Document(d, "", d, t, date="1987-03-05") for d, t in headlines.items()}
    ss = [Sentence(x, Hit(Chunk(f"{d}-{i}", d, x, 0, 9), 1.0, i, r), 0, r, 1.0 / (i + 1))
          for i, (d, x, r) in enumerate(said)]
    return ss, SimpleNamespace(docs=docs)


def test_each_articles_version_comes_first_only_when_it_is_about_what_the_question_names():
    from rag.retrieve import pack

    ss, index = ranked({"iea": "IEA says OPEC output fell", "arg": "Argentine output down", "svy": "OPEC output survey"},
                       [("iea", "OPEC produced 16.1 mln bpd in February.", 0.8),
                        ("iea", "The IEA said stocks were drawn down.", 0.7),
                        ("arg", "Argentine crude production fell to 12.3 mln barrels.", 0.7),
                        ("svy", "Output averaged 16 mln bpd in February, a survey shows.", 0.6)])
    settings = Settings(top_k=2, context_tokens=200)
    q = "How much crude did OPEC produce in February?"
    named = [f.value for f in names(q)]
    # the survey names OPEC only in its headline; the Argentine figure is about something else
    assert [p.doc.id for p in pack(ss, index, settings, None, {"num"}, named)] == ["iea", "svy"]
    assert [p.doc.id for p in pack(ss, index, settings, None, {"num"})] == ["iea", "arg"]


def test_one_very_close_article_does_not_put_the_others_out_of_reach():
    q = "What tariff rate applies to Chinese goods?"
    ps = [passage(1, "planted", "The tariff rate on Chinese goods is now 99%.", relevance=0.9),
          passage(2, "a", "Tariffs on Chinese goods were cut to 30%.", relevance=0.55),
          passage(3, "b", "Chinese goods still face duties of over 40%.", relevance=0.5)]
    scores = {p.text: p.relevance for p in ps}
    [c] = conflicts.find(q, ps, scores, 0.12, floor=0.35, spread=Settings().conflict_spread)
    assert {v["value"] for v in c.values} == {"99%", "30%", "over 40%"}


def test_a_far_version_about_something_else_is_not_a_disagreement():
    q = "What share of its seats did Piedmont Airlines fill in February?"
    ps = [passage(1, "a", "Piedmont Airlines said its February load factor, or share of seats filled, rose to 55.5 pct.",
                  relevance=0.68),
          passage(2, "b", "Rivals offered to buy 50 pct of the Piedmont stock.", relevance=0.47)]
    scores = {p.text: p.relevance for p in ps}
    assert len(conflicts.find(q, ps, scores, 0.12, floor=0.35)) == 1  # no spread: listed
    assert conflicts.find(q, ps, scores, 0.12, floor=0.35, spread=0.15) == []


def test_a_name_only_a_low_ranked_table_holds_is_packed_in_place_of_one_naming_nothing():
    from rag.retrieve import pack

    ss, index = ranked({"pall": "Pall Corp second quarter sales up", "nz": "N.Z. quarter retail sales fall",
                        "arbor": "ARBOR DRUGS INC 2ND QTR JAN 31 NET"},
                       [("pall", "Pall Corp said sales for the second quarter were up 17.5 pct.", 0.5),
                        ("nz", "Retail sales in the quarter fell 13.2 pct.", 0.45),
                        ("arbor", "Sales 58.7 mln vs 40.6 mln", 0.29)])
    settings = Settings(top_k=2, context_tokens=200)
    q = "What were Arbor Drugs' sales in its second quarter?"
    assert [p.doc.id for p in pack(ss, index, settings, None, set(), ["arbor", "drugs"])] == ["pall", "arbor"]
    assert [p.doc.id for p in pack(ss, index, settings, None, set(), ["pall"])] == ["pall", "nz"]  # held: no change
    assert [p.doc.id for p in pack(ss, index, settings)] == ["pall", "nz"]
    assert gate(q, pack(ss, index, settings, None, set(), ["arbor", "drugs"]), Settings(min_relevance=0.2)).ok


def test_an_answer_cited_to_a_passage_about_another_firm_answers_nothing():
    q = "What was Arbor Drugs' net income for its full fiscal year?"
    said = Checked([Claim("3.5 million dollars", [1], True, 1.0)], mode="llm")
    other = passage(1, "hsai", "For the year Healthcare reported net income of 3.5 mln dlrs.", title="HEALTHCARE SEES WRITE-OFFS")
    assert typed(said, q, Settings(), [other]).claims == []
    table = passage(1, "arbr", "Net 3.5 mln vs 2.8 mln", title="ARBOR DRUGS INC YEAR NET")  # named in its headline
    assert typed(said, q, Settings(), [table]) == said


def test_an_answer_may_repeat_the_questions_names_its_passage_writes_shorter():
    story = passage(1, "mnft", "For its fiscal year, Monfort reported 25.1 mln dlrs in earnings.")
    answer_ = "Monfort of Colorado earned 25.1 million dollars. [1]"
    assert not check_answer(answer_, [story], 0.5)[0].supported  # "Colorado" is not in the passage
    [c] = check_answer(answer_, [story], 0.5, given_by("What did Monfort of Colorado earn?"))
    assert c.supported and c.cited == [1]
    assert not check_answer("Monfort of Colorado earned 26 million dollars. [1]", [story], 0.5,
                            given_by("What did Monfort of Colorado earn?"))[0].supported  # the figure still must be there


def test_a_value_restated_in_another_unit_is_its_articles_version():
    q = "By how much did US durable goods orders fall in January?"
    ps = [passage(1, "a", "In January, U.S. durable goods orders dropped 7.5 pct.", "1987-03-06"),
          passage(2, "b", "In January U.S. durable goods orders fell 7.4 billion dlrs, or 6.7 pct, to 103 billion dlrs.",
                  "1987-03-04")]
    [c] = conflicts.find(q, ps, None, 0.12)
    assert [v["value"] for v in c.values] == ["7.5 pct", "6.7 pct"]
    ps[1] = passage(2, "b", "In January U.S. durable goods orders fell 7.4 billion dlrs to 103 billion dlrs, "
                            "and shipments 6.7 pct.", "1987-03-04")
    assert conflicts.find(q, ps, None, 0.12) == []  # not beside it: another quantity


def test_a_corrected_table_is_a_second_version_though_far_from_the_question_by_meaning():
    from rag.retrieve import pack

    ss, index = ranked({"pall": "Pall Corp second quarter sales up", "nz": "N.Z. quarter retail sales fall",
                        "arb1": "ARBOR DRUGS INC 2ND QTR JAN 31 NET", "arb2": "ARBOR DRUGS INC 2ND QTR JAN 31 NET"},
                       [("pall", "Pall Corp said sales for the second quarter were up 17.5 pct.", 0.5),
                        ("nz", "Retail sales in the quarter fell 13.2 pct.", 0.45),
                        ("arb1", "Sales 58.7 mln vs 40.6 mln", 0.29),
                        ("arb2", "Sales 58.8 mln vs 40.7 mln", 0.28)])
    q = "What were Arbor Drugs' sales in its second quarter?"
    ps = pack(ss, index, Settings(top_k=2, context_tokens=200), None, {"money", "num"}, ["arbor", "drugs"])
    assert [p.doc.id for p in ps] == ["arb1", "arb2"]  # each in place of a passage naming neither
    scores = {s.text: s.dense for s in ss}
    [c] = conflicts.find(q, ps, scores, 0.12, floor=0.35)
    assert {v["value"] for v in c.values} == {"58.7 mln", "58.8 mln"}
    ps = [p for p in ps if p.doc.id != "arb2"] + [passage(3, "arb2", "Sales 58.8 mln vs 40.7 mln", relevance=0.28,
                                                          title="PALL CORP 2ND QTR NET")]
    assert conflicts.find(q, ps, scores, 0.12, floor=0.35) == []  # another firm's table: below the floor


def test_a_story_filed_twice_fills_one_passage_not_two():
    from rag.retrieve import pack

    said = "The government could not fix the rate at 35 to one U.S. Dollar."
    ss, index = ranked({"a": "TAIWAN REJECTS PLEA", "b": "TAIWAN REJECTS MAKERS PLEA", "c": "YEUTTER ON TAIWAN"},
                       [("a", said, 0.8), ("b", said, 0.8), ("c", "Yeutter put the burden on Taiwan.", 0.6)])
    ps = pack(ss, index, Settings(top_k=2, context_tokens=200))
    assert [p.doc.id for p in ps] == ["a", "c"]


def test_a_sentence_about_the_year_does_not_stand_in_for_a_months_figure():
    from rag.fallback import extract
    from rag.retrieve import Sentence
    from rag.types import Hit

    year = "The institute said inflation will average only 0.5 pct in 1987 as a whole."
    month = "The institute said inflation was 0.5 pct in February 1987, after 0.4 pct in January."
    for text, said in ((year, []), (month, [month])):
        p = passage(1, "inst", text)
        s = Sentence(text, Hit(p.chunk, 1.0, 1, 0.8), 0, 0.8, 1.0)
        got = extract("What was consumer inflation in February 1987?", [s], [p], 0.6, 3)
        assert [c.text for c in got] == said


def test_after_the_model_says_the_passages_do_not_answer_only_the_best_sentence_may_stand_in():
    from rag.pipeline import Evidence, fall_back
    from rag.question import Question
    from rag.retrieve import Sentence
    from rag.types import Hit

    best = "Trump and Xi talked for ninety minutes"  # a fragment: no statement
    next_ = "The planned visit follows a long phone conversation between Trump and Xi on February 4."
    p = passage(1, "call", f"{best}\n{next_}")
    ss = [Sentence(x, Hit(p.chunk, 1.0, 1, 0.8), i, 0.8, 1.0 / (i + 1)) for i, x in enumerate((best, next_))]
    ev = Evidence(Question("On what day did Trump have a long conversation with Xi?"), [], ss, [p])
    assert [c.text for c in fall_back(ev, Settings(), []).claims] == [next_]  # the model's answer failed its checks
    assert fall_back(ev, Settings(), [], after_refusal=True).claims == []  # the model found no answer


def test_a_table_row_under_a_headline_naming_everything_asked_is_packed_as_its_articles_version():
    from rag.retrieve import pack

    ss, index = ranked({"fix": "ACME CORRECTS FOURTH QUARTER NET", "tbl": "ACME MINING CORP 4TH QTR NET",
                        "oth": "ZENITH 4TH QTR NET"},
                       [("fix", "Acme Mining said it corrected its fourth quarter net income to 485,380 dlrs.", 0.8),
                        ("oth", "Zenith said fourth quarter net income rose 12 pct.", 0.5),
                        ("tbl", "Net 528,790 dlrs vs 286,969 dlrs", 0.2)])
    settings = Settings(top_k=2, context_tokens=200, min_relevance=0.35)
    named = ["acme", "mining"]
    assert [p.doc.id for p in pack(ss, index, settings, None, {"money"}, named)] == ["fix", "tbl"]
    assert [p.doc.id for p in pack(ss, index, settings, None, {"money"}, ["acme", "zenith"])] == ["fix", "oth"]


def test_a_question_typed_in_lower_case_still_names_whose_figure_is_asked():
    """"teneco" names nothing readable; the passages' "Tenneco" is what it
    names, so another utility's redemption price is not a version."""
    q = "what price will teneco pay a share to redeem its 11 dlr preferred stock"
    ps = [passage(1, "a", "The company said it would pay 102 dlrs a share for the preferred stock.", "1987-03-03",
                  title="TENNECO TO REDEEM PREFERRED STOCK"),
          passage(2, "b", "The stock will be redeemed at a price of 101.50 dlrs a share.", "1987-03-05",
                  title="ATLANTIC CITY ELECTRIC TO REDEEM STOCK")]
    assert conflicts.recovered(q, ps) == ["preferred", "redeem", "stock", "tenneco"]
    found = conflicts.find(q, ps, None, 0.12)
    assert conflicts.anchored(found, "102 dlrs a share [1]", q, ps) == []
    again = passage(2, "b", "Tenneco will pay 102.24 dlrs a share for its preferred stock.", "1987-03-04",
                    title="TENNECO TO REDEEM 11 DLR PREFERRED")
    [c] = conflicts.anchored(conflicts.find(q, [ps[0], again], None, 0.12), "102 dlrs a share [1]", q, [ps[0], again])
    assert [v["value"] for v in c.values] == ["102.24 dlrs", "102 dlrs"]


def test_a_level_question_is_not_answered_with_how_far_the_thing_moved():
    """"fell 0.1 pct to 164.1": asked the level it fell to, "0.1 pct"
    answers nothing; asked by how much it fell, it does."""
    korea = passage(1, "a", "South Korea's index of leading indicators fell 0.1 pct to 164.1 in December after a "
                    "0.1 pct rise in November.", "1987-03-02", title="KOREA INDICATORS FALL")
    level = "What level did South Korea's index of leading indicators fall to in December?"
    fall = Checked([Claim("0.1 pct", [1], True, 1.0)], mode="llm")
    assert typed(fall, level, Settings(), [korea]).claims == []
    to = Checked([Claim("164.1", [1], True, 1.0)], mode="llm")
    assert typed(to, level, Settings(), [korea]) == to
    assert typed(fall, "By how much did South Korea's index of leading indicators fall in December?", Settings(),
                 [korea]) == fall


def test_a_version_must_hold_the_very_question_words_the_answers_version_holds():
    """The buyback's "bought back Goldsmith's stock" against a tax refund's
    story naming Goodyear and James Goldsmith: three question words each,
    but only "Goldsmith" in common, so two quantities."""
    q = "How much did Goodyear pay to buy back James Goldsmith's stock?"
    terms = {t for t in content_words(q) if not t.isdigit()}
    buyback = {"value": "620 mln dlrs", "quote": "The company bought back Goldsmith's stock for 620 mln dlrs.",
               "date": "1987-03-03"}
    refund = {"value": "75.7 mln dlrs", "date": "1987-03-04",
              "quote": "Goodyear said its results include a tax refund of 75.7 mln dlrs from its defense against "
                       "James Goldsmith."}
    assert not conflicts.same_thing(buyback, refund, ["goodyear", "james", "goldsmith"], terms)
    again = {"value": "600 mln dlrs", "quote": "Goodyear bought back Goldsmith's stock for 600 mln dlrs.",
             "date": "1987-03-04"}
    assert conflicts.same_thing(buyback, again, ["goodyear", "james", "goldsmith"], terms)


def test_a_figure_of_some_days_does_not_answer_a_question_on_the_whole_month():
    """"sales for the June 21 to 30 period fell to 1,204": asked a firm's
    sales for June, that is a part of the month, not the month; the
    sentence giving the month's figure still answers, and so does the
    span's figure when the question asks for those days."""
    text = ("Acme Motors said car sales for the June 21 to 30 period fell 12.5 pct to 1,204 cars. "
            "For the month of June, Acme said sales fell 8.1 pct to 4,310 cars.")
    acme = passage(1, "a", text, "1988-07-02", title="ACME MOTORS JUNE SALES")
    month = "What were Acme Motors' car sales in June?"
    span = said("1,204")
    assert typed(span, month, Settings(), [acme]).claims == []
    whole = said("4,310")
    assert typed(whole, month, Settings(), [acme]) == whole
    assert typed(span, "What were Acme Motors' car sales from June 21 to 30?", Settings(), [acme]) == span
    assert elsewhen("Acme Motors said car sales for the June 21 to 30 period fell 12.5 pct to 1,204 cars.", month)
    assert not elsewhen("For the month of June, Acme said sales fell 8.1 pct to 4,310 cars.", month)


def test_a_country_is_named_by_its_capital_and_its_people_too():
    """A story says "Chinese state media" of what a question calls Beijing's
    account: one country's names (`gate.country_names`). Only where written
    as a name: "turkey" in a food story names no country."""
    assert names_any("Chinese state media said the talks were constructive.", ["beijing"])
    assert names_any("Officials in Tokyo said exports rose.", ["japan"])
    assert not names_any("Chinese state media said the talks were constructive.", ["tokyo"])
    assert not names_any("Prices of frozen turkey rose.", ["ankara"])
    assert names_any("Turkey raised its prices.", ["ankara"])


def test_a_sentence_standing_in_comes_from_an_article_naming_what_was_asked():
    """Asked Australia's forecast, India's budget story answers nothing,
    however well its deficit sentence ranks; a story that names the country
    by its capital ("Canberra") may stand in."""
    from rag.fallback import extract
    from rag.retrieve import Sentence
    from rag.types import Hit

    q = "What budget deficit does Australia's government forecast for 1988/89?"
    india = "The projected deficit for fiscal 1988/89 is 56.88 billion rupees, down from 82.85 billion."
    canberra = "Officials in Canberra said the government forecast a budget deficit of 4.1 billion dlrs for 1988/89."
    for doc, text, title, said in (("in", india, "INDIA'S BUDGET DEFICIT SEEN PUSHING UP INFLATION", []),
                                   ("au", canberra, "DEFICIT FORECAST", [canberra])):
        p = passage(1, doc, text, title=title)
        s = Sentence(text, Hit(p.chunk, 1.0, 1, 0.8), 0, 0.8, 1.0)
        assert [c.text for c in extract(q, [s], [p], 0.6, 3)] == said


def test_a_country_beside_a_firm_is_context_not_whose_figure_is_asked():
    """Asked Acme's U.S. truck sales, a passage of another maker's U.S.
    sales names "U.S." and answers nothing; a question naming only countries
    still takes a passage naming one of them."""
    other = passage(1, "b", "Bolt Motor Sales U.S.A. Inc said its February truck sales totaled 20,437.",
                    "1987-03-04", title="BOLT FEBRUARY U.S. SALES")
    acme = passage(2, "a", "Acme said its U.S. truck sales were 1,204 in February.", "1987-03-04",
                   title="ACME FEBRUARY SALES")
    q = "What were Acme's U.S. truck sales in February?"
    wrong = said("Acme's U.S. truck sales in February were 20,437.")
    assert typed(wrong, q, Settings(), [other, acme]).claims == []
    right = said("1,204", 2)
    assert typed(right, q, Settings(), [other, acme]) == right
    assert typed(wrong, "What were U.S. truck sales in February?", Settings(), [other, acme]) == wrong


def test_a_month_typed_one_slip_short_is_read_as_the_month():
    """"Febuary" read as a name is a name no passage holds, and the gate
    refuses the question; read as February it is asked. A longer word near
    a month ("Augusta") is a name and stays one."""
    from rag.question import clean_question

    q = clean_question("What was Acme's load factor in Febuary 1987?", 1000)
    assert q.text == "What was Acme's load factor in February 1987?" and q.notes
    acme = passage(1, "a", "Acme said its February load factor slipped to 57.9 pct.", "1987-03-06",
                   title="ACME LOAD FACTOR")
    assert gate(q.text, [acme], Settings()).ok
    assert clean_question("What did Augusta say?", 1000).text == "What did Augusta say?"


def test_what_fee_asks_an_amount_of_money():
    """"What fee is the bank paid?" asks money: "the bank is lead manager"
    answers nothing, a sentence giving the fee does."""
    q = "What fee is Bolt Brothers paid as lead manager of Acme's offering?"
    assert asked_kinds(q) == {"money"} and asked_kinds("What annual salary will she get?") == {"money"}
    assert not stands_in(q, "Bolt Brothers Inc is lead manager for the offering by Acme.", "ACME OFFERS NOTES")
    assert stands_in(q, "Acme said Bolt Brothers is paid a fee of 1.2 mln dlrs as lead manager.", "ACME OFFERS NOTES")


def test_a_rate_increase_may_be_money_and_terms_ask_a_value():
    """A utility's "interim rate increase" was granted as 39.9 mln dlrs; the
    "financial terms" of a venture are a price or a count, and a sentence
    saying only that the venture was formed gives neither."""
    granted = "What interim rate increase did the commission grant Acme Power in February?"
    assert {"money", "pct"} <= asked_kinds(granted)
    money = said("39.9 mln dlrs")
    acme = passage(1, "a", "The commission granted Acme Power a 39.9 mln dlrs interim rate increase in February.",
                   title="ACME POWER RATES")
    assert typed(money, granted, Settings(), [acme]) == money
    assert asked_kinds("How did sales grow in terms of volume?") == {"money", "num"}  # "in terms of" asks nothing
    q = "What were the financial terms of Acme's joint venture with Bolt?"
    assert not stands_in(q, "Acme said it entered into a joint venture with Bolt Corp to build a tower.", "ACME IN VENTURE")
    assert stands_in(q, "Acme said it will pay Bolt 12 mln dlrs for half of the venture.", "ACME IN VENTURE")


def test_an_answer_that_only_says_back_the_question_answers_nothing():
    """"Besides export controls, what other step ...?" answered "Restrictive
    export controls" states nothing the question did not; "investment bans"
    does, and so does one of the alternatives a question offers."""
    story = passage(1, "a", "The rivalry has led to restrictive export controls and investment bans.",
                    title="ACME RIVALRY")
    q = "Besides export controls, what other restrictive step has the Acme rivalry led to?"
    echo = said("Restrictive export controls.")
    assert typed(echo, q, Settings(), [story]).claims == []
    bans = said("Investment bans.")
    assert typed(bans, q, Settings(), [story]) == bans
    assert typed(bans, "Has the Acme rivalry led to export controls or investment bans?", Settings(), [story]) == bans


def test_the_level_a_price_moves_from_does_not_say_by_how_much():
    """Asked by how much a buyer wants a price cut, "asked to reduce prices
    from the current average of 18 dlrs" gives the price it is cut from;
    "by five dlrs from 18 dlrs" says by how much."""
    q = "By how much has Acme asked Bolt to cut its ore price?"
    assert not stands_in(q, "Acme has asked Bolt to reduce ore prices from the current average of 18 dlrs a tonne.",
                         "ACME ORE PRICES")
    assert stands_in(q, "Acme has asked Bolt to cut ore prices by five dlrs from 18 dlrs a tonne.", "ACME ORE PRICES")


def test_a_figure_its_passage_labels_as_another_measure_does_not_answer():
    deal = passage(1, "a", "Gulf Bancorp said it agreed to buy three Texas banks with assets totalling 180 mln dlrs. "
                           "Terms were not disclosed.", title="Gulf Bancorp to buy banks")
    paid = "How much is Gulf Bancorp paying for the three Texas banks?"
    out = typed(said("$180 million [1]"), paid, Settings(), [deal])
    assert out.claims == [] and out.removed[0].missing == ["the measure asked"]
    assert typed(said("$180 million [1]"), "What assets do the three Texas banks have?", Settings(), [deal]).claims
    traffic = passage(1, "a", "Mesa Air said February revenue passenger miles rose to 41.2 mln from 36.0 mln.",
                      title="Mesa Air traffic")
    assert typed(said("41.2 million [1]"), "How many passengers did Mesa Air carry in February?", Settings(),
                 [traffic]).claims == []
    flown = passage(1, "a", "Mesa Air said it flew 41.2 mln passengers in February.", title="Mesa Air traffic")
    assert typed(said("41.2 million [1]"), "How many passengers did Mesa Air carry in February?", Settings(), [flown]).claims


def test_the_fallback_does_not_quote_whole_a_figure_dropped_as_another_measure():
    from rag.facts import values
    from rag.fallback import extract
    from rag.retrieve import Sentence
    from rag.types import Hit

    text = "Gulf Bancorp, a 4.2 billion dlr holding company, agreed to buy banks with assets totalling 180 mln dlrs."
    p = passage(1, "a", text, title="Gulf Bancorp to buy banks")
    s = [Sentence(text, Hit(p.chunk, 1.0, 1, 0.8), 0, 0.8, 1.0)]
    q = "How much is Gulf Bancorp paying for the banks?"
    assert extract(q, s, [p], 0.6, 3)  # its other amount holds the kind asked
    assert extract(q, s, [p], 0.6, 3, mistyped=set(values("$180 million"))) == []


def test_a_country_named_in_two_words_is_read_whole():
    from rag.gate import names_held

    assert "seoul" in names_held("A senior South Korean official met him.")
    assert "seoul" not in names_held("He flew south. Korean beef was not on the agenda.")
    assert gate("What did Seoul say about beef?", [passage(1, "a", "South Korea said beef talks would go on.")],
                    Settings()).ok


def test_the_fallback_does_not_answer_with_a_visit_to_another_country():
    q = "When will Yeutter visit Seoul for talks on beef?"
    title = "Yeutter to hold beef talks"
    assert not stands_in(q, "Yeutter met a senior Korean official, and will visit Tokyo in April for farm talks.", title)
    assert stands_in(q, "Yeutter will visit South Korea in April for talks on beef and farm trade.", title)
    assert stands_in("Where will Yeutter hold talks with Seoul?", "Yeutter will hold the talks in Tokyo in April.", title)
    bought = "The business comprised 6,000 tonnes of Malaysian palm olein at 347 dlrs a tonne."
    assert stands_in("What price did Seoul pay for palm olein?", bought, "Seoul buys palm oil")  # a country beside


def test_a_countrys_name_typed_one_slip_off_is_read_as_that_name(index, embedder, settings):
    a = answer("What did Chnia agree to suspend?", index, embedder, FakeLLM("NOT IN ARTICLES"), settings)
    assert "read the question as: What did China agree to suspend?" in a.notes
    a = answer("What did China agree to suspend?", index, embedder, FakeLLM("NOT IN ARTICLES"), settings)
    assert not any(n.startswith("read the question as") for n in a.notes)


def test_a_firms_sales_do_not_answer_what_is_paid_for_it():
    deal = passage(1, "a", "Convair agreed to buy Leaflet Corp. No other terms were disclosed. "
                           "Leaflet had 1986 sales of about 26 mln dlrs.", title="Convair to buy Leaflet")
    assert typed(said("About 26 million dollars [1]"), "How much is Convair paying for Leaflet?", Settings(),
                 [deal]).claims == []
    assert typed(said("About 26 million dollars [1]"), "What were Leaflet's 1986 revenues?", Settings(), [deal]).claims


def test_last_years_figure_does_not_answer_a_question_asking_of_no_year():
    q = "How big a loss does National Convenience Stores expect for its third quarter?"
    text = ("National Convenience Stores said it expects to report a loss for the third quarter. "
            "In last year's third quarter, National Convenience earned 1,788,000 dlrs or eight cts per share.")
    p = passage(1, "a", text, "1987-03-03", title="NATIONAL CONVENIENCE SEES LOSS")
    assert typed(said("1,788,000 dlrs or eight cts per share"), q, Settings(), [p]).claims == []
    asked_then = "What did National Convenience Stores earn in last year's third quarter?"
    assert typed(said("1,788,000 dlrs"), asked_then, Settings(), [p]).claims
    grown = passage(1, "a", "National Convenience sales rose 60,000 dlrs over last year's to 1,788,000 dlrs.", "1987-03-03")
    assert typed(said("1,788,000 dlrs"), "What were National Convenience Stores' sales?", Settings(), [grown]).claims


def test_a_legal_form_names_no_firm():
    q = "What net income did Unicorp American Corp report for the fourth quarter?"
    other = passage(1, "a", "Silver State Mining Corp corrected its fourth quarter net income to 485,380 dlrs.", "1987-03-06",
                    title="SILVER STATE MINING CORRECTS NET")
    assert typed(said("485,380 dlrs"), q, Settings(), [other]).claims == []  # "Corp" is every firm's
    own = passage(1, "b", "Unicorp American Corp said fourth quarter net income was 1,279,000 dlrs.", "1987-03-06")
    assert typed(said("1,279,000 dlrs"), q, Settings(), [own]).claims
