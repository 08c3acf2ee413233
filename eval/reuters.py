"""Reuters-21578 -> one front-matter .txt article per story.

The collection (D. D. Lewis, Distribution 1.0, UCI KDD Archive; text
copyright Reuters Ltd., free for research use only) lives outside the
repository in ``../shared/corpora/reuters21578/`` (22 SGML files
``reut2-000.sgm`` .. ``reut2-021.sgm``, Latin-1). Only this converter and the
questions in ``eval/gold_reuters.jsonl`` are shipped; see ``eval/REUTERS.md``.

Each ``<REUTERS NEWID="n">`` story with a non-empty ``<BODY>`` becomes
``OUT/<n>.txt``, so its doc_id is ``str(n)``::

    ---
    title: "BAHIA COCOA REVIEW"
    outlet: Reuters
    date: 1987-02-26
    ---

    Showers continued throughout the week in the Bahia cocoa zone, ...

The title is kept as written (upper case) and JSON-quoted, which is valid
YAML. The body is unescaped (``&lt;`` -> ``<``), control bytes and the literal
``^M`` artefacts are dropped, the closing "Reuter" / "REUTER..." signature (and
a final "More" line) is removed, and the wire's hard-wrapped lines are joined:
a line that starts with white space (the wire's paragraph indent, or a table
row) starts a new line, any other line continues the previous one. The
dateline ("SALVADOR, Feb 26 -") is not part of the body. Stories without a
body (``TYPE="BRIEF"`` headlines) are skipped. Output is byte-identical on
every run; a file already holding the same text is not rewritten.

Counts (measured): the subset ``SUBSET`` (reut2-000 .. reut2-002, NEWIDs
1-3000) gives 2,761 articles; the full collection gives 19,043.

Run: ``python -m eval.reuters /tmp/reuters --subset``.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "reuters21578"
FILES = [f"reut2-{i:03d}.sgm" for i in range(22)]
SUBSET = FILES[:3]  # the fixed subset CI uses: 2,761 stories with a body

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CARET_M = re.compile(r"\^M")  # carriage returns the wire kept as the two characters "^M"
# the closing signature ("Reuter", "REUTER...") and a standalone "More" continuation line
_SIGNATURE = re.compile(r"(?:\s*\b(?i:reuters?)(?:\.{2,})?|\n(?:More|MORE|more)(?:\.{2,})?)\s*\Z")
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}


def _tag(name: str, text: str) -> str | None:
    m = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
    return m.group(1) if m else None


def _text(raw: str) -> str:
    """Entities unescaped, control bytes dropped, line ends plain."""
    return _CARET_M.sub("", _CONTROL.sub("", html.unescape(raw).replace("\r\n", "\n")))


def iso_date(raw: str) -> str | None:
    """The collection's date as ISO.

    >>> iso_date(" 26-FEB-1987 15:01:01.79")
    '1987-02-26'
    """
    m = _DATE.search(raw or "")
    if not m or m.group(2).upper() not in _MONTHS:
        return None
    return f"{m.group(3)}-{_MONTHS[m.group(2).upper()]:02d}-{int(m.group(1)):02d}"


def unwrap(body: str) -> str:
    """Join the wire's hard-wrapped lines; an indented line starts a new one.

    >>> unwrap("Shares rose\\nsharply.\\n    Net 5 mln\\n    Revs 9 mln")
    'Shares rose sharply.\\nNet 5 mln\\nRevs 9 mln'
    """
    lines: list[str] = []
    for line in body.split("\n"):
        if not line.strip():
            if lines and lines[-1]:
                lines.append("")  # a blank line ends a paragraph
            continue
        if lines and lines[-1] and not line[0].isspace():
            lines[-1] += " " + line.strip()
        else:
            if lines and not lines[-1]:
                lines.pop()
            lines.append(line.strip())
    return "\n".join(x for x in lines if x)


def clean_body(raw: str) -> str:
    """A story's body as shipped: unescaped, unwrapped, no "Reuter" signature.

    >>> clean_body("Profits rose &lt;5 pct>.\\n Reuter\\n\\x03")
    'Profits rose <5 pct>.'
    >>> clean_body("He told Reuters the sale is off. REUTER...")
    'He told Reuters the sale is off.'
    """
    body = unwrap(_text(raw)).strip()
    while (cut := _SIGNATURE.sub("", body).strip()) != body:  # "More" can follow "Reuter"
        body = cut
    return body


def parse(sgml: str) -> Iterator[dict]:
    """Stories of one SGML file: dicts of newid, title, date, body (cleaned).
    Stories without a non-empty body are skipped."""
    for m in _STORY.finditer(sgml):
        newid = _NEWID.search(m.group(1))
        body = _tag("BODY", m.group(2))
        if not newid or body is None:
            continue
        body = clean_body(body)
        if not body:
            continue
        title = " ".join(_text(_tag("TITLE", m.group(2)) or "").split())
        yield {"newid": int(newid.group(1)), "title": title, "date": iso_date(_tag("DATE", m.group(2)) or ""), "body": body}


def read_file(path: Path) -> list[dict]:
    return list(parse(path.read_bytes().decode("latin-1")))


def render(story: dict) -> str:
    """A story as a front-matter article (the title JSON-quoted: valid YAML)."""
    head = ["---", f"title: {json.dumps(story['title'])}", "outlet: Reuters"]
    if story["date"]:
        head.append(f"date: {story['date']}")
    return "\n".join(head) + "\n---\n\n" + story["body"] + "\n"


def convert(src: Path, out: Path, files: list[str] | None = None) -> int:
    """Write one OUT/<NEWID>.txt per story with a body from `files` (default:
    all 22) under `src`; return how many. Files already holding the same text
    are left alone."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for name in files or FILES:
        for story in read_file(Path(src) / name):
            path = out / f"{story['newid']}.txt"
            text = render(story)
            if not path.is_file() or path.read_text("utf-8") != text:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(text, "utf-8")
                tmp.replace(path)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.reuters", description="Convert Reuters-21578 SGML to front-matter .txt articles.")
    ap.add_argument("out", type=Path, help="output folder")
    ap.add_argument("--src", type=Path, default=SOURCE, help=f"the SGML folder (default {SOURCE})")
    ap.add_argument("--subset", action="store_true", help=f"only {SUBSET[0]} .. {SUBSET[-1]}, the subset the gold set uses")
    args = ap.parse_args(argv)
    if not (args.src / FILES[0]).is_file():
        print(f"{args.src}: no Reuters-21578 SGML files there", file=sys.stderr)
        return 2
    n = convert(args.src, args.out, SUBSET if args.subset else None)
    print(f"{n} articles written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
