"""Training speed: the tutorial's own script against `digits train --preset fast`, back to back.

Each is timed as a whole process, from start to saved model, with MNIST already cached.
Prints wall time and test accuracy of each run, the median over the `fast` seeds, and the
ratio of wall times.

Run: .venv/bin/python bench/train_speed.py [--seeds 0 1 2] [--skip-tutorial]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digits.card import library_versions, processor_name, today
from digits.data import load_mnist

HERE = Path(__file__).resolve().parent
DIGITS = str(Path(sys.executable).with_name("digits"))


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return seconds, completed.stdout


def tutorial(folder: Path) -> tuple[float, float]:
    seconds, output = timed([sys.executable, str(HERE / "tutorial_script.py"), str(folder)])
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", output).group(1))
    return seconds, accuracy


def fast(folder: Path, seed: int) -> tuple[float, float]:
    out = folder / f"fast-{seed}.keras"
    seconds, output = timed([DIGITS, "train", "--preset", "fast", "--seed", str(seed), "--out", str(out), "--json"])
    return seconds, json.loads(output)["test"]["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds for the fast preset")
    parser.add_argument("--skip-tutorial", action="store_true", help="time only the fast preset")
    arguments = parser.parse_args()
    load_mnist()  # cached before any timing starts

    rows = []
    with tempfile.TemporaryDirectory(prefix="digits-train-bench-") as folder:
        if not arguments.skip_tutorial:
            rows.append(("tutorial script", *tutorial(Path(folder))))
            print(f"tutorial script: {rows[-1][1]:.1f} s, test accuracy {rows[-1][2]:.4f}", flush=True)
        for seed in arguments.seeds:
            rows.append((f"fast, seed {seed}", *fast(Path(folder), seed)))
            print(f"fast seed {seed}: {rows[-1][1]:.1f} s, test accuracy {rows[-1][2]:.4f}", flush=True)

    versions = library_versions()
    print(f"\n# training speed, {today()}, {processor_name()}, {os.cpu_count()} cores, "
          f"Python {versions['python']}, keras {versions.get('keras')}, "
          f"tensorflow {versions.get('tensorflow-cpu') or versions.get('tensorflow')}")
    print("| run | wall time | test accuracy |")
    print("|---|---|---|")
    for name, seconds, accuracy in rows:
        print(f"| {name} | {seconds:.1f} s | {100 * accuracy:.2f}% |")
    fast_rows = [row for row in rows if row[0].startswith("fast")]
    median_seconds = statistics.median(seconds for _, seconds, _ in fast_rows)
    median_accuracy = statistics.median(accuracy for _, _, accuracy in fast_rows)
    print(f"| fast, median of {len(fast_rows)} | {median_seconds:.1f} s | {100 * median_accuracy:.2f}% |")
    if not arguments.skip_tutorial:
        print(f"\nfast is {rows[0][1] / median_seconds:.1f}x faster than the tutorial script "
              f"(wall time, whole processes, same run)")


if __name__ == "__main__":
    main()
