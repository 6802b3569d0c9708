"""`digits serve`: the HTTP API and the drawing page, on FastAPI.

``create_app(config)`` builds the app (tests build it with a tiny model). Inference runs
in a worker thread so the event loop never waits on the model; the answer is the same
JSON object that ``digits predict --json`` prints for one image.
"""

from __future__ import annotations

import asyncio
import base64
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from PIL import Image

from digits.predict import Recogniser, load_recogniser, predictions_for, prepare, recognise_numbers
from digits.preprocess import ImageTooLargeError, NotAnImageError, read_image

WEB_DIR = Path(__file__).parent / "web"


@dataclass(frozen=True)
class ServeConfig:
    """Settings of ``digits serve``; the CLI flags map one to one onto these fields."""

    host: str = "127.0.0.1"
    port: int = 8000
    model: str = ""
    max_bytes: int = 5 * 1024 * 1024
    # Decoded size limit: 40 megapixels is a large phone photo; bombs are refused before decoding.
    max_pixels: int = 40_000_000


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
    result = predictions_for([name], [prepared], recogniser)[0].to_dict()
    if preview and prepared[0] is not None:
        result["preview"] = preview_url(prepared[0])
    return result


def create_app(config: ServeConfig | None = None, recogniser: Recogniser | None = None) -> FastAPI:
    config = config or ServeConfig()
    recogniser = recogniser or load_recogniser(config.model or None)
    app = FastAPI(title="digits", description="Handwritten digit recognition", version="0.1.0")

    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        fields = ", ".join(str(detail.get("loc", ["?"])[-1]) for detail in error.errors())
        return JSONResponse({"error": f"missing or invalid field(s): {fields}; send the image as multipart "
                                      f"field 'image'"}, status_code=422)

    @app.get("/api/health")
    async def health() -> dict:
        return {"status": "ok", "model": model_summary(recogniser)}

    @app.post("/api/predict")
    async def predict(image: UploadFile = File(..., description="the image file"),
                      preview: bool = False, number: bool = False) -> dict:
        """Recognise the digit in ``image`` (``?number=1``: the whole number); ``?preview=1`` adds the 28×28 input."""
        if image.size is not None and image.size > config.max_bytes:
            raise RequestError(413, f"upload of {image.size:,} bytes is over the limit of {config.max_bytes:,}")
        data = await image.read(config.max_bytes + 1)
        if len(data) > config.max_bytes:
            raise RequestError(413, f"upload is over the limit of {config.max_bytes:,} bytes")
        name = image.filename or "upload"
        return await asyncio.to_thread(recognise_upload, data, name, recogniser, config, preview, number)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


def serve(config: ServeConfig) -> None:
    """Run the app under uvicorn, one log line per request."""
    import uvicorn

    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info", access_log=True)
