"""Where batch rows go: a Parquet dataset (a folder of part files, each written whole and atomically)
or one CSV file (appended and flushed batch by batch). Either can say which inputs it already holds."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mien.atomic import atomic_path
from mien.errors import MienError
from mien.rows import column_type


def open_sink(out: Path, names: list[str]):
    suffix = Path(out).suffix.lower()
    if suffix == ".parquet":
        return ParquetSink(Path(out), names)
    if suffix == ".csv":
        return CsvSink(Path(out), names)
    raise MienError(f"{out}: the output must end in .parquet (a folder of part files) or .csv")


class ParquetSink:
    def __init__(self, folder: Path, names: list[str]):
        if folder.exists() and not folder.is_dir():
            raise MienError(f"{folder}: exists and is not a folder of Parquet parts")
        self.folder, self.names = folder, names
        folder.mkdir(parents=True, exist_ok=True)
        parts = sorted(folder.glob("part-*.parquet"))
        if parts:
            _check_columns(folder, pq.read_schema(parts[0]).names, names)
        self._next = len(parts)

    def done_paths(self) -> set[str]:
        parts = sorted(self.folder.glob("part-*.parquet"))
        return {path for part in parts for path in pq.read_table(part, columns=["path"])["path"].to_pylist()}

    def write(self, rows: list[dict]) -> None:
        table = pa.Table.from_pylist(rows, arrow_schema(self.names))
        with atomic_path(self.folder / f"part-{self._next:06d}.parquet") as tmp:
            pq.write_table(table, tmp)
        self._next += 1

    def close(self) -> None:
        pass


class CsvSink:
    def __init__(self, path: Path, names: list[str]):
        self.path, self.names = path, names
        fresh = not path.exists() or path.stat().st_size == 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if not fresh:
            with path.open(newline="") as handle:
                _check_columns(path, next(csv.reader(handle), []), names)
        self._file = path.open("a", newline="")  # noqa: SIM115 - held open until close()
        self._writer = csv.DictWriter(self._file, fieldnames=names, extrasaction="ignore")
        if fresh:
            self._writer.writeheader()

    def done_paths(self) -> set[str]:
        with self.path.open(newline="") as handle:
            return {row["path"] for row in csv.DictReader(handle) if row.get("path")}

    def write(self, rows: list[dict]) -> None:
        self._writer.writerows(rows)
        self._file.flush()  # a crash loses at most the batch being written

    def close(self) -> None:
        self._file.close()


def _check_columns(out: Path, found: list[str], names: list[str]) -> None:
    """A rerun appends to its output only when the columns agree (same layout, same model classes)."""
    if found != names:
        raise MienError(
            f"{out}: holds other columns ({', '.join(found)}) than this model writes ({', '.join(names)}); "
            "write to a new output"
        )


_ARROW_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64()}


def arrow_schema(names: list[str]) -> pa.Schema:
    """The Arrow types of mien's shared row layout (mien.rows); every column may be empty (null)."""
    return pa.schema([(name, _ARROW_TYPES[column_type(name)]) for name in names])
