"""Load and faults together against `digits serve` on loopback, with its default limits.

For ``--duration`` seconds, at the same time:

- ``--clients`` well-formed clients post a 28×28 PNG in a loop (they should see no error);
- ``--photo-clients`` post a large PNG just under ``--max-pixels`` (the most memory a valid
  request can cost) in a loop;
- ``--slow`` connections of each kind: bare (connect, send nothing), stalled headers (half a
  request head, then nothing) and stalled bodies (headers, then part of the body); each is
  reopened when the server closes it, so the pressure holds for the whole run;
- ``--oversized`` clients that send too much: 200 MB declared in Content-Length, a chunked body
  that never ends, and an image over the pixel limit, in turn.

It prints requests, errors, p50/p99 latency per kind of client, how the server closed the slow
connections, and the server process's memory (RSS) before, during (peak) and after. Every loop
is bounded by the duration, and connections by the counts given.

Run: .venv/bin/python bench/serve_faults.py [--duration 45] [--clients 16] [--slow 100]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server_process import ServerProcess  # noqa: E402

from digits.card import library_versions, processor_name, today  # noqa: E402
from digits.server import ServeConfig  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "src" / "digits" / "samples" / "five-28x28.png"


def png_of_size(width: int, height: int) -> bytes:
    """A grey page with one dark stroke, as a PNG (small on disk, ``width × height`` when decoded)."""
    image = Image.new("L", (width, height), 235)
    ImageDraw.Draw(image).line([width * 0.4, height * 0.2, width * 0.6, height * 0.2, width * 0.45, height * 0.8],
                               fill=20, width=max(3, width // 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of ``pid`` in MB (``VmHWM``: its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.answers: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.still_open: collections.Counter = collections.Counter()

    def record(self, kind: str, answer: str, seconds: float) -> None:
        self.latencies[kind].append(seconds * 1000)
        self.answers[kind][answer] += 1


async def post_loop(client: httpx.AsyncClient, url: str, kind: str, body: bytes, tally: Tally, deadline: float) -> None:
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            response = await client.post(url, files={"image": ("image.png", body, "image/png")})
            answer = str(response.status_code)
        except httpx.HTTPError as error:
            answer = type(error).__name__
        tally.record(kind, answer, time.perf_counter() - started)


async def slow_loop(port: int, kind: str, tally: Tally, deadline: float) -> None:
    """Hold one slow connection of ``kind`` open until the server closes it; reopen; until ``deadline``."""
    heads = {
        "bare": b"",
        "stalled headers": b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
        "stalled body": (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
                         b"Content-Type: multipart/form-data; boundary=x\r\n\r\n--x\r\n"),
    }
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as error:
            tally.record(kind, type(error).__name__, time.perf_counter() - started)
            await asyncio.sleep(0.5)
            continue
        writer.write(heads[kind])
        try:
            received = await asyncio.wait_for(reader.read(), timeout=max(0.1, deadline - time.monotonic()))
            answer = "closed" + (f" after {received.split(b' ')[1].decode()}" if received else "")
        except asyncio.TimeoutError:
            # Opened less than its timeout before the end: counted, but its time is not a time to close.
            tally.still_open[kind] += 1
            writer.close()
            return
        except OSError as error:
            answer = type(error).__name__
        tally.record(kind, answer, time.perf_counter() - started)
        writer.close()


async def oversized_loop(port: int, url: str, huge_image: bytes, tally: Tally, deadline: float) -> None:
    """Too much, three ways in turn: a declared 200 MB body, an endless chunked body, too many pixels."""
    turn = 0
    while time.monotonic() < deadline:
        kind = ("200 MB declared", "endless chunked body", "image over --max-pixels")[turn % 3]
        turn += 1
        started = time.perf_counter()
        try:
            if kind == "image over --max-pixels":
                async with httpx.AsyncClient(timeout=60) as client:
                    response = await client.post(url, files={"image": ("huge.png", huge_image, "image/png")})
                answer = str(response.status_code)
            else:
                answer = await send_too_much(port, kind, deadline)
        except (OSError, httpx.HTTPError) as error:
            answer = type(error).__name__
        tally.record(kind, answer, time.perf_counter() - started)


async def send_too_much(port: int, kind: str, deadline: float) -> str:
    """Stream 1 MB chunks until the server answers or closes (at most 200 MB); the status it gave."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = (b"Content-Length: 209715200\r\n" if kind == "200 MB declared" else b"Transfer-Encoding: chunked\r\n")
    writer.write(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                 + framing + b"\r\n")
    chunk = bytes(1024 * 1024)
    if kind != "200 MB declared":
        chunk = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    answer = asyncio.ensure_future(reader.read())
    try:
        for _ in range(200):
            if answer.done() or time.monotonic() > deadline:
                break
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass  # the server closed while we were still sending: what a refused upload looks like
    try:
        received = await asyncio.wait_for(answer, timeout=10)
    except (OSError, asyncio.TimeoutError) as error:
        return type(error).__name__
    finally:
        writer.close()
    return received.split(b" ")[1].decode() if received else "closed without an answer"


