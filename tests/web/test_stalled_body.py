"""A request body that stalls, or is shorter than its Content-Length says, is answered 408 and its
connection closed within the timeout, while other clients are served; a slow body that keeps coming
is not cut off."""

from __future__ import annotations

import http.client
import socket
import time
import uuid
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest

from mien.pipeline import Predictor
from mien.web import WebSettings, create_app
from tests.web.server import serving

TIMEOUT = 1.0


@pytest.fixture
def server(untrained_checkpoint, tmp_path):
    settings = WebSettings(body_timeout_seconds=TIMEOUT, work_dir=tmp_path / "web")
    with serving(create_app(Predictor.from_checkpoint(untrained_checkpoint), settings)) as url:
        address = urlparse(url)
        yield address.hostname, address.port


def multipart(content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    return head.encode() + content + f"\r\n--{boundary}--\r\n".encode(), boundary


def request_head(body_length: int, boundary: str) -> bytes:
    return (
        f"POST /api/predict HTTP/1.1\r\nHost: test\r\nContent-Length: {body_length}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
    ).encode()


def answer_of(connection: socket.socket) -> bytes:
    """All the server sends until it closes the connection (b"" when it only closes it)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def healthz_seconds(host: str, port: int) -> float:
    start = time.monotonic()
    client = http.client.HTTPConnection(host, port, timeout=5)
    client.request("GET", "/healthz")
    assert client.getresponse().status == 200
    client.close()
    return time.monotonic() - start


@pytest.mark.parametrize("sent", [0, 100], ids=["stalls-at-once", "shorter-than-announced"])
def test_a_stalled_body_is_answered_408_and_closed_while_others_are_served(server, sent):
    body, boundary = multipart(b"x" * 1000)
    with socket.create_connection(server, timeout=10 * TIMEOUT) as connection:
        start = time.monotonic()
        connection.sendall(request_head(len(body), boundary) + body[:sent])
        assert healthz_seconds(*server) < TIMEOUT  # served while the stalled request waits
        answer = answer_of(connection)
        elapsed = time.monotonic() - start
    assert TIMEOUT <= elapsed < 3 * TIMEOUT
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b"the request body stalled for 1 s" in answer


def test_a_slow_body_that_keeps_coming_is_answered(server):
    photo = cv2.imencode(".png", np.full((64, 64, 3), 128, np.uint8))[1].tobytes()
    body, boundary = multipart(photo)
    parts = [body[i : i + len(body) // 4 + 1] for i in range(0, len(body), len(body) // 4 + 1)]
    with socket.create_connection(server, timeout=10 * TIMEOUT) as connection:
        connection.sendall(request_head(len(body), boundary))
        for part in parts:  # 1.5 s in all, each part within the timeout of the one before
            time.sleep(TIMEOUT * 0.4)
            connection.sendall(part)
        status = connection.recv(65536).split(b"\r\n", 1)[0]
    assert status == b"HTTP/1.1 200 OK"
