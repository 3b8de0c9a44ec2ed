"""The web app under load: 200 photo requests from 8 concurrent clients against `mien serve`.

    .venv/bin/python benchmarks/web_load.py [--requests 200] [--clients 8]

Starts `mien serve` in a process of its own on a free port and sends JPEG photos to
/api/predict (640x480 scenes with one face, and the bundled astronaut). Reports the answers by
status (a 5xx fails the run), p50 and p95 latency, requests per second and the server's peak
memory. The baseline, measured in the same run: the same photos through `Predictor.predict` in
this process, one at a time, decoding included.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from mien.pipeline import Predictor
from mien.vision.io import decode_image

REPO = Path(__file__).resolve().parents[1]


def photos() -> list[bytes]:
    """JPEG files: the astronaut, and the astronaut's face at four places in a 640x480 scene."""
    face = cv2.resize(data.astronaut()[30:230, 140:310], (128, 150))
    scenes = [data.astronaut()]
    for x in (40, 180, 320, 460):
        canvas = np.full((480, 640, 3), 100, np.uint8)
        canvas[160:310, x : x + 128] = face
        scenes.append(canvas)
    return [cv2.imencode(".jpg", cv2.cvtColor(s, cv2.COLOR_RGB2BGR))[1].tobytes() for s in scenes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "mien", "serve", "--port", str(port)], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


def post_photo(port: int, photo: bytes) -> tuple[int, float]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode()  # fmt: skip
    body = head + photo + f"\r\n--{boundary}--\r\n".encode()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(
        "POST", "/api/predict", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    files = photos()

    predictor = Predictor.default()
    predictor.predict(decode_image(files[0], "warm-up"))
    baseline = []
    for index in range(args.requests // 4):
        started = time.perf_counter()
        predictor.predict(decode_image(files[index % len(files)], "photo"))
        baseline.append(time.perf_counter() - started)
    baseline_median = float(np.median(baseline))

    port = free_port()
    server = start_server(port)
    try:
        post_photo(port, files[0])  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            answers = list(pool.map(lambda i: post_photo(port, files[i % len(files)]), range(args.requests)))
        elapsed = time.perf_counter() - started
        memory = peak_memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = collections.Counter(status for status, _ in answers)
    latencies = np.array([seconds for _, seconds in answers])
    p50, p95 = np.percentile(latencies, [50, 95])
    print(f"{args.requests} requests from {args.clients} clients in {elapsed:.1f} s; answers by status: "
          f"{dict(sorted(statuses.items()))}")  # fmt: skip
    rows = [("in-process predict (baseline)", baseline_median, None, 1 / baseline_median),
            ("mien serve, /api/predict", p50, p95, args.requests / elapsed)]  # fmt: skip
    print(f"{'':34}{'latency p50':>12}{'p95':>9}{'photos/s':>10}")
    for name, median, high, rate in rows:
        high_text = f"{high * 1000:6.0f} ms" if high else " " * 9
        print(f"{name:34}{median * 1000:9.1f} ms{high_text}{rate:10.1f}")
    print(f"ratios against the baseline: p50 latency x{p50 / baseline_median:.1f} (8 requests queue for "
          f"one model), throughput x{args.requests / elapsed * baseline_median:.2f}")  # fmt: skip
    print(f"server peak memory (VmHWM): {memory:.0f} MB")
    if any(status >= 500 for status in statuses):
        raise SystemExit("server errors (5xx) under load")


if __name__ == "__main__":
    main()
