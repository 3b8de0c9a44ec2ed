"""Typed settings for every part of a run, one source of truth.

A preset file (TOML, sections named like the dataclasses below) fills them; ``--set
train.lr=0.05`` overrides are type-checked and unknown keys are errors. The resolved config is
saved with every run and inside every checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mien.errors import MienError

PRESET_DIR = Path(__file__).parent / "presets"


@dataclass
class DataConfig:
    train_limit: int = 0  # use only N training images, a stratified subset (0 = all); for smoke tests
    eval_limit: int = 0  # evaluate on only N PublicTest images each epoch (0 = all)
    # Choose on a stratified share of the Training faces instead of PublicTest, held out of training
    # (0 = off): for comparing recipes where PublicTest is the split the figures are reported on.
    holdout: float = 0.0
    # FER+: a FER2013 copy (folder or fer2013.csv) whose single labels join the votes, each face
    # paired with its FER2013 twin by pixels (fer2013new.csv data has them already); see
    # train.fer2013_label_weight.
    fer2013_labels_from: str = ""
    # FER+: other data sets (RAF-DB, FER2013: their folders) whose Training faces join this run's,
    # each label as ten raters agreeing (mien.data.joint), each set holding out its own share
    # (holdout, same seed); joint_repeat: how many times each joined face is drawn per epoch.
    joint_with: list = field(default_factory=list)
    joint_repeat: float = 1.0
    # FER+: each face's vote shares raised to this power and renormalised before training (1 = the
    # shares as voted; above 1 the target leans towards the raters' majority, as the scoring does).
    vote_power: float = 1.0


@dataclass
class PreprocessConfig:
    size: int = 48  # side of the square grey face the model sees
    mean: float = 0.5  # pixel/255 minus mean, divided by std
    std: float = 0.25


@dataclass
class AugmentConfig:
    flip: bool = True  # random horizontal flip: expressions are left-right symmetric
    rotate_deg: float = 10.0  # random rotation within +-rotate_deg
    scale: float = 0.1  # random zoom factor within 1 +- scale
    shift: float = 0.1  # random translation within +- shift of the image side
    erase_p: float = 0.5  # probability of erasing one random rectangle (occlusion robustness)
    erase_area: tuple[float, float] = (0.02, 0.2)  # erased share of the image, min and max
    mixup_alpha: float = 0.0  # Beta(alpha, alpha) mixup of image pairs; 0 = off
    cutmix_alpha: float = 0.0  # Beta(alpha, alpha) share of a partner pasted in; 0 = off
    # (with both on, each batch gets one of the two, chosen at random)


@dataclass
class ModelConfig:
    name: str = "vgg_s"  # a registered model: see `mien models`
    args: dict = field(default_factory=dict)  # extra keyword arguments for the model factory


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 128
    optimizer: str = "sgd"  # sgd (Nesterov momentum) or adamw
    lr: float = 0.1  # peak learning rate, reached after warm-up
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: float = 1.0  # linear warm-up, then cosine decay to lr * final_lr_fraction
    final_lr_fraction: float = 0.001
    label_smoothing: float = 0.1
    # FER+: the share of each face's target given to its single FER2013 label (the rest to the votes)
    fer2013_label_weight: float = 0.0
    # FER+: FER2013's single labels learned in a head of their own (a second last layer on the same
    # hidden layer), this much of the loss; it shapes the shared layers and is not shipped. 0 = off
    fer2013_head_weight: float = 0.0
    class_weighting: str = "none"  # none | sqrt | inverse: loss weights from class frequencies
    sampler: str = "uniform"  # uniform | balanced: draw each class equally often
    grad_clip: float = 5.0  # max gradient norm; 0 = off
    ema_decay: float = 0.0  # exponential moving average of weights, e.g. 0.999; 0 = off
    # Stochastic weight averaging: from this epoch (1-based) on, the weights after each epoch are
    # averaged; the average, with batch-norm statistics recomputed, is evaluated and shipped. 0 = off
    swa_from_epoch: int = 0
    init_from: str = ""  # start from these weights (a checkpoint or shipped model name), not at random
    device: str = "auto"  # auto (a GPU when PyTorch sees one), cpu or cuda
    # bfloat16 autocast where it is fast: a GPU, or a CPU with bf16 in hardware (AVX-512 BF16, AMX;
    # about 2x fp32 there). Other CPUs train in fp32: there bf16 is emulated, many times slower.
    bf16: bool = True
    channels_last: bool = True  # memory layout that the CPU convolution kernels prefer
    # Distillation: checkpoints or shipped model names to learn from; "shipped" = the shipped ensemble
    teachers: list = field(default_factory=list)
    # Teachers for the faces of the data.joint_with sets alone (RAF-DB's), while train.teachers label
    # the run's own (FER+'s): each kind of face taught by the models that know it best. Empty: the
    # teachers label every face. Needs distill_labels = "precomputed".
    joined_teachers: list = field(default_factory=list)
    distill_alpha: float = 0.7  # weight of the teachers' soft labels in the loss (with teachers)
    distill_temperature: float = 2.0  # softens teacher and student probabilities alike
    # live labels from each augmented image and its mirror image, averaged (the teachers' flip TTA)
    distill_flip: bool = False
    # live: the teachers label every augmented batch as the student sees it. precomputed: they label
    # each face and its mirror image once, before the first epoch (kept in the run folder), and those
    # labels serve every epoch: on a CPU an epoch then costs what one without teachers does, but the
    # teachers no longer see the augmentation.
    distill_labels: str = "live"
    seed: int = 0
    threads: int = 0  # torch CPU threads; 0 = torch's default (all cores)


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def load_config(preset: str | Path | None = None, overrides: list[str] = ()) -> RunConfig:
    """Defaults, then a preset (a name in mien/presets or a TOML path), then key=value overrides."""
    config = RunConfig()
    if preset:
        for section, values in _read_preset(preset).items():
            for key, value in values.items():
                set_value(config, f"{section}.{key}", value)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise MienError(f"override {item!r} must look like section.key=value")
        set_value(config, key.strip(), _parse_text(text.strip()))
    return config


def config_from_dict(values: dict) -> RunConfig:
    """Rebuild a RunConfig from its saved dictionary form."""
    config = RunConfig()
    for section, entries in values.items():
        for key, value in entries.items():
            set_value(config, f"{section}.{key}", value)
    return config


def config_to_dict(config: RunConfig) -> dict:
    return dataclasses.asdict(config)


def set_value(config: RunConfig, key: str, value) -> None:
    """Set section.name to value, converted to the field's type; unknown keys list the valid ones."""
    section_name, _, name = key.partition(".")
    section = getattr(config, section_name, None) if section_name in _fields(config) else None
    if section is None or name not in _fields(section):
        raise MienError(f"unknown setting {key!r}; valid: {', '.join(valid_keys())}")
    kind = {f.name: f.type for f in dataclasses.fields(section)}[name]
    setattr(section, name, _convert(key, value, kind))


