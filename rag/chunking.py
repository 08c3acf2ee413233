"""Documents -> Chunks: token-aware (tiktoken), cut at sentence boundaries,
with overlap; ids are stable content hashes."""

from __future__ import annotations

import hashlib

from .text import count_tokens, split_sentences, token_windows, truncate_tokens
from .types import Chunk, Document


def chunk_id(doc: Document, start: int, text: str) -> str:
    return hashlib.sha256(f"{doc.content_hash}\x00{start}\x00{text}".encode()).hexdigest()[:16]


def _pieces(sentences: list[str], max_tokens: int) -> list[tuple[str, int]]:
    """Sentences with their token counts; a sentence over the limit is cut
    into runs of `max_tokens` tokens (rare: a table, a list, a text with no
    full stops), tokenized once, so a long run costs linear time."""
    out = []
    for s in sentences:
        n = count_tokens(s)
        if n <= max_tokens:
            out.append((s, n))
            continue
        for piece in token_windows(s, max_tokens):
            while (n := count_tokens(piece)) > max_tokens:  # a window can tokenize longer on its own
                head = truncate_tokens(piece, max_tokens) or piece[0]  # a character at least: progress
                out.append((head, count_tokens(head)))
                piece = piece[len(head):].strip()
            if piece:
                out.append((piece, n))
    return out


def chunk_document(doc: Document, max_tokens: int = 128, overlap: int = 24) -> list[Chunk]:
    """Greedy packing of whole sentences up to `max_tokens`; each chunk after
    the first starts with the previous chunk's trailing sentences, up to
    `overlap` tokens.

    Example: sentences of 50, 50, 50 tokens with max 110 and overlap 60 give
    chunks [s0 s1] and [s1 s2].
    """
    pieces = _pieces(split_sentences(doc.text), max_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j, total = i, 0
        while j < len(pieces) and total + pieces[j][1] <= max_tokens:
            total += pieces[j][1]
            j += 1
        text = "\n".join(p[0] for p in pieces[i:j])  # lines keep headlines apart from sentences
        total = count_tokens(text)
        while total > max_tokens and j - i > 1:  # joined text can tokenize longer than its parts
            j -= 1
            text = "\n".join(p[0] for p in pieces[i:j])
            total = count_tokens(text)
        chunks.append(Chunk(id=chunk_id(doc, i, text), doc_id=doc.id, text=text, start=i, n_tokens=total))
        if j >= len(pieces):
            break
        # step back over trailing sentences that fit in the overlap, never to i
        k, back = j, 0
        while k - 1 > i and back + pieces[k - 1][1] <= overlap:
            k -= 1
            back += pieces[k][1]
        i = k
    return chunks
