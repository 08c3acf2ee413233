"""Options shared by the commands of `ask`/`rag` (rag.cli) and
`rag articles`/`rag delete` (rag.cli_articles): declared once."""

from pathlib import Path

import click

index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                            help="Index folder (default index/).")
