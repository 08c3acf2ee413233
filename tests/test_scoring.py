"""Eval scorers and the harness's metrics, worked by hand."""

import pytest

from eval import harness
from eval import scoring as S

# ---- normalize ----------------------------------------------------------------

@pytest.mark.parametrize("raw,norm", [
    ("Duties of over 40 percent, $1,200", "duties of over 40% 1200 dollars"),
    ("Tariffs were cut to 30% [1].", "tariffs were cut to 30%"),  # markers and sentence periods go
    ("It rose to 3.5 per cent.", "it rose to 3.5%"),  # decimal points stay
    ("U.S. tariffs", "u s tariffs"),
    ("Trump\u2019s \u201cdeal\u201d", "trump s deal"),
    ("  A\n\tB  ", "a b"),
    ("12,000 tonnes", "12000 tonnes"),
    ("250 mln dlrs, 3 pct", "250 million dollars 3%"),  # the wire's short forms spelled out
    ("US$1.2 billion", "1.2 billion dollars"),
])
def test_normalize(raw, norm):
    assert S.normalize(raw) == norm


def test_normalize_drops_every_thousands_comma():
    assert S.normalize("1,234,567 tonnes") == "1234567 tonnes"


# ---- contains -------------------------------------------------------------------

@pytest.mark.parametrize("answer,alias,expected", [
    ("Tariffs were cut to 30 percent [1].", "30%", True),
    ("Tariffs were cut to 30%.", "30 percent", True),
    ("They met in Beijing.", "beijing", True),  # case-insensitive
    ("It cost $130 billion", "30 billion", False),  # no match inside a number
    ("It cost $130 billion", "$130 billion", True),
    ("A $295 billion gap", "$295 billion", True),
    ("A 295.5 billion gap", "295 billion", False),
    ("A 30% cut", "30", False),  # a percentage is not the plain number
    ("Beijingers cheered", "Beijing", False),  # word boundary
    ("The call lasted 90 minutes", "90 minutes", True),
    ("anything", "", False),  # an empty alias matches nothing
    ("anything", "[1]", False),  # nor does one that normalizes to empty
])
def test_contains(answer, alias, expected):
    assert S.contains(answer, alias) is expected


def test_contains_does_not_match_the_integer_part_of_a_decimal():
    assert not S.contains("Tariffs rose to 30.5% [1].", "30")


def test_any_alias():
    assert S.any_alias("Talks in Geneva [2].", ["Beijing", "Geneva"])
    assert not S.any_alias("Talks in Geneva [2].", [])


# ---- token_f1 -------------------------------------------------------------------

def test_token_f1():
    # "the 30% tariff" vs "30%": P = 1/3, R = 1 -> F1 = 2PR/(P+R) = 0.5
    assert S.token_f1("the 30% tariff", ["30%"]) == pytest.approx(0.5)
    # exact match after normalizing
    assert S.token_f1("30 percent.", ["30%"]) == pytest.approx(1.0)
    # best alias wins: "cut to 30%" vs "cut to 30%": 1.0, vs "Beijing": 0
    assert S.token_f1("cut to 30%", ["Beijing", "cut to 30%"]) == pytest.approx(1.0)
    # "a b c d" vs "c d e": common 2, P = 2/4, R = 2/3 -> F1 = 2*(1/2)(2/3)/(7/6) = 4/7
    assert S.token_f1("a b c d", ["c d e"]) == pytest.approx(4 / 7)
    assert S.token_f1("nothing shared", ["30%"]) == 0.0
    assert S.token_f1("anything", []) == 0.0


# ---- quote_in, first_rank, citation_valid ------------------------------------------

QUOTE = "tariffs were cut to 30% for 90 days"  # 8 words; 60% -> a run of 5 needed


def test_quote_in():
    assert S.quote_in("x y. Tariffs were cut to 30% for 90 days.", QUOTE)  # whole
    assert S.quote_in("TARIFFS WERE CUT TO 30 percent", QUOTE)  # after normalizing
    assert S.quote_in("Beginning cut off: to 30% for 90 days.", QUOTE)  # a run of 5: "to 30% for 90 days"
    assert not S.quote_in("Ending cut off: for 90 days.", QUOTE)  # a run of 3 only
    assert not S.quote_in("Tariffs rose.", QUOTE)
    assert not S.quote_in("anything", "")


