"""The chat page: `rag ui` serves it on http://127.0.0.1:7860.

One `Assistant` (models and index loaded once, in the background at start)
answers every visitor; Gradio's queue lets one answer be written at a time,
since llama.cpp is not thread-safe and two cores write one answer well.

An answer streams in as the model writes it; the claim check then replaces
the draft with the checked answer, whose `[n]` markers open their sources
(title, outlet, date, the passage with the supporting words marked). Every
piece of article text is escaped before it reaches the page: articles are
data, never markup.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from pathlib import Path

from rag.errors import InputError, RagError
from rag.fileutil import UPLOAD_SUFFIXES, safe_name
from rag.settings import Settings

MODELS = ["default", "fast"]
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$<>"}
_TOKEN = re.compile(r"[\w$€£%][\w%$.,'’-]*\w%?|\w")
_MARKER = re.compile(r"\[(\d{1,2})\]")

CSS = """
.rag-answer .text { line-height: 1.5; }
.rag-answer a.cite { font-weight: 600; text-decoration: none; padding: 0 1px; }
.rag-answer .abstain { font-style: italic; padding: 4px 8px; border-left: 3px solid #999; }
.rag-answer .conflict { margin: 8px 0; padding: 6px 10px; border-left: 3px solid #d97706;
  background: rgba(217, 119, 6, 0.08); }
.rag-answer details { margin: 4px 0; }
.rag-answer details.flash summary { background: rgba(250, 204, 21, 0.35); }
.rag-answer summary { cursor: pointer; }
.rag-answer blockquote { margin: 4px 0 8px 12px; font-size: 0.92em; }
.rag-answer mark { padding: 0 1px; }
.rag-answer .support { background: rgba(250, 204, 21, 0.15); }
.rag-answer .meta, .rag-answer .note { color: #6b7280; font-size: 0.85em; }
.rag-error { color: #b91c1c; }
"""

# [n] opens its source: the passage's <details> in the same message.
HEAD = """<script>
document.addEventListener('click', function (e) {
  var a = e.target.closest ? e.target.closest('a.cite') : null;
  if (!a) return;
  var el = document.getElementById((a.getAttribute('href') || '').slice(1));
  if (!el) return;
  e.preventDefault(); e.stopPropagation();
  el.open = true;
  el.scrollIntoView({block: 'nearest'});
  el.classList.add('flash');
  setTimeout(function () { el.classList.remove('flash'); }, 1500);
}, true);
</script>"""


# ---- rendering (pure: tested without a browser) ---------------------------------

def esc(text: str) -> str:
    """Text as inert page content: HTML-escaped, and Markdown's special
    characters as entities, so an article's `[x](javascript:...)`, `<img>`
    or `$...$` shows as written.

    >>> esc('<b>[x](javascript:alert(1))</b> $5')
    '&#60;b&#62;&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;&#60;/b&#62; &#36;5'
    """
    return "".join(_MD_SPECIAL.get(c, html.escape(c)) for c in text)


def _mark_words(text: str, want: set[str]) -> str:
    from rag.text import content_words

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
    from rag.cli import best_quote
    from rag.text import content_words

    want = set(content_words(claims))
    best = best_quote(passage, claims) if want else ""
    at = passage.find(best) if best else -1
    if at < 0:
        return esc(passage)
    end = at + len(best)
    return (esc(passage[:at]) + f'<span class="support">{_mark_words(best, want)}</span>'
            + esc(passage[end:]))


def _meta(c: dict) -> str:
    return ", ".join(x for x in (c.get("outlet"), c.get("date")) if x)


def _link(n: int, turn: int) -> str:
    return f'<a class="cite" href="#src-{turn}-{n}">[{n}]</a>'


def _with_links(text: str, turn: int, known: set[int]) -> str:
    """Escaped text whose [n] markers link to their sources."""
    out, last = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        out.append(esc(text[last:m.start()]))
        out.append(_link(n, turn) if n in known else esc(m.group(0)))
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def render_answer(j: dict, turn: int, searched: str | None = None) -> str:
    """One checked answer (`ask --json` shape with `evidence`) as HTML: the
    text with [n] links, a "sources disagree" panel, and the sources, each an
    expandable passage with its supporting words marked. `searched`: the
    standalone question a follow-up became."""
    from rag.cli import _claims_citing

    parts = ['<div class="rag-answer final">']
    if searched:
        parts.append(f'<p class="note searched">Searched for: {esc(searched)}</p>')
    cites = {c["n"]: c for c in j["citations"]}
    if j["abstained"]:
        parts.append(f'<p class="abstain">{esc(j["answer"])}</p>')
        closest = j.get("evidence", [])[:3]
        if closest:
            parts.append('<p class="meta">Closest passages, which do not answer it:</p>')
            for p in closest:
                parts.append(f'<details><summary>{esc(p["title"])}</summary>'
                             f'<blockquote>{esc(p["text"])}</blockquote></details>')
        return "".join(parts) + "</div>"

    parts.append(f'<p class="text">{_with_links(j["answer"], turn, set(cites))}</p>')
    titles = {p["n"]: p for p in j.get("evidence", [])} | cites
    for conflict in j.get("conflicts", []):
        items = []
        for v in conflict["values"]:
            src = titles.get(v["n"], {})
            where = " — ".join(x for x in (src.get("title", ""), _meta(src)) if x)
            items.append(f'<li><b>{esc(str(v["value"]))}</b> {_link(v["n"], turn)} '
                         f'<span class="meta">{esc(where)}</span></li>')
        parts.append(f'<div class="conflict"><b>Sources disagree</b> on the {esc(conflict["kind"])}:'
                     f'<ul>{"".join(items)}</ul></div>')

    if cites:
        parts.append('<p class="meta">Sources</p>')
    for n, c in cites.items():
        meta = _meta(c)
        summary = f'[{n}] {esc(c["title"])}' + (f' <span class="meta">— {esc(meta)}</span>' if meta else "")
        passage = highlight(c["text"], _claims_citing(j["answer"], n))
        parts.append(f'<details id="src-{turn}-{n}" class="source"><summary>{summary}</summary>'
                     f'<blockquote>{passage}</blockquote></details>')
    if j.get("removed"):
        removed = "".join(f"<li>{esc(r['text'])}</li>" for r in j["removed"])
        parts.append(f'<details class="removed"><summary class="note">Removed by the citation check '
                     f'({len(j["removed"])})</summary><ul>{removed}</ul></details>')
    return "".join(parts) + "</div>"


def render_draft(text: str, note: str) -> str:
    """The model's words as they come, before the claim check."""
    return f'<div class="rag-answer"><p class="text">{esc(text)}</p><p class="note">{esc(note)}</p></div>'


def render_error(msg: str) -> str:
    return f'<div class="rag-error">{esc(msg)}</div>'


# ---- the page --------------------------------------------------------------------

def build(assistant):
    """The Gradio Blocks over one Assistant."""
    import gradio as gr

    from rag.cli import answer_json
    from rag.progress import reporting_to

    settings: Settings = assistant.settings
    models = MODELS + ([settings.model] if settings.model not in MODELS else [])

    def status_line() -> str:
        st = assistant.status()
        if st["state"] == "ready":
            return (f"**Ready** · {st['articles']} articles, {st['chunks']} passages · "
                    f"model loaded: {', '.join(st['models_loaded'])}")
        if st["state"].startswith("error"):
            return f"**{esc(st['state'])}**"
        return f"**{esc(st['state'].capitalize())}…** the first answer waits for it."

    def tick():
        ready = assistant.state == "ready" or assistant.state.startswith("error")
        return status_line(), gr.Timer(active=not ready)

    def respond(message: str, history: list, earlier: list, model: str, k: int):
        question = (message or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            yield history, earlier, message
            return
        history = list(history or []) + [{"role": "user", "content": esc(question)}]
        turn = len(history)
        chosen = None if model == settings.model else model
        note = "waiting for the model…"
        history.append({"role": "assistant", "content": render_draft("", note)})
        yield history, earlier, ""
        try:
            standalone, how = assistant.standalone(question, earlier, chosen)
            note = "checking citations…" if how == "as asked" else f"searched for: {standalone}"
            draft = ""
            for kind, value in assistant.stream(standalone, chosen, int(k)):
                if kind == "token":
                    draft += value
                    history[-1] = {"role": "assistant", "content": render_draft(draft, note)}
                    yield history, earlier, ""
                else:
                    body = render_answer(answer_json(value), turn, None if how == "as asked" else standalone)
                    history[-1] = {"role": "assistant", "content": body}
            yield history, (earlier + [standalone])[-5:], ""
        except RagError as e:
            history[-1] = {"role": "assistant", "content": render_error(f"error: {e}")}
            yield history, earlier, ""

    def add_files(paths: list[str] | None, progress=gr.Progress()):
        if not paths:
            return gr.update(), status_line(), None
        cap = settings.max_upload_bytes
        tmp = Path(tempfile.mkdtemp(prefix="newsrag-upload-"))
        hide = lambda text: text.replace(f"{tmp}/", "").replace(str(tmp), "the upload")  # noqa: E731
        taken: set[str] = set()
        staged, lines = 0, []
        try:
            for p in map(Path, paths):
                name = safe_name(p.name, taken)
                if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
                    lines.append(f"- not added: {esc(p.name)}: use .txt, .md or .html files")
                elif p.stat().st_size > cap:
                    lines.append(f"- not added: {esc(p.name)}: larger than the {cap // 1000} kB limit")
                else:
                    shutil.copyfile(p, tmp / name)
                    staged += 1
            added = 0
            if staged:
                progress(0, desc="reading the articles")
                try:
                    with reporting_to(lambda label, done, total: progress((done, total), desc=label)):
                        report, added = assistant.ingest([tmp])
                    lines += [f"- not added: {esc(hide(src))}: {esc(hide(why))}" for src, why in report.skipped]
                    skipped = {src for src, _ in report.skipped}
                    lines += [f"- added: **{esc(d.title)}**" for d in report.documents if d.source not in skipped]
                except InputError as e:
                    lines.append(f"- not added: {esc(hide(str(e)))}")
            head = f"**{added} article{'s' if added != 1 else ''} added.**" if added else "**Nothing added.**"
            return "\n".join([head, *lines]), status_line(), None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    with gr.Blocks(title="newsrag: ask your news articles") as demo:
        gr.Markdown("### Ask your news articles\nEvery claim cites the passage it came from; "
                    "click a number to read it. Answers come only from the articles.")
        status = gr.Markdown(status_line(), elem_id="status")
        timer = gr.Timer(1.0)
        chat = gr.Chatbot(elem_id="chat", height=520, latex_delimiters=[], allow_tags=False,
                          feedback_options=None, buttons=["copy"], label="Answers")
        earlier = gr.State([])
        with gr.Row():
            box = gr.Textbox(placeholder="Ask a question, e.g. what tariff rate?", show_label=False,
                             scale=5, elem_id="question", max_length=settings.max_question_chars * 4)
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        with gr.Accordion("Options and articles", open=False):
            with gr.Row():
                model = gr.Dropdown(models, value=settings.model, label="Model", elem_id="model")
                k = gr.Slider(1, 12, value=settings.top_k, step=1, label="Passages given to the model",
                              elem_id="passages")
            files = gr.File(label=f"Add articles (.txt, .md, .html; up to {settings.max_upload_bytes // 1000} kB each)",
                            file_count="multiple", file_types=sorted(UPLOAD_SUFFIXES), type="filepath",
                            elem_id="upload")
            upload_status = gr.Markdown(elem_id="upload-status")
            clear = gr.Button("New conversation", size="sm")

        # the page's own events only: programs use `rag serve`, not Gradio's client API
        private = dict(api_visibility="private")
        timer.tick(tick, outputs=[status, timer], show_progress="hidden", **private)
        ask_args = dict(fn=respond, inputs=[box, chat, earlier, model, k], outputs=[chat, earlier, box],
                        concurrency_id="llm", concurrency_limit=1, show_progress="minimal", **private)
        box.submit(**ask_args)
        send.click(**ask_args)
        files.upload(add_files, inputs=[files], outputs=[upload_status, status, files], concurrency_limit=1,
                     **private)
        clear.click(lambda: ([], []), outputs=[chat, earlier], **private)
    return demo


def main(settings: Settings, block: bool = True):
    """`rag ui`: the page on settings.host:settings.ui_port, models loading
    in the background. Returns the launched Blocks when block is False."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine
    from rag.server import warm_in_background
    from rag.service import Assistant

    assistant = Assistant(settings)
    demo = build(assistant)
    warm_in_background(assistant)
    demo.queue(max_size=64)
    print(f"newsrag chat page on http://{settings.host}:{settings.ui_port} (loading models...)", flush=True)
    demo.launch(server_name=settings.host, server_port=settings.ui_port, share=False, inbrowser=False,
                max_file_size=settings.max_upload_bytes, footer_links=[], css=CSS, head=HEAD,
                prevent_thread_lock=not block, quiet=True)
    return demo
