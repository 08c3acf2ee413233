"""Progress on stderr (rich), so stdout stays clean for answers and JSON.
A caller that shows progress elsewhere (the chat page) listens with
`reporting_to(hook)`: the hook gets (label, done, total) for each step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_hook: ContextVar[Callable[[str, int, int], None] | None] = ContextVar("progress_hook", default=None)


@contextmanager
def reporting_to(hook: Callable[[str, int, int], None]) -> Iterator[None]:
    """Progress bars opened inside this block (same thread) also call `hook`."""
    token = _hook.set(hook)
    try:
        yield
    finally:
        _hook.reset(token)


def _console():
    from rich.console import Console

    return Console(stderr=True)


def note(msg: str) -> None:
    _console().print(f"[dim]{msg}[/dim]", highlight=False)


@contextmanager
def progress_bar(label: str, total: int, unit: str = ""):
    """Yields `advance(n, detail=None)`. Shows a bar on a terminal, nothing
    when total is 0; `detail` ("1,234 chunks") is shown after the label."""
    hook = _hook.get()
    if hook is not None and total > 0:
        done = 0
        hook(label, 0, total)

        def advance(n: int = 1, detail: str | None = None) -> None:  # noqa: ARG001 (the hook gets counts only)
            nonlocal done
            done += n
            hook(label, done, total)

        yield advance
        return
    if total <= 0:
        yield lambda *_a, **_k: None
        return
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    count = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    with Progress(TextColumn("{task.description}"), BarColumn(), count, TimeRemainingColumn(),
                  console=_console(), transient=False) as p:
        task = p.add_task(label, total=total)

        def advance(n: int = 1, detail: str | None = None) -> None:
            p.update(task, advance=n, description=f"{label} ({detail})" if detail else label)

        yield advance


@contextmanager
def status(label: str):
    with _console().status(label):
        yield
