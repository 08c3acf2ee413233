"""Options shared by the commands of `ask`/`rag` (rag.cli) and
`rag articles`/`rag delete` (rag.cli_articles), and the one way they end on
a user error: declared once."""

import sys
from pathlib import Path
from typing import NoReturn

import click

index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                            help="Index folder (default index/).")

allow_model_option = click.option("--allow-model", "allow_models", multiple=True, metavar="NAME",
                                  help="Another model clients may pick (repeatable; loaded on first use). "
                                       "By default only --model answers.")


def fail(e: Exception) -> NoReturn:
    """A user error: one line on stderr, `error: ...`, exit status 1."""
    click.echo(f"error: {e}", err=True)
    sys.exit(1)
