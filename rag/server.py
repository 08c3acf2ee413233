"""The HTTP API (`rag serve`): one warm `Assistant` answering for many
clients, on 127.0.0.1:8765 by default.

  POST /ask                  the `ask --json` contract
  POST /ask/stream           server-sent events: `token`... then `answer` (or `error`)
  POST /ingest               multipart .txt/.md/.html files, added to the index (`replace`: may replace)
  GET  /articles             the indexed articles (?q= filters), newest first
  DELETE /articles/{id}      remove an article and its passages from the index
  GET  /health               state ("loading the embedder" ... "ready"), index, counts
  POST /v1/chat/completions  OpenAI-compatible: the last user message is the question
  GET  /v1/models            the models /ask and /v1/chat/completions accept
  GET  /openapi.json         the spec (no /docs page: Swagger UI would load from a CDN)

Only the model it was started with answers, and those allowed with
`--allow-model`: no client makes it load another. Responses name models,
never their files; /health names the index by a hash of its folder.

Endpoints are plain `def`s: FastAPI runs them in its thread pool, and the
Assistant's lock serializes llama.cpp. FastAPI and uvicorn load inside
`create_app` and `main`, so importing this module stays cheap; the request
models are module-level so that FastAPI can read their annotations.
"""

import json
import re
import time
import uuid

from pydantic import BaseModel, ConfigDict, Field

from .client import index_id
from .errors import InputError, RagError
from .settings import Settings, bounds

SSE = "text/event-stream"
MAX_QUESTION_BODY_CHARS = 4000  # a question field longer than this is refused before cleaning
MAX_MODEL_NAME_CHARS = 64
MAX_CHAT_MESSAGES = 200
MULTIPART_FRAMING_BYTES = 64_000  # headers and boundaries of a multipart body, beyond the files
HTTP_TOO_LARGE = 413
HTTP_UNPROCESSABLE = 422
HTTP_SERVER_ERROR = 500
HTTP_NOT_FOUND = 404
TOP_K_MIN, TOP_K_MAX = bounds("top_k")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., max_length=MAX_QUESTION_BODY_CHARS, description="The question; control characters are stripped.")
    model: str | None = Field(None, max_length=MAX_MODEL_NAME_CHARS, description="A model the server offers (GET /v1/models); default: the server's.")
    top_k: int | None = Field(None, ge=TOP_K_MIN, le=TOP_K_MAX, description="Passages given to the model (default 4).")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = Field(..., max_length=32)
    content: str | list[dict] | None = Field(None, description="Text, or OpenAI content parts (text parts are read).")


class ChatRequest(BaseModel):
    # OpenAI clients send many optional fields (temperature, user, ...): they
    # are accepted and ignored, since the answer is the pipeline's.
    model_config = ConfigDict(extra="ignore")

    model: str = Field("", max_length=256)
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=MAX_CHAT_MESSAGES)
    stream: bool = False
    stream_options: dict | None = None


def _question_of(messages: list[ChatMessage]) -> str:
    """The last user message's text; InputError for a text part whose
    `text` is not a string (`null` would ask "None")."""
    for m in reversed(messages):
        if m.role == "user":
            if isinstance(m.content, list):
                texts = [p.get("text") for p in m.content if p.get("type") == "text"]
                if not all(isinstance(t, str) for t in texts):
                    raise InputError('a content part of type "text" needs a string "text"; '
                                     'send {"type": "text", "text": "your question"}.')
                return " ".join(texts)
            return m.content or ""
    raise InputError("no user message; send messages=[{'role': 'user', 'content': 'your question'}].")


def _sse(event: str, data) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _failure(e: Exception) -> dict:
    """What a stream says when it fails after its 200 was sent: a RagError's
    message and status; for anything else (a bug) a 500, the traceback in
    the server's log."""
    if isinstance(e, RagError):
        return {"error": str(e), "status": e.http_status}
    import traceback

    traceback.print_exception(e)
    return {"error": f"internal error ({type(e).__name__}); the server log has the details.", "status": HTTP_SERVER_ERROR}


