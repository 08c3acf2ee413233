"""The data flow in one short function: question -> retrieval -> evidence
-> gate -> prompt -> LLM -> claim check -> conflicts -> Answer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import conflicts as conflicts_mod
from . import prompts
from .embed import Embedder
from .errors import InputError
from .llm import LLM
from .retrieve import Sentence, pack, score_sentences, search
from .settings import Settings
from .store import Index
from .text import content_words
from .types import Answer, Citation, Conflict, Passage
from .verify import Claim, check_answer, is_refusal

NOT_FOUND = "The articles don't say."
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_question(question: str, max_chars: int) -> tuple[str, list[str]]:
    """Strip control characters; refuse an empty question; trim a huge one."""
    q = _CTRL.sub(" ", question or "").strip()
    q = re.sub(r"\s+", " ", q)
    if not q:
        raise InputError('empty question; ask something, e.g. ask "what tariff rate?"')
    if len(q) > max_chars:
        return q[:max_chars].rsplit(" ", 1)[0], [f"question trimmed to its first {max_chars} characters"]
    return q, []


@dataclass(frozen=True)
class Gate:
    ok: bool
    relevance: float  # best sentence cosine with the question
    coverage: float  # share of the question's key terms found in the evidence
    missing: list[str]
    reason: str = ""


def gate(question: str, passages: list[Passage], settings: Settings) -> Gate:
    """Is the evidence about what the question asks? Similarity catches
    off-topic questions; on-topic ones the articles cannot answer need the
    question's key terms to be found in the evidence."""
    if not passages:
        return Gate(False, 0.0, 0.0, [], "nothing retrieved")
    rel = max(p.relevance for p in passages)
    terms = list(dict.fromkeys(content_words(question)))
    have = set(content_words(" ".join(p.text for p in passages)))
    missing = [t for t in terms if t not in have]
    coverage = 1 - len(missing) / len(terms) if terms else 0.0
    if rel < settings.min_relevance:
        return Gate(False, rel, coverage, missing, "no passage is about the question")
    if coverage < settings.min_term_coverage:
        return Gate(False, rel, coverage, missing, "the evidence lacks the question's terms: " + ", ".join(missing))
    return Gate(True, rel, coverage, missing)


def _cite(claims: list[Claim]) -> str:
    return " ".join(f"{c.text.rstrip()} " + "".join(f"[{n}]" for n in c.cited) for c in claims).strip()


def _extract(sentences: list[Sentence], passages: list[Passage]) -> tuple[str, list[Claim]]:
    """The best evidence sentence, cited: the answer when the model's fails."""
    by_chunk = {p.chunk.id: p for p in passages}
    for s in sentences:
        p = by_chunk.get(s.hit.chunk.id)
        if p is not None and s.text in p.text:
            c = Claim(s.text, [p.n], True, 1.0)
            return _cite([c]), [c]
    return "", []


def _conflict_text(conflicts: list[Conflict]) -> str:
    parts = []
    for c in conflicts:
        vs = []
        for v in c.values:
            where = ", ".join(x for x in (v.get("outlet"), v.get("date")) if x)
            vs.append(f"{v['value']} [{v['n']}]" + (f" ({where})" if where else ""))
        parts.append("The sources differ: " + "; ".join(vs) + ".")
    return " ".join(parts)


def answer(question: str, index: Index, embedder: Embedder, llm: LLM | None, settings: Settings,
           on_token: Callable[[str], None] | None = None, top_k: int | None = None) -> Answer:
    t0 = time.perf_counter()
    q, notes = clean_question(question, settings.max_question_chars)
    qvec = embedder.embed([q])[0]
    hits = search(index, qvec, q, settings)
    sentences = score_sentences(hits[:8], qvec, q, embedder, settings.rrf_k)
    passages = pack(sentences, index, settings, top_k)
    g = gate(q, passages, settings)
    found = conflicts_mod.find(q, passages) if g.ok else []
    t1 = time.perf_counter()

    raw, mode, claims, prompt_tokens = "", "abstain", [], 0
    removed: list[Claim] = []
    if g.ok and llm is not None:
        pieces = []
        for piece in llm.stream(prompts.messages(q, passages), settings.max_answer_tokens):
            pieces.append(piece)
            if on_token:
                on_token(piece)
        raw = "".join(pieces).strip()
        prompt_tokens = llm.last_usage.get("prompt_tokens", 0)
        checked = [] if is_refusal(raw) and "[" not in raw else check_answer(raw, passages, settings.min_support)
        claims = [c for c in checked if c.supported]
        removed = [c for c in checked if not c.supported]
        mode = "llm" if claims else "abstain"
    if g.ok and not claims and g.relevance >= settings.extract_min_relevance:
        text, claims = _extract(sentences, passages)
        mode = "extract" if claims else "abstain"
    t2 = time.perf_counter()

    if claims:
        text = _cite(claims)
        if found:
            text += " " + _conflict_text(found)
    else:
        text, found = NOT_FOUND, []
        notes.append(g.reason or "no claim in the model's answer is supported by the passages")
    used = sorted({n for c in claims for n in c.cited} | {v["n"] for c in found for v in c.values})
    by_n = {p.n: p for p in passages}
    citations = [Citation(n=n, doc_id=by_n[n].doc.id, chunk_id=by_n[n].chunk.id, title=by_n[n].doc.title,
                          text=by_n[n].text, supported=True, outlet=by_n[n].doc.outlet, date=by_n[n].doc.date)
                 for n in used]
    for c in removed:
        notes.append(f"removed an unsupported sentence: {c.text!r}" + (f" (not in the passages: {', '.join(c.missing)})" if c.missing else ""))
    return Answer(
        question=q, answer=text, abstained=not claims, citations=citations, passages=hits[: max(len(passages), top_k or settings.top_k)],
        evidence=passages, conflicts=found,
        timings_ms={"retrieve": round((t1 - t0) * 1000, 1), "generate": round((t2 - t1) * 1000, 1),
                    "total": round((t2 - t0) * 1000, 1)},
        model={"llm": llm.id if llm is not None else None, "embedder": embedder.id},
        raw=raw, mode=mode, notes=notes, prompt_tokens=prompt_tokens,
        removed=[{"text": c.text, "cited": c.cited + c.dropped, "supported": False, "missing": c.missing} for c in removed],
    )
