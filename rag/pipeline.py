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
from .types import Answer, Citation, Conflict, Hit, Passage
from .verify import Claim, check_answer, is_refusal

NOT_FOUND = "The articles don't say."
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _cut(text: str, n: int) -> str:
    """The first `n` characters, backed off to a word's end when one is near
    (text without spaces, such as Chinese, is cut anywhere)."""
    cut = text[:n]
    return cut.rsplit(" ", 1)[0] if len(cut) < len(text) and " " in cut[-40:] else cut


def clean_question(question: str, max_chars: int) -> tuple[str, list[str]]:
    """Strip control characters; refuse an empty question; trim a huge one."""
    q = _CTRL.sub(" ", question or "").strip()
    q = re.sub(r"\s+", " ", q)
    if not q:
        raise InputError('empty question; ask something, e.g. ask "what tariff rate?"')
    if len(q) > max_chars:
        return _cut(q, max_chars), [f"question trimmed to its first {max_chars} characters"]
    return q, []


TEMPLATE_TOKENS = 32  # the chat template's role markers, not in the messages' text


def fit_prompt(q: str, passages: list[Passage], llm, settings: Settings) -> tuple[list[dict], list[str]]:
    """The prompt's messages, the question cut so that prompt and answer fit
    in `settings.n_ctx` (a question of dense characters can hold more tokens
    than characters). Counted with the LLM's own tokenizer when it has one,
    else with cl100k plus a quarter."""
    from .errors import RagError
    from .text import count_tokens

    count = getattr(llm, "count_tokens", None) or (lambda t: count_tokens(t) * 5 // 4 + 1)
    room = settings.n_ctx - settings.max_answer_tokens - TEMPLATE_TOKENS
    msgs = prompts.messages(q, passages)
    over = sum(count(m["content"]) for m in msgs) - room
    if over <= 0:
        return msgs, []
    keep = count(q) - over  # tokens the question may keep
    if keep < 8:
        raise RagError(f"the context window of {settings.n_ctx} tokens holds no question after the passages; "
                       "raise RAG_N_CTX or lower RAG_CONTEXT_TOKENS.")
    cut = q
    while len(cut) > 1 and count(cut) > keep:  # shrinks every turn: keep < count(cut)
        cut = _cut(cut, max(1, len(cut) * keep // count(cut)))
    return prompts.messages(cut, passages), [f"question trimmed to its first {len(cut)} characters to fit the context window"]


@dataclass(frozen=True)
class Gate:
    ok: bool
    relevance: float  # best sentence cosine with the question
    missing: list[str]  # the question's names and years not found in the evidence
    reason: str = ""


def _prefix_match(a: str, b: str) -> bool:
    """Same word up to its ending: "chinese"/"china", "japanese"/"japan"."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a == b or (n >= 4 and n >= 0.6 * min(len(a), len(b)))


def key_terms(question: str) -> list[str]:
    """What a question is specifically about: its names (capitalized words
    past the first, acronyms) and years. "U.S." reads as "us".

    >>> key_terms("What tariff does the US charge on cars from Japan in 2023?")
    ['us', 'japan', '2023']
    """
    from .facts import names, quantities

    out = [f.value for f in names(question)] + [str(int(f.value)) for f in quantities(question) if f.kind == "year"]
    return list(dict.fromkeys(out))


def gate(question: str, passages: list[Passage], settings: Settings) -> Gate:
    """Is the evidence about what the question asks? Similarity catches
    off-topic questions; on-topic ones the articles cannot answer (another
    country, product or year) are caught by the question's names and years
    missing from the evidence."""
    if not passages:
        return Gate(False, 0.0, [], "nothing retrieved")
    rel = max(p.relevance for p in passages)
    if rel < settings.min_relevance:
        return Gate(False, rel, [], "no passage is about the question")
    text = " ".join(p.text for p in passages).lower().replace(".", "")
    have = set(re.findall(r"[a-z0-9]+", text))
    if "us" in have or "united states" in text or "america" in text:
        have |= {"us", "usa", "america", "american"}
    from .facts import initialisms

    have |= initialisms(" ".join(p.text for p in passages))  # "US Department of Agriculture" -> "usda"
    # a name spelled out in the question and abbreviated in the articles: "United Nations" / "UN"
    spelled = {w for run in re.findall(r"[A-Z][a-z]+(?: (?:of |and )?[A-Z][a-z]+)+", question)
               if "".join(x[0] for x in run.split() if x[0].isupper()).lower() in have for w in run.lower().split()}
    missing = [t for t in key_terms(question) if t not in spelled and not any(_prefix_match(t, w) for w in have)]
    if missing:
        return Gate(False, rel, missing, "the articles found do not mention " + ", ".join(missing))
    return Gate(True, rel, [])


_WANTS_NAME = re.compile(r"\b(who|whom|whose|name|which (?:person|leader|official|company|companies|outlet|city|country|platform))\b", re.I)


def answers_type(sentence: str, question: str) -> bool:
    """Does a sentence hold the kind of thing asked: a value of the asked
    kind ("how many", "what rate", "when"), or a name for "who"?"""
    from .conflicts import asked_kinds
    from .facts import dates, names, quantities

    kinds = asked_kinds(question)
    if kinds:
        if not any(f.kind in kinds for f in quantities(sentence) + dates(sentence)):
            return False
    if _WANTS_NAME.search(question):
        asked = {f.value for f in names(question)}
        return any(f.value not in asked for f in names(sentence))
    return True


_LATEST = re.compile(r"\b(latest|most recent|newest|recently|current(?:ly)?|now)\b", re.I)


def newest_first(passages: list[Passage]) -> list[Passage]:
    """For "latest" questions: passages from dated articles, newest first,
    renumbered; undated ones keep their order after them."""
    from dataclasses import replace

    order = sorted(passages, key=lambda p: p.doc.date or "", reverse=True)  # stable: ties keep rank order
    return [replace(p, n=i) for i, p in enumerate(order, start=1)]


def _cite(claims: list[Claim]) -> str:
    return " ".join(f"{c.text.rstrip()} " + "".join(f"[{n}]" for n in c.cited) for c in claims).strip()


def is_statement(sentence: str) -> bool:
    """A full sentence, not a headline or a bullet fragment."""
    return sentence.rstrip().endswith((".", "!", "?", "\"", "”", "’", "'")) and len(sentence.split()) >= 5


def _extract(question: str, sentences: list[Sentence], passages: list[Passage], min_relevance: float,
             tries: int = 3) -> list[Claim]:
    """The best evidence sentence, cited, when it is relevant and holds the
    kind of thing asked: the answer when the model's fails the check."""
    by_chunk = {p.chunk.id: p for p in passages}
    for s in sentences[:tries]:
        p = by_chunk.get(s.hit.chunk.id)
        if (p is not None and s.text in p.text and s.dense >= min_relevance and is_statement(s.text)
                and answers_type(s.text, question)):
            return [Claim(s.text, [p.n], True, 1.0)]
    return []


def unchecked_claims(raw: str, passages: list[Passage]) -> list[Claim]:
    """The model's sentences with its own valid markers, nothing checked."""
    from .text import split_sentences
    from .verify import parse_markers

    ns = {p.n for p in passages}
    out = []
    for sentence in split_sentences(raw.replace("\n[", " [")):
        text, cited = parse_markers(sentence)
        if text or cited:
            out.append(Claim(text, [n for n in cited if n in ns], True, 0.0))
    return out


def _conflict_text(conflicts: list[Conflict]) -> str:
    parts = []
    for c in conflicts:
        vs = []
        for v in c.values:
            where = ", ".join(x for x in (v.get("outlet"), v.get("date")) if x)
            vs.append(f"{v['value']} [{v['n']}]" + (f" ({where})" if where else ""))
        parts.append("The sources differ: " + "; ".join(vs) + ".")
    return " ".join(parts)


def _seen(passages: list[Passage], hits: list[Hit]) -> list[Hit]:
    """The chunks the model saw, as ranked hits in [n] order (rank = n)."""
    score = {h.chunk.id: h.score for h in hits}
    dense = {h.chunk.id: h.dense for h in hits}
    return [Hit(p.chunk, score.get(p.chunk.id, 0.0), p.n, dense.get(p.chunk.id, p.relevance)) for p in passages]


def answer(question: str, index: Index, embedder: Embedder, llm: LLM | None, settings: Settings,
           on_token: Callable[[str], None] | None = None, top_k: int | None = None) -> Answer:
    t0 = time.perf_counter()
    q, notes = clean_question(question, settings.max_question_chars)
    qvec = embedder.embed([q])[0]
    hits = search(index, qvec, q, settings)
    sentences = score_sentences(hits[:8], qvec, q, embedder, settings.rrf_k)
    passages = newest_first(pack(sentences, index, settings, top_k)) if _LATEST.search(q) else \
        pack(sentences, index, settings, top_k)
    g = gate(q, passages, settings) if settings.checks else Gate(bool(passages), 0.0, [])
    found = conflicts_mod.find(q, passages, {x.text: x.dense for x in sentences}) if g.ok and settings.checks else []
    t1 = time.perf_counter()

    raw, mode, claims, prompt_tokens = "", "abstain", [], 0
    removed: list[Claim] = []
    if g.ok and llm is not None:
        pieces = []
        msgs, trimmed = fit_prompt(q, passages, llm, settings)
        notes += trimmed
        for piece in llm.stream(msgs, settings.max_answer_tokens):
            pieces.append(piece)
            if on_token:
                on_token(piece)
        raw = "".join(pieces).strip()
        prompt_tokens = llm.last_usage.get("prompt_tokens", 0)
        checked = [] if is_refusal(raw) and "[" not in raw else check_answer(raw, passages, settings.min_support)
        if not settings.checks:  # the model's own answer and markers, unchecked: the eval's "before" row
            checked = [] if is_refusal(raw) else unchecked_claims(raw, passages)
        claims = [c for c in checked if c.supported]
        removed = [c for c in checked if not c.supported]
        mode = "llm" if claims else "abstain"
    if g.ok and not claims and settings.checks:
        claims = _extract(q, sentences, passages, settings.extract_min_relevance)
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
        question=q, answer=text, abstained=not claims, citations=citations, passages=_seen(passages, hits),
        evidence=passages, conflicts=found,
        timings_ms={"retrieve": round((t1 - t0) * 1000, 1), "generate": round((t2 - t1) * 1000, 1),
                    "total": round((t2 - t0) * 1000, 1)},
        model={"llm": llm.id if llm is not None else None, "embedder": embedder.id},
        raw=raw, mode=mode, notes=notes, prompt_tokens=prompt_tokens,
        relevance=max((p.relevance for p in passages), default=0.0),
        removed=[{"text": c.text, "cited": c.cited + c.dropped, "supported": False, "missing": c.missing} for c in removed],
    )
