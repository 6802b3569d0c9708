"""`digits serve`: the HTTP API and the drawing page, on FastAPI under uvicorn.

``create_app(config)`` builds the app (tests build it with a tiny model). ``digits.limits``
stands in front of it (Host, Origin, body size and deadline, requests in flight, header and
idle timeouts). Inference runs in at most ``workers`` threads so the event loop never waits on
the model. An answer is the JSON object that ``digits predict --json`` prints for one image,
with ``path`` the upload's bare file name and ``message`` the answer in plain words (made here,
in ``plain_message``, and shown as is by the page); every error, whoever raises it, is
``{"error": "..."}``. The response models give the OpenAPI schema its types; /docs and /redoc
are served from local files.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from PIL import Image
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from digits.limits import Guard, deadline_protocol, error_response
from digits import __version__
from digits.predict import NOT_A_DIGIT_REASON, answers_for, prepare, recognise_numbers
from digits.recognisers import Recogniser, check, load_recogniser
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
    # Files one POST /api/batch may hold (all of them within max_bytes together).
    max_batch_files: int = 16
    # Where POST /api/corrections stores corrections: a SQLite file or a postgresql:// URL ("": the
    # default file); opened at the first correction.
    store: str = ""

    def __post_init__(self):
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range; choose 0 to 65535")
        for name in ("max_bytes", "max_pixels", "workers", "max_in_flight",
                     "header_timeout", "body_timeout", "idle_timeout", "max_batch_files"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} is {getattr(self, name)}; it must be positive")


class ErrorResponse(BaseModel):
    """Every error the API answers, whatever its status."""

    error: str = Field(description="one line: what was wrong and how to fix it",
                       examples=["upload of 209,715,200 bytes is over the limit of 5,242,880 bytes (--max-bytes); "
                                 "send a smaller image"])


PATH_FIELD = Field(None, description="the upload's file name as the client sent it, without folders; "
                                     "null when the upload has none (a raw image body)")
MESSAGE_FIELD = Field(description="the answer in plain words, for people (the page shows it); "
                                  "``reason`` keeps the technical why")
PREVIEW_FIELD = Field(None, description="with ?preview=1: what the model saw, a PNG data URL "
                                        "(28×28; for a number, the digits side by side)")


class PredictionAnswer(BaseModel):
    """One digit, or no digit and why (``digit`` null), as ``digits predict --json`` prints it."""

    path: str | None = PATH_FIELD
    digit: int | None = Field(description="0-9, or null when there is no digit or it is not a digit")
    confidence: float | None = Field(None, description="probability of ``digit``, 0-1")
    probabilities: list[float] = Field(description="10 probabilities, digits 0-9; empty when no ink was found")
    low_confidence: bool | None = Field(None, description="confidence below 0.6")
    not_a_digit: float | None = Field(None, description="probability that the image is not a digit "
                                                        "(models with that output)")
    reason: str | None = Field(None, description="why there is no digit, technically")
    message: str = MESSAGE_FIELD
    preview: str | None = PREVIEW_FIELD


class DigitPart(BaseModel):
    digit: int | None = Field(description="0-9, or null when this part does not look like a digit")
    confidence: float
    box: list[int] = Field(description="left, top, width, height in pixels of the sheet found in the image")


class NumberAnswer(BaseModel):
    """A whole number (``?number=1``), or none and why (``number`` null)."""

    path: str | None = PATH_FIELD
    number: str | None = Field(description="the digits read left to right, or null")
    confidence: float | None = Field(None, description="the least sure digit's probability, 0-1")
    digits: list[DigitPart]
    low_confidence: bool | None = None
    reason: str | None = Field(None, description="why there is no number, technically")
    message: str = MESSAGE_FIELD
    preview: str | None = PREVIEW_FIELD


class FileError(BaseModel):
    """One file of a batch that could not be answered; the other files are answered."""

    path: str | None = PATH_FIELD
    error: str
    status: int = Field(description="the HTTP status this file alone would have been answered with")


class ModelSummary(BaseModel):
    path: str
    preset: str | None = None
    arch: str | None = None
    test_accuracy: float | None = None
    validation_accuracy: float | None = None
    date: str | None = None


class Health(BaseModel):
    status: str
    model: ModelSummary


class CorrectionAnswer(BaseModel):
    """A stored correction (the image and the model input are kept in the store, not repeated here)."""

    id: int = Field(description="the store's number for it (`digits corrections list` shows it)")
    label: int = Field(description="what the image really shows: 0-9, or 10 for 'not a digit'")
    not_a_digit: bool
    predicted: int = Field(description="what the model said: 0-9, or 10 for 'not a digit'")
    confidence: float = Field(description="the model's probability for ``predicted``, 0-1")
    model: str = Field(description="the model file's name")
    model_sha256: str
    source: str = Field(description="page or api")
    writer: str | None = Field(description="whose handwriting it is, if given")
    created_at: str = Field(description="UTC, ISO 8601")
    message: str = MESSAGE_FIELD


class ModelChoice(BaseModel):
    name: str = Field(description="what ``?model=`` takes")
    personal: bool = Field(description="tuned on a writer's corrections (`digits tune`)")
    writer: str | None = None
    served: bool = Field(description="the model answering when ``?model=`` is not given")
    test_accuracy: float | None = None


Answer = PredictionAnswer | NumberAnswer


def error_responses(*statuses: int) -> dict:
    reasons = {
        400: "unreadable image or request body, or a Host not served here",
        403: "cross-origin request from a page not allowed (--allowed-origins)",
        408: "the upload did not arrive within --body-timeout",
        413: "upload over --max-bytes, image over --max-pixels, or more files than --max-batch-files",
        415: "not an image in a supported format, or a body that is neither multipart nor an image",
        422: "missing field 'image' (or 'images', 'label'), an invalid field or query parameter, or an unknown model",
        500: "the server or the model failed on this request",
        503: "more than --max-in-flight requests at once, or the corrections store cannot be written; retry",
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
    """A float image in [0, 1] (the model input, 28×28, or several side by side) as a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def number_preview(image: np.ndarray, boxes: list[list[int]]) -> np.ndarray | None:
    """The model inputs of a number's digits side by side (2 black pixels apart), found again by their boxes."""
    from digits.number import segment

    try:
        groups = segment(image)
    except ValueError:
        return None
    by_box = {tuple(item.box): item.image for group in groups for item in (group.whole, *group.parts)}
    inputs = [by_box.get(tuple(box)) for box in boxes]
    if not inputs or any(item is None for item in inputs):
        return None
    gap = np.zeros((28, 2), dtype=np.float32)
    pieces = [piece for item in inputs for piece in (np.asarray(item, dtype=np.float32).reshape(28, 28), gap)]
    return np.concatenate(pieces[:-1], axis=1)


