"""The chat page: `rag ui` serves it on http://127.0.0.1:7860.

One `Assistant` (models and index loaded once, in the background at start)
answers every visitor; Gradio's queue lets one answer be written at a time,
since llama.cpp is not thread-safe and two cores write one answer well.

An answer streams in as the model writes it; the claim check then replaces
the draft with the checked answer, whose `[n]` markers open their sources
(title, outlet, date, the passage in its article with the supporting words
marked). A question sent while this page's answer is being written is
refused with a message and stays in the box; Stop ends the answer and
discards it (the page says so). Conversations are kept in the browser
(localStorage) and reopened from a list. Every piece of article text is
escaped before it reaches the page: articles are data, never markup.
"""


import os
import secrets
import threading
from pathlib import Path

from rag.errors import InputError, RagError
from rag.fileutil import UPLOAD_SUFFIXES
from rag.render import DRAFT_NOTES, esc, render_answer, render_draft, render_error, render_stopped
from rag.settings import Settings, bounds
from rag.types import byline

from . import history as H

EXAMPLES_SHOWN = 4  # example questions on an empty chat

STATUS_TICK_S = 1.0  # how often the status line polls while models load
CHAT_HEIGHT_PX = 520
QUEUE_SIZE = 64  # questions waiting for the one LLM
EARLIER_KEPT = 5  # earlier questions kept for rewriting follow-ups
QUESTION_BOX_CHARS_PER_LIMIT = 4  # the box takes more than the limit; the service trims and says so
SECRET_FILE = ".ui-secret"  # in the index folder: the key of the conversations kept in the browser
BUSY = ("Still answering your last question: your new one stays in the box. "
        "Send it when this answer is done, or press Stop.")

CSS = """
.rag-answer .text { line-height: 1.5; }
.rag-answer a.cite { font-weight: 600; text-decoration: none; padding: 0 1px; }
.rag-answer .abstain { font-style: italic; padding: 4px 8px; border-left: 3px solid #6b7280; }
.rag-answer .conflict { margin: 8px 0; padding: 6px 10px; border-left: 3px solid #b45309;
  background: rgba(217, 119, 6, 0.08); }
.rag-answer details { margin: 4px 0; }
.rag-answer details.flash summary { background: rgba(250, 204, 21, 0.35); }
.rag-answer summary { cursor: pointer; }
.rag-answer blockquote { margin: 4px 0 8px 12px; font-size: 0.92em; }
.rag-answer mark { padding: 0 1px; color: inherit; }
.rag-answer .support { background: rgba(250, 204, 21, 0.15); }
.rag-answer .ctx { color: #4b5563; }
#chat .rag-answer .meta, #chat .rag-answer .note, #chat .rag-answer .ctx { color: #374151 !important; opacity: 1 !important; }
.rag-answer .meta, .rag-answer .note { color: #4b5563; font-size: 0.85em; }
.rag-answer button.rag-copy { margin-top: 6px; font-size: 0.85em; padding: 2px 8px;
  border: 1px solid #4b5563; border-radius: 4px; background: #fff; color: #1f2937; cursor: pointer; }
.rag-error { color: #b91c1c; }
.rag-answer .rag-plain { display: none; }
#article-view .article-full { max-height: 420px; overflow-y: auto; padding: 8px 12px; border: 1px solid #d1d5db; }
#ask, #ask button { background: #1d4ed8 !important; color: #fff !important; }
#stop, #stop button { background: #b91c1c !important; color: #fff !important; }
"""

