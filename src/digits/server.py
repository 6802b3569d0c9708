"""`digits serve`: the HTTP API and the drawing page, on FastAPI under uvicorn.

``create_app(config)`` builds the app (tests build it with a tiny model). ``digits.limits``
stands in front of it (Host, Origin, body size and deadline, requests in flight, header and
idle timeouts). Inference runs in at most ``workers`` threads so the event loop never waits on
the model; the answer is the same JSON object that ``digits predict --json`` prints for one
image, and every error, whoever raises it, is ``{"error": "..."}``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from PIL import Image
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from digits.limits import Guard, deadline_protocol, error_response
from digits.predict import Recogniser, check, load_recogniser, predictions_for, prepare, recognise_numbers
from digits.preprocess import ImageTooLargeError, NotAnImageError, read_image

WEB_DIR = Path(__file__).parent / "web"


@dataclass(frozen=True)
class ServeConfig:
    """Settings of ``digits serve``; the CLI flags map one to one onto these fields."""

    host: str = "127.0.0.1"
    port: int = 8000
    model: str = ""
    # Largest request body (the image with its multipart framing), refused from Content-Length
    # when declared and while streaming when not.
    max_bytes: int = 5 * 1024 * 1024
    # Decoded size limit, checked from the image header before any pixel is decoded. A PNG costs
    # about 20 bytes a pixel on its way to the model (320 MB at 16 million, measured); a JPEG over
    # 4 million pixels is decoded at reduced scale and costs far less. 16 million covers a 12-16
    # megapixel phone photo.
    max_pixels: int = 16_000_000
    # Images decoded and recognised at once (threads): memory is bounded by about workers × 20 × max_pixels.
    workers: int = 2
    # Requests admitted at once, from their headers to their answer; one more is answered 503.
    max_in_flight: int = 64
    # Seconds for a request's line and headers, from the connection's start or its previous answer.
    header_timeout: float = 10.0
    # Seconds for a request's whole body, from the end of its headers.
    body_timeout: float = 30.0
    # Seconds a connection may stay open sending nothing (before its first request or between requests).
    idle_timeout: float = 5.0
    # Host names served besides 127.0.0.1, localhost, [::1] and --host ("*": any; DNS rebinding is
    # refused by this list).
    allowed_hosts: tuple[str, ...] = ()
    # Origins (scheme://host:port) whose pages may call the API besides the page's own ("*": any).
    allowed_origins: tuple[str, ...] = ()

    def __post_init__(self):
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range; choose 0 to 65535")
        for name in ("max_bytes", "max_pixels", "workers", "max_in_flight",
                     "header_timeout", "body_timeout", "idle_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} is {getattr(self, name)}; it must be positive")


class ErrorResponse(BaseModel):
    """Every error the API answers, whatever its status."""

    error: str = Field(description="one line: what was wrong and how to fix it",
                       examples=["upload of 209,715,200 bytes is over the limit of 5,242,880 bytes (--max-bytes); "
                                 "send a smaller image"])


def error_responses(*statuses: int) -> dict:
    reasons = {
        400: "unreadable image, or a Host not served here",
        403: "cross-origin request from a page not allowed (--allowed-origins)",
        408: "the upload did not arrive within --body-timeout",
        413: "upload over --max-bytes, or image over --max-pixels",
        415: "not an image in a supported format",
        422: "missing or invalid field or query parameter",
        500: "the server or the model failed on this request",
        503: "more than --max-in-flight requests at once; retry",
    }
    return {status: {"model": ErrorResponse, "description": reasons[status]} for status in statuses}


class RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def model_summary(recogniser: Recogniser) -> dict:
    card = recogniser.card
    config = card.get("config", {})
    return {
        "path": recogniser.path.name,
        "preset": config.get("preset"),
        "arch": config.get("arch"),
        "test_accuracy": (card.get("test") or {}).get("accuracy"),
        "validation_accuracy": (card.get("validation") or {}).get("accuracy"),
        "date": card.get("date"),
    }


def preview_url(image: np.ndarray) -> str:
    """The 28×28 model input as a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def recognise_upload(data: bytes, name: str, recogniser: Recogniser, config: ServeConfig,
                     preview: bool, number: bool = False) -> dict:
    """Decode, check and recognise one uploaded image (or the number in it); raise ``RequestError`` for bad input."""
    try:
        image = read_image(data, max_pixels=config.max_pixels)
    except ImageTooLargeError as error:
        raise RequestError(413, str(error)) from None
    except NotAnImageError as error:
        raise RequestError(415, str(error)) from None
    except ValueError as error:
        raise RequestError(400, str(error)) from None
    if number:
        reading = recognise_numbers([image], recogniser)[0]
        if reading.error is not None:
            raise RequestError(400, f"{name}: {reading.error}")
        reading.path = name
        return reading.to_dict()
    prepared = prepare(image)
    if prepared[2] is not None:
        raise RequestError(400, f"{name}: {prepared[2]}")
    prediction = predictions_for([name], [prepared], recogniser)[0]
    if prediction.error is not None:  # the model's fault, not the image's
        raise RequestError(500, f"{name}: {prediction.error}")
    result = prediction.to_dict()
    if preview and prepared[0] is not None:
        result["preview"] = preview_url(prepared[0])
    return result