def plain_message(result: dict) -> str:
    """The answer in words for people: the one place where technical reasons become plain messages."""
    reason = result.get("reason") or ""
    low = result.get("low_confidence")
    if "digits" in result:
        if result.get("number") is not None:
            sure = f"{100 * result['confidence']:.0f}%"
            if low:
                return f"Maybe {result['number']}: only {sure} sure of its least clear digit; try writing larger or clearer."
            return f"{sure} sure of its least clear digit."
        if reason.startswith("part"):
            pronoun = "them" if reason.startswith("parts") else "it"
            return f"P{reason[1:]}: rewrite {pronoun} or rub {pronoun} out."
        return "I can't see any digits here."
    if result.get("digit") is not None:
        sure = f"{100 * result['confidence']:.1f}% sure"
        return f"Only {sure}: try writing it larger or clearer." if low else f"{sure}."
    if reason.startswith(NOT_A_DIGIT_REASON):
        sure = f" ({100 * result['not_a_digit']:.0f}% sure)" if result.get("not_a_digit") is not None else ""
        return f"Not a digit: this looks like something else{sure}."
    if "uniform" in reason:
        return "I can't see a digit here: the image is blank."
    if "noise" in reason:
        return "I can't see a digit here: the image is all noise; try a sharper photo."
    if "ink pixels" in reason:
        return "I can't see a digit here: there is too little ink."
    if "small marks" in reason:
        return "I can't see a digit here: what is written is too small; crop closer to it."
    if "solid blob" in reason:
        return "I can't see a digit here: it looks like a filled shape, not a written digit."
    return "I can't see a digit here."


