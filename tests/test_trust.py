"""The trust stages after the model, with fakes: an answer must hold what
was asked; the model's own yes/no check can drop it; a disagreement is one
quantity given differently, never two quantities."""

from rag import conflicts
from rag.pipeline import answer
from rag.types import Chunk, Document, Passage

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


def test_an_answer_without_the_asked_kind_is_not_an_answer(index, embedder, settings):
    """Asked for a rate, the model gives a sentence the passage supports but
    that holds no rate: dropped, and the fallback finds the rate."""
    llm = FakeLLM("The United States cut tariffs on Chinese goods [1].")
    a = answer(RATE_Q, index, embedder, llm, settings)
    assert any(r["missing"] == ["what was asked"] for r in a.to_json()["removed"])
    assert a.mode == "extract" and "30%" in a.answer


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


def doc(i: int, date: str) -> Document:
    return Document(f"d{i}", "", f"h{i}", f"t{i}", outlet="Wire", date=date)


def passage(i: int, text: str, date: str) -> Passage:
    return Passage(i, Chunk(f"c{i}", f"d{i}", text, 0, 0), doc(i, date), text, 0.8)


def test_one_quantity_given_differently_is_a_disagreement_newest_first():
    ps = [passage(1, "Opec output was 16 mln bpd in February, a survey said.", "1987-03-02"),
          passage(2, "Opec output was 16.1 mln bpd in February, the agency said.", "1987-03-09")]
    found = conflicts.find("How much crude did Opec produce in February?", ps, None, 0.12)
    assert [v["value"] for v in found[0].values] == ["16.1 mln bpd", "16 mln bpd"]  # the later report first


def test_different_units_or_kinds_are_not_a_disagreement():
    units = [passage(1, "Brazil exported 12 mln bags of coffee this year.", "1987-03-02"),
             passage(2, "Brazil exported 15 mln tonnes of coffee this year.", "1987-03-03")]
    assert conflicts.find("How much coffee did Brazil export this year?", units, None, 0.12) == []
    kinds = [passage(1, "The trade deficit was 295 billion dlrs last year.", "1987-03-02"),
             passage(2, "The trade deficit grew 12 pct last year.", "1987-03-03")]
    assert conflicts.find("How large was the trade deficit last year?", kinds, None, 0.12) == []
