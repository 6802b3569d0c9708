"""What a request may cost `digits serve` before the app sees it.

Each limit is enforced where its bytes are:

- ``deadline_protocol`` (uvicorn's h11 protocol with two timers): a connection must deliver a
  request's line and headers within ``header_timeout`` seconds of opening or of its previous
  answer, and one that sends nothing at all is closed after ``idle_timeout``. uvicorn alone arms
  its idle timer only after a first answer and has no header deadline, so a bare connection or
  one that stalls inside its headers stays open for ever.
- ``Guard`` (ASGI middleware): the Host allow-list, the same-origin rule, the body size (from
  Content-Length before reading, and while the body streams in), a deadline for the whole body,
  and a bound on requests in flight. Every refusal is the API's ``{"error": ...}`` JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import h11
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from digits.server import ServeConfig

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# Methods a browser sends cross-origin without asking first, that change or cost something.
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Seconds a refused upload may go on arriving (and be dropped) after its answer, so the client reads it.
LINGER_SECONDS = 2.0


class Refused(Exception):
    """A request refused before the app: HTTP ``status`` and a one-line ``{"error": ...}`` message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def host_name(host_header: str) -> str:
    """``localhost:8000`` → ``localhost``; ``[::1]:8000`` → ``[::1]``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def allowed_hosts(config: ServeConfig) -> frozenset[str]:
    """The loopback names, the address the server is bound to, and ``config.allowed_hosts``."""
    bound = f"[{config.host}]" if ":" in config.host else config.host
    return frozenset(name.lower() for name in (*LOOPBACK_HOSTS, bound, *config.allowed_hosts))


class Guard:
    """ASGI middleware that checks a request's headers, then reads its whole body, before the app runs.

    The body is held in memory (at most ``max_bytes``) and handed to the app as one message, so
    nothing an over-limit client sends reaches the multipart parser or a temporary file.
    """

    def __init__(self, app: ASGIApp, config: ServeConfig):
        self.app = app
        self.config = config
        self.hosts = allowed_hosts(config)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            cors_headers = self.check_headers(scope, headers)
            if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
                await Response(status_code=204, headers=preflight_headers(cors_headers, headers))(scope, receive, send)
                return
            # Counted from the headers on, so clients that stall in their body are bounded too.
            if self.in_flight >= self.config.max_in_flight:
                raise Refused(503, f"the server is busy with {self.in_flight} requests, its limit "
                                   f"(--max-in-flight); retry in a moment", {"retry-after": "1"})
            self.in_flight += 1
        except Refused as refusal:
            await refuse(refusal, scope, receive, send)
            return
        try:
            try:
                body = await self.read_body(receive)
            except Refused as refusal:
                await refuse(refusal, scope, receive, send)
                return
            if body is None:  # the client went away
                return
            await self.app(scope, replay(body, receive), add_headers(send, cors_headers))
        finally:
            self.in_flight -= 1

    def check_headers(self, scope: Scope, headers: Headers) -> dict[str, str]:
        """Refuse a foreign Host, a cross-origin request and a declared over-limit body; the CORS headers to add."""
        host = headers.get("host")
        if host is None:
            raise Refused(400, "the request has no Host header; send one (every HTTP/1.1 client does)")
        if "*" not in self.hosts and host_name(host) not in self.hosts:
            raise Refused(400, f"Host {host_name(host)!r} is not served here (allowed: {', '.join(sorted(self.hosts))}); "
                               f"open http://127.0.0.1:{self.config.port}/, or start the server with "
                               f"--allowed-hosts {host_name(host)}")
        cors_headers = {}
        origin = headers.get("origin")
        if origin is not None and origin != f"{scope['scheme']}://{host.lower()}":
            if origin in self.config.allowed_origins or "*" in self.config.allowed_origins:
                cors_headers = {"access-control-allow-origin": origin, "vary": "Origin"}
            elif scope["method"] in UNSAFE_METHODS or "access-control-request-method" in headers:
                raise Refused(403, f"cross-origin request from {origin} refused: the API answers pages of its own "
                                   f"origin only; start the server with --allowed-origins {origin} to allow it")
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.config.max_bytes:
            raise Refused(413, f"upload of {int(declared):,} bytes is over the limit of {self.config.max_bytes:,} "
                               f"bytes (--max-bytes); send a smaller image")
        return cors_headers

    async def read_body(self, receive: Receive) -> bytes | None:
        """The whole body within ``body_timeout`` seconds and ``max_bytes`` bytes; ``None`` if the client left."""
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.config.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        raise Refused(413, f"upload is over the limit of {self.config.max_bytes:,} bytes "
                                           f"(--max-bytes); send a smaller image")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise Refused(408, f"the upload did not arrive within {self.config.body_timeout:g} s "
                               f"(--body-timeout); send it again") from None


async def refuse(refusal: Refused, scope: Scope, receive: Receive, send: Send) -> None:
    # The rest of a refused body is never read, so the connection cannot carry another request.
    headers = {**refusal.headers, "connection": "close"}
    await error_response(refusal.status, str(refusal), headers)(scope, receive, send)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body already read, then waits on the client as before."""
    given = False

    async def receive_body() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive_body


