"""The answer path as named stages, each a plain function passing a small
typed record to the next:

    gather_evidence -> gate -> generate -> check -> fall_back -> assemble

`answer()` composes them; `answer_unchecked()` is the eval's "before" row
(the model's own words and markers, nothing checked)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from . import conflicts, fallback, prompts, versions
from . import facts as F
from .asked import answers, asked_kinds, asks_level, placed_elsewhen
from .embed import Embedder
from .facts import named
from .gate import Gate, gate, mended_countries, names_any, telling
from .llm import LLM
from .quantity import measures_other, moved, placed_before
from .question import Question, clean_question
from .retrieve import Sentence, newest_first, pack, score_sentences, search, wants_latest
from .settings import Settings
from .store import Index
from .text import content_words, inert
from .types import Answer, Citation, Conflict, Hit, Passage
from .verify import MARK, Claim, answer_sentences, check_answer, given_by, is_refusal, parse_markers

NOT_FOUND = "The articles don't say."
CL100K_TO_ANY = 1.25  # a model's tokenizer may need a quarter more tokens than cl100k for the same text


@dataclass(frozen=True)
class Evidence:
    """What retrieval found for a question."""

    question: Question
    hits: list[Hit]  # fused chunks, best first
    sentences: list[Sentence]  # their sentences, ranked
    passages: list[Passage]  # what the model sees as [1]..[k]
    pool: str = ""  # the chunks the sentences were ranked from, and their headlines (the gate reads it)


@dataclass(frozen=True)
class Draft:
    """The model's reply, unchecked."""

    raw: str
    prompt_tokens: int
    notes: list[str] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)  # the prompt it answered


@dataclass(frozen=True)
class Checked:
    """The claims an answer keeps, the ones removed, and who wrote them."""

    claims: list[Claim]
    removed: list[Claim] = field(default_factory=list)
    mode: str = "abstain"  # "llm", "extract", "abstain"
    confidence: float | None = None  # the model's own check, when asked


class _Clock:
    def __init__(self) -> None:
        self.t0 = self.last = time.perf_counter()
        self.ms: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = round((now - self.last) * 1000, 1)
        self.ms["total"] = round((now - self.t0) * 1000, 1)
        self.last = now


def read_question(question: str | Question, index: Index, settings: Settings) -> Question:
    """The question cleaned (`clean_question`), a country's name typed one
    slip off read as that name where the collection does not hold the word
    as typed (`gate.mended_countries`); the notes say how it was read."""
    q = clean_question(question, settings.max_question_chars)
    vocab = getattr(index.bm25, "vocab_dict", None)
    text = mended_countries(q.text, lambda w: all(t in vocab for t in content_words(w))) if vocab else q.text
    return q if text == q.text else Question(text, q.notes + [f"read the question as: {text}"])


def gather_evidence(q: Question, index: Index, embedder: Embedder, settings: Settings,
                    top_k: int | None = None) -> Evidence:
    """Hybrid search for chunks, their sentences ranked, the best packed
    into numbered passages (newest first when the question asks for the latest)."""
    qvec: np.ndarray = embedder.embed([q.text])[0]
    hits = search(index, qvec, q.text, settings)
    top = hits[:settings.sentence_chunks]
    heads = {h.chunk.doc_id: index.docs[h.chunk.doc_id].title or "" for h in top if h.chunk.doc_id in index.docs}
    sentences = score_sentences(top, qvec, q.text, embedder, settings.rrf_k, heads)
    passages = pack(sentences, index, settings, top_k, asked_kinds(q.text), named(q.text))
    if wants_latest(q.text):
        passages = newest_first(passages)
    return Evidence(q, hits, sentences, passages, " ".join([h.chunk.text for h in top] + list(heads.values())))


def token_counter(llm) -> Callable[[str], int]:
    """The LLM's own tokenizer when it has one, else cl100k plus a quarter."""
    from .text import count_tokens

    return getattr(llm, "count_tokens", None) or (lambda t: int(count_tokens(t) * CL100K_TO_ANY) + 1)


