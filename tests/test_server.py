"""The HTTP API. Fast part: the FastAPI app over an Assistant with fake
models, through a real uvicorn on a free loopback port (and the official
`openai` client). Slow part: the real `rag serve` (tiny model, tmp index) in
a subprocess, every endpoint exercised over HTTP."""

import json

import httpx
import pytest

from rag.client import index_id
from rag.server import create_app
from rag.service import Assistant
from rag.settings import Settings

from helpers import (
    ARTICLES,
    BINARY,
    NEW_ARTICLE,
    REPLY,
    TARIFF_Q,
    FakeLLM,
    RagServe,
    ThreadServer,
    check_contract,
    fake_assistant,
)


@pytest.fixture
def small_settings(settings):
    return settings.model_copy(update={"max_request_bytes": 4000, "max_upload_bytes": 3000})


@pytest.fixture
def api(small_settings, embedder, index):
    with ThreadServer(create_app(fake_assistant(small_settings, embedder, index))) as srv:
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            yield client


def sse(text: str) -> list[tuple[str, object]]:
    """[(event, data)] of a text/event-stream body."""
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((fields.get("event", "message"), json.loads(fields["data"])))
    return out


# ---- fast: the app with fakes ----------------------------------------------------

def test_ask_answers_in_the_contract(api, index):
    r = api.post("/ask", json={"question": TARIFF_Q, "top_k": 3})
    assert r.status_code == 200
    j = r.json()
    check_contract(j, index)
    assert "30%" in j["answer"] and not j["abstained"] and len(j["passages"]) <= 3
    assert {e["doc_id"] for e in j["evidence"]} <= set(index.docs)


