"""What the index holds, as readers see it: the list of articles, a cited
passage in its article's context, and example questions drawn from the
articles themselves. Plain functions over a loaded `store.Index`; the
service and the faces call them."""

from __future__ import annotations

import re

from . import facts as F
from .store import Index
from .text import split_sentences

CONTEXT_SENTENCES = 2  # neighbouring sentences shown, dimmed, before and after a cited passage
LEAD_SENTENCES = 30  # sentences at an article's start searched for an example question
CLAUSE_WORDS = (5, 18)  # an example question's clause: at least, at most this many words
EXAMPLES_SHOWN = 4
SHORT_TITLE_WORDS = 12
# What replaces a value of each kind in an example ("drew 48,213 visitors"
# -> "drew how many visitors"); other kinds (years, months, names) are not asked.
ASK_FOR = {"num": "how many", "pct": "what percentage", "money": "how much", "date": "what date"}
_CLAUSE = re.compile(r"[,;:]\s|[—()]|\s[-–]\s")
_ATTRIBUTIVE = re.compile(r"^\s*(?:-|[a-z]+\b(?<!\bof)(?<!\bfor)(?<!\bin)(?<!\bto)(?<!\bon)(?<!\bby))")


def listing(index: Index) -> list[dict]:
    """One row per article, newest first (undated last, in index order):
    id, title, outlet, date, characters, passages."""
    n_chunks: dict[str, int] = {}
    for c in index.chunks:
        n_chunks[c.doc_id] = n_chunks.get(c.doc_id, 0) + 1
    rows = [{"id": d.id, "title": d.title, "outlet": d.outlet or "", "date": d.date or "",
             "chars": len(d.text), "passages": n_chunks.get(d.id, 0)} for d in index.docs.values()]
    return sorted(rows, key=lambda r: r["date"], reverse=True)  # stable: undated keep index order


def matching(rows: list[dict], query: str) -> list[dict]:
    """Rows whose title, outlet, date or id hold every word of `query`.

    >>> [r["id"] for r in matching([{"id": "a", "title": "Storm floods town", "outlet": "", "date": ""},
    ...                             {"id": "b", "title": "Tariffs cut", "outlet": "Wire", "date": ""}], "wire cut")]
    ['b']
    """
    words = query.lower().split()
    return [r for r in rows if all(w in f"{r['title']} {r['outlet']} {r['date']} {r['id']}".lower() for w in words)]


def passage_context(index: Index, doc_id: str, chunk_id: str, cited: str,
                    around: int = CONTEXT_SENTENCES) -> dict | None:
    """A cited chunk in its article: {"before": [...], "passage": [...],
    "after": [...], "cited": [...]}, where "cited" lists the passage's
    sentences that were given to the model (the citation's `text`), and
    before/after are up to `around` neighbouring sentences. None when the
    article or chunk is no longer in the index."""
    doc = index.docs.get(doc_id)
    chunk = next((c for c in index.chunks if c.id == chunk_id), None)
    if doc is None or chunk is None:
        return None
    sentences = split_sentences(doc.text)
    lines = [x for x in chunk.text.split("\n") if x.strip()]
    start = chunk.start if sentences[chunk.start:chunk.start + 1] == lines[:1] else \
        next((i for i, s in enumerate(sentences) if lines and s == lines[0]), None)
    before = sentences[max(0, start - around):start] if start is not None else []
    after = sentences[start + len(lines):start + len(lines) + around] if start is not None else []
    given = set(split_sentences(cited))
    return {"before": before, "passage": lines, "after": after, "cited": [x for x in lines if x in given]}


def question_from(sentence: str) -> str | None:
    """An example question from a sentence that states a value: the clause
    holding the value, the value replaced by what asks for it (an echo
    question). None when no clause fits.

    >>> question_from("The Kelvport lantern festival drew 48,213 visitors on Saturday, organisers said.")
    'The Kelvport lantern festival drew how many visitors on Saturday?'
    >>> question_from("Officials cut tariffs on steel to 15% on March 3.")
    'Officials cut tariffs on steel to what percentage on March 3?'
    >>> question_from("It was a 30% tariff.") is None
    True
    """
    for clause in _CLAUSE.split(sentence):
        clause = clause.strip().rstrip(".!?\"”")
        n_words = len(clause.split())
        if not CLAUSE_WORDS[0] <= n_words <= CLAUSE_WORDS[1] or not clause[:1].isupper():
            continue
        found = [f for f in F.values(clause) if f.kind in ASK_FOR and re.search(r"\d", f.surface)]
        for f in sorted(found, key=lambda f: clause.find(f.surface)):
            at = clause.find(f.surface)
            after = clause[at + len(f.surface):]
            if at <= 0 or clause[at - 1] in "-$" or after[:1] == "-":
                continue  # "90-minute", a value that starts the clause
            if f.kind in {"pct", "money"} and _ATTRIBUTIVE.match(after) and after.strip():
                continue  # "a 30% tariff": no question reads well
            if f.kind == "num" and not re.match(r"\s+[a-z]", after):
                continue  # a bare number: "how many" needs a noun after it
            return f"{clause[:at]}{ASK_FOR[f.kind]}{after}".strip() + "?"
    return None


def example_questions(index: Index, n: int = EXAMPLES_SHOWN) -> list[str]:
    """Up to `n` questions, one an article, newest articles first: an echo
    question from the first of its opening sentences that states a number,
    rate, amount or date (`question_from`); articles with none are passed
    over, then, if too few, asked about by their headline."""
    out: list[str] = []
    docs = [index.docs[r["id"]] for r in listing(index)]
    asked = set()
    for d in docs:
        for s in split_sentences(d.text)[:LEAD_SENTENCES]:
            q = question_from(s)
            if q and q not in out:
                out.append(q)
                asked.add(d.id)
                break
        if len(out) >= n:
            return out
    for d in (d for d in docs if d.id not in asked):
        title = " ".join(d.title.split()[:SHORT_TITLE_WORDS]).rstrip(".:…")
        q = f"What do the articles say about “{title}”?"
        if len(out) < n and q not in out:
            out.append(q)
    return out