def test_first_rank():
    passages = ["Soybean sales rose.", "Tariffs were cut to 30% for 90 days.", "Tariffs were cut to 30% for 90 days."]
    assert S.first_rank(passages, [QUOTE]) == 2
    assert S.first_rank(passages, ["rain fell", "soybean sales rose"]) == 1
    assert S.first_rank(passages, ["nothing like it"]) is None
    assert S.first_rank([], [QUOTE]) is None


def test_citation_valid():
    assert S.citation_valid("Tariffs were cut to 30% for 90 days.", [QUOTE], ["30%"])  # by quote
    assert S.citation_valid("The tariff is 30% now.", [QUOTE], ["30%"])  # by the answer's fact
    assert not S.citation_valid("Soybean sales rose.", [QUOTE], ["30%"])
    assert not S.citation_valid("Soybean sales rose.", [], [])


# ---- versions_covered ------------------------------------------------------------

def test_versions_covered():
    assert S.versions_covered("30% [1]; over 40% [2]", [["30%"], ["40%"]])
    assert S.versions_covered("30 percent [1] or more than forty [2]", [["30%"], ["40%", "more than forty"]])
    assert not S.versions_covered("30% [1]", [["30%"], ["40%"]])
    assert not S.versions_covered("30% [1]", [])  # no versions: not a conflict item


# ---- prf, percentile, mean -------------------------------------------------------

def test_prf():
    assert S.prf(8, 2, 4) == (0.8, 0.667, 0.727)  # P 8/10, R 8/12, F 2*.8*.667/1.467
    assert S.prf(1, 1, 0) == (0.5, 1.0, 0.667)
    assert S.prf(0, 0, 0) == (0.0, 0.0, 0.0)  # nothing predicted, nothing to find
    assert S.prf(0, 3, 0) == (0.0, 0.0, 0.0)
    assert S.prf(0, 0, 3) == (0.0, 0.0, 0.0)
    assert S.prf(5, 0, 0) == (1.0, 1.0, 1.0)


def test_percentile_nearest_rank():
    # nearest rank: the ceil(q*n)-th smallest value
    assert S.percentile([1, 2, 3, 4, 10], 0.9) == 10  # ceil(4.5) = 5th
    assert S.percentile([5, 1, 3], 0.5) == 3  # ceil(1.5) = 2nd of [1, 3, 5]
    assert S.percentile([100, 200, 300, 400], 0.5) == 200  # ceil(2.0) = 2nd
    assert S.percentile([100, 200, 300, 400], 0.9) == 400  # ceil(3.6) = 4th
    assert S.percentile([7], 0.9) == 7
    assert S.percentile([], 0.5) == 0.0


def test_percentile_when_q_times_n_is_whole():
    assert S.percentile(list(range(1, 11)), 0.9) == 9  # ceil(9.0) = 9th
    assert S.percentile([1, 2, 3, 4], 0.75) == 3  # ceil(3.0) = 3rd
    assert S.percentile([1, 2, 3, 4], 0.25) == 1  # ceil(1.0) = 1st


def test_mean():
    assert S.mean([True, False, True]) == 0.667
    assert S.mean([]) == 0.0


# ---- harness.score on hand-made rows ------------------------------------------------

TARIFF_SENTENCE = "The United States cut tariffs on Chinese goods to 30% for 90 days."


def out(answer, abstained, passages, citations, total, conflicts=(), prompt_tokens=None):
    """An `ask --json` object with the fields the harness reads."""
    o = {"question": "q", "answer": answer, "abstained": abstained,
         "citations": [{"n": i, "doc_id": "d", "chunk_id": "c", "title": "t", "text": t, "supported": True}
                       for i, t in enumerate(citations, start=1)],
         "passages": [{"rank": i, "doc_id": "d", "chunk_id": "c", "score": 0.1, "text": t}
                      for i, t in enumerate(passages, start=1)],
         "conflicts": list(conflicts), "timings_ms": {"retrieve": 1.0, "generate": 1.0, "total": total},
         "model": {"llm": "fake", "embedder": "fake"}}
    if prompt_tokens is not None:
        o["prompt_tokens"] = prompt_tokens
    return o


