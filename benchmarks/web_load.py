"""The web app under load: 200 photo requests from 8 concurrent clients against `mien serve`.

    .venv/bin/python benchmarks/web_load.py [--requests 200] [--clients 8]
    .venv/bin/python benchmarks/web_load.py --burst [--clients 16]
    .venv/bin/python benchmarks/web_load.py --video-burst [--clients 3]

Starts `mien serve` in a process of its own on a free port and sends JPEG photos to
/api/predict (640x480 scenes with one face, and the bundled astronaut). Reports the answers by
status (a 5xx fails the run), p50 and p95 latency, requests per second and the server's peak
memory. The baseline, measured in the same run: the same photos through `Predictor.predict` in
this process, one at a time, decoding included.

--burst: the server's memory when clients send large photos at once (16 by default, each a
mostly flat 7000x7000 PNG of about 0.6 MB, 49 megapixels decoded). Reports the server's RSS before,
its peak (VmHWM) and its RSS a few seconds after the burst; fails when the peak is over 1.5 GB or
the server stays over 300 MB larger than before. A 503 (the server at its budget, with Retry-After)
is an allowed answer; any other 5xx fails.

--video-burst: the same for videos sent at once to /api/video (3 by default, each a 4-frame MJPEG
AVI of 7680x4320 frames, about 1 MB, 133 MB a frame decoded), with the same peak limit.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import io
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

from mien.pipeline import Predictor
from mien.vision.io import decode_image

REPO = Path(__file__).resolve().parents[1]
BURST_SIDE = 7000
VIDEO_SIZE = (7680, 4320)
PEAK_LIMIT_MB = 1500
GROWTH_LIMIT_MB = 300
SETTLE_SECONDS = 5  # after the burst, before the RSS is read: time for the last answers to finish


def photos() -> list[bytes]:
    """JPEG files: the astronaut, and the astronaut's face at four places in a 640x480 scene."""
    face = cv2.resize(data.astronaut()[30:230, 140:310], (128, 150))
    scenes = [data.astronaut()]
    for x in (40, 180, 320, 460):
        canvas = np.full((480, 640, 3), 100, np.uint8)
        canvas[160:310, x : x + 128] = face
        scenes.append(canvas)
    return [cv2.imencode(".jpg", cv2.cvtColor(s, cv2.COLOR_RGB2BGR))[1].tobytes() for s in scenes]


def large_video() -> bytes:
    """An MJPEG AVI of four 7680x4320 frames, flat grey but for the astronaut's face sliding right."""
    face = cv2.cvtColor(cv2.resize(data.astronaut()[20:240, 130:350], (600, 600)), cv2.COLOR_RGB2BGR)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 4, VIDEO_SIZE)
        for index in range(4):
            frame = np.full((VIDEO_SIZE[1], VIDEO_SIZE[0], 3), 120, np.uint8)
            frame[2000:2600, 3000 + 40 * index : 3600 + 40 * index] = face
            writer.write(frame)
        writer.release()
        return path.read_bytes()


def large_photo() -> bytes:
    """A 7000x7000 PNG, flat grey but for the astronaut's face: small to send, 147 MB decoded."""
    canvas = np.full((BURST_SIDE, BURST_SIDE, 3), 120, np.uint8)
    canvas[3000:3600, 3000:3600] = cv2.resize(data.astronaut()[20:240, 130:350], (600, 600))
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


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


def post_upload(
    port: int, upload: bytes, path: str = "/api/predict", name: str = "photo.jpg"
) -> tuple[int, float]:
    """Send one file as a form upload; its answer's status and the seconds it took."""
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'
    body = head.encode() + upload + f"\r\n--{boundary}--\r\n".encode()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A memory figure of a process from /proc (Linux): VmHWM, its peak RSS, or VmRSS, its RSS now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=None,
                        help="default: 8; 16 with --burst, 3 with --video-burst")  # fmt: skip
    parser.add_argument("--burst", action="store_true", help="large photos at once: the server's memory")
    parser.add_argument("--video-burst", action="store_true", help="the same with 8K videos")
    args = parser.parse_args()
    if args.burst:
        burst(args.clients or 16)
    elif args.video_burst:
        burst(args.clients or 3, video=True)
    else:
        load(args.requests, args.clients or 8)


