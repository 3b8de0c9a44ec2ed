"""A fuzz corpus made in code: odd but valid images, broken files and videos, each marked good or bad.

Good files must be answered (faces or none); bad ones must fail with a one-line error, never a
traceback, and never stop the good files of the same call.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

from tests.media import moving_face_frames, moving_face_video, write_y4m


@dataclass(frozen=True)
class Corpus:
    folder: Path
    images: dict[str, bool]  # file name -> good (readable) or bad (must fail with a one-line error)
    videos: dict[str, bool]

    def paths(self, kind: str, good: bool | None = None) -> list[Path]:
        """Files of this kind ("images" or "videos"), all or only the good (bad) ones."""
        named = getattr(self, kind)
        return [self.folder / name for name, ok in sorted(named.items()) if good is None or ok == good]


def _face() -> Image.Image:
    return Image.fromarray(data.astronaut()[:320, 120:360])  # (320, 240, 3): one face, taller than wide


def _encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _exif_rotated(orientation: int) -> bytes:
    """The face turned so that the EXIF Orientation tag (6 or 8) turns it upright again."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    turned = _face().transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
    return _encoded(turned, "JPEG", exif=exif)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces width x height grey pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _sixteen_bit(channels: int) -> bytes:
    grey = np.asarray(_face().convert("L"), np.uint16) * 257
    pixels = grey if channels == 1 else np.stack([grey] * 3, axis=-1)
    ok, encoded = cv2.imencode(".png", pixels)  # Pillow cannot write 16-bit RGB; OpenCV can
    assert ok
    return encoded.tobytes()


def _animated_gif() -> bytes:
    frames = [_face(), Image.new("RGB", (240, 320), "red")]
    return _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _multipage_tiff() -> bytes:
    return _encoded(_face(), "TIFF", save_all=True, append_images=[Image.new("RGB", (240, 320), "blue")])


def _palette_with_alpha() -> bytes:
    image = _face().convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    return _encoded(image, "PNG", transparency=0)


GOOD_IMAGES: dict[str, Callable[[], bytes]] = {
    "face.png": lambda: _encoded(_face(), "PNG"),
    "one_pixel.png": lambda: _encoded(Image.new("RGB", (1, 1), "white"), "PNG"),
    "thin_1x5000.png": lambda: _encoded(Image.new("RGB", (1, 5000), "grey"), "PNG"),
    "thin_5000x1.png": lambda: _encoded(Image.new("RGB", (5000, 1), "grey"), "PNG"),
    "grey.png": lambda: _encoded(_face().convert("L"), "PNG"),
    "bilevel.png": lambda: _encoded(_face().convert("1"), "PNG"),
    "grey16.png": lambda: _sixteen_bit(1),
    "rgb16.png": lambda: _sixteen_bit(3),
    "cmyk.jpg": lambda: _encoded(_face().convert("CMYK"), "JPEG"),
    "palette_alpha.png": _palette_with_alpha,
    "la.png": lambda: _encoded(_face().convert("LA"), "PNG"),
    "rgba.png": lambda: _encoded(_face().convert("RGBA"), "PNG"),
    "animated.gif": _animated_gif,
    "multipage.tif": _multipage_tiff,
    "float.tif": lambda: _encoded(_face().convert("F"), "TIFF"),
    "exif6.jpg": lambda: _exif_rotated(6),
    "exif8.jpg": lambda: _exif_rotated(8),
    "image.bmp": lambda: _encoded(_face(), "BMP"),
    "image.webp": lambda: _encoded(_face(), "WEBP"),
    "image.ppm": lambda: _encoded(_face(), "PPM"),
    "visage souriant é 表情.png": lambda: _encoded(_face(), "PNG"),
    "flat_6000x6000.png": lambda: _encoded(Image.new("L", (6000, 6000), 128), "PNG"),
    "UPPER.JPG": lambda: _encoded(_face(), "JPEG"),
    "long_suffix.jpeg": lambda: _encoded(_face(), "JPEG"),
    "short_suffix.tif": lambda: _encoded(_face(), "TIFF"),
    "jpeg_named.png": lambda: _encoded(_face(), "JPEG"),  # the content decides, not the name
}

BAD_IMAGES: dict[str, Callable[[], bytes]] = {
    "empty.jpg": lambda: b"",
    "zero_bytes.png": lambda: b"",
    "text.jpg": lambda: b"this is not a picture\n" * 20,
    "page.jpg": lambda: b"<!doctype html><html><body><img src='face.jpg'></body></html>\n",
    "random.png": lambda: np.random.default_rng(0).bytes(4096),
    "png_signature_only.png": lambda: b"\x89PNG\r\n\x1a\n",
    "truncated.jpg": lambda: _encoded(_face(), "JPEG")[:2000],
    "truncated.png": lambda: _encoded(_face(), "PNG")[:3000],
    "truncated.webp": lambda: _encoded(_face(), "WEBP")[:500],
    "bomb_100000x100000.png": lambda: _png_claiming(100_000, 100_000),
    "bomb_8000x8000.png": lambda: _png_claiming(8000, 8000),  # under Pillow's limit, over mien's
    "zero_width.png": lambda: _png_claiming(0, 10),
}


def _mjpg_avi(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for frame in moving_face_frames(4):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_corpus(folder: Path, outside: Path) -> Corpus:
    """Write every odd file into folder (outside holds what the symbolic link points at) and say
    which are good. The videos are short (4 frames of a moving face)."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    for name, make in {**GOOD_IMAGES, **BAD_IMAGES}.items():
        (folder / name).write_bytes(make())
    (outside / "target.png").write_bytes(GOOD_IMAGES["face.png"]())
    (folder / "link.png").symlink_to(outside / "target.png")
    images = {name: True for name in [*GOOD_IMAGES, "link.png"]} | dict.fromkeys(BAD_IMAGES, False)

    clip = moving_face_video(outside / "clip.mp4", frames=4).read_bytes()
    videos = {
        "clip.mp4": (clip, True),
        "clip.avi": (_mjpg_avi(outside / "clip.avi").read_bytes(), True),
        "clip.y4m": (write_y4m(outside / "clip.y4m", moving_face_frames(4)).read_bytes(), True),
        "truncated.mp4": (clip[: len(clip) // 2], False),  # mp4v writes its index last: none is left
        "empty.mp4": (b"", False),
        "text.mp4": (b"not a video at all\n" * 50, False),
        "random.mp4": (np.random.default_rng(1).bytes(8192), False),
    }
    for name, (content, _) in videos.items():
        (folder / name).write_bytes(content)
    return Corpus(folder, images, {name: good for name, (_, good) in videos.items()})
