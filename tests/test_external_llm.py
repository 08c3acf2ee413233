"""The LLM on a separate serving engine: the pipeline through
OpenAICompatLLM against a real `python -m llama_cpp.server` on a loopback
port (the llama-cpp-python[server] extra), and a gold question answered,
cited and scored through it."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest

from eval import scoring as S
from eval.harness import load_gold
from rag import indexing
from rag.embed import MINILM_INT8, SentenceTransformerEmbedder
from rag.errors import RagError
from rag.llm import OpenAICompatLLM, make_llm
from rag.models import resolve
from rag.pipeline import answer
from rag.settings import Settings

from helpers import BIN, check_contract, free_port, running

SEEDS = Settings().seeds_dir


@contextmanager
def llama_server(model: str, tmp_path):
    """`python -m llama_cpp.server` serving a registry model on a free
    loopback port; yields its base URL (…/v1) once it lists its model."""
    path, name, chat_format = resolve(model, Settings().models_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", name,
           "--chat_format", chat_format, "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", "2048", "--n_threads", str(os.cpu_count() or 2), "--verbose", "False"]
    with running(cmd, tmp_path / f"llama-{model}.log", url + "/models"):
        yield url


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """The shipped articles indexed with the real embedder into a tmp folder."""
    emb = SentenceTransformerEmbedder(MINILM_INT8)
    s = Settings(index_dir=tmp_path_factory.mktemp("ext") / "index", seeds_dir=SEEDS)
    return s, emb, indexing.rebuild(s, emb, [SEEDS])


def test_no_server_is_a_clear_error():
    llm = make_llm(Settings(llm_url=f"http://127.0.0.1:{free_port()}/v1", model="tiny"))
    assert isinstance(llm, OpenAICompatLLM)
    with pytest.raises(RagError, match=r"no LLM server at http://127\.0\.0\.1:\d+/v1.*drop --llm-url"):
        list(llm.stream([{"role": "user", "content": "hi"}], 8))


@pytest.mark.slow
def test_pipeline_through_llama_cpp_server(seeds, tmp_path):
    settings, emb, idx = seeds
    with llama_server("tiny", tmp_path) as url:
        s = settings.model_copy(update={"llm_url": url, "model": "tiny"})
        llm = make_llm(s)
        pieces = list(llm.stream([{"role": "user", "content": "Say hello."}], 16))
        assert pieces and llm.id == resolve("tiny", s.models_dir)[1]  # the server's model, named as in-process
        assert llm.last_usage["prompt_tokens"] > 0 and llm.last_usage["completion_tokens"] > 0

        a = answer("How long was the phone call between Trump and Xi?", idx, emb, llm, s)
        check_contract(a.to_json(), idx, embedder_id=MINILM_INT8)
        assert a.model["llm"] == llm.id and a.raw  # the model did write (its text went through the checks)

        # the same from the command line, with --llm-url: no llama.cpp in the `ask` process
        env = {**os.environ, "RAG_INDEX_DIR": str(s.index_dir), "RAG_SEEDS_DIR": str(SEEDS)}
        p = subprocess.run([str(BIN / "ask"), "--json", "--no-server", "--llm-url", url,
                            "How long was the phone call between Trump and Xi?"],
                           env=env, capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stderr
        j = json.loads(p.stdout)
        check_contract(j, idx, embedder_id=MINILM_INT8)
        assert j["model"]["llm"] == llm.id


@pytest.mark.slow
def test_gold_question_through_the_external_backend(seeds, tmp_path):
    """The first `fact` item of the gold set, answered by the default model
    served by llama_cpp.server (tiny is too weak for the grade to mean
    anything): graded correct, cited, every citation holding the fact."""
    settings, emb, idx = seeds
    item = next(x for x in load_gold() if x["kind"] == "fact")
    quotes = [q["text"] for q in item["quotes"]]
    with llama_server("default", tmp_path) as url:
        s = settings.model_copy(update={"llm_url": url, "model": "default"})
        llm = make_llm(s)
        j = answer(item["question"], idx, emb, llm, s).to_json()
    check_contract(j, idx, embedder_id=MINILM_INT8)
    assert j["model"]["llm"] == resolve("default", s.models_dir)[1] and j["mode"] == "llm"  # the model's answer
    assert not j["abstained"] and S.any_alias(j["answer"], item["answers"]), j["answer"]
    assert j["citations"], j["answer"]
    assert all(c["supported"] and S.citation_valid(c["text"], quotes, item["answers"]) for c in j["citations"])
