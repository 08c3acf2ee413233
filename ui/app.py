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

import os
from pathlib import Path

from rag.errors import InputError, RagError
from rag.fileutil import UPLOAD_SUFFIXES
from rag.render import esc, render_answer, render_draft, render_error
from rag.settings import Settings, bounds

STATUS_TICK_S = 1.0  # how often the status line polls while models load
CHAT_HEIGHT_PX = 520
QUEUE_SIZE = 64  # questions waiting for the one LLM
EARLIER_KEPT = 5  # earlier questions kept for rewriting follow-ups
QUESTION_BOX_CHARS_PER_LIMIT = 4  # the box takes more than the limit; the service trims and says so

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


# ---- the page --------------------------------------------------------------------

def build(assistant):
    """The Gradio Blocks over one Assistant."""
    import gradio as gr

    from rag.progress import reporting_to

    settings: Settings = assistant.settings
    models = assistant.offered_models()
    k_min, k_max = bounds("top_k")

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
                    body = render_answer(value.to_json(), turn, None if how == "as asked" else standalone)
                    history[-1] = {"role": "assistant", "content": body}
            yield history, (earlier + [standalone])[-EARLIER_KEPT:], ""
        except RagError as e:
            history[-1] = {"role": "assistant", "content": render_error(f"error: {e}")}
            yield history, earlier, ""

    def add_files(paths: list[str] | None, progress=gr.Progress()):
        if not paths:
            return gr.update(), status_line(), None
        progress(0, desc="reading the articles")
        lines = []
        try:
            with reporting_to(lambda label, done, total: progress((done, total), desc=label)):
                report = assistant.add_uploads([(Path(p).name, Path(p).read_bytes()) for p in paths])
            lines += [f"- not added: {esc(name)}: {esc(why)}" for name, why in report.skipped]
            lines += [f"- added: **{esc(d.title)}**" for d in report.added]
            added = len(report.added)
        except InputError as e:
            lines.append(f"- not added: {esc(str(e))}")
            added = 0
        head = f"**{added} article{'s' if added != 1 else ''} added.**" if added else "**Nothing added.**"
        return "\n".join([head, *lines]), status_line(), None

    with gr.Blocks(title="newsrag: ask your news articles") as demo:
        gr.Markdown("### Ask your news articles\nEvery claim cites the passage it came from; "
                    "click a number to read it. Answers come only from the articles.")
        status = gr.Markdown(status_line(), elem_id="status")
        timer = gr.Timer(STATUS_TICK_S)
        chat = gr.Chatbot(elem_id="chat", height=CHAT_HEIGHT_PX, latex_delimiters=[], allow_tags=False,
                          feedback_options=None, buttons=["copy"], label="Answers")
        earlier = gr.State([])
        with gr.Row():
            box = gr.Textbox(placeholder="Ask a question, e.g. what tariff rate?", show_label=False,
                             scale=5, elem_id="question", max_length=settings.max_question_chars * QUESTION_BOX_CHARS_PER_LIMIT)
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        with gr.Accordion("Options and articles", open=False):
            with gr.Row():
                model = gr.Dropdown(models, value=settings.model, label="Model", elem_id="model")
                k = gr.Slider(k_min, k_max, value=settings.top_k, step=1, label="Passages given to the model",
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
    from rag.service import Assistant, warm_in_background

    assistant = Assistant(settings)
    demo = build(assistant)
    warm_in_background(assistant)
    demo.queue(max_size=QUEUE_SIZE)
    print(f"newsrag chat page on http://{settings.host}:{settings.ui_port} (loading models...)", flush=True)
    demo.launch(server_name=settings.host, server_port=settings.ui_port, share=False, inbrowser=False,
                max_file_size=settings.max_upload_bytes, footer_links=[], css=CSS, head=HEAD,
                prevent_thread_lock=not block, quiet=True)
    return demo
