"""Read any image file into an RGB uint8 array, or fail with a one-line reason.

The size limit is checked on the header, before any pixel is decoded, so a small file that
announces a gigapixel image costs nothing. EXIF rotation is applied, so boxes refer to the image
as people see it.
"""

from __future__ import annotations

import io
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
            image = ImageOps.exif_transpose(image)
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
    return image.convert("RGB")


def image_files_under(root: Path, suffixes: set[str] = IMAGE_SUFFIXES) -> list[Path]:
    """Image files (or files with these suffixes) in a folder and its subfolders, sorted so that
    every listing has the same order."""
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def list_images(inputs: Iterable[str | Path], suffixes: set[str] = IMAGE_SUFFIXES) -> Iterator[Path]:
    """Files as given, and image files (or files with these suffixes) found recursively in given
    folders (sorted)."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from image_files_under(path, suffixes)
        else:
            yield path  # reading it reports what is wrong, if anything