def item(kind, answers, quotes, versions=()):
    return {"id": "q", "question": "q", "kind": kind, "style": "plain", "answers": answers,
            "quotes": [{"doc_id": "d", "text": q} for q in quotes], "versions": list(versions)}


ROWS = [
    # A: fact, answered right; the quote is in the 2nd passage; citations: one valid, one not
    harness.Row(item("fact", ["30%", "30 percent"], ["cut tariffs on Chinese goods to 30% for 90 days"]),
                out("Tariffs were cut to 30% [1].", False,
                    ["China agreed to buy soybeans.", TARIFF_SENTENCE],
                    [TARIFF_SENTENCE, "China agreed to buy soybeans."], total=100, prompt_tokens=50)),
    # B: fact, but abstained (a false refusal); the quote is in the 1st passage
    harness.Row(item("fact", ["February 4", "Feb 4"], ["a 90-minute phone call between Trump and Xi on February 4"]),
                out("The articles don't say.", True,
                    ["The visit follows a 90-minute phone call between Trump and Xi on February 4."], [],
                    total=200, prompt_tokens=0)),
    # C: unanswerable, abstained (a true refusal); no prompt_tokens field (counts as 0)
    harness.Row(item("unanswerable", [], []),
                out("The articles don't say.", True, ["Heavy rain flooded the town."], [], total=300)),
    # D: conflict, answered with both versions; no passage holds a quote; both citations hold an answer
    harness.Row(item("conflict", ["30%", "40%", "over 40%"],
                     ["tariffs on Chinese goods to 30% for 90 days", "duties of over 40% on Chinese imports"],
                     [{"answers": ["30%"], "doc_id": "a", "quote": "x"},
                      {"answers": ["over 40%", "40%"], "doc_id": "b", "quote": "y"}]),
                out("Tariffs were 30% [1]; another report says over 40% [2].", False,
                    ["Heavy rain flooded the town.", "Soybean exports rose."],
                    ["The tariff was 30%.", "Duties rose to over 40%."], total=400,
                    conflicts=[{"kind": "pct", "values": []}], prompt_tokens=70)),
]


def test_harness_score_hand_worked():
    m = harness.score(ROWS, k=5)
    assert m["n"] == 4
    # answerable: A, B, D. First rank of a quote: A 2, B 1, D none.
    assert m["recall_at_k"] == 0.667  # 2 of 3 within k=5
    assert m["mrr"] == 0.5  # (1/2 + 1/1 + 0) / 3
    assert m["accuracy"] == 0.667  # A and D name an answer; B abstained
    # token F1: A "tariffs were cut to 30%" vs "30%": P 1/5, R 1 -> 1/3;
    # B 0; D "tariffs were 30% another report says over 40%" vs "over 40%":
    # P 2/8, R 1 -> 0.4. Mean (1/3 + 0 + 0.4) / 3 = 0.2444
    assert m["token_f1"] == 0.244
    # citations of answered rows: A valid, A invalid (soybeans), D valid (30%), D valid (40%)
    assert m["citation_precision"] == 0.75
    assert m["citation_coverage"] == 1.0  # A and D each have a valid citation
    # refusals: tp = C, fp = B, fn = 0 -> P 1/2, R 1, F 2/3
    assert (m["refusal_precision"], m["refusal_recall"], m["refusal_f1"]) == (0.5, 1.0, 0.667)
    assert m["hallucinations"] == 0 and m["false_refusals"] == 1
    assert m["conflict_coverage"] == 1.0 and m["conflicts_flagged"] == 1.0
    # latencies 100, 200, 300, 400: p50 = 2nd, p90 = ceil(3.6) = 4th
    assert (m["latency_p50_ms"], m["latency_p90_ms"]) == (200, 400)
    assert m["prompt_tokens_mean"] == 30.0  # (50 + 0 + 0 + 70) / 4
    assert set(harness.METRICS) <= set(m)


