"""A local stand-in for OpenAI's chat-completions endpoint, so the real ChatOpenAI client is tested offline.

It speaks enough of the protocol for langchain-openai (JSON replies, server-sent events when asked to
stream, OpenAI-shaped error bodies), records every request, and can be told to fail or to stall.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class StubReply:
    """One scripted answer: the assistant's text, or an HTTP error status; `delay` stalls it first."""

    content: str = "Subject: Stub subject\n\nStub body."
    status: int = 200
    delay: float = 0.0
    finish_reason: str = "stop"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case: HTTP header names are case-insensitive
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def message_text(self, role: str) -> str:
        """All text sent under one role, whether content is a string or a list of parts."""
        texts: list[str] = []
        for message in self.messages:
            if message.get("role") != role:
                continue
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts.extend(part.get("text", "") for part in content if isinstance(part, dict))
        return "\n".join(texts)


@dataclass
class _State:
    default: StubReply = field(default_factory=StubReply)
    script: deque[StubReply] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        return

    def do_GET(self) -> None:
        self._send_error(404, f"Unknown path {self.path}", "invalid_request_error")

    def do_POST(self) -> None:
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
            return
        with state.lock:
            headers = {name.lower(): value for name, value in self.headers.items()}
            state.requests.append(RecordedRequest("POST", self.path, headers, body))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(404, f"Unknown path {self.path}", "invalid_request_error")
            return
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            self._send_error(401, "You didn't provide an API key.", "invalid_request_error")
            return
        with state.lock:
            reply = state.script.popleft() if state.script else state.default
        if reply.delay and state.stopping.wait(reply.delay):
            return
        if reply.status != 200:
            message = "The server had an error while processing your request."
            self._send_error(reply.status, message, "server_error")
            return
        model = str(body.get("model", "stub-model"))
        if body.get("stream"):
            self._send_stream(model, reply)
        else:
            self._send_json(200, _completion(model, reply))

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): nothing to do
            pass

    def _send_error(self, status: int, message: str, kind: str) -> None:
        payload = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        # Retry quickly: tests that exercise the client's own retries should not sleep for seconds.
        self._send_json(status, payload, {"retry-after-ms": "10"})

    def _send_stream(self, model: str, reply: StubReply) -> None:
        base = {
            "id": _completion_id(),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        chunks = [
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                ],
            },
            {**base, "choices": [{"index": 0, "delta": {"content": reply.content}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]},
        ]
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def _completion(model: str, reply: StubReply) -> dict[str, Any]:
    prompt_tokens, completion_tokens = 50, max(1, len(reply.content.split()))
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": None},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": None,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not keep the test process alive
    state: _State


class OpenAIStub:
    """Start with `with OpenAIStub() as stub:`; point the client at `stub.base_url`."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-stub", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def reply(self, content: str, *, delay: float = 0.0) -> None:
        """Answer every request not otherwise scripted with this text."""
        self._server.state.default = StubReply(content=content, delay=delay)

    def queue(self, *replies: StubReply) -> None:
        """Script the next answers, in order; after them the default reply is used again."""
        with self._server.state.lock:
            self._server.state.script.extend(replies)

    def fail(self, status: int = 500) -> None:
        """Answer every request with this HTTP error."""
        self._server.state.default = StubReply(status=status)

    def stall(self, seconds: float) -> None:
        """Sleep this long before answering, to test the client's timeout."""
        default = self._server.state.default
        self._server.state.default = StubReply(content=default.content, status=default.status, delay=seconds)

    def start(self) -> OpenAIStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.state.stopping.set()  # wakes stalled handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
