"""Training curves, confusion matrices and reliability diagrams as PNG files (written atomically)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mien.atomic import atomic_path  # noqa: E402
from mien.render.annotate import class_colour  # noqa: E402


def save_training_curves(epochs: list[dict], path: Path) -> None:
    """Loss and accuracy per epoch: training beside PublicTest."""
    numbers = [e["epoch"] for e in epochs]
    figure, (loss_axis, acc_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(numbers, [e["train_loss"] for e in epochs], marker="o", label="train loss")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("loss")
    loss_axis.legend()
    acc_axis.plot(numbers, [e["train_acc"] for e in epochs], marker="o", label="train (augmented)")
    acc_axis.plot(numbers, [e["public_acc"] for e in epochs], marker="o", label="PublicTest")
    acc_axis.plot(numbers, [e["public_macro_f1"] for e in epochs], marker=".", label="PublicTest macro-F1")
    acc_axis.set_xlabel("epoch")
    acc_axis.set_ylabel("accuracy")
    acc_axis.grid(alpha=0.3)
    acc_axis.legend()
    figure.tight_layout()
    _save(figure, path)


def save_confusion_matrix(matrix: list[list[int]], class_names: list[str], path: Path, title: str) -> None:
    """Row-normalised confusion matrix (recall on the diagonal) with the counts in each cell."""
    counts = np.asarray(matrix)
    shares = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    figure, axis = plt.subplots(figsize=(7, 6))
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axis.set_yticks(range(len(class_names)), class_names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    for row in range(len(class_names)):
        for col in range(len(class_names)):
            colour = "white" if shares[row, col] > 0.5 else "black"
            axis.text(
                col,
                row,
                f"{shares[row, col]:.2f}\n{counts[row, col]}",
                ha="center",
                va="center",
                fontsize=8,
                color=colour,
            )
    figure.colorbar(image, ax=axis, fraction=0.046)
    figure.tight_layout()
    _save(figure, path)


def save_reliability_diagram(reliability: list[dict], path: Path, title: str) -> None:
    """Accuracy against confidence per confidence bin (see ``probability_report``): a calibrated
    model's bars reach the diagonal; the shading under the bars is how many faces each bin holds."""
    lows = [row["low"] for row in reliability]
    widths = [row["high"] - row["low"] for row in reliability]
    figure, axis = plt.subplots(figsize=(5.5, 5))
    axis.bar(lows, [row["accuracy"] for row in reliability], width=widths, align="edge",
             edgecolor="black", color="tab:blue", label="accuracy")  # fmt: skip
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", label="calibrated")
    axis.scatter([row["confidence"] for row in reliability], [row["accuracy"] for row in reliability],
                 color="tab:orange", zorder=3, s=12, label="mean confidence of the bin")  # fmt: skip
    shares = np.asarray([row["count"] for row in reliability], dtype=float)
    axis.bar(lows, 0.15 * shares / max(1.0, shares.max()), width=widths, align="edge",
             color="grey", alpha=0.4, label="faces (relative)")  # fmt: skip
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("confidence (top probability)")
    axis.set_ylabel("accuracy")
    axis.set_title(title)
    axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    _save(figure, path)


TIMELINE_MEASURES = ("mouth_opening", "lip_corner_lift_right", "lip_corner_lift_left", "eye_openness_right",
                     "eye_openness_left", "brow_raise_right", "brow_raise_left", "brow_furrow")  # fmt: skip


def save_timeline(rows: list[dict], class_names: list[str], path: Path) -> None:
    """Each track's smoothed probability of every class of the model over time, one panel per track;
    each class in its colour on annotated frames. Rows with measures (video --landmarks) add a panel
    per track below it: the chosen measures (TIMELINE_MEASURES) and the yaw over time."""
    tracks = sorted({row["track"] for row in rows})
    measured = any(row.get("measures") for row in rows)
    panels = max(1, len(tracks)) * (2 if measured else 1)
    figure, axes = plt.subplots(panels, 1, figsize=(10, 2.4 * panels), squeeze=False)
    for index, track in enumerate(tracks):
        axis = axes[index * (2 if measured else 1), 0]
        track_rows = [row for row in rows if row["track"] == track]
        times = [row["time"] for row in track_rows]
        for name in class_names:
            colour = np.array(class_colour(name)) / 255
            axis.plot(times, [row["scores"][name] for row in track_rows], label=name, color=colour)
        axis.set_ylim(0, 1)
        axis.set_ylabel(f"track {track}")
        axis.grid(alpha=0.3)
        if measured:
            _measures_panel(axes[index * 2 + 1, 0], track_rows, index == 0)
    axes[0, 0].legend(
        ncol=min(len(class_names), 8), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.35)
    )
    axes[-1, 0].set_xlabel("time (s)")
    if not tracks:
        axes[0, 0].text(0.5, 0.5, "no faces found", ha="center", va="center", transform=axes[0, 0].transAxes)
    figure.tight_layout()
    _save(figure, path)


def _measures_panel(axis, track_rows: list[dict], legend: bool) -> None:
    """Measures (inter-ocular distances) on the left axis, yaw (degrees) dotted on the right; gaps
    where a face's mesh was refused."""
    times = [row["time"] for row in track_rows]
    for offset, name in enumerate(TIMELINE_MEASURES):
        values = [row.get("measures", {}).get(name, np.nan) for row in track_rows]
        axis.plot(times, values, label=name, color=f"C{offset}", linewidth=1)
    axis.set_ylabel("measures (IOD)")
    axis.grid(alpha=0.3)
    yaw = axis.twinx()
    yaw.plot(times, [row.get("measures", {}).get("yaw", np.nan) for row in track_rows], ":", color="black")
    yaw.set_ylabel("yaw (deg, dotted)")
    if legend:
        axis.legend(ncol=4, fontsize=7, loc="upper left")


def save_region_report(report: dict, path: Path) -> None:
    """One panel per method: the share of the map on eyes, nose and mouth, per predicted class."""
    classes = sorted(report["classes"])
    methods = sorted({m for per_method in report["classes"].values() for m in per_method})
    regions = list(report["region_area"])
    figure, axes = plt.subplots(1, len(methods), figsize=(4 * len(methods), 3.6), squeeze=False, sharey=True)
    width = 0.8 / len(regions)
    for axis, method in zip(axes[0], methods):
        for offset, region in enumerate(regions):
            shares = [report["classes"][c].get(method, {}).get(region, 0.0) for c in classes]
            axis.bar(np.arange(len(classes)) + offset * width, shares, width, label=region)
            axis.axhline(report["region_area"][region], color=f"C{offset}", linestyle=":", linewidth=1)
        axis.set_xticks(np.arange(len(classes)) + width, classes, rotation=45, ha="right")
        axis.set_title(method)
    axes[0, 0].set_ylabel("share of the map (dotted: share of the area)")
    axes[0, 0].legend()
    figure.tight_layout()
    _save(figure, path)


def _save(figure, path: Path) -> None:
    try:
        with atomic_path(path) as tmp:
            figure.savefig(tmp, dpi=110)
    finally:
        plt.close(figure)
