"""`digits serve` against hostile and unlucky clients: raw sockets on 127.0.0.1 that stall,
oversized uploads, foreign Hosts and Origins, and every error in one JSON shape."""

import socket
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import SAMPLES
from digits.cli import parser
from digits.server import ServeConfig, create_app
from server_process import ServerProcess

MAX_BYTES = 200_000
HEADER_TIMEOUT, BODY_TIMEOUT, IDLE_TIMEOUT = 1.0, 2.0, 0.5
MAX_IN_FLIGHT = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess("--max-bytes", str(MAX_BYTES), "--header-timeout", str(HEADER_TIMEOUT),
                            "--body-timeout", str(BODY_TIMEOUT), "--idle-timeout", str(IDLE_TIMEOUT),
                            "--max-in-flight", str(MAX_IN_FLIGHT),
                            log_path=tmp_path_factory.mktemp("serve") / "serve.log")
    yield process
    process.stop()


class Raw:
    """A bare TCP connection to the server, for what no HTTP client will send."""

    def __init__(self, server, payload: bytes = b""):
        self.socket = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.opened = time.monotonic()
        if payload:
            self.socket.sendall(payload)

    def read_until_closed(self, limit: float = 10) -> tuple[bytes, float]:
        """(everything the server sent, seconds from opening until it closed); fails if still open after ``limit``."""
        self.socket.settimeout(limit)
        received = b""
        try:
            while chunk := self.socket.recv(65536):
                received += chunk
        except TimeoutError:
            pytest.fail(f"connection still open after {limit} s; received {received[:200]!r}")
        return received, time.monotonic() - self.opened

    def close(self) -> None:
        self.socket.close()


def request_head(method: str, server, path="/api/predict", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_and_error(response: bytes) -> tuple[int, str]:
    import json

    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)["error"]


def test_a_bare_connection_is_closed_after_the_idle_timeout(server):
    received, seconds = Raw(server).read_until_closed()
    assert received == b"" and IDLE_TIMEOUT - 0.1 < seconds < IDLE_TIMEOUT + 2


