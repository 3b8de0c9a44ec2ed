"""Read any image file into an RGB uint8 array, or fail with a one-line reason.

The size limit is checked on the header, before any pixel is decoded, so a small file that
announces a gigapixel image costs nothing. EXIF rotation is applied, so boxes refer to the image
as people see it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mien.errors import MienError

DEFAULT_MAX_PIXELS = 50_000_000  # refuse larger images before decoding them
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def read_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The image at path as (H, W, 3) RGB uint8, upright per its EXIF orientation."""
    path = Path(path)
    if not path.is_file():
        raise MienError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise MienError(f"{path}: empty file")
    return _decode(path, str(path), max_pixels)


def decode_image(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Image bytes (an upload, say) as read_image reads a file; name only labels the errors."""
    if not data:
        raise MienError(f"{name}: empty file")
    return _decode(io.BytesIO(data), name, max_pixels)


def _decode(source: Path | io.BytesIO, name: str, max_pixels: int) -> np.ndarray:
    try:
        with Image.open(source) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise MienError(f"{name}: {width}x{height} pixels is over the limit of {max_pixels:,}")
            ImageOps.exif_transpose(image, in_place=True)  # in place: a large photo is not copied
            return np.asarray(_to_rgb(image))
    except UnidentifiedImageError:
        raise MienError(f"{name}: not an image (unknown format)") from None
    except Image.DecompressionBombError:
        raise MienError(f"{name}: refused by Pillow's decompression-bomb limit") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise MienError(f"{name}: corrupt or truncated image ({err})") from None


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits by the value range instead of clipping at 255.
        pixels = np.asarray(image, dtype=np.float64)
        top = max(pixels.max(), 1.0)
        image = Image.fromarray((pixels * (255.0 / top)).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image if image.mode == "RGB" else image.convert("RGB")  # convert would copy even RGB


def image_files_under(root: Path, suffixes: set[str] = IMAGE_SUFFIXES) -> list[Path]:
    """Image files (or files with these suffixes) in a folder and its subfolders, sorted so that
    every listing has the same order.

    Symbolic links to files and folders are followed (a data set is often arranged as folders of
    links). Each folder is searched once, so a link loop ends, and a file reached under several
    names through links is listed once, under the name met first.
    """
    found: dict[str, Path] = {}  # a file's real path -> the name it was found under
    searched: set[tuple[int, int]] = set()  # (device, inode) of each folder searched
    pending = [Path(root)]
    while pending:
        folder = pending.pop()
        entries = _entries(folder, searched)
        real = os.path.realpath(folder) if entries else ""
        for entry in entries:
            if Path(entry.name).suffix.lower() in suffixes and entry.is_file():  # is_file follows links
                key = os.path.realpath(entry.path) if entry.is_symlink() else os.path.join(real, entry.name)
                found.setdefault(key, Path(entry.path))
        # subfolders next, depth first, in name order
        pending += [Path(entry.path) for entry in reversed(entries) if entry.is_dir()]
    return sorted(found.values())


def _entries(folder: Path, searched: set[tuple[int, int]]) -> list[os.DirEntry]:
    """The folder's entries by name; none when it was searched already or cannot be read."""
    try:
        status = folder.stat()
        if (status.st_dev, status.st_ino) in searched:
            return []
        searched.add((status.st_dev, status.st_ino))
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError:
        return []  # unreadable, as rglob skips it


def list_images(inputs: Iterable[str | Path], suffixes: set[str] = IMAGE_SUFFIXES) -> Iterator[Path]:
    """Files as given, and image files (or files with these suffixes) found recursively in given
    folders (sorted)."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from image_files_under(path, suffixes)
        else:
            yield path  # reading it reports what is wrong, if anything
