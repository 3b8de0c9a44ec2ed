"""Commands that recognise expressions: predict, video, webcam."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mien.cli.app import cli, landmarks_option, load_predictor, output_option, predictor_options
from mien.errors import MienError
from mien.vision.detect import create_detector
from mien.vision.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, list_images


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines on stdout, one object per image.")
@output_option("--csv", "csv_path", help="Also write one CSV row per face.")
@output_option("--annotate", "annotate_dir", folder=True, help="Write annotated copies in this folder.")
@click.option("--aligned", is_flag=True, help="Each image is one cropped face (as in FER2013): no detection.")
@landmarks_option
@click.option(
    "--max-pixels", default=DEFAULT_MAX_PIXELS, show_default=True, help="Refuse larger images unread."
)
@predictor_options
def predict(
    inputs, as_json, csv_path, annotate_dir, aligned, landmarks, max_pixels, **predictor_options
) -> None:
    """Find every face in photos (files or folders), align it and say which expression it shows."""
    from tqdm import tqdm

    from mien.outputs import write_png, write_results_csv
    from mien.render.annotate import annotate

    paths = _image_paths(inputs)
    predictor = load_predictor(**predictor_options)
    predictor.max_pixels = max_pixels
    if aligned:
        stream = predictor.predict_aligned_files(paths, landmarks=landmarks)
    else:
        stream = predictor.predict_files(paths, landmarks)
    results, failures = [], 0
    for result in tqdm(stream, desc="images", unit="img", disable=None, leave=False):
        if result.error:
            failures += 1
            click.echo(f"error: {result.error}", err=True)
        elif annotate_dir:
            write_png(
                annotate_dir / f"{Path(result.path).stem}_annotated.png", annotate(result.image, result.faces)
            )
        click.echo(json.dumps(result.to_dict()) if as_json else _result_text(result), nl=as_json)
        results.append(result if csv_path else None)
    if csv_path:
        write_results_csv(csv_path, results, predictor.class_names, landmarks)
    if failures:
        sys.exit(1)


def _image_paths(inputs: tuple[Path, ...]) -> list[Path]:
    """The files the inputs name, folders searched; a folder without images is an error before any
    work (it is most likely the wrong folder)."""
    paths = []
    for item in inputs:
        found = list(list_images([item]))
        if not found:
            looked_for = ", ".join(sorted(IMAGE_SUFFIXES))
            raise MienError(f"{item}: no image files in this folder or its subfolders ({looked_for})")
        paths += found
    return paths


def _result_text(result) -> str:
    if result.error:
        return ""
    lines = [f"{result.path}: {len(result.faces) or 'no'} face{'' if len(result.faces) == 1 else 's'}"]
    for index, face in enumerate(result.faces, 1):
        box = " ".join(f"{v:.0f}" for v in face.box.as_list())
        both = f" (also {face.compound[1]})" if face.compound else ""
        lines.append(
            f"  {index}. [{box}] {face.label} {face.scores[face.label]:.2f}{both}{_geometry_text(face)}"
        )
    return "\n".join(lines) + "\n"


def _geometry_text(face) -> str:
    shape = face.geometry
    if shape is None:
        return ""
    if shape.refused:
        return f"; no landmarks: {shape.refused}"
    pose = shape.pose
    warning = f" ({shape.pose_warning})" if shape.pose_warning else ""
    return f"; yaw {pose.yaw:+.0f} pitch {pose.pitch:+.0f} roll {pose.roll:+.0f}{warning}"


def fast_options(detect_every: int):
    """The speed settings of the stream commands; detect_every's default differs between them."""
    options = [
        click.option("--detect-every", default=detect_every, show_default=True, type=click.IntRange(min=1),
                     metavar="N", help="Detect faces on every Nth frame; between, the faces found last "
                     "are re-aligned and classified on each frame (faster; faces appear up to N-1 "
                     "frames late). 1: detect on every frame."),
        click.option("--detect-side", type=click.IntRange(min=1), metavar="PX",
                     help="Detect faces on a copy of the frame shrunk to PX on its longer side (YuNet; "
                     "320 is about 1.7x faster on 640x480 but misses faces under about 32 px and "
                     "places the eyes less precisely). Default: the frame as it is."),
    ]  # fmt: skip
    return lambda command: options[0](options[1](command))


def _load_stream_predictor(detect_side: int | None, **options):
    """The predictor the options chose, detecting on a copy of each frame shrunk to detect_side."""
    if detect_side is not None and options["detector"] != "yunet":
        raise MienError("--detect-side sets YuNet's detection size: use it with --detector yunet")
    predictor = load_predictor(**options)
    if detect_side is not None:
        predictor.detector = create_detector("yunet", max_side=detect_side)
    return predictor


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@output_option("--out", "out_video", help="Annotated video (MP4).")
@output_option("--csv", "csv_path", help="One row per frame and face.")
@output_option("--timeline", help="Timeline plot (PNG) of every track.")
@click.option(
    "--every", default=1, show_default=True, type=click.IntRange(min=1), help="Use every Nth frame."
)
@click.option("--json", "as_json", is_flag=True, help="Print the per-track summary as JSON.")
@landmarks_option
@fast_options(detect_every=1)
@predictor_options
def video(
    source, out_video, csv_path, timeline, every, as_json, landmarks, detect_every, detect_side, **options
) -> None:
    """Track faces through a video and say which expression each shows, frame by frame."""
    from mien.render.plots import save_timeline
    from mien.video import process_video, summarize_tracks

    predictor = _load_stream_predictor(detect_side, **options)
    rows = process_video(
        predictor, source, every, out_video, csv_path, detect_every=detect_every, landmarks=landmarks
    )
    if timeline:
        save_timeline(rows, predictor.class_names, timeline)
    summary = summarize_tracks(rows, predictor.class_names)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{len(summary)} track(s) in {source}")
    for track in summary:
        click.echo(
            f"  track {track['track']}: {track['frames']} frames, {track['start']:.1f}-{track['end']:.1f} s, "
            f"mostly {track['dominant']}"
        )


@cli.command()
@click.option("--camera", default=0, show_default=True, help="Camera number.")
@click.option("--source", type=click.Path(path_type=Path), help="A video file instead of the camera.")
@landmarks_option
@fast_options(detect_every=2)
@predictor_options
def webcam(camera, source, landmarks, detect_every, detect_side, **options) -> None:
    """Live expressions from a camera in a window (Esc or closing the window stops)."""
    from mien.video import WindowSink, read_frames, recognise_stream

    predictor = _load_stream_predictor(detect_side, **options)
    try:
        window = WindowSink(f"mien: camera {camera}")
    except Exception as err:  # tkinter raises TclError without a display
        raise MienError(f"cannot open a window ({err}); try `mien video` on a recording instead") from None
    try:
        for result in recognise_stream(
            predictor,
            read_frames(source if source else camera),
            detect_every=detect_every,
            landmarks=landmarks,
        ):
            window(result)
    except KeyboardInterrupt:
        pass
    finally:
        window.close()
