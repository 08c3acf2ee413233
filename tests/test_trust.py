"""The model's own yes/no check of its answer, with fakes: asked in the same
conversation, it drops an answer below the threshold; off at 0."""

from rag.pipeline import answer

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