class ModelChoices:
    """The models a request may name with ``?model=``: the served one, the shipped ones and the personal
    ones in ``runs/`` (never any other path); each loaded at its first use and kept."""

    def __init__(self, served: Recogniser, served_name: str):
        import threading

        self.served_name = served_name
        self.loaded = {served_name: served}
        self.lock = threading.Lock()

    def names(self) -> dict[str, Path | None]:
        from digits.recognisers import SHIPPED_MODELS, model_path, personal_models

        found = {self.served_name: None}
        found.update({name: model_path(name) for name in SHIPPED_MODELS})
        found.update(personal_models())
        return found

    def describe(self) -> list[dict]:
        """One ``ModelChoice`` per name; cards are read, models are not loaded."""
        from digits.card import read_card

        choices = []
        for name, path in self.names().items():
            card = self.loaded[name].card if name in self.loaded else read_card(path)
            choices.append({"name": name, "personal": bool(card.get("personal")), "writer": card.get("writer"),
                            "served": name == self.served_name,
                            "test_accuracy": (card.get("test") or {}).get("accuracy")})
        return choices

    def get(self, name: str | None) -> Recogniser:
        """The recogniser for ``name`` (``None`` or empty: the served one); ``RequestError`` 422 for an unknown name."""
        if not name:
            return self.loaded[self.served_name]
        with self.lock:
            if name in self.loaded:
                return self.loaded[name]
            names = self.names()
            if name not in names:
                raise RequestError(422, f"model {name!r} is not served here; choose one of {', '.join(names)} "
                                        f"(GET /api/models lists them)")
            self.loaded[name] = load_recogniser(names[name])
            return self.loaded[name]


class CorrectionsDesk:
    """Stores corrections sent to the API: the store is opened at the first one, and again after a failure."""

    def __init__(self, location: str):
        import threading

        self.location = location
        self.store = None
        self.lock = threading.Lock()

    def record(self, data: bytes, name: str | None, label_text: str | None, writer: str | None, source: str,
               recogniser: Recogniser, config: ServeConfig) -> dict:
        """Check, store and describe one correction; ``RequestError`` for bad input or a store that fails."""
        from digits.corrections import label_name, make_correction, parse_label
        from digits.preprocess import NoDigitError
        from digits.stores import StoreError, open_store

        if label_text is None:
            raise RequestError(422, "no field 'label' in the form; send the right answer as label=0 to 9, "
                                    "or label=not-a-digit")
        try:
            label = parse_label(label_text)
            image = read_image(data, max_pixels=config.max_pixels)
        except ImageTooLargeError as error:
            raise RequestError(413, str(error)) from None
        except NotAnImageError as error:
            raise RequestError(415, str(error)) from None
        except ValueError as error:
            raise RequestError(422 if "label" in str(error) else 400, str(error)) from None
        del image  # decoded only to be refused early, as /api/predict refuses
        try:
            correction = make_correction(data, label, recogniser, source, writer)
        except NoDigitError as error:
            raise RequestError(422, str(error)) from None
        except ValueError as error:
            raise RequestError(400, str(error)) from None
        try:
            with self.lock:
                if self.store is None:
                    self.store = open_store(self.location or None)
                stored = self.store.add(correction)
        except StoreError as error:
            raise RequestError(503, str(error)) from None
        result = stored.to_dict()
        said = label_name(stored.predicted)
        result["message"] = (f"Saved: this is {label_name(stored.label)}"
                             + ("." if stored.predicted == stored.label else f", not {said}.") + " Thank you.")
        return result

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def upload_name(filename: str | None) -> str | None:
    """The client's file name without any folders (browsers send a bare name; other clients may not)."""
    if not filename:
        return None
    return filename.replace("\\", "/").rsplit("/", 1)[-1] or None


