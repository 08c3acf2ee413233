"""One small frozen dataclass per stage result. Ids are content hashes, never
list positions, so a citation survives a re-index."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def byline(outlet: str | None, date: str | None) -> str:
    """"outlet, date" with whichever is known; every face labels sources so.

    >>> byline("Reuters", "1987-02-26"), byline(None, "2026-01-30"), byline(None, None)
    ('Reuters, 1987-02-26', '2026-01-30', '')
    """
    return ", ".join(x for x in (outlet, date) if x)


@dataclass(frozen=True)
class Document:
    id: str  # path under the ingested folder, no suffix ("business/001"); a file named directly: its stem
    text: str
    content_hash: str  # sha256 of the cleaned text
    title: str
    source: str = ""  # path it was read from
    outlet: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd where known
    url: str | None = None

    def meta(self) -> dict:
        d = asdict(self)
        d.pop("text")
        return d


@dataclass(frozen=True)
class Chunk:
    id: str  # sha256(doc content hash + chunk text)[:16]
    doc_id: str
    text: str
    start: int  # sentence index of its first sentence in the document
    n_tokens: int


@dataclass(frozen=True)
class Hit:
    """A chunk found by retrieval, with its fused score and rank."""

    chunk: Chunk
    score: float
    rank: int
    dense: float = 0.0  # cosine with the question


@dataclass(frozen=True)
class Passage:
    """What the model sees as [n]: the best sentences of one chunk."""

    n: int
    chunk: Chunk
    doc: Document
    text: str
    relevance: float  # best sentence cosine with the question


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites. Only claims its passage supports survive
    the claim check, so every citation is supported (the JSON says so)."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    text: str
    outlet: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Conflict:
    """Articles giving different values for what the question asks."""

    kind: str  # the kind of the values that differ (`rag.facts`): "pct", "money", "num", "date", ...
    values: list[dict]  # [{"value": "over 40%", "n": 1, "doc_id", "chunk_id", "title", "outlet", "date", "quote"}]


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Hit]
    evidence: list[Passage]
    conflicts: list[Conflict]
    timings_ms: dict
    model: dict
    raw: str = ""  # the model's own text, before checking
    mode: str = "llm"  # "llm", "extract", "abstain"
    notes: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    removed: list[dict] = field(default_factory=list)  # answer sentences dropped by the claim check
    relevance: float = 0.0  # best evidence sentence's cosine with the question
    confidence: float | None = None  # the model's P(yes) that its answer is stated and is what was asked

    def to_json(self) -> dict:
        """The `ask --json` contract (DESIGN.md), plus extra fields: among
        them `evidence`, the [n] passages the model saw with their titles
        (and after them any passage citing a version found beyond them:
        `rag.versions`), so that every view of an answer can be drawn from
        the JSON alone (the CLI's warm path gets only JSON from the server)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [{**asdict(c), "supported": True} for c in self.citations],
            "passages": [
                {
                    "rank": h.rank,
                    "doc_id": h.chunk.doc_id,
                    "chunk_id": h.chunk.id,
                    "score": round(float(h.score), 6),
                    "text": h.chunk.text,
                }
                for h in self.passages
            ],
            "conflicts": [asdict(c) for c in self.conflicts],
            "timings_ms": self.timings_ms,
            "model": self.model,
            "mode": self.mode,
            "removed": self.removed,
            "relevance": round(float(self.relevance), 4),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "notes": self.notes,
            "prompt_tokens": self.prompt_tokens,
            "evidence": [{"n": p.n, "doc_id": p.doc.id, "title": p.doc.title, "text": p.text} for p in self.evidence],
        }
