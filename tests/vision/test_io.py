import numpy as np
import pytest
from PIL import Image

from mien.errors import MienError
from mien.vision.io import list_images, read_image


def test_every_mode_becomes_rgb_uint8(tmp_path):
    grey = np.arange(48 * 48, dtype=np.uint32).reshape(48, 48) % 256
    cases = {
        "grey.png": Image.fromarray(grey.astype(np.uint8), "L"),
        "deep.png": Image.fromarray((grey * 256).astype(np.uint16)),
        "rgba.png": Image.fromarray(np.dstack([grey] * 4).astype(np.uint8), "RGBA"),
        "palette.png": Image.fromarray(grey.astype(np.uint8), "L").convert("P"),
        "cmyk.jpg": Image.fromarray(np.dstack([grey] * 3).astype(np.uint8), "RGB").convert("CMYK"),
    }
    for name, image in cases.items():
        image.save(tmp_path / name)
        pixels = read_image(tmp_path / name)
        assert pixels.shape == (48, 48, 3) and pixels.dtype == np.uint8, name
    assert read_image(tmp_path / "deep.png").max() == 255  # 16 bits scaled, not clipped


def test_exif_rotation_is_applied(tmp_path):
    image = Image.fromarray(np.zeros((20, 40, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image.save(tmp_path / "rotated.jpg", exif=exif)
    assert read_image(tmp_path / "rotated.jpg").shape == (40, 20, 3)


def test_bad_files_fail_with_one_line_reasons(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("hello")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "whole.jpg")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "whole.jpg").read_bytes()[:200])
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(tmp_path / "big.png")
    expected = {
        "empty.jpg": "empty file",
        "text.jpg": "not an image",
        "cut.jpg": "corrupt or truncated",
        "missing.jpg": "no such file",
    }
    for name, reason in expected.items():
        with pytest.raises(MienError, match=reason):
            read_image(tmp_path / name)
    with pytest.raises(MienError, match="100x100 pixels is over the limit of 5,000"):
        read_image(tmp_path / "big.png", max_pixels=5000)


def test_folders_are_searched_recursively_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/2.png", "1.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    found = list(list_images([tmp_path, tmp_path / "single.png"]))
    assert found == [tmp_path / "1.jpg", tmp_path / "b" / "2.png", tmp_path / "single.png"]