def generate(ev: Evidence, llm: LLM, settings: Settings, on_token: Callable[[str], None] | None = None) -> Draft:
    """The prompt, fitted to the context window, through the LLM, streamed."""
    msgs, notes = prompts.fit(ev.question.text, ev.passages, token_counter(llm), settings.n_ctx,
                              settings.max_answer_tokens)
    pieces = []
    for piece in llm.stream(msgs, settings.max_answer_tokens):
        pieces.append(piece)
        if on_token:
            on_token(piece)
    return Draft("".join(pieces).strip(), llm.last_usage.get("prompt_tokens", 0), notes, msgs)


def check(draft: Draft, passages: list[Passage], settings: Settings, question: str = "") -> Checked:
    """Each sentence of the draft against its cited passage (`verify`); what
    the question itself gives (its names, days, months and years:
    `verify.given_by`) need not be there."""
    if refused(draft):
        return Checked([])
    checked = check_answer(draft.raw, passages, settings.min_support, given_by(question))
    claims = [c for c in checked if c.supported]
    return Checked(claims, [c for c in checked if not c.supported], "llm" if claims else "abstain")


def refused(draft: Draft) -> bool:
    """Did the model say the passages do not answer (and cite nothing)?"""
    return is_refusal(draft.raw) and "[" not in draft.raw


def confirm(checked: Checked, draft: Draft, llm: LLM, settings: Settings) -> Checked:
    """The model's own yes/no check of the answer that survived the claim
    check, asked in the same conversation (its cached prefix makes it cost
    only the new turn's tokens). Below `min_answer_confidence` the answer is
    dropped: a figure or name the passages hold, given for another question."""
    ask = getattr(llm, "yes_probability", None)
    if not checked.claims or ask is None or settings.min_answer_confidence <= 0:  # 0: off, nothing asked
        return checked
    p = ask([*draft.messages, {"role": "assistant", "content": draft.raw}, {"role": "user", "content": prompts.VERIFY}])
    if p is None or p >= settings.min_answer_confidence:
        return replace(checked, confidence=p)
    dropped = [replace(c, supported=False, missing=["the model's own check"]) for c in checked.claims]
    return Checked([], checked.removed + dropped, "abstain", p)


def typed(checked: Checked, question: str, settings: Settings, passages: list[Passage] = ()) -> Checked:
    """The answer must hold the kind of thing asked (an amount for "at what
    price", a name for "who"): a sentence its passage says, about the
    subject, without it answers nothing; nor may it give another time than
    the question's (`asked.answers`), nor figures its passages give for
    another time (`asked.placed_elsewhen`) or only for last year where the
    question asks of no year (`quantity.placed_before`), nor figures its
    passages label as another measure (a bank's assets for its price:
    `measures_other`), nor cite passages naming none of the question's
    names (`_about`), nor answer a level question with how far the thing
    moved (`_moved_only`)."""
    if not settings.typed_answers or not checked.claims:
        return checked
    said = " ".join(c.text for c in checked.claims)
    by_n = {p.n: p.text for p in passages}
    elsewhere = settings.same_time and any(placed_elsewhen(c.text, by_n[n], question)
                                           or placed_before(c.text, by_n[n], question)
                                           for c in checked.claims for n in c.cited if n in by_n)
    kinds = asked_kinds(question)
    other = any(measures_other(c.text, by_n[n], question, kinds) for c in checked.claims for n in c.cited if n in by_n)
    if answers(said, question, settings.same_time) and not elsewhere and not other and _about(checked.claims, passages, question) \
            and not _moved_only(checked.claims, by_n, question) and not echoes(said, question):
        return checked
    dropped = [replace(c, supported=False, missing=[OTHER_MEASURE if other else KIND_ASKED]) for c in checked.claims]
    return Checked([], checked.removed + dropped, "abstain", checked.confidence)


KIND_ASKED, OTHER_MEASURE = "the kind of thing asked", "the measure asked"  # why `typed` dropped a claim


def echoes(said: str, question: str) -> bool:
    """Does the answer only say back the question's own words ("Besides
    export controls, what other step ...?" answered "Restrictive export
    controls")? It states nothing the question did not. A question offering
    alternatives ("USAir or TWA?") is answered by one of its own words.

    >>> echoes("Restrictive export controls. [1]", "Besides export controls, what other restrictive step was taken?")
    True
    >>> echoes("USAir [1]", "Which airline filled more seats, USAir or TWA?"), echoes("Investment bans [1]", "What step?")
    (False, False)
    """
    words = set(content_words(MARK.sub("", said)))
    return bool(words) and words <= set(content_words(question)) and not _OFFERED.search(question)


