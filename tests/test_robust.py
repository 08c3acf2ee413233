"""Bad input, each refused by one clear line and a non-zero exit, with no
traceback and nothing lost (issue #7). The CLI cases run the installed `ask`
and `rag` scripts on an index in a tmp folder and check the index is
byte-for-byte unchanged after each rejected ingest; they fail before any model
loads, so they are fast. Questions the pipeline must survive (100,000
characters, dense characters, other languages) run on the real embedder and
llama.cpp with the `tiny` model (slow)."""

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from rag import indexing, store
from rag.corpus import load_paths
from rag.errors import InputError, RagError
from rag.llm import make_llm
from rag.pipeline import answer, token_counter
from rag.settings import Settings

from helpers import ARTICLES, FakeEmbedder, FakeLLM, check_contract, clean_error, snapshot, write_articles

BIN = Path(sys.executable).parent  # the venv's bin/, where `ask` and `rag` live
BIG = 50 * 1024 * 1024  # the 50 MB article: a sparse file, never written out
TARIFF_Q = "What did the United States cut tariffs on Chinese goods to?"


def run(args: list[str], env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An index of the three ARTICLES (FakeEmbedder), and an env pointing the
    scripts at it. Rejected ingests fail before reading it."""
    tmp = tmp_path_factory.mktemp("robust")
    s = Settings(index_dir=tmp / "index", seeds_dir=write_articles(tmp / "news"))
    indexing.ingest(s, FakeEmbedder(), [s.seeds_dir])
    env = {**os.environ, "RAG_INDEX_DIR": str(s.index_dir), "RAG_USE_SERVER": "0", "NO_COLOR": "1", "TERM": "dumb"}
    return s, env


def sparse(path: Path, size: int = BIG) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)  # a hole: 50 MB on stat, no blocks on disk
    return path


def make_bad(kind: str, tmp: Path) -> Path:
    """One bad input for `rag ingest`, as the path to give it."""
    tmp.mkdir(parents=True, exist_ok=True)
    if kind == "missing":
        return tmp / "no" / "such" / "folder"
    if kind == "binary":
        p = tmp / "photo.txt"
        p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
        return p
    if kind == "nul-bytes":
        p = tmp / "nul.md"
        p.write_bytes(b"Tariffs\x00 were\x00 cut\x00 to 30%.\x00" * 20)
        return p
    if kind == "unsupported-type":
        p = tmp / "data.pdf"
        p.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
        return p
    if kind == "empty-file":
        p = tmp / "empty.txt"
        p.write_bytes(b"")
        return p
    if kind == "blank-file":
        p = tmp / "blank.txt"
        p.write_text(" \n\t\n   \n")
        return p
    if kind == "50mb-file":
        return sparse(tmp / "huge.txt")
    if kind == "symlink-loop":
        os.symlink("loop", tmp / "loop")
        return tmp / "loop"
    if kind == "broken-symlink":
        os.symlink(tmp / "gone.txt", tmp / "dangling.txt")
        return tmp / "dangling.txt"
    if kind == "folder-of-loops":
        d = tmp / "loops"
        (d / "sub").mkdir(parents=True)
        os.symlink("..", d / "sub" / "up")
        os.symlink("a.txt", d / "a.txt")  # a file linking to itself
        return d
    if kind == "empty-folder":
        (tmp / "nothing").mkdir()
        return tmp / "nothing"
    if kind == "3000-unreadable-files":
        d = tmp / "many"
        d.mkdir()
        for i in range(3000):
            (d / f"{i:04d}.txt").write_bytes(b"" if i % 2 else b"\x00\x01\x02\x03")
        return d
    raise ValueError(kind)


BAD_INGEST = ["missing", "binary", "nul-bytes", "unsupported-type", "empty-file", "blank-file", "50mb-file",
              "symlink-loop", "broken-symlink", "folder-of-loops", "empty-folder", "3000-unreadable-files"]


@pytest.mark.parametrize("kind", BAD_INGEST)
def test_rag_ingest_refuses_bad_input_and_keeps_the_index(built, tmp_path, kind):
    s, env = built
    before = snapshot(s.index_dir)
    path = make_bad(kind, tmp_path)
    t0 = time.perf_counter()
    line = clean_error(run([str(BIN / "rag"), "ingest", str(path)], env))
    assert time.perf_counter() - t0 < 60
    assert path.name in line  # the message names what it refused
    assert snapshot(s.index_dir) == before  # nothing written, nothing lost
    assert sorted(store.Index.load(s.index_dir).docs) == sorted(p.rsplit(".", 1)[0] for p in ARTICLES)


def test_ingest_messages_say_why(tmp_path):
    """The one line says what was wrong with the input."""
    why = {"binary": "binary", "50mb-file": "limit", "symlink-loop": "symlink", "empty-file": "no text",
           "unsupported-type": "unsupported type", "missing": "no such file"}
    s = Settings(index_dir=tmp_path / "index")
    for kind, word in why.items():
        with pytest.raises(InputError, match=word):
            indexing.ingest(s, FakeEmbedder(), [make_bad(kind, tmp_path / kind)])
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize("q", ["", "   ", "\n\t \n", "\x01\x02\x1b", " \x0b \x0c "])
def test_ask_refuses_an_empty_or_blank_question(built, q):
    s, env = built
    line = clean_error(run([str(BIN / "ask"), "--model", "tiny", q], env))
    assert "empty question" in line


# ---- mixed folders: the good articles are read, each bad file is skipped with a reason

def mixed_folder(folder: Path) -> Path:
    write_articles(folder, {"good.txt": "Port strike ends\n\nDock workers in Rotterdam ended a nine-day strike on Friday.\n"})
    (folder / "latin1.txt").write_bytes("Caf\u00e9 owners in Z\u00fcrich raised prices by 5%.".encode("latin-1"))
    (folder / "cp1252.md").write_bytes("Officials called it a \u201crecord\u201d \u2014 \u20ac4 billion.".encode("cp1252"))
    (folder / "invalid-utf8.txt").write_bytes(b"Farmers sold \xff\xfe corn \xc3\x28 at the market in Iowa.")
    (folder / "late-nul.txt").write_bytes(b"Ships left the harbor before the storm. " * 300 + b"\x00 tail text.")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "empty.txt").write_bytes(b"")
    sparse(folder / "huge.txt")
    os.symlink("loop.txt", folder / "loop.txt")
    return folder


def test_mixed_folder_keeps_the_good_and_names_the_bad(index, settings, embedder, tmp_path):
    folder = mixed_folder(tmp_path / "mixed")
    idx, report, added = indexing.ingest(settings, embedder, [folder])
    read = {"good", "latin1", "cp1252", "invalid-utf8", "late-nul"}
    assert added == len(read)
    assert set(idx.docs) == read | set(index.docs)  # the old articles are all still there
    assert {Path(p).name for p, _ in report.skipped} == {"binary.txt", "empty.txt", "huge.txt", "loop.txt"}
    assert all(why and not why.startswith(str(folder)) for _, why in report.skipped)
    assert "Z\u00fcrich" in idx.docs["latin1"].text and "\u20ac4 billion" in idx.docs["cp1252"].text
    assert all("\x00" not in d.text for d in idx.docs.values())
    assert len(report.warnings) == 3  # the three files that are not UTF-8


def test_50mb_file_is_skipped_without_reading_it(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    sparse(folder / "huge.txt")
    (folder / "small.txt").write_text("A short article about soybeans and farmers in Iowa.")
    tracemalloc.start()
    try:
        report = load_paths([folder], max_bytes=20_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.id for d in report.documents] == ["small"]
    assert "52,428,800 bytes" in dict(report.skipped)[str(folder / "huge.txt")]
    assert peak < 5_000_000  # the file's 50 MB were never read


def test_folder_of_3000_articles_is_ingested_whole_in_bounded_time(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(3000):
        (folder / f"a{i:04d}.txt").write_text(f"Report {i}\n\nThe council of town {i} approved {i + 7} new homes on Monday.\n")
    t0 = time.perf_counter()
    report = load_paths([folder])
    t_load = time.perf_counter() - t0
    assert len(report.documents) == 3000 and report.skipped == []
    s = Settings(index_dir=tmp_path / "index", seeds_dir=tmp_path / "none")
    t0 = time.perf_counter()
    idx, _, added = indexing.ingest(s, FakeEmbedder(), [folder])
    t_ingest = time.perf_counter() - t0
    assert added == 3000 and len(idx.docs) == 3000 and len(idx.chunks) >= 3000
    assert store.Index.load(s.index_dir, indexing.index_params(s, FakeEmbedder())).manifest["n_docs"] == 3000
    print(f"3000 files: load_paths {t_load:.1f} s, ingest {t_ingest:.1f} s")
    assert t_load < 30 and t_ingest < 90


# ---- the prompt always fits the context window

class CharLLM(FakeLLM):
    """A fake LLM whose tokenizer counts one token per character, the worst
    case of dense text, and which fails like llama.cpp on an overflow."""

    def __init__(self, n_ctx: int, reply: str = "NOT IN ARTICLES"):
        super().__init__(reply)
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        return len(text)

    def stream(self, messages, max_tokens):
        n = sum(self.count_tokens(m["content"]) for m in messages)
        if n + max_tokens > self.n_ctx:
            raise ValueError(f"Requested tokens ({n + max_tokens}) exceed context window of {self.n_ctx}")
        yield from super().stream(messages, max_tokens)


@pytest.mark.parametrize("q", [
    TARIFF_Q + " " + "tariffs " * 400,  # long
    TARIFF_Q + " " + "\u5173\u7a0e" * 480,  # dense: CJK
    TARIFF_Q + "\U0001F600" * 900,  # dense: emoji, no spaces
])
def test_question_is_cut_to_fit_the_context_window(index, embedder, settings, q):
    s = settings.model_copy(update={"n_ctx": 1900})  # the prompt without its question is ~1,450 characters
    llm = CharLLM(s.n_ctx)
    a = answer(q, index, embedder, llm, s)  # CharLLM raises on an overflow
    check_contract(a.to_json(), index)
    assert llm.calls, "the question passes the gate and reaches the model"
    prompt = sum(len(m["content"]) for m in llm.last_messages)
    assert prompt + s.max_answer_tokens <= s.n_ctx
    assert any("context window" in n for n in a.notes)
    asked = llm.last_messages[-1]["content"].rsplit("Question: ", 1)[1]
    assert asked and q.startswith(asked)


def test_short_question_is_not_cut(index, embedder, settings):
    from rag import prompts

    msgs, notes = prompts.fit(TARIFF_Q, [], token_counter(CharLLM(2048)), settings.n_ctx, settings.max_answer_tokens)
    assert notes == [] and msgs == prompts.messages(TARIFF_Q, [])


def test_context_window_too_small_for_any_question(index, embedder, settings):
    s = settings.model_copy(update={"n_ctx": 400})
    with pytest.raises(RagError, match="RAG_N_CTX"):
        answer(TARIFF_Q, index, embedder, CharLLM(s.n_ctx), s)


@pytest.mark.parametrize("q", [
    "\u7f8e\u56fd\u5bf9\u4e2d\u56fd\u5546\u54c1\u5f81\u6536\u591a\u5c11\u5173\u7a0e\uff1f",  # Chinese
    "\u00bfQu\u00e9 arancel fij\u00f3 Estados Unidos a los productos chinos?",  # Spanish
    "\u0645\u0627 \u0647\u064a \u0627\u0644\u0631\u0633\u0648\u0645 \u0627\u0644\u062c\u0645\u0631\u0643\u064a\u0629\u061f",  # Arabic
    "\u0421\u043a\u043e\u043b\u044c\u043a\u043e \u0434\u043b\u0438\u043b\u0441\u044f \u0437\u0432\u043e\u043d\u043e\u043a?",  # Russian
])
def test_question_in_another_language_keeps_the_contract(index, embedder, settings, q):
    a = answer(q, index, embedder, FakeLLM(), settings)
    check_contract(a.to_json(), index)
    assert a.question == q


# ---- the real embedder and llama.cpp (tiny): long, dense and foreign questions

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from rag.embed import MINILM_INT8, SentenceTransformerEmbedder

    tmp = tmp_path_factory.mktemp("robust-real")
    s = Settings(model="tiny", index_dir=tmp / "index", seeds_dir=write_articles(tmp / "news"))
    emb = SentenceTransformerEmbedder(MINILM_INT8)
    idx, _, _ = indexing.ingest(s, emb, [s.seeds_dir])
    llm = make_llm(s)
    llm.warm_up()
    return s, idx, emb, llm


REAL_QUESTIONS = {
    "100,000 characters": ("What did the United States cut tariffs on Chinese goods to? " * 1700)[:100_000],
    "1,000 dense characters": TARIFF_Q + " " + "\u5173\u7a0e\U0001F4C8" * 320,
    "Chinese": "\u7f8e\u56fd\u5bf9\u4e2d\u56fd\u5546\u54c1\u7684\u5173\u7a0e\u964d\u5230\u4e86\u591a\u5c11\uff1f",
    "Spanish": "\u00bfA cu\u00e1nto redujo Estados Unidos los aranceles a los productos chinos?",
    "German": "Wie lange dauerte das Telefonat zwischen Trump und Xi?",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REAL_QUESTIONS))
def test_real_pipeline_survives_the_question(real, name):
    s, idx, emb, llm = real
    q = REAL_QUESTIONS[name]
    a = answer(q, idx, emb, llm, s)  # no exception: no llama.cpp context overflow
    check_contract(a.to_json(), idx, embedder_id=emb.id)
    assert a.abstained or a.citations
    assert a.prompt_tokens + s.max_answer_tokens <= s.n_ctx
    assert q.startswith(a.question)


@pytest.mark.slow
def test_question_is_cut_to_the_models_own_token_count(real):
    """At a context window 100 tokens short of what a question needs, the
    uncut prompt overflows llama.cpp; the pipeline cuts the question by the
    model's own tokenizer and the answer comes back."""
    from rag import prompts

    s, idx, emb, llm = real
    q = (TARIFF_Q + " ") * 16  # ~960 characters, ~200 tokens
    full = answer(q, idx, emb, llm, s)
    assert full.prompt_tokens and not any("context window" in n for n in full.notes)
    small = s.model_copy(update={"n_ctx": full.prompt_tokens + s.max_answer_tokens - 100})
    tight = make_llm(small)
    with pytest.raises(ValueError):  # the failure the cut prevents (an overflow, however llama.cpp words it)
        list(tight.stream(prompts.messages(full.question, full.evidence), s.max_answer_tokens))
    a = answer(q, idx, emb, tight, small)
    assert a.prompt_tokens and a.prompt_tokens + small.max_answer_tokens <= small.n_ctx
    assert any("context window" in n for n in a.notes)
    print(f"n_ctx {small.n_ctx}: prompt {full.prompt_tokens} -> {a.prompt_tokens} tokens")


@pytest.mark.slow
def test_ask_answers_a_100000_character_question(real):
    s, idx, emb, llm = real
    env = {**os.environ, "RAG_INDEX_DIR": str(s.index_dir), "RAG_USE_SERVER": "0", "NO_COLOR": "1", "TERM": "dumb"}
    q = REAL_QUESTIONS["100,000 characters"]
    p = run([str(BIN / "ask"), "--json", "--model", "tiny", q], env)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    j = json.loads(p.stdout)
    check_contract(j, idx, embedder_id=emb.id)
    assert len(j["question"]) <= s.max_question_chars and q.startswith(j["question"])
