"""Bound what clients send. Request bodies: a client that sends more than the limit gets 413, and the
app never holds more than the limit of its body, whether the client announced its length or not; a
body that stalls (a client that stops sending, or announced more than it sends) gets 408 and its
connection is closed. Videos: a still image or a video over the length limit is refused before any
frame is processed."""

from __future__ import annotations

import asyncio
import json

from mien.errors import MienError
from mien.video import VideoInfo
from mien.video.sources import MAX_FPS_COUNTED

MULTIPART_SLACK = 64 * 1024  # room for the multipart headers and form fields around the file


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: answer 413 to any request whose body is over the upload limit (plus slack)."""

    def __init__(self, app, max_upload_bytes: int):
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_bytes = max_upload_bytes + MULTIPART_SLACK

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        exceeded = False

        async def bounded_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message) -> None:
            if not exceeded:  # the app's answer to a cut-off body is replaced by the 413
                await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        await _answer(send, 413, too_large_message(self.max_upload_bytes))


class _Stalled(Exception):
    pass


class StalledBody:
    """ASGI middleware: a request whose body stalls for ``timeout_seconds`` between two parts is
    answered 408 and its connection closed. The wait is on the event loop, so no worker is held and
    other clients are served meanwhile; once the body is whole, receiving is not timed (a response
    may listen for the client's disconnect as long as it streams)."""

    def __init__(self, app, timeout_seconds: float):
        self.app = app
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False
        stalled = False

        async def timed_receive():
            nonlocal body_done, stalled
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout_seconds)
            except TimeoutError:
                stalled = True
                raise _Stalled from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message) -> None:
            if not stalled:  # the app's answer to a cut-off body (FastAPI: a 400) is replaced by the 408
                await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not stalled:
                raise
        if stalled:
            message = f"the request body stalled for {self.timeout_seconds:g} s"
            await _answer(send, 408, message, close=True)


async def _answer(send, status: int, detail: str, close: bool = False) -> None:
    """A JSON error answer from a middleware; with ``close``, the server closes the connection after it."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def too_large_message(max_upload_bytes: int) -> str:
    return f"upload over the limit of {max_upload_bytes / 1024 / 1024:g} MB"


def check_video(info: VideoInfo, max_seconds: float, name: str) -> None:
    """Refuse (MienError, answered 422) a still image and a video longer than max_seconds; ``info``
    must come from video_info(path, max_seconds), which counts the frames instead of trusting the file."""
    if info.frames < 2:
        raise MienError(
            f"{name}: one frame at most (a still image or a broken file), not a video; "
            "photos go to /api/predict"
        )
    if info.seconds > max_seconds:
        raise MienError(f"{name}: the video is longer than the limit of {max_seconds:g} s")
    most = max_seconds * MAX_FPS_COUNTED
    if info.frames > most:
        raise MienError(
            f"{name}: the video has more than {most:g} frames, the limit of {max_seconds:g} s "
            f"at {MAX_FPS_COUNTED} frames/s"
        )


def quoted(value: str, limit: int = 100) -> str:
    """A client's value for an error message: quoted, and cut to ``limit`` characters so that a
    huge value is not echoed whole."""
    return (
        repr(value) if len(value) <= limit else repr(value[:limit]) + f" (cut from {len(value):,} characters)"
    )
