"""The models mien ships, in one table: each one's name, files, classes and headline figures.

This is the only module that knows where ``mien/weights/`` is. The pipeline, the CLI, the web app,
training (teachers and starting points) and export find shipped models here, by name. A shipped
model is one fp32 ONNX file that describes itself (classes, preprocessing, network, figures) and
carries its weights under their PyTorch names, so ONNX Runtime runs it as it is and PyTorch
rebuilds the network from it; the default also ships an int8 export for speed.

Models that no longer ship are listed as retired, with the preset that rebuilds each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mien.errors import MienError

WEIGHTS = Path(__file__).parent / "weights"
FER2013_CLASSES = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
EIGHT_CLASSES = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")  # FER+'s
REBUILT_IN = Path("runs")  # where `mien train --preset P --out runs/NAME` leaves a retired model


@dataclass(frozen=True)
class ShippedModel:
    name: str
    summary: str
    files: dict[str, str]  # precision (fp32, int8) -> file in weights/; fp32 also holds the PyTorch weights
    classes: tuple[str, ...] = FER2013_CLASSES
    # accuracy (%): FER2013's splits (PublicTest, PrivateTest), and for the models of every kind of
    # face the four reported sets (docs/model_card.md)
    figures: dict[str, float] = field(default_factory=dict)
    members: tuple[str, ...] = ()  # an ensemble: the shipped models it averages
    # With an int8 file: True runs it with fp32 re-answering its near-ties (fp32's labels at most of
    # int8's speed); False runs int8 alone (a model shipped for speed first)
    cascade: bool = True


@dataclass(frozen=True)
class RetiredModel:
    name: str
    preset: str  # mien/presets/PRESET.toml rebuilds it
    figures: dict[str, float]

    def rebuild_command(self) -> str:
        return f"mien train --preset {self.preset} --data FER2013 --out {REBUILT_IN / self.name}"


def _fer2013(
    public: float, public_tta: float, private: float | None = None, private_tta: float | None = None
):
    """Accuracy (%) on PublicTest (where models are chosen) and PrivateTest (read once), one view and TTA."""
    figures = {
        "PublicTest": public,
        "PublicTest TTA": public_tta,
        "PrivateTest": private,
        "PrivateTest TTA": private_tta,
    }
    return {split: value for split, value in figures.items() if value is not None}


def _four_sets(private: float, ferplus: float, rafdb: float, kdef: float) -> dict[str, float]:
    """Accuracy (%), one view as `mien predict` answers: FER2013 PrivateTest (FER2013's labels),
    FER2013Valid (FER+'s majority), RAF-DB test, KDEF report/ (photos, through the whole pipeline)."""
    return {"FER2013 PrivateTest": private, "FER+ FER2013Valid": ferplus, "RAF-DB test": rafdb, "KDEF": kdef}


def _eight_class(name: str, summary: str, figures: dict[str, float]) -> ShippedModel:
    """A FER+-class model shipped as NAME.onnx (fp32) and NAME.int8.onnx, run as a cascade."""
    files = {"fp32": f"{name}.onnx", "int8": f"{name}.int8.onnx"}
    return ShippedModel(name, summary, files, classes=EIGHT_CLASSES, figures=figures)


FER2013_MODEL = "fer2013"  # FER2013's labels, seven classes
# What mien answers with unless told otherwise: `general` reads posed, in-the-wild and FER+'s faces
# better than `fer2013` and keeps FER2013 PrivateTest above 70% (docs/model_card.md).
DEFAULT_MODEL = "general"
ENSEMBLE = "ensemble"  # --ensemble; as a teacher, the word "shipped" names its members
# Other names a model answers to: the FER2013 model's name before it was named for its data set.
ALIASES = {"vgg_s_distilled_gen3_swa_calibrated": FER2013_MODEL}

_SHIPPED = (  # the models users choose by name first, in the order the web page offers them
    _eight_class(
        "general",
        "every kind of face: weights between fer2013's and a fine-tune on all three sets' labels",
        _four_sets(71.13, 73.14, 77.61, 80.95),
    ),
    _eight_class(
        "wild",
        "faces from the wild: FER+'s ten raters and RAF-DB's labels; three sibling runs' weights averaged",
        _four_sets(61.97, 86.74, 85.04, 71.83),
    ),
    _eight_class(
        "ferplus",
        "FER+'s ten raters' votes: a student of three FER+ models (best on FER+)",
        _four_sets(62.58, 87.50, 71.12, 68.85),
    ),
    ShippedModel(
        FER2013_MODEL,
        "FER2013's labels: vgg_s distilled from five models, weight-averaged, calibrated on PublicTest",
        {
            "fp32": "vgg_s_distilled_gen3_swa_calibrated.onnx",
            "int8": "vgg_s_distilled_gen3_swa_calibrated.int8.onnx",
        },
        figures=_fer2013(70.83, 71.16, 72.22, 72.92) | _four_sets(72.22, 70.70, 65.38, 76.19),
    ),
    ShippedModel(
        "fast",
        "speed first: a stride-2 stem, blocks of 40-80-160, run in int8: over 3x fer2013's faces/s",
        {"fp32": "fast.onnx", "int8": "fast.int8.onnx"},
        figures=_fer2013(68.71, 70.13, 70.41, 71.77) | _four_sets(70.38, 70.76, 65.97, 75.00),
        cascade=False,
    ),
    ShippedModel(
        ENSEMBLE,
        "--ensemble: the mean of three FER2013 models' probabilities, chosen on PublicTest",
        {},
        figures=_fer2013(70.66, 71.11, 72.42, 73.00) | _four_sets(72.44, 71.76, 66.07, 77.38),
        members=("vgg_s_distilled_gen3", "vgg_s_distilled_gen3_swa", "vgg_s_distilled_long_swa"),
    ),
    ShippedModel(
        "vgg_s_distilled_gen3",
        "ensemble member: vgg_s, third round of distillation (70 epochs)",
        {"fp32": "vgg_s_distilled_gen3.onnx"},
        figures=_fer2013(69.91, 70.35, 71.61, 72.56),
    ),
    ShippedModel(
        "vgg_s_distilled_gen3_swa",
        "ensemble member: vgg_s_distilled_gen3 with 12 epochs of weight averaging",
        {"fp32": "vgg_s_distilled_gen3_swa.onnx"},
        figures=_fer2013(70.49, 70.86, 72.16, 72.64),
    ),
    ShippedModel(
        "vgg_s_distilled_long_swa",
        "ensemble member: vgg_s, second round of distillation, weight-averaged",
        {"fp32": "vgg_s_distilled_long_swa.onnx"},
        figures=_fer2013(69.85, 70.24),
    ),
)

_RETIRED = (  # teachers and starting points of the shipped models (docs/model_card.md)
    RetiredModel("vgg_s", "fer2013_vgg_s", _fer2013(68.10, 69.04, 70.10, 71.64)),
    RetiredModel("resnet_s", "fer2013_resnet_s", _fer2013(68.63, 69.52, 69.41, 70.49)),
    RetiredModel("vgg_s_mixup", "fer2013_vgg_s_mixup", _fer2013(68.77, 69.80, 69.69, 71.33)),
    RetiredModel("vgg_s_block_dropout", "fer2013_vgg_s_block_dropout", _fer2013(66.68, 67.07)),
    RetiredModel("vgg_s_distilled", "fer2013_vgg_s_distilled", _fer2013(69.32, 69.80, 71.75, 71.75)),
    RetiredModel(
        "vgg_s_distilled_long", "fer2013_vgg_s_distilled_long", _fer2013(69.63, 70.16, 71.58, 72.58)
    ),
)

DETECTOR_FILES = {"yunet": "face_detection_yunet_2023mar_any_size.onnx"}  # OpenCV Zoo's YuNet (MIT licence)
MESH_FILE = "face_mesh.onnx"  # MediaPipe's Face Mesh (Apache-2.0): scripts/face_mesh_onnx.py
MESH_SHA256 = "38b245883c192a052ba978a0b82d6bd25a15da64f12671ff1b3bb435cb7b4ace"  # what that script wrote
MESH_REFERENCE_FILE = "face_mesh_reference.npz"  # its frontal face: scripts/face_mesh_reference.py


def shipped_models() -> list[ShippedModel]:
    return list(_SHIPPED)


def retired_models() -> list[RetiredModel]:
    return list(_RETIRED)


def shipped_model(name: str) -> ShippedModel:
    """A shipped model by name (or alias); an unknown name lists the valid ones."""
    name = ALIASES.get(name, name)
    for model in _SHIPPED:
        if model.name == name:
            return model
    raise MienError(f"no shipped model {name!r}; shipped: {', '.join(shipped_names())}")


def offered_models() -> list[ShippedModel]:
    """The models users choose by name, the default first (an ensemble's members serve it and are
    not offered on their own)."""
    members = {member for model in _SHIPPED for member in model.members}
    return [model for model in _SHIPPED if model.name not in members]


def shipped_names() -> list[str]:
    """Every name a shipped model answers to: the catalogue's names, then the older aliases."""
    return [*(model.name for model in _SHIPPED), *ALIASES]


def model_file(name: str = DEFAULT_MODEL, precision: str = "fp32") -> Path:
    """The file of a shipped model in one precision (fp32 holds the PyTorch weights too)."""
    model = shipped_model(name)
    if precision not in model.files:
        have = ", ".join(model.files) or "none: it is an ensemble"
        raise MienError(f"shipped model {name} has no {precision} file (it has: {have})")
    return _present(WEIGHTS / model.files[precision])


def member_files(name: str = ENSEMBLE) -> list[Path]:
    """The fp32 files of an ensemble's members."""
    return [model_file(member) for member in shipped_model(name).members]


def detector_file(name: str) -> Path:
    return _present(WEIGHTS / DETECTOR_FILES[name])


def mesh_file() -> Path:
    return _present(WEIGHTS / MESH_FILE)


def mesh_reference_file() -> Path:
    return _present(WEIGHTS / MESH_REFERENCE_FILE)


def resolve_model(name_or_path: str | Path) -> Path:
    """A model file for a name or a path: a shipped model's name stands for its file, a retired
    model's name for its rebuilt run (or says how to rebuild it)."""
    text = str(name_or_path)
    if Path(text).suffix or "/" in text:
        return Path(text)
    text = ALIASES.get(text, text)
    if any(model.name == text and model.files for model in _SHIPPED):
        return model_file(text)
    for retired in _RETIRED:
        if retired.name == text:
            rebuilt = REBUILT_IN / text / "best.pt"
            if rebuilt.is_file():
                return rebuilt
            rebuild = retired.rebuild_command()
            raise MienError(f"{text} no longer ships; rebuild it with `{rebuild}` or give its checkpoint")
    return Path(text)


def resolve_teachers(names_or_paths: list[str | Path]) -> list[Path]:
    """Model files for distillation's teachers: as resolve_model, and "shipped" for the members
    of the shipped ensemble."""
    resolved = []
    for item in names_or_paths:
        resolved += member_files() if str(item) == "shipped" else [resolve_model(item)]
    return resolved


def referenced_files() -> set[Path]:
    """Every file in weights/ that this table names: nothing else belongs there."""
    names = [file for model in _SHIPPED for file in model.files.values()] + list(DETECTOR_FILES.values())
    names += [MESH_FILE, MESH_REFERENCE_FILE]
    return {WEIGHTS / name for name in names}


def _present(path: Path) -> Path:
    if not path.is_file():
        raise MienError(f"the shipped model is missing: {path} (reinstall mien)")
    return path
