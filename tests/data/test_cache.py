import os

import numpy as np

from mien.data import cache
from mien.data.synthetic import draw_face


def test_second_load_reads_the_cache_not_the_images(small_folder, monkeypatch):
    first = cache.load_fer2013(small_folder)
    monkeypatch.setattr(
        cache, "read_folder", lambda root: (_ for _ in ()).throw(AssertionError("decoded again"))
    )
    second = cache.load_fer2013(small_folder)
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert list(first.sources) == list(second.sources)


def test_cache_is_rebuilt_when_the_source_changes(small_folder):
    import cv2

    before = cache.load_fer2013(small_folder)
    new_face = draw_face(3, np.random.default_rng(0))
    cv2.imwrite(str(small_folder / "train" / "happy" / "Training_new.png"), new_face)
    after = cache.load_fer2013(small_folder)
    assert len(after) == len(before) + 1
    # Editing a file in place (same name, new content and time) also invalidates the entry.
    target = small_folder / "train" / "happy" / "Training_new.png"
    cv2.imwrite(str(target), 255 - new_face)
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    edited = cache.load_fer2013(small_folder)
    index = list(edited.sources).index("train/happy/Training_new.png")
    np.testing.assert_array_equal(edited.images[index], 255 - new_face)
    assert len(list(cache.cache_dir().glob("fer2013-*.npz"))) == 1  # stale entries are removed


def test_a_damaged_cache_entry_is_rebuilt(small_csv):
    cache.load_fer2013(small_csv)
    [entry] = cache.cache_dir().glob("fer2013-*.npz")
    entry.write_bytes(b"garbage")
    assert len(cache.load_fer2013(small_csv)) > 0
