"""Throughput and peak memory of `digits batch` (local Dask cluster, plain processes) against `digits predict --json`.

Writes N MNIST test images (20,000 by default, the test set twice) as PNG files in a
temporary folder, then times, each as a fresh command (process start, cluster start and
model loading included), with the peak memory of the command and every process under it
(proportional set sizes summed, so that pages the processes share count once, sampled every
0.1 s; ``psutil`` comes with ``distributed``):

- `digits predict --json FOLDER` (one process pool, JSON Lines to a file);
- `digits batch FOLDER --out DIR` on a local Dask cluster, and with `--engine processes`;
- the same `digits batch` again on its finished output (the cost of a resume that has nothing left);
- a `digits batch` killed after half its parts, then run again: the time the second run takes.

Every run's rows are counted; batch and predict must agree on every file's digit.

Run: .venv/bin/python bench/batch_scale.py [--images 20000] [--part-size 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from PIL import Image

from digits.archive import part_files, read_answers
from digits.card import library_versions, processor_name, today
from digits.data import load_mnist

DIGITS = str(Path(sys.executable).with_name("digits"))


def tree_memory(process: psutil.Process) -> int:
    """Bytes of ``process`` and everything under it, shared pages split among their sharers (PSS)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_full_info().pss
        except psutil.Error:  # gone already
            pass
    return total


def timed(command: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the command and the processes it waited for, peak MB of its process tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    watched, peak = psutil.Process(process.pid), 0
    while True:
        try:
            peak = max(peak, tree_memory(watched))
        except psutil.Error:
            pass
        try:
            process.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            continue
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu, peak / 1e6


def killed_then_resumed(folder: Path, out: Path, part_size: int, parts: int) -> tuple[int, tuple[float, float,
                                                                                                   float]]:
    """Start a batch, kill it (and its workers) once half its parts are written; (parts kept, seconds of the rerun)."""
    command = [DIGITS, "batch", str(folder), "--out", str(out), "--part-size", str(part_size)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while len(part_files(out)) < parts // 2 and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    kept = len(part_files(out))
    return kept, timed(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20000, help="PNG files to recognise (default: 20000)")
    parser.add_argument("--part-size", type=int, default=1000, help="files per part for digits batch (default: 1000)")
    arguments = parser.parse_args()
    _, (x_test, _) = load_mnist()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        folder = root / "images"
        folder.mkdir()
        for index in range(arguments.images):
            Image.fromarray(x_test[index % len(x_test)]).save(folder / f"{index:06d}.png")
        count = arguments.images
        rows = []
        with open(root / "predict.jsonl", "w") as output:
            seconds = timed([DIGITS, "predict", "--json", str(folder)], stdout=output)
        predicted = {row["path"]: row.get("digit") for row in map(json.loads, open(root / "predict.jsonl"))}
        rows.append(("digits predict --json", seconds))
        for engine in ("dask", "processes"):
            out = root / f"out-{engine}"
            seconds = timed([DIGITS, "batch", str(folder), "--out", str(out), "--engine", engine,
                             "--part-size", str(arguments.part_size)])
            answers = read_answers(out).to_pydict()
            same = sum(predicted.get(path) == digit for path, digit in zip(answers["path"], answers["digit"]))
            if len(answers["path"]) != count or same != count:
                raise SystemExit(f"{engine}: {len(answers['path'])} rows, {same} agree with digits predict")
            rows.append((f"digits batch --engine {engine}", seconds))
        rows.append(("digits batch, rerun with nothing left",
                     timed([DIGITS, "batch", str(folder), "--out", str(root / "out-dask")])))
        parts = -(-count // arguments.part_size)
        kept, seconds = killed_then_resumed(folder, root / "out-killed", arguments.part_size, parts)
        answers = read_answers(root / "out-killed").column("path").to_pylist()
        if sorted(answers) != sorted(predicted):
            raise SystemExit(f"after the kill and rerun: {len(answers)} rows, {len(set(answers))} files")
        rows.append((f"digits batch killed with {kept} of {parts} parts written, rerun", seconds))
    versions = library_versions()
    import dask

    print(f"{count} MNIST test images as PNG files; {today()}; {processor_name()}, {os.cpu_count()} cores; "
          f"Python {versions['python']}, onnxruntime {versions.get('onnxruntime')}, dask {dask.__version__}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"{'command':<58} {'seconds':>8} {'images/s':>9} {'CPU s':>7} {'images/CPU s':>13} {'peak MB':>8}")
    for name, (seconds, cpu, peak) in rows:
        rates = (f"{count / seconds:9.0f} {cpu:7.1f} {count / cpu:13.0f}" if "rerun" not in name
                 else f"{'':>9} {cpu:7.1f} {'':>13}")
        print(f"{name:<58} {seconds:8.1f} {rates} {peak:8.0f}")


if __name__ == "__main__":
    main()