def recognise_upload(data: bytes, name: str | None, recogniser: Recogniser, config: ServeConfig,
                     preview: bool, number: bool = False) -> dict:
    """Decode, check and recognise one uploaded image (or the number in it); raise ``RequestError`` for bad input."""
    prefix = f"{name}: " if name else ""
    try:
        image = read_image(data, max_pixels=config.max_pixels)
    except ImageTooLargeError as error:
        raise RequestError(413, f"{prefix}{error}") from None
    except NotAnImageError as error:
        raise RequestError(415, f"{prefix}{error}") from None
    except ValueError as error:
        raise RequestError(400, f"{prefix}{error}") from None
    if number:
        reading = recognise_numbers([image], recogniser)[0]
        if reading.error is not None:
            raise RequestError(400, f"{prefix}{reading.error}")
        result = reading.to_dict()
        if preview and result["digits"]:
            inputs = number_preview(image, [part["box"] for part in result["digits"]])
            if inputs is not None:
                result["preview"] = preview_url(inputs)
    else:
        prepared = prepare(image)
        if prepared.error is not None:
            raise RequestError(400, f"{prefix}{prepared.error}")
        prediction, model_input = answers_for([name or ""], [prepared], recogniser)[0]
        if prediction.error is not None:  # the model's fault, not the image's
            raise RequestError(500, f"{prefix}{prediction.error}")
        result = prediction.to_dict()
        if preview and model_input is not None:
            result["preview"] = preview_url(model_input)
    result["path"] = name
    result["message"] = plain_message(result)
    return check_finite(result)


def check_finite(result: dict) -> dict:
    """``result`` unless it holds NaN or infinity (not JSON), which only a broken model gives."""
    try:
        json.dumps(result, allow_nan=False)
    except ValueError:
        raise RequestError(500, "the model gave non-finite outputs (NaN or infinity) for this image; "
                                "check the model file") from None
    return result


ROUTES = ("the API is POST /api/predict, POST /api/batch, POST /api/corrections, GET /api/models and GET /api/health "
          "(GET /docs describes them), the page is GET /")
UPLOAD_HELP = ("send multipart/form-data with the file in the field 'image' (several in 'images' for /api/batch), "
               "or the image itself as the body with Content-Type image/png or image/jpeg")
RAW_TYPES = ("image/png", "image/jpeg", "image/bmp", "image/gif", "image/webp", "image/tiff", "application/octet-stream")


def http_error_message(request: Request, error: HTTPException) -> str:
    """Starlette's and FastAPI's own errors (no route, wrong method, unparsable body), said as ours are."""
    path = request.url.path
    if error.status_code == 404:
        return f"no such path: {path}; {ROUTES}"
    if error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "another method")
        return f"{request.method} is not allowed on {path}; use {allowed}"
    if error.status_code == 400:
        return f"the request body cannot be read ({str(error.detail).rstrip('.')}); {UPLOAD_HELP}"
    return str(error.detail)


def validation_message(error: RequestValidationError) -> str:
    problems = "; ".join(f"{' '.join(str(part) for part in detail.get('loc', ()))}: {detail.get('msg', 'invalid')}"
                         for detail in error.errors())
    return f"{problems}; {UPLOAD_HELP} (optional query: preview=1, number=1)"