_OFFERED = re.compile(r"\bor\b|\bwhether\b", re.I)


def _moved_only(claims: list[Claim], by_n: dict[int, str], question: str) -> bool:
    """Does a question asking a level ("what level did the index fall to",
    `asks_level`) get only values its cited passages give as how far
    something moved ("fell 0.1 pct to 164.1": the 0.1 pct, `moved`)?"""
    if not asks_level(question):
        return False
    kinds, given = asked_kinds(question), set(F.values(question))
    said = [(f, by_n[n]) for c in claims for n in c.cited if n in by_n for f in F.values(c.text)
            if f.kind in kinds and f not in given]
    found = [(g, text) for f, text in said for g in F.values(text) if F.matches(f, {g}, text)]
    return bool(found) and all(moved(text, g) for g, text in found)


def _about(claims: list[Claim], passages: list[Passage], question: str) -> bool:
    """Does every claim cite a passage that (with its article's headline)
    names one of the question's names? "3.5 mln dlrs" cited to another
    firm's story answers nothing about the firm asked of. A country named
    beside other names (not counting a first word that may be one,
    `facts.leading_name`) is their context: another maker's "U.S.A." sales
    say nothing of "Volkswagen's U.S. truck sales"; nor does a legal form
    ("Corp") tell a firm (`gate.telling`)."""
    asked = telling(f.value for f in F.names(question)) or named(question)
    heads = {p.n: f"{p.text} {p.doc.title or ''}" for p in passages}
    return not heads or all(any(n in heads and names_any(heads[n], asked) for n in c.cited) for c in claims)


def fall_back(ev: Evidence, settings: Settings, removed: list[Claim], confidence: float | None = None,
              after_refusal: bool = False) -> Checked:
    """The best evidence sentence as the answer, when it qualifies (`fallback`).
    After the model's refusal (it read the passages and said they do not
    answer), only the best-ranked sentence may stand in: going further down
    the ranking then answers with sentences beside the point. Nor may a
    sentence giving a figure `typed` just dropped as another measure (a
    bank's assets asked its price): it answers no better quoted whole."""
    mistyped = {f for c in removed if OTHER_MEASURE in c.missing for f in F.values(c.text)}
    claims = fallback.extract(ev.question.text, ev.sentences, ev.passages, settings.extract_min_relevance,
                              1 if after_refusal else settings.extract_tries, settings.same_time, mistyped)
    return Checked(claims, removed, "extract" if claims else "abstain", confidence)


def _cite(claims: list[Claim]) -> str:
    """The claims with their markers; article markup in them made inert
    (a claim may quote its passage, and every face shows this text)."""
    return " ".join(f"{inert(c.text).rstrip()} " + "".join(f"[{n}]" for n in c.cited) for c in claims).strip()


def _seen(passages: list[Passage], hits: list[Hit]) -> list[Hit]:
    """The chunks the model saw, as ranked hits in [n] order (rank = n)."""
    score = {h.chunk.id: h.score for h in hits}
    dense = {h.chunk.id: h.dense for h in hits}
    return [Hit(p.chunk, score.get(p.chunk.id, 0.0), p.n, dense.get(p.chunk.id, p.relevance)) for p in passages]


