"""Progress on stderr (rich), so stdout stays clean for answers and JSON."""

from __future__ import annotations

from contextlib import contextmanager


def _console():
    from rich.console import Console

    return Console(stderr=True)


def note(msg: str) -> None:
    _console().print(f"[dim]{msg}[/dim]", highlight=False)


@contextmanager
def progress_bar(label: str, total: int, unit: str = ""):
    """Yields `advance(n)`. Shows a bar on a terminal, nothing when total is 0."""
    if total <= 0:
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    count = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    with Progress(TextColumn("{task.description}"), BarColumn(), count, TimeRemainingColumn(),
                  console=_console(), transient=False) as p:
        task = p.add_task(label, total=total)
        yield lambda n=1: p.advance(task, n)


@contextmanager
def status(label: str):
    with _console().status(label):
        yield
