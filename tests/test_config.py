import pytest

from mien.config import config_from_dict, config_to_dict, load_config
from mien.errors import MienError


def test_overrides_are_converted_to_the_field_type():
    config = load_config(
        None, ["train.lr=0.05", "train.epochs=7", "train.bf16=false", 'model.args={"hidden": 64}']
    )
    assert config.train.lr == 0.05 and isinstance(config.train.lr, float)
    assert config.train.epochs == 7 and config.train.bf16 is False
    assert config.model.args == {"hidden": 64}
    assert load_config(None, ["train.lr=1"]).train.lr == 1.0


def test_unknown_keys_and_bad_values_are_errors():
    with pytest.raises(MienError, match=r"unknown setting 'train.learning_rate'; valid: .*train.lr"):
        load_config(None, ["train.learning_rate=0.1"])
    with pytest.raises(MienError, match="not a valid int"):
        load_config(None, ["train.epochs=2.5"])
    with pytest.raises(MienError, match="not a valid bool"):
        load_config(None, ["train.bf16=maybe"])
    with pytest.raises(MienError, match="must look like"):
        load_config(None, ["train.lr"])


def test_preset_fills_the_config_and_overrides_win(tmp_path):
    preset = tmp_path / "p.toml"
    preset.write_text('[train]\nepochs = 12\nlr = 0.2\n[model]\nname = "resnet_s"\n')
    config = load_config(preset, ["train.lr=0.3"])
    assert (config.train.epochs, config.train.lr, config.model.name) == (12, 0.3, "resnet_s")
    assert load_config("fer2013_vgg_s").model.name == "vgg_s"
    with pytest.raises(MienError, match="preset not found: nope .*fer2013_vgg_s"):
        load_config("nope")
    preset.write_text("[train]\nepochs = \n")
    with pytest.raises(MienError, match="preset"):
        load_config(preset)


def test_saved_config_round_trips():
    config = load_config(None, ["augment.erase_area=[0.1, 0.3]", "train.sampler=balanced"])
    assert config_from_dict(config_to_dict(config)) == config