def check_finite(result: dict) -> dict:
    """``result`` unless it holds NaN or infinity (not JSON), which only a broken model gives."""
    try:
        json.dumps(result, allow_nan=False)
    except ValueError:
        raise RequestError(500, "the model gave non-finite outputs (NaN or infinity) for this image; "
                                "check the model file") from None
    return result


def http_error_message(request: Request, error: HTTPException) -> str:
    """Starlette's and FastAPI's own errors (no route, wrong method, unparsable body), said as ours are."""
    path = request.url.path
    if error.status_code == 404:
        return f"no such path: {path}; the API is POST /api/predict and GET /api/health, the page is GET /"
    if error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "another method")
        return f"{request.method} is not allowed on {path}; use {allowed}"
    if error.status_code == 400:
        return (f"the request body cannot be read ({str(error.detail).rstrip('.')}); send the image as multipart/form-data "
                f"in the field 'image'")
    return str(error.detail)


def validation_message(error: RequestValidationError) -> str:
    problems = "; ".join(f"{' '.join(str(part) for part in detail.get('loc', ()))}: {detail.get('msg', 'invalid')}"
                         for detail in error.errors())
    return (f"{problems}; send the image as multipart/form-data in the field 'image' "
            f"(optional query: preview=1, number=1)")


def create_app(config: ServeConfig | None = None, recogniser: Recogniser | None = None) -> FastAPI:
    """The app with ``config``'s limits; a model that cannot answer raises ``ValueError`` here, not per request."""
    config = config or ServeConfig()
    recogniser = check(recogniser) if recogniser is not None else load_recogniser(config.model or None)
    app = FastAPI(title="digits", description="Handwritten digit recognition", version="0.1.0")
    app.add_middleware(Guard, config=config)
    workers = asyncio.Semaphore(config.workers)

    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return error_response(error.status, str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return error_response(error.status_code, http_error_message(request, error), dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, validation_message(error))

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        # Starlette logs the traceback after this answer; the client gets one line, never the trace.
        return error_response(500, f"the server failed on {request.method} {request.url.path} "
                                   f"({type(error).__name__}); this is a bug, the server log has the details")

    @app.get("/api/health", responses=error_responses(400, 500, 503))
    async def health() -> dict:
        """The model being served (checked on a blank image at start-up: the server does not start without one that answers)."""
        return {"status": "ok", "model": model_summary(recogniser)}

    @app.post("/api/predict", responses=error_responses(400, 403, 408, 413, 415, 422, 500, 503))
    async def predict(image: UploadFile = File(..., description="the image file"),
                      preview: bool = False, number: bool = False) -> dict:
        """Recognise the digit in ``image`` (``?number=1``: the whole number); ``?preview=1`` adds the 28×28 input."""
        data = await image.read()  # at most --max-bytes: the guard has read the body already
        name = image.filename or "upload"
        async with workers:
            result = await asyncio.to_thread(recognise_upload, data, name, recogniser, config, preview, number)
        return check_finite(result)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


def serve(config: ServeConfig) -> None:
    """Check the model, then run the app under uvicorn with ``config``'s timeouts, one log line per request."""
    import uvicorn

    app = create_app(config)
    uvicorn.run(app, host=config.host, port=config.port, http=deadline_protocol(config.header_timeout),
                timeout_keep_alive=config.idle_timeout, log_level="info", access_log=True)