async def uploads(request: Request, fields: tuple[str, ...], most: int) -> list[tuple[str | None, bytes]]:
    """The (file name, bytes) of each image in the request: multipart files in ``fields``, or a raw image body."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in RAW_TYPES:
        return [(None, await request.body())]
    if media_type != "multipart/form-data":
        raise RequestError(415, f"a body of type {media_type or 'unknown'} cannot hold an image; {UPLOAD_HELP}")
    # The guard has the whole body in memory already (at most --max-bytes); one more file than
    # allowed is parsed so that too many files can be told from exactly enough.
    form = await request.form(max_files=most + 1, max_fields=most + 1)
    files = [(key, value) for key, value in form.multi_items() if key in fields]
    if not files:
        raise RequestError(422, f"no field {' or '.join(repr(name) for name in fields)} in the form; {UPLOAD_HELP}")
    if len(files) > most:
        raise RequestError(413, f"more than {most} files in one request (--max-batch-files); send fewer")
    found = []
    for key, value in files:
        if isinstance(value, str):
            raise RequestError(422, f"the field '{key}' holds text, not a file; {UPLOAD_HELP}")
        found.append((upload_name(value.filename), await value.read()))
    return found


def upload_body(description: str, field: str, many: bool) -> dict:
    """The request body in the OpenAPI schema: multipart or a raw image (the route reads it itself)."""
    binary = {"type": "string", "format": "binary"}
    form = {"type": "object", "required": [field],
            "properties": {field: {"type": "array", "items": binary} if many else binary}}
    content = {"multipart/form-data": {"schema": form}}
    if not many:
        content.update({media_type: {"schema": binary} for media_type in ("image/png", "image/jpeg")})
    return {"requestBody": {"required": True, "description": description, "content": content}}


def correction_body() -> dict:
    """The correction's request body in the OpenAPI schema (the route reads the form itself)."""
    form = {"type": "object", "required": ["image", "label"], "properties": {
        "image": {"type": "string", "format": "binary", "description": "the image the model got wrong"},
        "label": {"type": "string", "description": "what it really shows: 0 to 9, or not-a-digit",
                  "examples": ["7", "not-a-digit"]},
        "writer": {"type": "string", "description": "whose handwriting it is (optional)"},
        "source": {"type": "string", "enum": ["api", "page"], "description": "where it comes from (default: api)"},
    }}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}}}


def docs_routes(app: FastAPI) -> None:
    """/docs and /redoc from local files (fastapi-offline's copies of Swagger UI and ReDoc), never a CDN.

    Without that package, both are one short local page that links the OpenAPI JSON.
    """
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    try:
        import fastapi_offline
        assets = Path(fastapi_offline.__file__).parent / "static"
    except ImportError:
        assets = None
    if assets is not None and (assets / "swagger-ui-bundle.js").exists():
        app.mount("/static-docs", StaticFiles(directory=assets), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        async def swagger() -> HTMLResponse:
            return get_swagger_ui_html(openapi_url=app.openapi_url, title="digits API",
                                       swagger_js_url="/static-docs/swagger-ui-bundle.js",
                                       swagger_css_url="/static-docs/swagger-ui.css",
                                       swagger_favicon_url="/static-docs/favicon.png")

        @app.get("/redoc", include_in_schema=False)
        async def redoc() -> HTMLResponse:
            return get_redoc_html(openapi_url=app.openapi_url, title="digits API",
                                  redoc_js_url="/static-docs/redoc.standalone.js",
                                  redoc_favicon_url="/static-docs/favicon.png", with_google_fonts=False)
        return

    @app.get("/docs", include_in_schema=False)
    @app.get("/redoc", include_in_schema=False)
    async def plain_docs() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang='en'><meta charset='utf-8'><title>digits API</title>"
            "<h1>digits API</h1><p>POST /api/predict (one image), POST /api/batch (several), POST /api/corrections "
            "(what an image really shows), GET /api/models, GET /api/health.</p>"
            "<p>The full description is the <a href='/openapi.json'>OpenAPI JSON</a>; install fastapi-offline "
            "for an interactive page here.</p></html>")