async def run(arguments: argparse.Namespace, server: ServerProcess, peak: list[float]) -> Tally:
    tally = Tally()
    url = server.url + "/api/predict"
    config = ServeConfig()
    side = int((config.max_pixels * 0.95) ** 0.5)
    photo = png_of_size(side, side)
    huge = png_of_size(int(side * 1.1), int(side * 1.1))
    deadline = time.monotonic() + arguments.duration

    async def watch_memory() -> None:
        while time.monotonic() < deadline:
            peak[0] = max(peak[0], rss_mb(server.process.pid))
            await asyncio.sleep(0.2)

    limits = httpx.Limits(max_connections=arguments.clients + arguments.photo_clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        tasks = [post_loop(client, url, "28x28 PNG", SAMPLE.read_bytes(), tally, deadline)
                 for _ in range(arguments.clients)]
        tasks += [post_loop(client, url, f"{side}x{side} PNG", photo, tally, deadline)
                  for _ in range(arguments.photo_clients)]
        tasks += [slow_loop(server.port, kind, tally, deadline) for kind in ("bare", "stalled headers")
                  for _ in range(arguments.slow)]
        tasks += [slow_loop(server.port, "stalled body", tally, deadline) for _ in range(arguments.slow_bodies)]
        tasks += [oversized_loop(server.port, url, huge, tally, deadline) for _ in range(arguments.oversized)]
        await asyncio.gather(watch_memory(), *tasks)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=45,
                        help="seconds of load, longer than the body timeout (default: 45)")
    parser.add_argument("--clients", type=int, default=16, help="well-formed clients posting a 28x28 PNG (default: 16)")
    parser.add_argument("--photo-clients", type=int, default=2,
                        help="clients posting a PNG just under --max-pixels (default: 2)")
    parser.add_argument("--slow", type=int, default=100,
                        help="bare and stalled-header connections, of each kind (default: 100)")
    parser.add_argument("--slow-bodies", type=int, default=24,
                        help="stalled-body connections; each holds a place in --max-in-flight (default: 24)")
    parser.add_argument("--oversized", type=int, default=2, help="clients sending too much (default: 2)")
    arguments = parser.parse_args()

    server = ServerProcess(log_path=Path(os.devnull))
    try:
        with httpx.Client(timeout=10) as client:  # warm-up
            for _ in range(50):
                client.post(server.url + "/api/predict", files={"image": ("five.png", SAMPLE.read_bytes())})
        before = rss_mb(server.process.pid)
        peak = [before]
        started = time.monotonic()
        tally = asyncio.run(run(arguments, server, peak))
        seconds = time.monotonic() - started
        time.sleep(1)
        after, high_water = rss_mb(server.process.pid), rss_mb(server.process.pid, "VmHWM")
    finally:
        server.stop()

    config = ServeConfig()
    versions = library_versions()
    print(f"# serve faults, {today()}, {processor_name()}, {os.cpu_count()} cores (server and clients on the same "
          f"machine), Python {versions['python']}, onnxruntime {versions.get('onnxruntime')}, "
          f"uvicorn {version_of('uvicorn')}, fastapi {version_of('fastapi')}")
    print(f"# {seconds:.1f} s; server defaults: max_bytes {config.max_bytes:,}, max_pixels {config.max_pixels:,}, "
          f"workers {config.workers}, max_in_flight {config.max_in_flight}, header/body/idle timeouts "
          f"{config.header_timeout:g}/{config.body_timeout:g}/{config.idle_timeout:g} s")
    print(f"{'client':<24} {'requests':>8} {'p50 ms':>9} {'p99 ms':>9}  answers (slow kinds: time until the server "
          f"closed them)")
    for kind, latencies in sorted(tally.latencies.items()):
        answers = ", ".join(f"{answer}: {count}" for answer, count in tally.answers[kind].most_common())
        if tally.still_open[kind]:
            answers += f"; {tally.still_open[kind]} opened late, still open at the end"
        print(f"{kind:<24} {len(latencies):>8} {statistics.median(latencies):>9.1f} "
              f"{float(np.percentile(latencies, 99)):>9.1f}  {answers}")
    good = tally.answers["28x28 PNG"]
    print(f"well-formed 28x28 requests: {sum(good.values())}, errors {sum(good.values()) - good['200']}")
    print(f"server RSS: before {before:.0f} MB, peak {max(peak[0], high_water):.0f} MB, after {after:.0f} MB")


def version_of(package: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(package)


if __name__ == "__main__":
    main()