def burst(clients: int, video: bool = False) -> None:
    """Large uploads at once: photos to /api/predict, or videos to /api/video."""
    if video:
        upload, path, name = large_video(), "/api/video", "large.avi"
    else:
        upload, path, name = large_photo(), "/api/predict", "large.png"
    port = free_port()
    server = start_server(port)
    try:
        post_upload(port, photos()[0])  # warm-up: the model and the detector loaded
        start = memory_mb(server.pid, "VmRSS")
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(lambda _: post_upload(port, upload, path, name), range(clients)))
        elapsed = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)
        peak, after = memory_mb(server.pid, "VmHWM"), memory_mb(server.pid, "VmRSS")
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = collections.Counter(status for status, _ in answers)
    what = f"4-frame {VIDEO_SIZE[0]}x{VIDEO_SIZE[1]} AVIs" if video else f"{BURST_SIDE}x{BURST_SIDE} PNGs"
    print(f"{clients} concurrent {what} ({len(upload) / 1024:.0f} KB each) in {elapsed:.1f} s; "
          f"answers by status: {dict(sorted(statuses.items()))}")  # fmt: skip
    print(f"server RSS: {start:.0f} MB before, peak {peak:.0f} MB (limit {PEAK_LIMIT_MB}), {after:.0f} MB "
          f"{SETTLE_SECONDS} s after (limit {start + GROWTH_LIMIT_MB:.0f})")  # fmt: skip
    failures = []
    if any(status >= 500 and status != 503 for status in statuses):
        failures.append("server errors (5xx other than 503)")
    if statuses[200] == 0:
        failures.append(f"no {'video' if video else 'photo'} answered")
    if peak >= PEAK_LIMIT_MB:
        failures.append(f"peak RSS {peak:.0f} MB over {PEAK_LIMIT_MB} MB")
    if after - start > GROWTH_LIMIT_MB:
        failures.append(f"RSS {after - start:.0f} MB larger after the burst")
    if failures:
        raise SystemExit("; ".join(failures))


def load(requests: int, clients: int) -> None:
    files = photos()

    predictor = Predictor.default()
    predictor.predict(decode_image(files[0], "warm-up"))
    baseline = []
    for index in range(requests // 4):
        started = time.perf_counter()
        predictor.predict(decode_image(files[index % len(files)], "photo"))
        baseline.append(time.perf_counter() - started)
    baseline_median = float(np.median(baseline))

    port = free_port()
    server = start_server(port)
    try:
        post_upload(port, files[0])  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(lambda i: post_upload(port, files[i % len(files)]), range(requests)))
        elapsed = time.perf_counter() - started
        memory = memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = collections.Counter(status for status, _ in answers)
    latencies = np.array([seconds for _, seconds in answers])
    p50, p95 = np.percentile(latencies, [50, 95])
    print(f"{requests} requests from {clients} clients in {elapsed:.1f} s; answers by status: "
          f"{dict(sorted(statuses.items()))}")  # fmt: skip
    rows = [("in-process predict (baseline)", baseline_median, None, 1 / baseline_median),
            ("mien serve, /api/predict", p50, p95, requests / elapsed)]  # fmt: skip
    print(f"{'':34}{'latency p50':>12}{'p95':>9}{'photos/s':>10}")
    for name, median, high, rate in rows:
        high_text = f"{high * 1000:6.0f} ms" if high else " " * 9
        print(f"{name:34}{median * 1000:9.1f} ms{high_text}{rate:10.1f}")
    print(f"ratios against the baseline: p50 latency x{p50 / baseline_median:.1f} (8 requests queue for "
          f"one model), throughput x{requests / elapsed * baseline_median:.2f}")  # fmt: skip
    print(f"server peak memory (VmHWM): {memory:.0f} MB")
    if any(status >= 500 for status in statuses):
        raise SystemExit("server errors (5xx) under load")


if __name__ == "__main__":
    main()
