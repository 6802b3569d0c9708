"""A bounded load test of `digits serve` on loopback, from a second process.

Starts the server on 127.0.0.1, then sends a 28×28 PNG: first one request at a time
(latency p50 and p99), then with 16 requests in flight (throughput and errors). Every
loop is bounded in count and in time.

Run: .venv/bin/python bench/serve_load.py [--requests 2000] [--in-flight 16] [--time-limit 120]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server_process import ServerProcess  # noqa: E402

from digits.card import library_versions, processor_name, today  # noqa: E402
from digits.data import load_mnist  # noqa: E402


def png_of_test_digit() -> bytes:
    _, (x_test, _) = load_mnist()
    buffer = io.BytesIO()
    Image.fromarray(x_test[0]).save(buffer, format="PNG")
    return buffer.getvalue()


def one_at_a_time(url: str, body: bytes, count: int, deadline: float) -> list[float]:
    timings = []
    with httpx.Client(timeout=10) as client:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            response = client.post(url, files={"image": ("digit.png", body, "image/png")})
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return timings


async def in_flight(url: str, body: bytes, count: int, concurrency: int, deadline: float) -> tuple[int, int, float]:
    """(answered, errors, seconds) for ``count`` requests with ``concurrency`` in flight."""
    remaining = iter(range(count))
    answered = errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal answered, errors
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            try:
                response = await client.post(url, files={"image": ("digit.png", body, "image/png")})
                if response.status_code == 200:
                    answered += 1
                else:
                    errors += 1
            except httpx.HTTPError:
                errors += 1

    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return answered, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase (default: 2000)")
    parser.add_argument("--in-flight", type=int, default=16, help="concurrent requests in phase two (default: 16)")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds per phase at most (default: 120)")
    arguments = parser.parse_args()

    body = png_of_test_digit()
    server = ServerProcess(log_path=Path(os.devnull))
    try:
        url = server.url + "/api/predict"
        one_at_a_time(url, body, 50, time.monotonic() + 30)  # warm-up
        timings = one_at_a_time(url, body, arguments.requests, time.monotonic() + arguments.time_limit)
        answered, errors, seconds = asyncio.run(in_flight(url, body, arguments.requests, arguments.in_flight,
                                                          time.monotonic() + arguments.time_limit))
    finally:
        server.stop()

    versions = library_versions()
    print(f"# serve load, {today()}, {processor_name()}, {os.cpu_count()} cores "
          f"(server and client on the same machine), Python {versions['python']}, "
          f"onnxruntime {versions.get('onnxruntime')}")
    print(f"one at a time: {len(timings)} requests, p50 {statistics.median(timings):.2f} ms, "
          f"p99 {float(np.percentile(timings, 99)):.2f} ms")
    print(f"{arguments.in_flight} in flight: {answered} answered, {errors} errors in {seconds:.1f} s, "
          f"{answered / seconds:.0f} requests/s")


if __name__ == "__main__":
    main()
