"""Command line: `ask "question"` and `rag ingest|index|models|eval`.

Heavy libraries load inside the commands, so `ask --help` is instant."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli_options import allow_model_option, fail, index_option
from .errors import RagError

host_option = click.option("--host", default=None, help="Address to bind (default 127.0.0.1, loopback only).")


def _settings(**kw):
    from pydantic import ValidationError

    from .settings import default_settings

    try:
        return default_settings(**kw)
    except ValidationError as e:
        err = e.errors()[0]
        raise RagError(f"bad setting {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def _stream_preview():
    """A transient live preview of the model's tokens on a terminal's stderr;
    the checked answer replaces it."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    buf = []
    live = Live(Text(""), console=Console(stderr=True), transient=True, refresh_per_second=12)

    def on_token(piece: str) -> None:
        buf.append(piece)
        live.update(Text("".join(buf), style="dim"))

    return live, on_token


def _answer(fn, as_json: bool) -> dict:
    """`fn(on_token)` with a live preview of the tokens on a terminal (not
    for JSON); returns the answer's JSON."""
    live, on_token = (None, None) if as_json else _stream_preview()
    if live is None:
        return fn(None)
    with live:
        return fn(on_token)


class _LoadFailed(Exception):
    """Loading the models failed: that ends a batch, unlike one bad question."""


def _load(settings):
    from .service import Assistant

    assistant = Assistant(settings)
    try:
        assistant.warm_up()
    except RagError as e:
        raise _LoadFailed() from e
    return assistant


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the ask --json contract).")
@click.option("--model", "-m", default=None, help="LLM: default, fast, tiny, or a path to a .gguf file.")
@click.option("-k", "top_k", type=int, default=None,
              help="Passages given to the model (default 4; Settings.top_k holds its bounds, checked there).")
@index_option
@click.option("--llm-url", default=None, help="Use the LLM of an OpenAI-compatible server at this base URL (e.g. http://127.0.0.1:8080/v1).")
@click.option("--no-server", is_flag=True, help="Answer in this process even when `rag serve` runs.")
def ask(question, as_json, model, top_k, index_dir, llm_url, no_server):
    """Answer QUESTION from the articles, citing the passages it used.

    \b
    Examples:
      ask "what tariff rate?"
      ask --json "how long was the call?"
      printf 'q1\\nq2\\n' | ask --json -     # one JSON object per line
      ask --model fast -k 6 "what did China agree to buy?"

    When `rag serve` runs on this index (port 8765, RAG_PORT), the question
    goes there and the answer comes from its warm models; otherwise the first
    run builds the index of seeds/ and assembles the model.
    """
    from .render import render_text

    try:
        settings = _settings(model=model, index_dir=index_dir, top_k=top_k, llm_url=llm_url,
                             use_server=False if no_server else None)
        from .cli_input import questions, shown
        from .client import ServerGone, ask_server, find_server
        from .question import clean_question

        server, probed, assistant = None, False, None
        for line in questions(question):
            try:
                clean_question(line, settings.max_question_chars)  # refuse bad input before loading models
                if not probed:
                    server, probed = find_server(settings, model) if settings.use_server else None, True
                j = None
                if server is not None:
                    try:
                        j = _answer(lambda on_token, base=server, q=line: ask_server(base, q, model, top_k, on_token), as_json)
                        j["served_by"] = "server"
                    except ServerGone:  # gone mid-way: this process answers from here on
                        server = None
                if j is None:
                    if assistant is None:
                        assistant = _load(settings)
                    j = _answer(lambda on_token, a=assistant, q=line: a.ask(q, top_k=top_k, on_token=on_token).to_json(),
                                as_json)
                click.echo(json.dumps(j, ensure_ascii=False) if as_json else render_text(j))
            except _LoadFailed as e:
                raise e.__cause__ from None
            except RagError as e:
                if question != "-":
                    raise
                # one bad line does not end the batch
                click.echo(json.dumps({"question": shown(line), "error": str(e)}) if as_json else f"error: {e}")
            sys.stdout.flush()
    except RagError as e:
        fail(e)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def rag():
    """Local, offline Q&A over news articles: ingest, index, models, eval."""


