"""The shared Assistant with fakes: one answer at a time, streaming, errors
reaching the reader, ingest swapping the index, and picking up an index
another process rebuilt."""

import threading
import time

import pytest

from rag import indexing
from rag.errors import InputError
from rag.service import Assistant

from helpers import FakeEmbedder, FakeLLM, check_contract, write_articles

TARIFF_Q = "What did the United States cut tariffs on Chinese goods to?"
REPLY = "The United States cut tariffs on Chinese goods to 30% for 90 days [1]."


class SlowLLM(FakeLLM):
    """Records how many calls run at once."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.active = 0
        self.most = 0

    def stream(self, messages, max_tokens):
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            for piece in super().stream(messages, max_tokens):
                time.sleep(0.01)
                yield piece
        finally:
            self.active -= 1


@pytest.fixture
def assistant(settings, embedder, index):
    return Assistant(settings, embedder=embedder, llms={"default": SlowLLM(REPLY, pieces=5)}, index=index)


def test_answers_follow_the_contract(assistant, index):
    a = assistant.ask(TARIFF_Q)
    check_contract(a.to_json(), index)
    assert "30%" in a.answer and not a.abstained
    assert assistant.status()["answered"] == 1


def test_concurrent_questions_run_one_at_a_time(assistant):
    out, errors = [], []

    def go():
        try:
            out.append(assistant.ask(TARIFF_Q))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(out) == 6
    assert assistant.llm().most == 1  # the LLM never ran two answers at once
    assert {a.answer for a in out} == {out[0].answer}


def test_stream_yields_tokens_then_the_checked_answer(assistant):
    events = list(assistant.stream(TARIFF_Q))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1
    assert kinds.count("token") == 5
    assert "".join(v for k, v in events if k == "token") == REPLY
    assert "30%" in events[-1][1].answer


def test_stream_raises_user_errors_to_the_reader(assistant):
    with pytest.raises(InputError, match="empty question"):
        list(assistant.stream("   "))
    with pytest.raises(InputError, match="between 1 and 12"):
        assistant.ask(TARIFF_Q, top_k=40)


def test_ingest_swaps_the_index_for_the_next_question(assistant, tmp_path):
    new = write_articles(tmp_path / "more", {"bridge.txt": "Bridge opens in Lakeview\n\n"
                                             "The Lakeview bridge opened on Friday after 7 years of work.\n"})
    before = len(assistant.index.docs)
    report, added = assistant.ingest([new])
    assert added == 1 and len(assistant.index.docs) == before + 1
    assert report.seconds >= 0


def test_picks_up_an_index_rebuilt_by_another_process(assistant, settings, tmp_path):
    first = assistant.index
    other = write_articles(tmp_path / "other", {"ferry.txt": "Ferry service resumes\n\n"
                                                "The island ferry resumed service on Tuesday with 3 daily crossings.\n"})
    indexing.ingest(settings, FakeEmbedder(), [other])  # as `rag ingest` in another process would
    assert assistant.index is not first
    assert "ferry" in assistant.index.docs
