"""Views of an answer's JSON (`Answer.to_json()`), for every face: plain
text (the CLI, the OpenAI-compatible endpoint) and HTML (the chat page).

Both take the JSON, not the Answer, because the CLI's warm path receives
only JSON from the server. Article text is data: the HTML view escapes all
of it, Markdown's special characters included; the text views, which chat
front-ends render as Markdown, show it through `text.inert` (links and
images without their address, tag brackets as look-alikes). The answer
string is inert already (the pipeline makes it so); the JSON's other
article fields stay as the article has them, data for a consumer to escape."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from .prompts import REFUSAL as REFUSAL_MARKER
from .text import content_words, inert, split_sentences
from .types import byline
from .verify import MARK, is_refusal

# What the page calls each kind of value in "Sources disagree on the ...":
# the conflict kinds of rag.conflicts (Conflict.kind, "/"-joined), in words.
KIND_WORDS = {"pct": "rate", "money": "amount", "num": "number", "duration": "length of time", "date": "date", "month": "date",
              "year": "year", "name": "name"}
# Draft states, in the order a draft goes through them.
DRAFT_NOTES = {"waiting": "waiting for the model…", "writing": "writing…",
               "checking": "checking the citations…"}
QUOTE_WIDTH = 200  # characters of a source's quote shown in the text view
CLOSEST_SHOWN = 3  # passages listed under an abstention
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$<>"}
_TOKEN = re.compile(r"[\w$€£%][\w%$.,'’-]*\w%?|\w")


def best_quote(passage: str, claims: str) -> str:
    """The passage sentence sharing most words with the claims that cite it.

    >>> best_quote("Talks ended. Tariffs were cut to 30%.", "tariffs cut to 30% [1]")
    'Tariffs were cut to 30%.'
    """
    want = set(content_words(claims))
    sents = split_sentences(passage) or [passage]
    return max(sents, key=lambda x: len(want & set(content_words(x))))


def claims_citing(answer: str, n: int) -> str:
    """The parts of an answer that carry the marker [n].

    >>> claims_citing("Cut to 30% [1]. Over 40% [2].", 2)
    'Over 40%'
    """
    out, last = [], 0
    for m in MARK.finditer(answer):
        if n in {int(x) for x in re.split(r"[,;]", m.group(1))}:
            out.append(answer[last:m.start()].strip(" .;"))
        last = m.end()
    return " ".join(x for x in out if x)


def shorten(text: str, width: int = QUOTE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


def label(c: dict) -> str:
    """A source's title with its outlet and date, inert (`text.inert`).

    >>> label({"title": "Truce <b>now</b>", "outlet": "[Wire](http://x)", "date": "2026-02-05"})
    'Truce ‹b›now‹/b› (Wire, 2026-02-05)'
    """
    meta = byline(c.get("outlet"), c.get("date"))
    return inert(c["title"] + (f" ({meta})" if meta else ""))


def source_line(c: dict) -> str:
    return f"[{c['n']}] {label(c)}  ‹{inert(c['doc_id'])}›"


def kind_words(kind: str) -> str:
    """A conflict's kind in words, for readers.

    >>> kind_words("pct"), kind_words("num/pct"), kind_words("date/month"), kind_words("odd")
    ('rate', 'number or rate', 'date', 'value')
    """
    words = list(dict.fromkeys(KIND_WORDS.get(k, "value") for k in kind.split("/") if k))
    return " or ".join(words) or "value"


def render_copy(j: dict) -> str:
    """The plain text a reader copies: the answer, any disagreement, and the
    numbered sources with title, outlet and date (no markup, no ids).

    >>> print(render_copy({"answer": "Cut to 30% [1].", "abstained": False, "conflicts": [],
    ...     "citations": [{"n": 1, "title": "Truce", "outlet": "Wire", "date": "2026-02-05"}]}))
    Cut to 30% [1].
    <BLANKLINE>
    Sources:
    [1] Truce (Wire, 2026-02-05)
    """
    lines = [j["answer"]]
    for conflict in j.get("conflicts", []):
        versions = "; ".join(f"{inert(v['value'])} [{v['n']}]" for v in conflict["values"])
        lines.append(f"Sources disagree on the {kind_words(conflict['kind'])}: {versions}.")
    if j["citations"]:
        lines += ["", "Sources:"]
        lines += [f"[{c['n']}] {label(c)}" for c in j["citations"]]
    return "\n".join(lines)


def render_text(j: dict) -> str:
    """The text view: the answer, then its sources, each with the sentence
    that supports the claims citing it (or, for an abstention, the closest
    passages); sentences the claim check removed are listed last."""
    lines = [j["answer"], ""]
    if j["abstained"]:
        lines.append("Closest passages:")
        for p in j.get("evidence", [])[:CLOSEST_SHOWN]:
            lines.append(f"  - {inert(p['title'])}  ‹{inert(p['doc_id'])}›")
            lines.append(f'    "{shorten(" ".join(inert(p["text"]).split()))}"')
    else:
        lines.append("Sources:")
        for c in j["citations"]:
            lines.append("  " + source_line(c))
            lines.append(f'      "{shorten(inert(best_quote(c["text"], claims_citing(j["answer"], c["n"]))))}"')
    if j.get("removed"):
        lines += ["", "Removed, not supported by the cited passages:"]
        lines += [f"  - {inert(r['text'])}" for r in j["removed"]]
    return "\n".join(lines)


# ---- HTML (the chat page) ------------------------------------------------------

def esc(text: str) -> str:
    """Text as inert page content: HTML-escaped, and Markdown's special
    characters as entities, so an article's `[x](javascript:...)`, `<img>`
    or `$...$` shows as written.

    >>> esc('<b>[x](javascript:alert(1))</b> $5')
    '&#60;b&#62;&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;&#60;/b&#62; &#36;5'
    """
    return "".join(_MD_SPECIAL.get(c, html.escape(c)) for c in text)


def _mark_words(text: str, want: set[str]) -> str:
    out, last = [], 0
    for m in _TOKEN.finditer(text):
        out.append(esc(text[last:m.start()]))
        word = m.group(0)
        out.append(f"<mark>{esc(word)}</mark>" if want & set(content_words(word)) else esc(word))
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def highlight(passage: str, claims: str) -> str:
    """The passage, escaped; its sentence that best supports the claims
    citing it is set apart, with the words it shares with them in <mark>.

    >>> highlight("Talks ended. Tariffs were cut to 30% on May 12.", "The US cut tariffs to 30% [1]")
    'Talks ended&#46; <span class="support"><mark>Tariffs</mark> were <mark>cut</mark> to <mark>30%</mark> on May 12&#46;</span>'
    """
    want = set(content_words(claims))
    best = best_quote(passage, claims) if want else ""
    at = passage.find(best) if best else -1
    if at < 0:
        return esc(passage)
    end = at + len(best)
    return esc(passage[:at]) + f'<span class="support">{_mark_words(best, want)}</span>' + esc(passage[end:])


def _link(n: int, turn: int) -> str:
    return f'<a class="cite" href="#src-{turn}-{n}">[{n}]</a>'


def _with_links(text: str, turn: int, known: set[int]) -> str:
    """Escaped text whose [n] markers link to their sources."""
    out, last = [], 0
    for m in MARK.finditer(text):
        ns = [int(x) for x in re.split(r"[,;]", m.group(1))]
        out.append(esc(text[last:m.start()]))
        out.append("".join(_link(n, turn) if n in known else esc(f"[{n}]") for n in ns))
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def _copy_button(j: dict) -> str:
    """A button that copies the answer as plain text (`render_copy`), held
    in a hidden element before it (the page's sanitizer drops data-
    attributes). Newlines are entities, so the Markdown around the HTML
    cannot end the block."""
    text = esc(render_copy(j)).replace("\n", "&#10;")
    return (f'<span class="rag-plain">{text}</span>'
            '<button type="button" class="rag-copy">Copy answer and sources</button>')


def render_context(ctx: dict, claims: str) -> str:
    """A cited passage in its article: the sentences given to the model as
    written (the supporting one marked), the rest of its passage and the
    neighbouring sentences dimmed. `ctx`: `rag.articles.passage_context`."""
    cited = set(ctx["cited"])
    best = best_quote(" ".join(ctx["cited"]), claims) if ctx["cited"] and claims else ""
    out = [f'<span class="ctx">{esc(x)}</span> ' for x in ctx["before"]]
    for x in ctx["passage"]:
        shown = highlight(x, claims) if best and best in x else esc(x)
        out.append((shown if x in cited else f'<span class="ctx">{esc(x)}</span>') + " ")
    out += [f'<span class="ctx">{esc(x)}</span> ' for x in ctx["after"]]
    return "".join(out).strip()


def _source(n: int, c: dict, j: dict, turn: int, ctx: dict | None) -> str:
    meta = byline(c.get("outlet"), c.get("date"))
    summary = f'[{n}] {esc(c["title"])}' + (f' <span class="meta">— {esc(meta)}</span>' if meta else "")
    claims = claims_citing(j["answer"], n)
    body = render_context(ctx, claims) if ctx else highlight(c["text"], claims)
    opener = (f'<p class="open"><a class="open-article" href="#article:{quote(c["doc_id"])}">'
              f'Open the whole article</a></p>') if ctx else ""
    return (f'<details id="src-{turn}-{n}" class="source"><summary>{summary}</summary>'
            f'<blockquote>{body}</blockquote>{opener}</details>')


def render_answer(j: dict, turn: int, searched: str | None = None, contexts: dict | None = None) -> str:
    """One checked answer as HTML: the text with [n] links, a "sources
    disagree" panel, the sources (each an expandable passage with its
    supporting words marked, in its article's context when `contexts`
    maps n to `rag.articles.passage_context`), and a plain-text copy button.
    `searched`: the standalone question a follow-up became."""
    parts = ['<div class="rag-answer final">']
    if searched:
        parts.append(f'<p class="note searched">Searched for: {esc(searched)}</p>')
    cites = {c["n"]: c for c in j["citations"]}
    if j["abstained"]:
        parts.append(f'<p class="abstain">{esc(j["answer"])}</p>')
        closest = j.get("evidence", [])[:CLOSEST_SHOWN]
        if closest:
            parts.append('<p class="meta">Closest passages, which do not answer it:</p>')
            for p in closest:
                parts.append(f'<details><summary>{esc(p["title"])}</summary>'
                             f'<blockquote>{esc(p["text"])}</blockquote></details>')
        return "".join(parts) + _copy_button(j) + "</div>"

    parts.append(f'<p class="text">{_with_links(j["answer"], turn, set(cites))}</p>')
    titles = {p["n"]: p for p in j.get("evidence", [])} | cites
    for conflict in j.get("conflicts", []):
        items = []
        for v in conflict["values"]:
            src = titles.get(v["n"], {})
            where = " — ".join(x for x in (src.get("title", ""), byline(src.get("outlet"), src.get("date"))) if x)
            items.append(f'<li><b>{esc(str(v["value"]))}</b> {_link(v["n"], turn)} '
                         f'<span class="meta">{esc(where)}</span></li>')
        parts.append(f'<div class="conflict"><b>Sources disagree</b> on the {esc(kind_words(conflict["kind"]))}:'
                     f'<ul>{"".join(items)}</ul></div>')

    if cites:
        parts.append('<p class="meta">Sources</p>')
    parts += [_source(n, c, j, turn, (contexts or {}).get(n)) for n, c in cites.items()]
    if j.get("removed"):
        removed = "".join(f"<li>{esc(r['text'])}</li>" for r in j["removed"])
        parts.append(f'<details class="removed"><summary class="note">Removed by the citation check '
                     f'({len(j["removed"])})</summary><ul>{removed}</ul></details>')
    parts.append(_copy_button(j))
    return "".join(parts) + "</div>"


def looks_like_refusal(draft: str) -> bool:
    """A draft that is (or is becoming) the model's refusal marker, which
    readers never see: the page shows the checked abstention instead.

    >>> looks_like_refusal("NOT IN"), looks_like_refusal("NOT IN ARTICLES."), looks_like_refusal("Not sure")
    (True, True, False)
    """
    head = " ".join(draft.split()).upper().strip(" .")
    return bool(head) and (REFUSAL_MARKER.startswith(head) or is_refusal(draft))


def render_draft(text: str, note: str) -> str:
    """The model's words as they come, before the claim check; a draft that
    is the refusal marker is not shown. `note`: a DRAFT_NOTES value or the
    searched-for line."""
    shown = "" if looks_like_refusal(text) else text
    return f'<div class="rag-answer"><p class="text">{esc(shown)}</p><p class="note">{esc(note)}</p></div>'


def render_stopped() -> str:
    return ('<div class="rag-answer stopped final"><p class="note">Stopped. The unfinished answer was discarded '
            'before its citations were checked; ask again to get a checked answer.</p></div>')


def render_error(msg: str) -> str:
    return f'<div class="rag-error">{esc(msg)}</div>'