def test_harness_trust_figures_hand_worked():
    m = harness.score(ROWS, k=5)
    assert m["refusal_accuracy"] == 1.0  # C, the one unanswerable item, abstained
    assert m["false_refusal_rate"] == 0.333  # B of A, B, D
    assert m["disagreement_recall"] == 1.0  # D names 30% and over 40%, and cites passages holding each
    assert m["false_disagreement_rate"] == 0.0  # A, the one answered non-conflict item, flags none
    assert m["decided_by"] == {"llm": 2, "gate": 2}  # B and C abstained without a prompt


def test_a_disagreement_is_shown_only_with_each_version_cited():
    versions = [{"answers": ["30%"]}, {"answers": ["over 40%", "40%"]}]
    both = out("30% [1]; over 40% [2].", False, [], ["The tariff was 30%.", "Duties rose to over 40%."], total=1)
    assert harness.disagreement_shown(both, versions)
    uncited = out("30% [1]; over 40%.", False, [], ["The tariff was 30%."], total=1)
    assert not harness.disagreement_shown(uncited, versions)  # the 40% is named but no cited passage holds it
    one = out("30% [1].", False, [], ["The tariff was 30%. Duties rose to over 40%."], total=1)
    assert not harness.disagreement_shown(one, versions)


def test_harness_score_with_a_hallucination_and_smaller_k():
    # C answered instead of abstaining; k = 1 drops A's rank-2 quote
    c = ROWS[2]
    hallucinated = harness.Row(c.item, {**c.out, "answer": "Ten tonnes [1].", "abstained": False,
                                        "citations": [{"n": 1, "text": "Heavy rain flooded the town."}]})
    m = harness.score([ROWS[0], ROWS[1], hallucinated, ROWS[3]], k=1)
    assert m["recall_at_k"] == 0.333  # only B's quote is at rank 1
    assert m["hallucinations"] == 1
    # tp 0, fp 1 (B), fn 1 (C) -> all 0
    assert (m["refusal_precision"], m["refusal_recall"], m["refusal_f1"]) == (0.0, 0.0, 0.0)
    # the unanswerable row's citation does not count toward precision (answerable rows only)
    assert m["citation_precision"] == 0.75


def test_harness_failed():
    assert [harness.failed(r) for r in ROWS] == [None, "refused an answerable question", None, None]
    c = ROWS[2]
    assert harness.failed(harness.Row(c.item, {**c.out, "abstained": False})) == "answered an unanswerable question"
    a = ROWS[0]
    assert harness.failed(harness.Row(a.item, {**a.out, "answer": "Tariffs rose [1]."})) == "wrong answer"
    d = ROWS[3]
    assert harness.failed(harness.Row(d.item, {**d.out, "answer": "Tariffs were 30% [1]."})) == "did not name every version"


def test_harness_check_thresholds():
    report = {"model": "m", "model_key": "tiny", "systems": {"m": {"accuracy": 0.5, "hallucinations": 3}}}
    assert harness.check(report, {"seeds": {"tiny": {"accuracy": 0.4, "max_hallucinations": 3}}}) == []
    assert harness.check(report, {"seeds": {"tiny": {"accuracy": 0.6, "max_hallucinations": 2}}}) == [
        "accuracy = 0.5 < 0.6", "hallucinations = 3 > 2"]
    assert harness.check(report, {"seeds": {"default": {"accuracy": 0.9}}}) == []  # no limits for this model
    assert harness.check(report, {"reuters": {"tiny": {"accuracy": 0.9}}}) == []  # another gold set's


def test_harness_check_gates_the_test_split():
    """Thresholds judge the test half (the dev half is where tuning looked)."""
    report = {"model": "m", "model_key": "tiny", "gold_set": "reuters", "systems": {"m": {"accuracy": 0.9}},
              "splits": {"dev": {"m": {"accuracy": 0.9}}, "test": {"m": {"accuracy": 0.5}}}}
    assert harness.check(report, {"reuters": {"tiny": {"accuracy": 0.6}}}) == ["accuracy = 0.5 < 0.6"]


def test_every_threshold_names_a_figure_the_eval_reports():
    """A misspelt key in eval/thresholds.toml would fail only after a whole eval run."""
    known = set(harness.METRICS) | set(harness.TRUST) | {"hallucinations", "false_refusals"}
    for gold_set, models in harness.thresholds().items():
        for model, limits in models.items():
            for key in limits:
                assert key.removeprefix("max_") in known, f"[{gold_set}.{model}] {key}"