def test_bad_requests_get_clear_errors(api):
    r = api.post("/ask", json={"question": "   "})
    assert r.status_code == 400 and "empty question" in r.json()["error"]
    r = api.post("/ask", content=b'{"question": "what', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["error"]
    r = api.post("/ask", json={"question": TARIFF_Q, "temperature": 2})
    assert r.status_code == 422 and "temperature" in r.json()["error"]
    r = api.post("/ask", json={"question": TARIFF_Q, "top_k": 99})
    assert r.status_code == 422 and "top_k" in r.json()["error"]
    r = api.post("/ask", json={"question": TARIFF_Q, "model": "/etc/passwd"})  # clients never name files
    assert r.status_code == 400 and "unknown model" in r.json()["error"]
    r = api.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"]


def test_oversize_bodies_are_refused(api):
    big = {"question": "x" * 5000}
    r = api.post("/ask", json=big)  # Content-Length over the limit: refused unread
    assert r.status_code == 413 and "4000 bytes" in r.json()["error"]

    def chunked():  # no Content-Length: counted as read
        yield b'{"question": "'
        for _ in range(60):
            yield b"y" * 100
        yield b'"}'

    r = api.post("/ask", content=chunked(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "4000 bytes" in r.json()["error"]
    assert api.get("/health").status_code == 200  # the server lives on


def test_ask_stream_sends_tokens_then_the_checked_answer(api, index):
    r = api.post("/ask/stream", json={"question": TARIFF_Q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse(r.text)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"token"}
    assert "".join(v for k, v in events if k == "token") == REPLY
    check_contract(events[-1][1], index)
    r = api.post("/ask/stream", json={"question": ""})
    assert r.status_code == 400 and "empty question" in r.json()["error"]


def test_ingest_adds_articles_and_refuses_bad_files(api):
    before = api.get("/health").json()["articles"]
    r = api.post("/ingest", files=[("files", ("../../etc/Paris storm!.txt", NEW_ARTICLE, "text/plain")),
                                   ("files", ("photo.txt", BINARY, "text/plain")),
                                   ("files", ("run.sh", b"echo hi", "text/plain"))])
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["added"] == 1 and j["articles"] == before + 1
    assert {s["file"] for s in j["skipped"]} == {"photo.txt", "run.sh"}
    assert "binary" in next(s["reason"] for s in j["skipped"] if s["file"] == "photo.txt")
    a = api.post("/ask", json={"question": "How many metro stations did officials close in Paris?"}).json()
    assert any(c["doc_id"].startswith("Paris_storm-") for c in a["citations"] + a["passages"])  # a name of our making

    r = api.post("/ingest", files=[("files", ("photo.txt", BINARY, "text/plain"))])
    assert r.status_code == 400 and "binary" in r.json()["error"] and "/tmp" not in r.json()["error"]
    r = api.post("/ingest", files=[("files", ("big.txt", b"word " * 1000, "text/plain"))])
    assert r.status_code == 413 and "3000 bytes" in r.json()["error"]
    r = api.post("/ingest", json={"files": "nope"})
    assert r.status_code == 422
    assert api.get("/health").json()["articles"] == before + 1


def test_health_models_and_openapi(api, small_settings):
    h = api.get("/health").json()
    assert h["service"] == "newsrag" and h["ready"] and h["state"] == "ready"
    assert h["index_id"] == index_id(small_settings.index_dir) and h["articles"] == len(ARTICLES)
    assert str(small_settings.index_dir) not in json.dumps(h)  # no paths in responses (#18)
    assert [m["id"] for m in api.get("/v1/models").json()["data"]] == ["default"]  # only its own model
    spec = api.get("/openapi.json").json()
    assert set(spec["paths"]) >= {"/ask", "/ask/stream", "/ingest", "/health", "/v1/chat/completions", "/v1/models"}
    assert "additionalProperties" in json.dumps(spec["components"]["schemas"]["AskRequest"])


def test_a_damaged_index_is_a_server_error(small_settings, embedder, index):
    """The index is the server's state, not the client's mistake: 5xx, with
    the command that fixes it, on /ask and on the OpenAI endpoint."""
    manifest = small_settings.index_dir / "current" / "manifest.json"
    manifest.write_text("{not json", "utf-8")
    fresh = Assistant(small_settings, embedder=embedder, llms={small_settings.model: FakeLLM(REPLY)})
    with ThreadServer(create_app(fresh)) as srv, httpx.Client(base_url=srv.url, timeout=10) as client:
        r = client.post("/ask", json={"question": TARIFF_Q})
        assert r.status_code == 500 and "rag index --rebuild" in r.json()["error"]
        r = client.post("/v1/chat/completions", json={"model": "x", "messages": [{"role": "user", "content": TARIFF_Q}]})
        assert r.status_code == 500 and r.json()["error"]["type"] == "server_error"


def test_openai_client_gets_cited_answers(small_settings, embedder, index):
    import openai

    with ThreadServer(create_app(fake_assistant(small_settings, embedder, index))) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="none", max_retries=0)
        msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"},
                {"role": "assistant", "content": "Hi."}, {"role": "user", "content": TARIFF_Q}]
        c = client.chat.completions.create(model="gpt-4o", messages=msgs)
        text = c.choices[0].message.content
        assert "30%" in text and "[1]" in text and "Sources:" in text
        extra = c.model_extra
        assert extra["citations"] and extra["citations"][0]["doc_id"] == "tariffs"
        check_contract(extra["rag"], index)
        assert c.usage.prompt_tokens > 0

        pieces, last = [], None
        for chunk in client.chat.completions.create(model="gpt-4o", messages=msgs, stream=True):
            if chunk.choices:
                pieces.append(chunk.choices[0].delta.content or "")
                last = chunk
        assert "".join(pieces) == text
        assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"] == extra["citations"]

        with pytest.raises(openai.BadRequestError, match="no user message"):
            client.chat.completions.create(model="tiny", messages=[{"role": "system", "content": "x"}])


# ---- slow: the real `rag serve` ---------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with RagServe(tmp_path_factory.mktemp("serve"), RAG_MAX_UPLOAD_BYTES="20000", RAG_MAX_REQUEST_BYTES="10000") as srv:
        yield srv.url


@pytest.mark.slow
def test_real_server_every_endpoint(served):
    import openai

    c = httpx.Client(base_url=served, timeout=120)
    h = c.get("/health").json()
    assert h["ready"] and h["models_loaded"] == ["tiny"] and h["articles"] == len(ARTICLES)

    j = c.post("/ask", json={"question": TARIFF_Q}).json()
    check_contract(j, embedder_id=Settings().embedder)
    assert j["model"]["llm"].startswith("SmolLM2") and j["passages"]

    events = sse(c.post("/ask/stream", json={"question": TARIFF_Q}).text)
    assert events[-1][0] == "answer" and [k for k, _ in events].count("answer") == 1
    check_contract(events[-1][1], embedder_id=Settings().embedder)

    r = c.post("/ingest", files=[("files", ("paris.txt", NEW_ARTICLE, "text/plain"))])
    assert r.status_code == 200 and r.json()["added"] == 1 and r.json()["articles"] == len(ARTICLES) + 1
    r = c.post("/ingest", files=[("files", ("photo.txt", BINARY, "text/plain"))])
    assert r.status_code == 400 and "binary" in r.json()["error"]
    r = c.post("/ingest", files=[("files", ("big.txt", b"word " * 5000, "text/plain"))])
    assert r.status_code == 413
    a = c.post("/ask", json={"question": "How many metro stations did officials close in Paris?"}).json()
    assert "paris" in {p["doc_id"] for p in a["passages"]}  # the new article is searched at once

    assert c.post("/ask", content=b"{oops", headers={"Content-Type": "application/json"}).status_code == 422
    assert c.post("/ask", json={"question": "q" * 20000}).status_code == 413
    r = c.post("/ask", json={"question": " \n "})
    assert r.status_code == 400 and "empty question" in r.json()["error"]
    assert "/v1/chat/completions" in c.get("/openapi.json").json()["paths"]

    client = openai.OpenAI(base_url=served + "/v1", api_key="none", max_retries=0, timeout=120)
    msgs = [{"role": "user", "content": TARIFF_Q}]
    done = client.chat.completions.create(model="tiny", messages=msgs)
    assert done.choices[0].message.content.startswith(done.model_extra["rag"]["answer"])
    check_contract(done.model_extra["rag"], embedder_id=Settings().embedder)
    chunks = [ch for ch in client.chat.completions.create(model="tiny", messages=msgs, stream=True) if ch.choices]
    streamed = "".join(ch.choices[0].delta.content or "" for ch in chunks)
    final = chunks[-1].model_extra["rag"]
    check_contract(final, embedder_id=Settings().embedder)
    assert streamed.startswith(final["answer"]) and chunks[-1].choices[0].finish_reason == "stop"
