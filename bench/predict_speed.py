"""Inference speed of the shipped model: the ONNX Runtime path against the Keras path.

Prints, for each path: cold CLI latency for one image (process start to answer) with
peak RSS, in-process single-image latency (p50, p99), throughput on preprocessed 28×28
arrays, and end-to-end throughput of `digits predict` on a folder of PNGs.

Run: .venv/bin/python bench/predict_speed.py [--model default|accurate|PATH.onnx] [--images 2000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from digits.card import library_versions, processor_name, today
from digits.data import load_mnist
from digits.recognisers import load_recogniser, model_path
from digits.preprocess import scale_mnist

DIGITS = str(Path(sys.executable).with_name("digits"))


def run_child(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed")
    return seconds, usage.ru_maxrss / 1024


def cold_cli(model: Path, image: Path, repeats: int) -> dict:
    runs = [run_child([DIGITS, "predict", "--model", str(model), str(image)]) for _ in range(repeats)]
    return {"cold_seconds": statistics.median(seconds for seconds, _ in runs),
            "peak_rss_mb": max(rss for _, rss in runs)}


def single_image_latency(model: Path, images: np.ndarray, count: int) -> dict:
    recogniser = load_recogniser(model)
    for image in images[:20]:
        recogniser.probabilities(image[None])
    timings = []
    for image in images[:count]:
        started = time.perf_counter()
        recogniser.probabilities(image[None])
        timings.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": float(np.percentile(timings, 50)), "p99_ms": float(np.percentile(timings, 99))}


def array_throughput(model: Path, images: np.ndarray, passes: int = 3) -> float:
    """Images per second over all ``images``: the median of ``passes`` passes."""
    recogniser = load_recogniser(model)
    recogniser.probabilities(images[:1024])
    rates = []
    for _ in range(passes):
        started = time.perf_counter()
        recogniser.probabilities(images)
        rates.append(len(images) / (time.perf_counter() - started))
    return statistics.median(rates)


def folder_throughput(model: Path, folder: Path, count: int) -> float:
    seconds, _ = run_child([DIGITS, "predict", "--model", str(model), "--format", "csv", str(folder)])
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a shipped model's name or an .onnx file (default: default)")
    parser.add_argument("--images", type=int, default=2000, help="PNG files for the folder test (default: 2000)")
    parser.add_argument("--repeats", type=int, default=7, help="cold CLI runs per path (default: 7)")
    arguments = parser.parse_args()

    _, (x_test, _) = load_mnist()
    images = scale_mnist(x_test)
    folder = Path(tempfile.mkdtemp(prefix="digits-bench-"))
    try:
        for index in range(arguments.images):
            Image.fromarray(x_test[index]).save(folder / f"{index:05d}.png")
        one = folder / "00000.png"
        onnx_model = model_path(arguments.model)
        paths = {"onnx": onnx_model, "keras": onnx_model.with_suffix(".keras")}
        results = {}
        for name, model in paths.items():
            result = cold_cli(model, one, arguments.repeats)
            result.update(single_image_latency(model, images, 2000 if name == "onnx" else 300))
            result["arrays_per_second"] = array_throughput(model, images)
            result["folder_per_second"] = folder_throughput(model, folder, arguments.images)
            results[name] = result
    finally:
        shutil.rmtree(folder)

    versions = library_versions()
    print(f"# predict speed, {today()}, {processor_name()}, {os.cpu_count()} cores, "
          f"Python {versions['python']}, onnxruntime {versions.get('onnxruntime')}, keras {versions.get('keras')}, "
          f"tensorflow {versions.get('tensorflow-cpu') or versions.get('tensorflow')}, model {paths['onnx'].name}")
    print("| path | cold CLI, one image | peak RSS | in-process p50 | p99 | arrays/s | PNG folder/s |")
    print("|---|---|---|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['cold_seconds']:.3f} s | {result['peak_rss_mb']:.0f} MB | {result['p50_ms']:.3f} ms "
              f"| {result['p99_ms']:.3f} ms | {result['arrays_per_second']:,.0f} | {result['folder_per_second']:,.0f} |")


if __name__ == "__main__":
    main()
