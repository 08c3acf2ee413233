"""The gate: off-topic questions and on-topic ones whose names or years the
articles never mention are refused before the LLM; context words found
anywhere in the answer's article are not a reason to refuse."""

from rag.gate import gate, key_terms
from rag.settings import Settings
from rag.types import Chunk, Document, Passage

ARTICLE = Document("k", "K mart Corp said on Tuesday its sales rose. "
                        "Consolidated sales in the period were 1.46 billion dlrs compared with 1.29 billion last year.",
                   "h", "K MART FEBRUARY SALES RISE", date="1987-03-03")


def passage(text: str, relevance: float = 0.7, doc: Document = ARTICLE) -> Passage:
    return Passage(1, Chunk("c", doc.id, text, 0, 0), doc, text, relevance)


SALES = "Consolidated sales in the period were 1.46 billion dlrs compared with 1.29 billion last year."


def test_context_in_the_article_opens_the_gate():
    """The packed sentence lacks "K mart" and the year; its article has both."""
    g = gate("What were K mart's consolidated sales in February 1987?", [passage(SALES)], Settings())
    assert g.ok, g.reason


def test_a_name_no_article_mentions_closes_it():
    g = gate("What were Sears's consolidated sales in February?", [passage(SALES)], Settings())
    assert not g.ok and g.missing == ["sears"]


def test_a_year_no_article_mentions_closes_it():
    g = gate("What were K mart's consolidated sales in 1985?", [passage(SALES)], Settings())
    assert not g.ok and g.missing == ["1985"]


def test_off_topic_closes_it():
    g = gate("What were K mart's sales?", [passage(SALES, relevance=0.1)], Settings())
    assert not g.ok and g.relevance == 0.1


def test_key_terms():
    assert key_terms("What did Sears's chief say of Macy's sales in 1987?") == ["sears", "macy", "1987"]
