"""The gold sets the harness scores, each with the collection its questions
were written from and the index that collection is searched in.

- `seeds`: 84 questions on the 5 shipped articles (`eval/gold.jsonl`); the
  pipeline's first thresholds were chosen on it.
- `reuters`: 205 questions read from Reuters-21578 stories
  (`eval/gold_reuters.jsonl`, `eval/REUTERS.md`), on an index of the fixed
  subset of 2,761 stories; a `dev` half to look at and tune on, a `test` half
  only scored.

A collection that is not in the repository (Reuters) is converted on first
use into `eval/.cache/` (git-ignored) and indexed there, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


@dataclass(frozen=True)
class GoldSet:
    name: str
    path: Path
    corpus: Callable[[object], Path]  # settings -> folder of the articles
    index_dir: Callable[[object], Path]  # settings -> where its index lives

    def items(self, split: str | None = None) -> list[dict]:
        with open(self.path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [r for r in rows if split in (None, "all") or r.get("split", "test") == split]

    def settings(self, settings):
        """The settings that search this gold set's collection."""
        return settings.model_copy(update={"index_dir": self.index_dir(settings), "seeds_dir": self.corpus(settings)})


def reuters_corpus(_settings) -> Path:
    """The Reuters subset as article files, converted once (a stamp records
    the files it came from and the count, so a changed subset reconverts)."""
    from . import reuters

    out = CACHE / "reuters-subset"
    stamp = out / ".converted.json"
    want = {"files": reuters.SUBSET}
    try:
        if json.loads(stamp.read_text("utf-8"))["files"] == want["files"]:
            return out
    except (OSError, ValueError, KeyError):
        pass
    from rag.progress import status

    with status("converting the Reuters subset"):
        n = reuters.convert(reuters.SOURCE, out, reuters.SUBSET)
    stamp.write_text(json.dumps({**want, "articles": n}), "utf-8")
    return out


GOLD_SETS = {
    "seeds": GoldSet("seeds", HERE / "gold.jsonl", lambda s: s.seeds_dir, lambda s: s.index_dir),
    "reuters": GoldSet("reuters", HERE / "gold_reuters.jsonl", reuters_corpus, lambda _s: CACHE / "index-reuters"),
}