@rag.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
def ingest(paths, index_dir):
    """Add article files or folders (.txt, .md, .html) to the index."""
    try:
        settings = _settings(index_dir=index_dir)
        from . import indexing
        from .embed import embedder_for

        idx, report, added = indexing.ingest(settings, embedder_for(settings), list(paths))
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)
        for path, why in report.skipped:
            click.echo(f"skipped {path}: {why}", err=True)
        replaced = f" (replaced {len(report.replaced)}: {', '.join(report.replaced)})" if report.replaced else ""
        click.echo(f"added {added} article(s){replaced}; the index holds {len(idx.docs)} article(s), {len(idx.chunks)} chunks.")
    except RagError as e:
        fail(e)
    except KeyboardInterrupt:  # the batches embedded so far are on disk (rag/embed_cache.py)
        fail(RagError("interrupted; the index is as it was, and the vectors embedded so far are kept: "
                       "run the same `rag ingest` again to resume."))


@rag.command()
@click.option("--rebuild", is_flag=True, help="Rebuild from the stored articles (or seeds/ when empty).")
@index_option
def index(rebuild, index_dir):
    """Show the index, or rebuild it."""
    try:
        settings = _settings(index_dir=index_dir)
        from . import indexing, store
        from .embed import embedder_for

        emb = embedder_for(settings)
        idx = indexing.rebuild(settings, emb) if rebuild else store.Index.load(settings.index_dir, indexing.index_params(settings, emb))
        m = idx.manifest
        click.echo(f"{settings.index_dir}: {m['n_docs']} articles, {m['n_chunks']} chunks, embedder {m['embedder']} "
                   f"({m['dim']}d), chunks of {m['chunk_tokens']} tokens with {m['chunk_overlap']} overlap, built {m['created']}")
    except RagError as e:
        fail(e)


@rag.command()
@click.argument("names", nargs=-1)
def models(names):
    """Assemble and check models (default: all installed)."""
    try:
        settings = _settings()
        from .errors import ModelNotInstalled
        from .models import registry, resolve

        for key in names or registry(settings.models_dir):
            try:
                path, name, _ = resolve(key, settings.models_dir)
                click.echo(f"{key}: {name} ready at {path}")
            except ModelNotInstalled as e:
                if names:
                    raise
                click.echo(f"{key}: {e}")
    except RagError as e:
        fail(e)


@rag.command()
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@host_option
@click.option("--model", "-m", default=None, help="Model loaded at start: default, fast, tiny or a GGUF path.")
@allow_model_option
@index_option
def ui(port, host, model, allow_models, index_dir):
    """The chat page (Gradio) on http://127.0.0.1:7860."""
    try:
        settings = _settings(ui_port=port, host=host, model=model, allow_models=list(allow_models) or None,
                             index_dir=index_dir)
        from ui.app import main

        main(settings)
    except RagError as e:
        fail(e)


@rag.command()
@click.option("--port", type=int, default=None, help="Port (default 8765).")
@host_option
@click.option("--model", "-m", default=None, help="Model: default, fast, tiny or a GGUF path.")
@click.option("--llm-url", default=None, help="Use the LLM of an OpenAI-compatible server at this base URL.")
@allow_model_option
@index_option
def serve(port, host, model, llm_url, allow_models, index_dir):
    """The HTTP API: POST /ask, /ask/stream, /ingest, /v1/chat/completions; GET /health."""
    try:
        settings = _settings(port=port, host=host, model=model, llm_url=llm_url, allow_models=list(allow_models) or None,
                             index_dir=index_dir)
        from .server import main

        main(settings)
    except RagError as e:
        fail(e)


def ask_main():
    ask(prog_name="ask")


def rag_main():
    rag(prog_name="rag")


@rag.command("eval")
@click.option("--model", "-m", default="default", help="LLM to evaluate: default, fast, tiny or a GGUF path.")
@click.option("--gold", "gold_set", type=click.Choice(["seeds", "reuters"]), default="seeds", show_default=True,
              help="Gold set: the shipped articles', or Reuters-21578's (converted and indexed on first use).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="all", show_default=True,
              help="Items of this half only (tune on dev; test is only scored).")