def test_stalled_headers_are_closed_after_the_header_timeout(server):
    connection = Raw(server, b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    received, seconds = connection.read_until_closed()
    assert received == b"" and HEADER_TIMEOUT - 0.1 < seconds < HEADER_TIMEOUT + 2


def test_headers_dripped_a_byte_at_a_time_are_closed_after_the_header_timeout(server):
    connection = Raw(server)
    head = request_head("GET", server, path="/api/health")
    sent, closed_after = 0, None
    while sent < len(head) and time.monotonic() - connection.opened < HEADER_TIMEOUT + 3:
        try:
            connection.socket.sendall(head[sent:sent + 1])
        except OSError:
            closed_after = time.monotonic() - connection.opened
            break
        sent += 1
        time.sleep(0.1)  # each byte within the idle timeout, so only the header deadline can end it
    if closed_after is None:
        _, closed_after = connection.read_until_closed()
    assert sent < len(head) and closed_after < HEADER_TIMEOUT + 2


def test_a_stalled_body_is_answered_408_and_closed(server):
    connection = Raw(server, request_head("POST", server, content_length=1000,
                                          content_type="multipart/form-data; boundary=x") + b"--x\r\n")
    received, seconds = connection.read_until_closed()
    status, error = status_and_error(received)
    assert status == 408 and "--body-timeout" in error and BODY_TIMEOUT - 0.1 < seconds < BODY_TIMEOUT + 2


def test_an_idle_connection_after_an_answer_is_closed(server):
    connection = Raw(server, request_head("GET", server, path="/api/health"))
    received, seconds = connection.read_until_closed()
    assert received.startswith(b"HTTP/1.1 200") and seconds < IDLE_TIMEOUT + 2


def test_a_declared_200_mb_upload_is_refused_from_its_header(server):
    # No byte of the body is sent: the answer can only come from the Content-Length header.
    connection = Raw(server, request_head("POST", server, content_length=200 * 1024 * 1024,
                                          content_type="multipart/form-data; boundary=x"))
    received, seconds = connection.read_until_closed()
    status, error = status_and_error(received)
    assert status == 413 and "209,715,200 bytes" in error and seconds < 5


def test_an_undeclared_body_over_the_limit_is_refused_while_it_streams(server):
    # Chunked, so no Content-Length; one byte over the limit and the body never ends.
    chunk = b"x" * (MAX_BYTES + 1)
    connection = Raw(server, request_head("POST", server, transfer_encoding="chunked",
                                          content_type="multipart/form-data; boundary=x")
                     + b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    received, seconds = connection.read_until_closed()
    status, error = status_and_error(received)
    assert status == 413 and "over the limit" in error and seconds < 5


@pytest.mark.parametrize("declared", [True, False])
def test_an_http_client_sending_an_oversized_upload_reads_the_413(server, declared):
    # The client goes on sending after the answer; the server reads and drops the rest for a
    # while instead of resetting the connection, which would destroy the answer.
    chunks = (bytes(1024 * 1024) for _ in range(50))
    headers = {"content-type": "multipart/form-data; boundary=x"}
    if declared:
        headers["content-length"] = str(50 * 1024 * 1024)
    response = httpx.post(server.url + "/api/predict", content=chunks, headers=headers, timeout=10)
    assert response.status_code == 413 and "--max-bytes" in response.json()["error"]


def test_requests_over_the_in_flight_bound_get_503_then_service_resumes(server):
    stalled = [Raw(server, request_head("POST", server, content_length=1000)) for _ in range(MAX_IN_FLIGHT)]
    try:
        deadline = time.monotonic() + BODY_TIMEOUT / 2
        while (response := httpx.get(server.url + "/api/health", timeout=5)).status_code != 503:
            assert time.monotonic() < deadline, "the in-flight bound was never reached"
            time.sleep(0.05)
        assert "--max-in-flight" in response.json()["error"] and response.headers["retry-after"] == "1"
    finally:
        for connection in stalled:
            connection.close()
    deadline = time.monotonic() + 5
    while httpx.get(server.url + "/api/health", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "slots were not released when the stalled clients left"
        time.sleep(0.05)


@pytest.mark.parametrize("host, status", [
    ("evil.example", 400), ("evil.example:{port}", 400), ("127.0.0.1.nip.io:{port}", 400),
    ("127.0.0.1:{port}", 200), ("localhost:{port}", 200), ("[::1]:{port}", 200), ("LOCALHOST", 200),
])
def test_only_loopback_host_names_are_served(server, host, status):
    response = httpx.get(server.url + "/api/health", headers={"host": host.format(port=server.port)})
    assert response.status_code == status
    if status == 400:
        assert "--allowed-hosts" in response.json()["error"]


@pytest.mark.parametrize("origin, status", [
    ("http://evil.example", 403), ("null", 403), ("http://127.0.0.1:1", 403), ("http://127.0.0.1:{port}", 200),
])
def test_cross_origin_posts_are_refused_before_processing(server, origin, status):
    response = httpx.post(server.url + "/api/predict", headers={"origin": origin.format(port=server.port)},
                          files={"image": ("five.png", (SAMPLES / "five-28x28.png").read_bytes())})
    assert response.status_code == status
    if status == 403:
        assert "--allowed-origins" in response.json()["error"]


def test_an_allowed_origin_gets_cors_headers(tiny_onnx_model):
    from digits.recognisers import load_recogniser

    app = create_app(ServeConfig(allowed_origins=("http://localhost:3000",)), recogniser=load_recogniser(tiny_onnx_model))
    client = TestClient(app, base_url="http://localhost")
    origin = {"origin": "http://localhost:3000"}
    preflight = client.options("/api/predict", headers={**origin, "access-control-request-method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == origin["origin"]
    response = client.post("/api/predict", headers=origin,
                           files={"image": ("five.png", (SAMPLES / "five-28x28.png").read_bytes())})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == origin["origin"]
    refused = client.post("/api/predict", headers={"origin": "http://localhost:4000"}, files={"image": ("a", b"")})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("method, path, content, content_type, status", [
    ("GET", "/no/such/page", None, None, 404),
    ("GET", "/static/no-such-file.js", None, None, 404),
    ("DELETE", "/api/predict", None, None, 405),
    ("POST", "/api/predict", b'{"image": 1}', "application/json", 415),
    ("POST", "/api/predict?preview=maybe", b"", "multipart/form-data; boundary=x", 422),
    ("POST", "/api/predict", b"--x\r\nno headers, no end", "multipart/form-data", 400),
    ("POST", "/api/predict", b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
     "multipart/form-data; boundary=x", 400),
])
def test_every_error_is_one_json_shape(server, method, path, content, content_type, status):
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.request(method, server.url + path, content=content, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and "\n" not in body["error"]


def test_an_unparsable_request_gets_the_json_shape_too(server):
    status, error = status_and_error(Raw(server, b"NOT HTTP AT ALL\r\n\r\n").read_until_closed()[0])
    assert status == 400 and "HTTP/1.1" in error


def test_eps_named_png_is_refused_as_not_an_image(server):
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n0 0 moveto 28 28 lineto stroke\nshowpage\n"
    response = httpx.post(server.url + "/api/predict", files={"image": ("innocent.png", eps, "image/png")})
    assert response.status_code == 415 and list(response.json()) == ["error"]


def test_an_error_inside_the_app_is_a_json_500(tiny_onnx_model):
    from digits.recognisers import load_recogniser

    recogniser = load_recogniser(tiny_onnx_model)
    app = create_app(ServeConfig(), recogniser=recogniser)
    recogniser.run = lambda batch: (_ for _ in ()).throw(RuntimeError("boom"))  # fails after the start-up check
    client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
    response = client.post("/api/predict", files={"image": ("five.png", (SAMPLES / "five-28x28.png").read_bytes())})
    assert response.status_code == 500 and list(response.json()) == ["error"]
    assert "RuntimeError" in response.json()["error"] and "Traceback" not in response.text


def test_openapi_documents_the_error_shape(server):
    spec = httpx.get(server.url + "/openapi.json").json()
    responses = spec["paths"]["/api/predict"]["post"]["responses"]
    for status in ("400", "403", "408", "413", "415", "422", "500", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["ErrorResponse"]["required"] == ["error"]


def test_cli_flags_map_one_to_one_onto_serve_config():
    import dataclasses

    arguments = parser().parse_args(["serve"])
    for field in dataclasses.fields(ServeConfig):
        given = getattr(arguments, field.name)
        assert (tuple(given) if isinstance(given, list) else given or field.default) == field.default, field.name


def test_settings_are_checked():
    with pytest.raises(ValueError, match="body_timeout"):
        ServeConfig(body_timeout=0)
    with pytest.raises(ValueError, match="port"):
        ServeConfig(port=70000)
