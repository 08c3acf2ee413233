"""The command line as a user meets it: help, start-up cost, and errors as one
line on stderr with a non-zero exit. Subprocesses run the installed scripts
with RAG_INDEX_DIR in a tmp folder, so nothing touches the real index."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import cli

BIN = Path(sys.executable).parent  # the venv's bin/, where `ask` and `rag` live
HEAVY = ("torch", "sentence_transformers", "faiss", "llama_cpp", "gradio")


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "index"), "NO_COLOR": "1", "TERM": "dumb"}


def run(args: list[str], env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def assert_clean_error(p: subprocess.CompletedProcess) -> str:
    """Non-zero exit, one line on stderr starting "error:", no traceback."""
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error:"), p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    return lines[0]


def test_ask_help_has_examples(env):
    p = run([str(BIN / "ask"), "--help"], env)
    assert p.returncode == 0, p.stderr
    assert "Examples" in p.stdout and 'ask "what tariff rate?"' in p.stdout


def test_rag_help_lists_the_commands(env):
    p = run([str(BIN / "rag"), "--help"], env)
    assert p.returncode == 0, p.stderr
    for cmd in ("ingest", "index", "eval"):
        assert cmd in p.stdout


def test_heavy_libraries_are_not_imported_at_start(env):
    code = ("import rag.cli, rag.pipeline, rag.service, rag.render, rag.client, rag.settings, rag.retrieve, "
            "rag.verify, rag.store, rag.indexing, rag.server; "
            f"import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    p = run([sys.executable, "-c", code], env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_ask_empty_question(env, tmp_path):
    assert_clean_error(run([str(BIN / "ask"), ""], env))
    assert not (tmp_path / "index").exists()  # refused before anything was built


def test_ask_unknown_model_names_the_models(env, tmp_path):
    line = assert_clean_error(run([str(BIN / "ask"), "--model", "nosuchmodel", "what tariff rate?"], env))
    assert "nosuchmodel" in line
    for name in ("default", "fast", "tiny"):
        assert name in line
    assert not (tmp_path / "index").exists()


def test_rag_ingest_missing_path(env, tmp_path):
    line = assert_clean_error(run([str(BIN / "rag"), "ingest", "/no/such/path"], env))
    assert "/no/such/path" in line
    assert not (tmp_path / "index" / "current").exists()


# The same edge in-process (CliRunner), where a subprocess adds nothing.

def invoke(command, args: list[str], env: dict):
    r = CliRunner().invoke(command, args, env=env)
    assert r.exit_code != 0
    assert isinstance(r.exception, SystemExit), r.exception  # a clean exit, not a crash
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    return lines[0]


def test_ask_without_a_question(env):
    assert "ask" in invoke(cli.ask, [], env)


def test_rag_index_without_an_index(env):
    line = invoke(cli.rag, ["index"], env)
    assert "rag ingest" in line or "rag index --rebuild" in line


def test_bad_setting_from_the_environment(env):
    assert "top_k" in invoke(cli.ask, ["what tariff rate?"], {**env, "RAG_TOP_K": "many"})


def test_source_quote_is_the_sentence_that_supports_the_cited_claim():
    from rag.render import best_quote, claims_citing

    answer = "30% [3] The sources differ: over 40% [1]; 30% [3]."
    passage = "Yet, even as some tariffs are lifted, others remain.\nGoods imported from China still face duties of over 40%."
    assert claims_citing(answer, 1).endswith("over 40%")
    assert best_quote(passage, claims_citing(answer, 1)) == "Goods imported from China still face duties of over 40%."
