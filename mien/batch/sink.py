"""Where batch rows go: a Parquet dataset (a folder of part files, each written whole and atomically)
or one CSV file (appended and flushed batch by batch). Either can say which inputs it already holds."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mien.atomic import atomic_path
from mien.errors import MienError


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
        self._next = len(list(folder.glob("part-*.parquet")))

    def done_paths(self) -> set[str]:
        parts = sorted(self.folder.glob("part-*.parquet"))
        return {path for part in parts for path in pq.read_table(part, columns=["path"])["path"].to_pylist()}

    def write(self, rows: list[dict]) -> None:
        table = pa.Table.from_pylist(
            [{name: row.get(name) for name in self.names} for row in rows], _schema(self.names)
        )
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


def _schema(names: list[str]) -> pa.Schema:
    types = {"path": pa.string(), "frame": pa.int64(), "time": pa.float64(), "face": pa.int64(),
             "label": pa.string(), "error": pa.string()}  # fmt: skip
    return pa.schema([(name, types.get(name, pa.float64())) for name in names])
