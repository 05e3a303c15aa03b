from pathlib import Path

import pytest

from dtu_audio.errors import DtuError
from dtu_audio.specs import RunSpec, load_spec, preset_names, save_spec


@pytest.mark.parametrize("name", ["audiocaps", "clotho", "syncaps"])
def test_presets_hold_the_papers_settings(name):
    spec = load_spec(name)
    assert spec.data.dataset == name
    a = spec.audio
    assert (a.sample_rate, a.n_fft, a.hop_length, a.win_length, a.n_mels) == (32000, 1024, 320, 1024, 64)
    assert (a.f_min, a.f_max, a.max_clip_seconds, a.mono) == (50, 14000, 10, True)
    m = spec.model
    assert (m.embed_size, m.temperature, m.embed_regularization) == (1024, 0.07, True)
    assert (m.text_encoder, m.text_max_length, m.spec_augment, m.dropout) == ("bert-base-uncased", 30, True, 0.2)
    o = spec.optim
    assert (o.optimizer, o.lr, o.betas, o.eps, o.schedule) == ("adam", 5e-5, (0.9, 0.999), 1e-8, "cosine")
    assert (o.warmup_epochs, o.grad_clip_norm) == (2, 2.0)
    t = spec.train
    assert (t.epochs, t.batch_size, t.init) == (40, 128, "wavcaps-pt")


def test_overrides_as_dict_and_as_strings():
    spec = load_spec("clotho", {"train.batch_size": 8, "train.temporal_lambda": 0})
    assert spec.train.batch_size == 8 and spec.train.temporal_lambda == 0
    spec = load_spec("clotho", ["optim.lr=1e-4", "model.htsat.depths=[1, 1]", "model.htsat.num_heads=[2, 4]"])
    assert spec.optim.lr == 1e-4 and spec.model.htsat.depths == [1, 1]


def test_unknown_key_names_its_path(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  epoch: 3\n")
    with pytest.raises(DtuError, match=r"train\.epoch: unknown key"):
        load_spec(bad)


def test_bad_value_lists_allowed_values():
    with pytest.raises(DtuError, match=r"train\.precision: .*'auto', 'fp32' or 'bf16'"):
        load_spec("audiocaps", {"train.precision": "fp16"})
    with pytest.raises(DtuError, match=r"optim\.lr"):
        load_spec("audiocaps", {"optim.lr": -1})


def test_inconsistent_values_are_rejected():
    with pytest.raises(DtuError, match="Nyquist"):
        load_spec("audiocaps", {"audio.f_max": 20000})
    with pytest.raises(DtuError, match="one entry per stage"):
        load_spec("audiocaps", {"model.htsat.depths": [2, 2]})


def test_missing_spec_and_broken_yaml(tmp_path: Path):
    with pytest.raises(DtuError, match="presets: .*audiocaps"):
        load_spec("nope")
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: [unclosed\n")
    with pytest.raises(DtuError, match="not valid YAML"):
        load_spec(broken)
    with pytest.raises(DtuError, match="section.field=value"):
        load_spec("audiocaps", ["train.epochs"])


def test_saved_spec_loads_back_identically(tmp_path: Path):
    spec = load_spec("syncaps", {"train.epochs": 3, "data.audio_root": "/data/audio"})
    save_spec(spec, tmp_path / "spec.yaml")
    assert load_spec(tmp_path / "spec.yaml") == spec
    assert RunSpec() == load_spec("audiocaps").model_copy(update={"data": RunSpec().data})


def test_preset_names():
    assert {"audiocaps", "clotho", "syncaps"} <= set(preset_names())


@pytest.mark.parametrize("field", ["optim.grad_clip_norm", "data.audio_root", "train.run_name", "data.test_manifest"])
def test_null_overrides_switch_nullable_fields_off(tmp_path: Path, field):
    section, name = field.split(".")
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        f"{section}:\n  {name}: somewhere\n" if section != "optim" else "optim:\n  grad_clip_norm: 1.0\n"
    )
    assert getattr(getattr(load_spec(spec_file), section), name) is not None
    assert getattr(getattr(load_spec(spec_file, [f"{field}=null"]), section), name) is None
    assert getattr(getattr(load_spec(spec_file, {field: None}), section), name) is None


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "nan", "inf"])
def test_spec_numbers_must_be_finite(value):
    with pytest.raises(DtuError, match=r"optim\.lr: Input should be a finite number"):
        load_spec("audiocaps", [f"optim.lr={value}"])
    with pytest.raises(DtuError, match=r"optim\.betas\.1: Input should be a finite number"):
        load_spec("audiocaps", [f"optim.betas=[0.9, {value}]"])


def test_a_bad_override_is_blamed_on_the_override_not_the_preset():
    with pytest.raises(DtuError) as caught:
        load_spec("clotho", ["train.precision=fp16"])
    message = str(caught.value)
    assert "preset" not in message
    assert "train.precision" in message and "given on the command line as train.precision=fp16" in message
    with pytest.raises(
        DtuError, match=r"invalid spec preset audiocaps: audio: f_max .* \(with audio\.f_max=20000 from"
    ):
        load_spec("audiocaps", ["audio.f_max=20000"])


def test_unparseable_override_value_is_a_one_line_error():
    with pytest.raises(DtuError, match=r"--set train\.epochs=\[: the value is not valid YAML"):
        load_spec("audiocaps", ["train.epochs=["])


def test_spec_file_with_a_non_utf8_byte_or_deep_nesting(tmp_path: Path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"train:\n  epochs: 3 \xff\n")
    with pytest.raises(DtuError, match=r"binary\.yaml is not UTF-8 text \(byte 0xff"):
        load_spec(binary)
    deep = tmp_path / "deep.yaml"
    deep.write_text("train: " + "[" * 200_000 + "]" * 200_000 + "\n")
    with pytest.raises(DtuError, match="nested too deeply"):
        load_spec(deep)