def assemble(ev: Evidence, g: Gate, draft: Draft | None, checked: Checked, found: list[Conflict],
             clock: _Clock, llm: LLM | None, embedder: Embedder, more: list[Passage] = ()) -> Answer:
    """The answer text with its [n] markers, its citations and notes;
    `more` are passages the model did not read that cite a version."""
    notes = list(ev.question.notes) + (draft.notes if draft else [])
    claims = checked.claims
    if claims:
        text = _cite(claims) + (" " + conflicts.summary(found) if found else "")
    else:
        text, found = NOT_FOUND, []
        notes.append(g.reason or "no claim in the model's answer is supported by the passages")
    used = sorted({n for c in claims for n in c.cited} | {v["n"] for c in found for v in c.values})
    by_n = {p.n: p for p in [*ev.passages, *more]}
    citations = [Citation(n=n, doc_id=by_n[n].doc.id, chunk_id=by_n[n].chunk.id, title=by_n[n].doc.title,
                          text=by_n[n].text, outlet=by_n[n].doc.outlet, date=by_n[n].doc.date) for n in used]
    for c in checked.removed:
        notes.append(f"removed an unsupported sentence: {c.text!r}" + (f" (not in the passages: {', '.join(c.missing)})" if c.missing else ""))
    return Answer(
        question=ev.question.text, answer=text, abstained=not claims, citations=citations,
        passages=_seen(ev.passages, ev.hits), evidence=[*ev.passages, *more], conflicts=found,
        timings_ms={"retrieve": clock.ms.get("retrieve", 0.0), "generate": clock.ms.get("generate", 0.0),
                    "total": clock.ms.get("total", 0.0)},
        model={"llm": llm.id if llm is not None else None, "embedder": embedder.id},
        raw=draft.raw if draft else "", mode=checked.mode, notes=notes,
        prompt_tokens=draft.prompt_tokens if draft else 0,
        relevance=max((p.relevance for p in ev.passages), default=0.0), confidence=checked.confidence,
        removed=[{"text": c.text, "cited": c.cited + c.dropped, "supported": False, "missing": c.missing}
                 for c in checked.removed],
    )


def answer(question: str | Question, index: Index, embedder: Embedder, llm: LLM | None, settings: Settings,
           on_token: Callable[[str], None] | None = None, top_k: int | None = None) -> Answer:
    """Answer from the articles, every claim cited, or "The articles don't say."

    Evidence is gathered and gated (no LLM call when it is off-topic or lacks
    the question's names); the model's draft is checked claim by claim; when
    nothing survives, the best evidence sentence may answer instead; articles
    giving different values of the asked kind are listed as conflicts. With
    `llm=None` the fallback alone answers (the eval's no-LLM baseline)."""
    clock = _Clock()
    q = read_question(question, index, settings)
    ev = gather_evidence(q, index, embedder, settings, top_k)
    g = gate(q.text, ev.passages, settings, ev.pool)
    found = conflicts.find(q.text, ev.passages, {s.text: s.dense for s in ev.sentences},
                           settings.conflict_margin, settings.min_relevance, settings.conflict_spread) \
        if g.ok and settings.disagreements else []
    clock.mark("retrieve")
    draft, checked = None, Checked([])
    if g.ok and llm is not None:
        draft = generate(ev, llm, settings, on_token)
        checked = typed(confirm(check(draft, ev.passages, settings, q.text), draft, llm, settings), q.text, settings,
                        ev.passages)
    if g.ok and not checked.claims:
        checked = fall_back(ev, settings, checked.removed, checked.confidence, draft is not None and refused(draft))
    found = conflicts.anchored(found, " ".join(c.text for c in checked.claims), q.text, ev.passages)
    more: list[Passage] = []
    if checked.claims and settings.more_versions and settings.disagreements:
        found, more = versions.more(found, _cite(checked.claims), q.text, ev.passages, ev.hits, index.docs,
                                    settings.more_versions)
    clock.mark("generate")
    return assemble(ev, g, draft, checked, found, clock, llm, embedder, more)


def unchecked_claims(raw: str, passages: list[Passage]) -> list[Claim]:
    """The model's sentences with its own valid markers, nothing checked."""
    ns = {p.n for p in passages}
    out = []
    for sentence in answer_sentences(raw):
        text, cited = parse_markers(sentence)
        if text or cited:
            out.append(Claim(text, [n for n in cited if n in ns], True, 0.0))
    return out


def answer_unchecked(question: str | Question, index: Index, embedder: Embedder, llm: LLM, settings: Settings,
                     top_k: int | None = None) -> Answer:
    """The model's own answer and markers, with no gate, claim check,
    fallback or conflicts: the eval's "before" row, which shows what the
    checks add."""
    clock = _Clock()
    q = read_question(question, index, settings)
    ev = gather_evidence(q, index, embedder, settings, top_k)
    g = Gate(bool(ev.passages), 0.0, [])
    clock.mark("retrieve")
    draft = generate(ev, llm, settings) if ev.passages else None
    claims = [] if draft is None or is_refusal(draft.raw) else unchecked_claims(draft.raw, ev.passages)
    clock.mark("generate")
    return assemble(ev, g, draft, Checked(claims, [], "llm" if claims else "abstain"), [], clock, llm, embedder)
