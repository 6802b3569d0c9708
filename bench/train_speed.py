"""Training speed: the tutorial's own script against `digits train --preset fast`, back to back.

Each is timed as a whole process, from start to saved model, with MNIST already cached.
Prints wall time and test accuracy of each run, the median over the `fast` seeds, the
ratio of wall times, and where each `fast` run's seconds went: start-up and imports (from
launch to the start of training, read from the card's ``started_at``), the stages the card
times (data, build, fit and each epoch in it, validation, test, save), and the card and
process exit. The machine's load (load average, and the share of time runnable tasks
waited for a CPU, from /proc/pressure/cpu) is printed before and after, since other work
on the same cores slows both sides.

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

from digits.card import library_versions, processor_name, read_card, today
from digits.data import load_mnist

HERE = Path(__file__).resolve().parent
DIGITS = str(Path(sys.executable).with_name("digits"))


def timed(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; return its Unix launch time, its wall seconds and its standard output."""
    launched = time.time()
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return launched, seconds, completed.stdout


def tutorial(folder: Path) -> tuple[float, float]:
    _, seconds, output = timed([sys.executable, str(HERE / "tutorial_script.py"), str(folder)])
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", output).group(1))
    return seconds, accuracy


def fast(folder: Path, seed: int) -> tuple[float, float, dict[str, float]]:
    """Wall seconds, test accuracy and the seconds of each stage of one `fast` run."""
    out = folder / f"fast-{seed}.keras"
    launched, seconds, output = timed([DIGITS, "train", "--preset", "fast", "--seed", str(seed), "--out", str(out),
                                       "--json"])
    card = read_card(out)
    stages = {"start-up and imports": card["started_at"] - launched}
    for stage, stage_seconds in card["stage_seconds"].items():
        stages[stage] = stage_seconds
        if stage == "fit":
            for row in card["history"]:
                stages[f"  epoch {row['epoch']}"] = row["seconds"]
    stages["card and exit"] = seconds - sum(value for key, value in stages.items() if not key.startswith(" "))
    return seconds, json.loads(output)["test"]["accuracy"], stages


def load() -> str:
    """The load average over 1 minute and the CPU pressure over 10 and 60 seconds (Linux)."""
    text = f"load average {os.getloadavg()[0]:.2f}"
    try:
        pressure = Path("/proc/pressure/cpu").read_text().splitlines()[0].split()
        shares = dict(field.split("=") for field in pressure[1:])
        text += f", CPU pressure {shares['avg10']} % (10 s), {shares['avg60']} % (60 s)"
    except (OSError, IndexError, KeyError, ValueError):
        pass
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds for the fast preset")
    parser.add_argument("--skip-tutorial", action="store_true", help="time only the fast preset")
    arguments = parser.parse_args()
    load_mnist()  # cached before any timing starts
    print(f"machine load before: {load()}", flush=True)

    rows, breakdowns = [], []
    with tempfile.TemporaryDirectory(prefix="digits-train-bench-") as folder:
        if not arguments.skip_tutorial:
            rows.append(("tutorial script", *tutorial(Path(folder))))
            print(f"tutorial script: {rows[-1][1]:.1f} s, test accuracy {rows[-1][2]:.4f}", flush=True)
        for seed in arguments.seeds:
            seconds, accuracy, stages = fast(Path(folder), seed)
            rows.append((f"fast, seed {seed}", seconds, accuracy))
            breakdowns.append(stages)
            print(f"fast seed {seed}: {seconds:.1f} s, test accuracy {accuracy:.4f}", flush=True)
    print(f"machine load after: {load()}")

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

    print("\n# where the fast runs' seconds went (epochs are part of fit; the first one includes tracing)")
    print("| stage | " + " | ".join(f"seed {seed}" for seed in arguments.seeds) + " |")
    print("|---|" + "---|" * len(arguments.seeds))
    for stage in breakdowns[0]:
        print(f"| {stage} | " + " | ".join(f"{stages.get(stage, 0.0):.2f} s" for stages in breakdowns) + " |")


if __name__ == "__main__":
    main()
