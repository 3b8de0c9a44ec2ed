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


def test_ferplus_comes_back_from_the_cache_with_its_votes_and_labels(ferplus_folder, tmp_path, monkeypatch):
    from tests.ferplus_data import write_ferplus_csv

    new_csv = write_ferplus_csv(tmp_path / "csv")
    first = {source: cache.load_fer2013(source) for source in (ferplus_folder, new_csv)}
    monkeypatch.setattr(
        cache, "read_ferplus", lambda source: (_ for _ in ()).throw(AssertionError("decoded again"))
    )
    for source, decoded in first.items():
        cached = cache.load_fer2013(source)
        assert cached.class_names == decoded.class_names and len(cached) == len(decoded)
        for field in ("images", "labels", "votes", "sources", "fer2013_labels"):
            a, b = getattr(cached, field), getattr(decoded, field)
            assert (a is None) == (b is None) and (a is None or np.array_equal(a, b)), field
    assert cached.fer2013_labels is not None  # the fer2013new.csv layout pairs rows with their labels


def test_editing_ferplus_votes_rebuilds_its_cache(ferplus_folder):
    before = cache.load_fer2013(ferplus_folder)
    label_csv = ferplus_folder / "FER2013Train" / "label.csv"
    lines = label_csv.read_text().splitlines()
    name = lines[0].split(",")[0]
    lines[0] = f'{name},"(0, 0, 48, 48)",0,0,0,0,0,0,0,0,0,10'  # now not a face
    label_csv.write_text("\n".join(lines) + "\n")
    stat = label_csv.stat()
    os.utime(label_csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = cache.load_fer2013(ferplus_folder)
    assert before.labels[0] >= 0 and after.labels[0] == -1