# [n] opens its source: the passage's <details> in the same message.
# "Open the whole article" asks the server for it (through two hidden
# components); "Copy" puts the answer's plain text on the clipboard.
HEAD = """<script>
document.addEventListener('click', function (e) {
  var t = e.target;
  var copy = t.closest ? t.closest('button.rag-copy') : null;
  if (copy) {
    e.preventDefault(); e.stopPropagation();
    var held = copy.previousElementSibling;
    var text = held ? held.textContent : '';
    var done = function () { copy.textContent = 'Copied'; setTimeout(function () { copy.textContent = 'Copy answer and sources'; }, 1500); };
    if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done); }
    return;
  }
  var open = t.closest ? t.closest('a.open-article') : null;
  if (open) {
    e.preventDefault(); e.stopPropagation();
    var box = document.querySelector('#open-doc textarea, #open-doc input');
    box.value = decodeURIComponent((open.getAttribute('href') || '').replace(/^#article:/, ''));
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(function () { document.querySelector('#open-go').click(); }, 50);
    return;
  }
  var a = t.closest ? t.closest('a.cite') : null;
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


def browser_secret(settings: Settings) -> str:
    """A key kept beside the index, so that conversations stored in the
    browser stay readable after the page restarts."""
    path = Path(settings.index_dir) / SECRET_FILE
    try:
        return path.read_text("utf-8").strip()
    except OSError:
        key = secrets.token_hex(16)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key, "utf-8")
            path.chmod(0o600)
        except OSError:  # an unwritable index folder: conversations are readable until the page restarts
            pass
        return key


def article_html(doc) -> str:
    """A whole article, escaped, paragraph by paragraph."""
    if doc is None:
        return '<div class="article-full"><p>That article is no longer in the index.</p></div>'
    meta = byline(doc.outlet, doc.date)
    paras = "".join(f"<p>{esc(x)}</p>" for x in doc.text.split("\n") if x.strip())
    return (f'<div class="article-full" tabindex="0" role="region" aria-label="The whole article"><h2>{esc(doc.title)}</h2>'
            + (f'<p class="meta">{esc(meta)}</p>' if meta else "") + paras + "</div>")


def article_rows(rows: list[dict]) -> list[list]:
    return [[r["title"], r["outlet"], r["date"], f"{r['chars']:,} chars", r["id"]] for r in rows]


# ---- the page --------------------------------------------------------------------

def build(assistant):
    """The Gradio Blocks over one Assistant."""
    import gradio as gr

    from rag.articles import matching
    from rag.progress import reporting_to
    from rag.stopping import AnswerStopped

    settings: Settings = assistant.settings
    models = assistant.offered_models()
    k_min, k_max = bounds("top_k")
    sessions: dict[str, dict] = {}  # session -> {"busy": bool, "stop": Event}: this page's answer

    def session(request) -> dict:
        return sessions.setdefault(getattr(request, "session_hash", None) or "", {"busy": False,
                                                                                 "stop": threading.Event()})

    def status_line() -> str:
        st = assistant.status()
        if st["state"] == "ready":
            return (f"**Ready** · {st['articles']} articles, {st['chunks']} passages · "
                    f"model loaded: {', '.join(st['models_loaded'])}")
        if st["state"].startswith("error"):
            return f"**{esc(st['state'])}**"
        return f"**{esc(st['state'].capitalize())}…** the first answer waits for it."

    def example_buttons(history: list | None = None) -> list:
        """The example questions, drawn from the index, on an empty chat."""
        if assistant.state != "ready":
            return [gr.update() for _ in range(EXAMPLES_SHOWN)]
        qs = assistant.examples(EXAMPLES_SHOWN)
        return [gr.update(value=qs[i], visible=not history) if i < len(qs) else gr.update(visible=False)
                for i in range(EXAMPLES_SHOWN)]

    def tick(history: list):
        ready = assistant.state == "ready" or assistant.state.startswith("error")
        return status_line(), gr.Timer(active=not ready), *example_buttons(history)

    def accept(message: str, history: list, request: gr.Request):
        """Take a question, or refuse it visibly while this page's answer runs."""
        question = (message or "").strip()
        me = session(request)
        if not question:
            gr.Warning("Type a question first.")
            raise gr.Error("empty question", visible=False)
        if me["busy"]:
            gr.Warning(BUSY)
            raise gr.Error("busy", visible=False)
        me["busy"], me["stop"] = True, threading.Event()
        history = list(history or []) + [{"role": "user", "content": esc(question)},
                                         {"role": "assistant", "content": render_draft("", DRAFT_NOTES["waiting"])}]
        return history, "", question

    def respond(question: str, history: list, earlier: list, model: str, k: int, request: gr.Request):
        me = session(request)
        history = list(history)
        turn = len(history) - 1
        try:
            chosen = assistant.pick_model(model)  # only the models this page was started with
            if me["stop"].is_set():
                raise AnswerStopped("stopped")
            standalone, how = assistant.standalone(question, earlier, chosen)
            searched = None if how == "as asked" else standalone
            prefix = f"searched for: {standalone} · " if searched else ""
            draft = ""
            for kind, value in assistant.stream_until(standalone, me["stop"], chosen, int(k)):
                if kind == "token":
                    draft += value
                    history[-1] = {"role": "assistant", "content": render_draft(draft, prefix + DRAFT_NOTES["writing"])}
                elif kind == "checking":
                    history[-1] = {"role": "assistant", "content": render_draft(draft, prefix + DRAFT_NOTES["checking"])}
                else:
                    j = value.to_json()
                    contexts = {c["n"]: assistant.context(c["doc_id"], c["chunk_id"], c["text"]) for c in j["citations"]}
                    history[-1] = {"role": "assistant", "content": render_answer(j, turn, searched, contexts)}
                    earlier = (earlier + [standalone])[-EARLIER_KEPT:]
                yield history, earlier
        except AnswerStopped:
            history[-1] = {"role": "assistant", "content": render_stopped()}
            yield history, earlier
        except RagError as e:
            history[-1] = {"role": "assistant", "content": render_error(f"error: {e}")}
            yield history, earlier
        except Exception as e:  # a bug: said on the page, not a draft left hanging  # noqa: BLE001
            import traceback

            traceback.print_exc()
            history[-1] = {"role": "assistant", "content": render_error(f"internal error ({type(e).__name__}); "
                                                                         "the server log has the details.")}
            yield history, earlier
        finally:
            me["busy"] = False

    def stop(request: gr.Request):
        me = session(request)
        if me["busy"]:
            me["stop"].set()
            gr.Info("Stopping: the unfinished answer will be discarded.")
        else:
            gr.Info("Nothing to stop: no answer is being written.")

    def save(history: list, earlier: list, conv_id: str, store: dict):
        store = H.upsert(store, conv_id, history, earlier)
        return store, gr.update(choices=H.choices(store), value=conv_id if history else None)

    def restore(store: dict):
        convs = H.conversations(store)
        last = convs[0] if convs else None
        conv_id = last["id"] if last else H.new_id()
        return (last["messages"] if last else [], last["earlier"] if last else [], conv_id,
                gr.update(choices=H.choices(store), value=last["id"] if last else None))

    def reopen(conv_id: str, store: dict):
        conv = H.find(store, conv_id)
        if conv is None:
            return [], [], H.new_id()
        return conv["messages"], conv["earlier"], conv["id"]

    def fresh(store: dict):
        return [], [], H.new_id(), gr.update(choices=H.choices(store), value=None), ""

    def trash(conv_id: str, store: dict):
        """The chat's own clear: this conversation and its follow-up memory go."""
        store = H.remove(store, conv_id)
        return [], H.new_id(), store, gr.update(choices=H.choices(store), value=None)

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

    def list_articles(query: str):
        rows = matching(assistant.articles(), query or "")
        return article_rows(rows), gr.update(choices=[(f"{r['title']} ({r['id']})", r["id"]) for r in rows], value=[])

    def delete(ids: list[str], query: str):
        if not ids:
            gr.Warning("Pick the articles to delete first.")
            return *list_articles(query), gr.update(), status_line()
        try:
            gone = assistant.delete(ids)
            msg = f"**Deleted {len(gone)} article{'s' if len(gone) != 1 else ''}**: " + ", ".join(esc(i) for i in gone)
        except InputError as e:
            msg = f"**Not deleted:** {esc(str(e))}"
        return *list_articles(query), msg, status_line()

    with gr.Blocks(title="newsrag: ask your news articles") as demo:
        gr.Markdown("# Ask your news articles\nEvery claim cites the passage it came from; "
                    "click a number to read it. Answers come only from the articles.")
        status = gr.Markdown(status_line(), elem_id="status")
        timer = gr.Timer(STATUS_TICK_S)
        store = gr.BrowserState({"convs": []}, storage_key="newsrag-conversations", secret=browser_secret(settings))
        conv_id = gr.State(H.new_id())
        earlier = gr.State([])
        pending = gr.State("")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=200):
                        new_conv = gr.Button("New conversation", elem_id="new-conv")
                        convs = gr.Radio([], label="Conversations", elem_id="conversations")
                    with gr.Column(scale=4):
                        chat = gr.Chatbot(elem_id="chat", height=CHAT_HEIGHT_PX, latex_delimiters=[], allow_tags=False,
                                          feedback_options=None, buttons=[], label="Answers")
                        with gr.Row(elem_id="examples"):
                            examples = [gr.Button("", size="sm", visible=False, elem_classes="example")
                                        for _ in range(EXAMPLES_SHOWN)]
                        with gr.Row():
                            box = gr.Textbox(placeholder="Ask a question about the articles", show_label=False,
                                             scale=5, elem_id="question", label="Question",
                                             max_length=settings.max_question_chars * QUESTION_BOX_CHARS_PER_LIMIT)
                            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                            stop_btn = gr.Button("Stop", scale=1, elem_id="stop")
                        article_view = gr.HTML(elem_id="article-view")
                        open_doc = gr.Textbox(visible="hidden", elem_id="open-doc", label="article id")
                        open_go = gr.Button("open", visible="hidden", elem_id="open-go")
                        with gr.Accordion("Options and adding articles", open=False):
                            with gr.Row():
                                model = gr.Dropdown(models, value=models[0], label="Model", elem_id="model")
                                k = gr.Slider(k_min, k_max, value=settings.top_k, step=1,
                                              label="Passages given to the model", elem_id="passages")
                            files = gr.File(label=f"Add articles (.txt, .md, .html; up to "
                                                  f"{settings.max_upload_bytes // 1000} kB each)",
                                            file_count="multiple", file_types=sorted(UPLOAD_SUFFIXES),
                                            type="filepath", elem_id="upload")
                            upload_status = gr.Markdown(elem_id="upload-status")
            with gr.Tab("Articles", id="articles-tab") as articles_tab:
                search = gr.Textbox(label="Search the articles", elem_id="article-search")
                table = gr.Dataframe(headers=["Title", "Outlet", "Date", "Size", "Id"], datatype="str",
                                     interactive=False, elem_id="articles", wrap=True,
                                     column_widths=["44%", "18%", "12%", "12%", "14%"])
                with gr.Row():
                    pick = gr.Dropdown([], multiselect=True, label="Articles to delete", elem_id="delete-pick", scale=4)
                    delete_btn = gr.Button("Delete from the index", variant="stop", elem_id="delete", scale=1)
                delete_status = gr.Markdown(elem_id="delete-status")

        # the page's own events only: programs use `rag serve`, not Gradio's client API
        private = dict(api_visibility="private")
        timer.tick(tick, inputs=[chat], outputs=[status, timer, *examples], show_progress="hidden", **private)
        chat.change(lambda h: [gr.update(visible=not h) for _ in examples], inputs=[chat], outputs=examples,
                    show_progress="hidden", **private)
        demo.load(restore, inputs=[store], outputs=[chat, earlier, conv_id, convs], **private)

        def ask_chain(dep):
            dep.success(respond, inputs=[pending, chat, earlier, model, k], outputs=[chat, earlier],
                        concurrency_id="llm", concurrency_limit=1, show_progress="hidden", **private) \
               .then(save, inputs=[chat, earlier, conv_id, store], outputs=[store, convs], **private)

        accepted = dict(fn=accept, inputs=[box, chat], outputs=[chat, box, pending], show_progress="hidden",
                        trigger_mode="always_last", **private)
        ask_chain(gr.on([box.submit, send.click], **accepted))
        for ex in examples:
            ask_chain(ex.click(lambda q: q, inputs=[ex], outputs=[box], **private).then(**accepted))
        stop_btn.click(stop, **private)
        chat.clear(trash, inputs=[conv_id, store], outputs=[earlier, conv_id, store, convs], **private)
        new_conv.click(fresh, inputs=[store], outputs=[chat, earlier, conv_id, convs, article_view], **private)
        convs.input(reopen, inputs=[convs, store], outputs=[chat, earlier, conv_id], **private)
        open_go.click(lambda d: article_html(assistant.article(d)), inputs=[open_doc], outputs=[article_view],
                      show_progress="hidden", **private)
        files.upload(add_files, inputs=[files], outputs=[upload_status, status, files], concurrency_limit=1,
                     **private)
        articles_tab.select(list_articles, inputs=[search], outputs=[table, pick], **private)
        search.input(list_articles, inputs=[search], outputs=[table, pick], **private)
        delete_btn.click(delete, inputs=[pick, search], outputs=[table, pick, delete_status, status], **private)
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