@click.option("--limit", type=int, default=None, help="Only the first N gold items.")
@click.option("--no-baseline", is_flag=True, help="Skip the extractive (no-LLM) baseline row.")
@click.option("--no-unchecked", is_flag=True, help="Skip the row of the model's raw, unchecked answers.")
@click.option("--llm-cache", is_flag=True, help="Development: reuse the model's replies to identical prompts (eval/.cache/).")
@click.option("--check", "check_", is_flag=True, help="Exit non-zero when a score is under eval/thresholds.toml.")
@click.option("--ablate", is_flag=True, help="Score with each trust mechanism off in turn (eval/ablate.py).")
@index_option
def eval_cmd(model, gold_set, split, limit, no_baseline, no_unchecked, llm_cache, check_, ablate, index_dir):
    """Score the whole system on a gold set (eval/gold.jsonl, eval/gold_reuters.jsonl).

    \b
    Examples:
      rag eval                                   # the shipped articles' gold set, default model
      rag eval --gold reuters --split dev --no-unchecked
      rag eval --gold reuters --split dev --ablate --llm-cache   # what each mechanism adds
    """
    try:
        from eval import harness

        settings = _settings(model=model, index_dir=index_dir)
        if ablate:
            from eval import ablate as ablation

            return click.echo(ablation.table(settings, gold_set, split, llm_cache, limit, check_))
        report = harness.evaluate(settings, gold_set, None if split == "all" else split, limit=limit,
                                  baseline=not no_baseline, unchecked=not no_unchecked, llm_cache=llm_cache)
        click.echo(harness.markdown(report).split("## Failed")[0])
        if check_:
            bad = harness.check(report, harness.thresholds())
            for b in bad:
                click.echo(f"below threshold: {b}", err=True)
            if bad:
                sys.exit(1)
    except RagError as e:
        fail(e)


@rag.command()
@click.option("--models", default="default,fast", show_default=True, help="LLMs to time, comma-separated.")
@click.option("--limit", type=int, default=None, help="Only the first N gold questions (default all).")
@click.option("--sizes", default="10000,100000,1000000", show_default=True,
              help="Synthetic corpus sizes (chunks) for the retrieval section, comma-separated.")
@click.option("--skip", default="", help="Sections to skip, comma-separated: index, answers, floor, cold, retrieval, "
              "ingest, stage, full-ingest, cold-parts.")
@click.option("--corpus", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Articles for the ingest and stage sections (default: the Reuters subset).")
@click.option("--ingest-articles", type=int, default=1000, show_default=True,
              help="Articles of the corpus timed by the ingest section (0: all).")
@click.option("--stage-sizes", default="10000,50000", show_default=True,
              help="Index sizes (real chunks) for the retrieval-stage section, comma-separated.")
@click.option("--floor-limit", type=int, default=30, show_default=True,
              help="Prompts replayed on llama.cpp alone, per model.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default eval/reports/bench/).")
def bench(models, limit, sizes, skip, corpus, ingest_articles, stage_sizes, floor_limit, out):
    """Time the assistant: warm and cold answers, llama.cpp alone on the same
    prompts, the index build, and FAISS on synthetic corpora up to 1M chunks.

    \b
    Examples:
      rag bench                                   # everything (~15 minutes on 2 cores)
      rag bench --models default --limit 20 --skip retrieval
      rag bench --skip answers,floor,cold --sizes 10000,100000
      rag bench --skip answers,floor,cold,retrieval,full-ingest     # ingest and retrieval stage only

    Writes bench.json and bench.md under eval/reports/bench/.
    """
    try:
        from eval import bench as bench_mod

        known = {"index", "answers", "floor", "cold", "retrieval", "ingest", "stage", "full-ingest", "cold-parts"}
        skipped = {s.strip() for s in skip.split(",") if s.strip()}
        if skipped - known:
            raise RagError(f"unknown section(s) to skip: {', '.join(sorted(skipped - known))}; use {', '.join(sorted(known))}.")
        try:
            ns = [int(s) for s in sizes.split(",") if s.strip()]
            stage = [int(s) for s in stage_sizes.split(",") if s.strip()]
        except ValueError:
            raise RagError(f"--sizes and --stage-sizes take whole numbers separated by commas, e.g. 10000,100000; "
                           f"got {sizes!r}, {stage_sizes!r}.") from None
        report = bench_mod.main(_settings(), [m.strip() for m in models.split(",") if m.strip()], limit=limit,
                                sizes=ns, skip=skipped, out=out, floor_limit=floor_limit, corpus=corpus,
                                ingest_articles=ingest_articles or None, stage_sizes=stage)
        click.echo(f"wrote {report['out']}/bench.json and bench.md")
    except RagError as e:
        fail(e)



from .cli_articles import articles_cmd, delete_cmd  # noqa: E402 (registered on `rag` here)

rag.add_command(articles_cmd)
rag.add_command(delete_cmd)
