"""Model cards: the JSON sidecar that says how a model was made and how well it does."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
from pathlib import Path

from digits.files import write_text_atomic

CARD_SUFFIX = ".card.json"


def card_path(model_path: str | os.PathLike) -> Path:
    """``runs/best.keras`` → ``runs/best.card.json`` (shared by the ``.onnx`` of the same stem)."""
    path = Path(model_path)
    return path.with_name(path.stem + CARD_SUFFIX)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("digits", "keras", "tensorflow", "tensorflow-cpu", "jax", "torch", "numpy", "onnxruntime"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def processor_name() -> str:
    """The CPU's marketing name where Linux tells it, else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str | int]:
    return {
        "system": platform.system(),
        "machine": platform.machine(),
        "processor": processor_name(),
        "cpu_count": os.cpu_count() or 0,
    }


def today() -> str:
    return datetime.date.today().isoformat()


def model_card(model: str, config: dict, parameters: int, selection: str, validation: dict | None, test: dict,
               data_sha256: str, history: list[dict], **details) -> dict:
    """A model card: how the model was made and chosen, and its scores; what ``train`` and ``ship`` write.

    ``details`` (sizes, seconds, members, temperature...) go between the scores and the
    environment (versions, machine), in the order given.
    """
    return {"model": model, "date": today(), "config": config, "parameters": int(parameters),
            "selection": selection, "validation": validation, "test": test, "data_sha256": data_sha256,
            **details, "versions": library_versions(), "machine": machine(), "history": history}


def write_card(model_path: str | os.PathLike, card: dict) -> Path:
    path = card_path(model_path)
    write_text_atomic(path, json.dumps(card, indent=2, sort_keys=False) + "\n")
    return path


class CardError(ValueError):
    """A card file that exists but cannot be read as a card (truncated, not JSON, not an object)."""


def read_card(model_path: str | os.PathLike) -> dict:
    """The model's card, or ``{}`` when it has none (a model saved by other code).

    Raises:
        CardError: the card file exists but is not a JSON object; the message names the file.
    """
    path = card_path(model_path)
    if not path.exists():
        return {}
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CardError(f"model card {path}: not valid JSON ({error}); restore it, or delete it to use the model "
                        f"without a card") from None
    if not isinstance(card, dict):
        raise CardError(f"model card {path}: holds a JSON {type(card).__name__}, expected an object; restore it, "
                        f"or delete it to use the model without a card")
    return card
