import json

import pytest

from fnn.run import config_file
from fnn.run.configuration import RunConfig


def test_json_and_toml_files_give_the_same_settings(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"hidden": [32], "lr": 0.01, "hyper": {"b1": 0.8}, "loss": None}))
    (tmp_path / "a.toml").write_text('hidden = [32]\nlr = 0.01\n\n[hyper]\nb1 = 0.8\n')
    from_json, from_toml = (config_file.read(tmp_path / name) for name in ("a.json", "a.toml"))
    assert RunConfig(**from_json) == RunConfig(**from_toml) == RunConfig(hidden=(32,), lr=0.01, hyper={"b1": 0.8})


def test_a_run_s_own_config_json_round_trips(tmp_path):
    config = RunConfig(hidden=(16, 8), dropout=0.2, schedule="cosine_restarts", schedule_args={"init_value": 0.01, "cycles": 2}, augment={"noise": 0.1}, steps=40)
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    assert RunConfig(**config_file.read(tmp_path / "config.json")) == config


def test_flags_change_single_settings_and_dicts_key_by_key():
    from_file = {"hidden": [32], "epochs": 5, "hyper": {"b1": 0.8, "b2": 0.99}}
    assert config_file.merged(from_file, {"lr": 0.1, "hyper": {"b1": 0.7}}) == {
        "hidden": [32], "epochs": 5, "lr": 0.1, "hyper": {"b1": 0.7, "b2": 0.99}}
    assert config_file.merged(from_file, {"steps": 100}) == {"hidden": [32], "steps": 100,
                                                             "hyper": {"b1": 0.8, "b2": 0.99}}
    assert config_file.merged({"steps": 100, "epochs": 30}, {"epochs": 2}) == {"epochs": 2}
    assert from_file["hyper"] == {"b1": 0.8, "b2": 0.99}  # the file's settings are left as they were


@pytest.mark.parametrize("name, text, message", [
    ("c.yaml", "lr: 1", "--config: expected a .json or .toml file, got "),
    ("c.json", "{\"lr\": 0.1,}", "--config: expected JSON in "),
    ("c.toml", "lr = = 1", "--config: expected TOML in "),
    ("c.json", "[1, 2]", "--config: expected a table of settings in "),
    ("c.json", "{\"hiden\": [8], \"colour\": 1}", "got unknown ones: hiden (did you mean hidden?), colour"),
])
def test_a_bad_file_is_named_with_what_is_wrong(name, text, message, tmp_path):
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError) as raised:
        config_file.read(tmp_path / name)
    assert message in str(raised.value) and str(raised.value).startswith("--config: expected")


@pytest.mark.parametrize("name", ["missing.json", "missing.toml"])
def test_a_missing_file_is_named(name, tmp_path):
    with pytest.raises(ValueError, match=f"--config: expected the file .*{name}, got none"):
        config_file.read(tmp_path / name)