def create_app(config: ServeConfig | None = None, recogniser: Recogniser | None = None) -> FastAPI:
    """The app with ``config``'s limits; a model that cannot answer raises ``ValueError`` here, not per request."""
    from digits.recognisers import is_bare_name

    config = config or ServeConfig()
    recogniser = check(recogniser) if recogniser is not None else load_recogniser(config.model or None)
    models = ModelChoices(recogniser, config.model if is_bare_name(config.model) else recogniser.path.stem)
    corrections = CorrectionsDesk(config.store)
    app = FastAPI(title="digits", description="Handwritten digit recognition", version=__version__,
                  docs_url=None, redoc_url=None)
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

    @app.get("/api/health", response_model=Health, responses=error_responses(400, 500, 503))
    async def health() -> dict:
        """The model being served (checked on a blank image at start-up: the server does not start without one that answers)."""
        return {"status": "ok", "model": model_summary(recogniser)}

    @app.post("/api/predict", response_model=Answer, response_model_exclude_unset=True,
              responses=error_responses(400, 403, 408, 413, 415, 422, 500, 503),
              openapi_extra=upload_body("the image: a multipart file in the field 'image', or the raw bytes",
                                        "image", many=False))
    async def predict(request: Request, preview: bool = False, number: bool = False, model: str = "") -> dict:
        """Recognise the digit in the image (``?number=1``: the whole number); ``?preview=1`` adds what the model saw.

        ``path`` is the upload's file name without folders (null for a raw body); ``message`` says the
        answer in plain words and ``reason`` the technical why when there is no digit. ``?model=NAME``
        asks another model of GET /api/models.
        """
        (name, data), = await uploads(request, ("image",), most=1)
        async with workers:
            chosen = await asyncio.to_thread(models.get, model)
            return await asyncio.to_thread(recognise_upload, data, name, chosen, config, preview, number)

    @app.get("/api/models", response_model=list[ModelChoice], responses=error_responses(400, 500, 503))
    async def model_choices() -> list[dict]:
        """The models ``?model=`` may name: the served one, the shipped ones and personal ones (`digits tune`)."""
        return await asyncio.to_thread(models.describe)

    @app.post("/api/corrections", response_model=CorrectionAnswer,
              responses=error_responses(400, 403, 408, 413, 415, 422, 500, 503),
              openapi_extra=correction_body())
    async def correct(request: Request, model: str = "") -> dict:
        """Store a correction: the image, what it really shows (``label``: 0-9 or ``not-a-digit``) and,
        optionally, whose handwriting it is (``writer``). The model's answer (``?model=``, default the
        served one) is recorded with it, for `digits tune --writer NAME`."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "multipart/form-data":
            raise RequestError(415, f"a correction is multipart/form-data with the image in 'image' and the right "
                                    f"answer in 'label' (0-9 or not-a-digit), not {media_type or 'an untyped body'}")
        form = await request.form(max_files=2, max_fields=8)
        (name, data), = await uploads(request, ("image",), most=1)
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
        source = "page" if fields.get("source") == "page" else "api"
        async with workers:
            chosen = await asyncio.to_thread(models.get, model)
            return await asyncio.to_thread(corrections.record, data, name, fields.get("label"), fields.get("writer"),
                                           source, chosen, config)

    @app.post("/api/batch", response_model=list[Answer | FileError], response_model_exclude_unset=True,
              responses=error_responses(400, 403, 408, 413, 415, 422, 500, 503),
              openapi_extra=upload_body("several images as multipart files in the field 'images'",
                                        "images", many=True))
    async def batch(request: Request, preview: bool = False, number: bool = False) -> list[dict]:
        """Recognise each image of a multipart request (at most --max-batch-files); one answer per file, in order.

        A file that cannot be read or recognised is answered ``{"path", "error", "status"}`` in its
        place, and the others still are.
        """
        files = await uploads(request, ("images", "image"), most=config.max_batch_files)

        def answer(name: str | None, data: bytes) -> dict:
            try:
                return recognise_upload(data, name, recogniser, config, preview, number)
            except RequestError as error:
                return {"path": name, "error": str(error), "status": error.status}

        async with workers:
            return await asyncio.to_thread(lambda: [answer(name, data) for name, data in files])

    docs_routes(app)

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