def valid_keys() -> list[str]:
    config = RunConfig()
    return [f"{s}.{n}" for s in _fields(config) for n in _fields(getattr(config, s))]


def _fields(obj) -> list[str]:
    return [f.name for f in dataclasses.fields(obj)]


def _convert(key: str, value, kind: str):
    # Field types are strings (postponed annotations); the set used here is small and closed.
    try:
        if kind == "bool":
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "str":
            return str(value)
        if kind.startswith("tuple"):
            return tuple(float(v) for v in value)
        if kind == "list":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple):
                raise ValueError
            return [str(v) for v in value]
        if kind == "dict":
            if not isinstance(value, dict):
                raise ValueError
            return dict(value)
    except (TypeError, ValueError):
        raise MienError(f"setting {key}: {value!r} is not a valid {kind}") from None
    raise MienError(f"setting {key}: unsupported type {kind}")


def _parse_text(text: str):
    """Command-line values: JSON when it parses (numbers, lists, objects), else the raw string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _read_preset(preset: str | Path) -> dict:
    path = Path(preset)
    if not path.suffix:
        path = PRESET_DIR / f"{preset}.toml"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in PRESET_DIR.glob("*.toml")))
        raise MienError(f"preset not found: {preset} (built-in presets: {names})")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise MienError(f"preset {path}: {err}") from None