class BodyLimit:
    """ASGI middleware: a request body over its path's limit gets a JSON 413,
    before reading when Content-Length says so, else as soon as the bytes
    read pass the limit (chunked bodies, lying headers)."""

    def __init__(self, app, limit_of):
        self.app, self.limit_of = app, limit_of  # limit_of: path -> bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.exceptions import HTTPException
        from starlette.responses import JSONResponse

        limit = self.limit_of(scope["path"])
        too_large = {"error": f"request too large: the limit for {scope['path']} is {limit} bytes"}
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            return await JSONResponse(too_large, status_code=413, headers={"Connection": "close"})(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # FastAPI re-raises HTTPExceptions met while reading; our handler answers
                raise HTTPException(413, too_large["error"])
            return message

        await self.app(scope, counted, send)


def create_app(assistant):
    """The FastAPI app over one Assistant (tests and the load test hand in
    one with fakes or real models)."""
    from fastapi import FastAPI, Form, HTTPException, Query, Request, UploadFile
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response, StreamingResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from .render import render_text
    from .service import public_name

    settings: Settings = assistant.settings
    app = FastAPI(title="newsrag", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Cited answers from local news articles. The answer JSON is the `ask --json` contract.")
    upload_limit = settings.max_upload_request_bytes + MULTIPART_FRAMING_BYTES
    app.add_middleware(BodyLimit, limit_of=lambda path: upload_limit if path == "/ingest" else settings.max_request_bytes)

    def error(request: Request, msg: str, status: int, **extra):
        """{"error": msg}; under /v1/ OpenAI's shape, which its clients read.
        ASCII JSON: a lone surrogate echoed from the request ("\\ud800") is
        written as its escape instead of failing the reply."""
        body = {"error": msg, **extra}
        if request.url.path.startswith("/v1/"):
            kind = "server_error" if status >= HTTP_SERVER_ERROR else "invalid_request_error"
            body = {"error": {"message": msg, "type": kind, "code": status}}
        return Response(json.dumps(body), status_code=status, media_type="application/json")

    @app.exception_handler(RagError)
    def rag_error(request: Request, e: RagError):
        return error(request, str(e), e.http_status)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and Starlette's (404, 405, 413)
    def http_error(request: Request, e: StarletteHTTPException):
        return error(request, str(e.detail), e.status_code)

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, e: RequestValidationError):
        errs = jsonable_encoder(e.errors())
        first = errs[0] if errs else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        if first.get("type") == "string_unicode":  # a lone surrogate: the question is not text, as clean_question says
            return error(request, f"invalid request: {where} is not valid text (it holds a lone surrogate such as "
                                  "\\ud800); send UTF-8 text.", InputError.http_status, detail=errs)
        return error(request, f"invalid request: {where}: {first.get('msg', 'bad input')}", HTTP_UNPROCESSABLE,
                     detail=errs)

    # ---- answers ---------------------------------------------------------------
    @app.post("/ask", summary="Answer a question (the ask --json contract)")
    def ask(req: AskRequest) -> dict:
        return assistant.ask(req.question, assistant.pick_model(req.model), req.top_k).to_json()

    def checked_stream(question: str, model: str | None, top_k: int | None):
        """assistant.stream with the question checked first, so that a bad
        request gets its 400 before the stream starts."""
        return assistant.stream(assistant.question(question), model, top_k)

    @app.post("/ask/stream", summary="Answer as server-sent events",
              response_class=StreamingResponse,
              responses={200: {"content": {SSE: {}},
                               "description": "`event: token` (a JSON string: the model's unchecked draft, to show as "
                                              "plain text), then one "
                                              "`event: answer` (the checked answer's JSON) or `event: error`."}})
    def ask_stream(req: AskRequest):
        events = checked_stream(req.question, assistant.pick_model(req.model), req.top_k)

        def gen():
            try:
                for kind, value in events:
                    yield _sse(kind, value) if kind == "token" else _sse("answer", value.to_json())
            except Exception as e:  # noqa: BLE001 (said in the stream, which has no other way to fail)
                yield _sse("error", _failure(e))

        return StreamingResponse(gen(), media_type=SSE, headers={"Cache-Control": "no-cache"})

    # ---- adding articles -------------------------------------------------------
    @app.post("/ingest", summary="Add .txt, .md or .html articles (multipart field `files`)")
    def ingest(files: list[UploadFile], replace: bool = Query(False, description="Replace a stored article of the same id (default: 409)."),
               replace_field: bool = Form(False, alias="replace", description="The same, as a form field.")) -> dict:
        if len(files) > settings.max_upload_files:
            raise InputError(f"at most {settings.max_upload_files} files per request.")
        uploads = []
        for f in files:
            data = f.file.read(settings.max_upload_bytes + 1)
            if len(data) > settings.max_upload_bytes:
                raise HTTPException(HTTP_TOO_LARGE, f"{f.filename}: larger than {settings.max_upload_bytes} bytes")
            uploads.append((f.filename, data))
        report = assistant.add_uploads(uploads, replace=replace or replace_field)
        skipped = [{"file": name, "reason": why} for name, why in report.skipped]
        if not report.added and skipped and len(skipped) == len(files):
            why = "; ".join(f"{s['file']}: {s['reason']}" for s in skipped)
            return JSONResponse({"error": f"no article added: {why}", "added": 0, "skipped": skipped},
                                status_code=InputError.http_status)
        idx = assistant.index
        return {"added": len(report.added), "replaced": len(report.replaced), "replaced_ids": report.replaced,
                "skipped": skipped, "warnings": report.warnings,
                "articles": len(idx.docs), "chunks": len(idx.chunks)}

    @app.get("/articles", summary="The indexed articles, newest first; `q` keeps those matching every word")
    def articles(q: str = "") -> dict:
        from .articles import matching

        rows = assistant.articles()
        return {"articles": matching(rows, q), "total": len(rows)}

    @app.delete("/articles/{doc_id:path}", summary="Remove an article and its passages from the index")
    def delete_article(doc_id: str) -> dict:
        if doc_id not in assistant.index.docs:
            raise HTTPException(HTTP_NOT_FOUND, f"no article {doc_id!r} in the index; GET /articles lists them")
        gone = assistant.delete([doc_id])
        idx = assistant.index
        return {"deleted": gone, "articles": len(idx.docs), "chunks": len(idx.chunks)}

    # ---- state -----------------------------------------------------------------
    @app.get("/health", summary="Server state; `state` is \"ready\" once models are loaded")
    def health() -> dict:
        st = assistant.status()
        return {**st, "service": "newsrag", "ready": st["state"] == "ready", "index_id": index_id(settings.index_dir),
                "llm_url": settings.llm_url, "models": assistant.offered_models()}

    # ---- OpenAI-compatible -----------------------------------------------------
    @app.get("/v1/models", summary="Models, in the OpenAI list format")
    def models() -> dict:
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "newsrag"}
                                           for m in assistant.offered_models()]}

    def completion(j: dict, model: str, cid: str, created: int) -> dict:
        text = render_text(j)
        usage = {"prompt_tokens": j.get("prompt_tokens", 0), "completion_tokens": len(j["answer"].split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {"id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage, "citations": j["citations"], "rag": j}

    @app.post("/v1/chat/completions", summary="OpenAI-compatible chat: the last user message is answered from the articles")
    def chat(req: ChatRequest):
        question = _question_of(req.messages)
        model = assistant.pick_model(req.model, strict=False)
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        name = public_name(model or settings.model)
        if not req.stream:
            return completion(assistant.ask(question, model).to_json(), name, cid, created)
        events = checked_stream(question, model, None)

        def chunk(delta: dict | None, finish: str | None = None, **extra) -> str:
            choices = [{"index": 0, "delta": delta, "finish_reason": finish}] if delta is not None else []
            c = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": name,
                 "choices": choices, **extra}
            return f"data: {json.dumps(c, ensure_ascii=False)}\n\n"

        def gen():
            # The model's draft is not sent: the claim check may drop or
            # re-point its sentences. The checked text follows, in pieces.
            yield chunk({"role": "assistant", "content": ""})
            try:
                a = next(v for k, v in events if k == "answer")
            except Exception as e:  # noqa: BLE001 (said in the stream, then its normal end)
                f = _failure(e)
                yield f"data: {json.dumps({'error': {'message': f['error'], 'code': f['status']}})}\n\n"
                yield "data: [DONE]\n\n"
                return
            done = completion(a.to_json(), name, cid, created)
            for piece in re.findall(r"\S+\s*|\s+", done["choices"][0]["message"]["content"]):
                yield chunk({"content": piece})
            yield chunk({}, "stop", citations=done["citations"], rag=done["rag"])
            if (req.stream_options or {}).get("include_usage"):
                yield chunk(None, usage=done["usage"])
            yield "data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type=SSE, headers={"Cache-Control": "no-cache"})

    return app


def main(settings: Settings) -> None:
    """`rag serve`: uvicorn on settings.host:settings.port, models warming."""
    import uvicorn

    from .service import Assistant, warm_in_background

    assistant = Assistant(settings)
    app = create_app(assistant)
    warm_in_background(assistant)
    print(f"newsrag API on http://{settings.host}:{settings.port} (spec at /openapi.json); loading models...", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
