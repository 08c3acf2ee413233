"""`rag articles` and `rag delete`: what the index holds, and removing
articles from it. Registered on the `rag` group by rag.cli; nothing here
loads a model (a delete keeps the other passages' stored vectors)."""

from __future__ import annotations

import json

import click

from .cli_options import fail, index_option
from .errors import RagError


@click.command("articles")
@click.argument("query", required=False, default="")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@index_option
def articles_cmd(query, as_json, index_dir):
    """List the indexed articles, newest first; QUERY keeps those whose
    title, outlet, date or id hold every word.

    Example: rag articles tariff"""
    try:
        from . import store
        from .articles import listing, matching
        from .settings import default_settings

        rows = matching(listing(store.Index.load(default_settings(index_dir=index_dir).index_dir)), query)
    except RagError as e:
        fail(e)
    from .text import inert

    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
        else:
            meta = ", ".join(x for x in (r["outlet"], r["date"]) if x)
            click.echo(inert(f"{r['id']}  {r['title']}" + (f" ({meta})" if meta else "")) + f"  {r['chars']:,} chars")


@click.command("delete")
@click.argument("ids", nargs=-1, required=True)
@index_option
def delete_cmd(ids, index_dir):
    """Remove articles (by id, as `rag articles` shows) and their passages
    from the index, in one atomic write.

    Example: rag delete business/001 004_f20f53a03460532b"""
    try:
        from . import indexing
        from .settings import default_settings

        settings = default_settings(index_dir=index_dir)
        idx, gone = indexing.delete(settings, list(ids))
    except RagError as e:
        fail(e)
    missing = [i for i in ids if i not in gone]
    for i in gone:
        click.echo(f"deleted {i}")
    if missing:
        click.echo(f"not in the index: {', '.join(missing)}", err=True)
    click.echo(f"{len(idx.docs)} articles, {len(idx.chunks)} passages left")