def add_headers(send: Send, extra: dict[str, str]) -> Send:
    if not extra:
        return send

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []),
                                  *((name.encode("latin-1"), value.encode("latin-1")) for name, value in extra.items())]
        await send(message)

    return send_with_headers


def preflight_headers(cors_headers: dict[str, str], headers: Headers) -> dict[str, str]:
    """A preflight that passed ``check_headers``: allowed for a listed origin, plain for the page's own."""
    if not cors_headers:
        return {}
    return {**cors_headers, "access-control-allow-methods": "GET, POST",
            "access-control-allow-headers": headers.get("access-control-request-headers", ""),
            "access-control-max-age": "600"}


class LingeringTransport:
    """A transport whose ``close`` waits, while the client is still sending a refused body, for it to stop.

    Closing a socket with unread data makes the kernel send a reset, which destroys the answer
    not yet read: a client uploading 200 MB would see "connection reset" instead of our 413.
    So, as nginx does, the answer is sent, the sending side shut, and what still arrives is
    read and dropped for at most ``LINGER_SECONDS`` before the connection is closed.
    """

    def __init__(self, transport: asyncio.Transport, protocol: H11Protocol):
        self.transport = transport
        self.protocol = protocol
        self.lingering = False

    def __getattr__(self, name: str):
        return getattr(self.transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self.transport.is_closing()

    def close(self) -> None:
        if self.lingering or self.transport.is_closing():
            return
        if self.protocol.conn.their_state is not h11.SEND_BODY or not self.transport.can_write_eof():
            self.transport.close()
            return
        self.lingering = True
        self.transport.write_eof()
        self.transport.resume_reading()
        self.protocol.loop.call_later(LINGER_SECONDS, self.transport.close)


def deadline_protocol(header_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing connections that are bare or stall in their request headers."""

    class HeaderDeadlineProtocol(H11Protocol):
        header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(LingeringTransport(transport, self))
            # uvicorn arms its idle timer only after an answer; arm it for the first request too.
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                                self.timeout_keep_alive_handler)
            self.arm_header_deadline()

        def arm_header_deadline(self) -> None:
            self.cancel_header_deadline()
            self.header_deadline = self.loop.call_later(header_timeout, self.header_deadline_passed)

        def cancel_header_deadline(self) -> None:
            if self.header_deadline is not None:
                self.header_deadline.cancel()
                self.header_deadline = None

        def header_deadline_passed(self) -> None:
            # Still waiting for (the rest of) a request's headers: nothing to answer, so just close.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self.transport.is_closing():  # the rest of a refused body: dropped unparsed
                return
            super().data_received(data)

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:
                self.cancel_header_deadline()

        def on_response_complete(self) -> None:
            # Armed first: the pipelined request that the parent may handle at once disarms it.
            self.arm_header_deadline()
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self.cancel_header_deadline()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            # Requests h11 cannot parse get the API's error shape too, not uvicorn's plain text.
            body = json.dumps({"error": "the request is not valid HTTP/1.1 (malformed request line or headers, "
                                        "or headers over 16 KB); send a well-formed request"}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"connection", b"close")]
            try:
                output = self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request"))
                output += self.conn.send(h11.Data(data=body)) + self.conn.send(h11.EndOfMessage())
                self.transport.write(output)
            except h11.LocalProtocolError:
                pass
            self.transport.close()

    return HeaderDeadlineProtocol
