"""SynCaps: replaying the published recipe, new sets, determinism, resuming, errors."""

from __future__ import annotations

import csv
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from cli_helpers import run_dtu
from fake_net import FakeNet

from dtu_audio.data.home import data_home, read_record, verify
from dtu_audio.datasets.manifest import read_manifest
from dtu_audio.errors import DtuError
from dtu_audio.resolve import cache_dir
from dtu_audio.syncaps import (
    PlanOptions,
    esc50_sources,
    fetch,
    generate,
    load_recipe,
    plan_new_set,
    runner,
    write_synth_sources,
)
from dtu_audio.syncaps.captions import positives_and_negatives
from dtu_audio.syncaps.recipe import AUTHORS_FILES
from dtu_audio.syncaps.render import write_clip
from dtu_audio.syncaps.synth import SYNTH_CLASSES, synth_clip

TRAIN_VAL_SLICE, TEST_SLICE = 16, 8
# The paper's test_reverse.json and test_replaced.json for the first 8 test clips.
PUBLISHED_REVERSE = [
    "Person snoring preceded by person breathing",
    "Wooden door creaking then person snoring",
    "Hen clucking before person snoring",
    "Person snoring followed by cat meowing",
    "Birds chirping then person snoring",
    "Person snoring then pig oinking",
    "Person snoring followed by rain falling",
    "Person snoring after crickets chirping",
]
PUBLISHED_REPLACED = [
    "Person breathing followed by person snoring",
    "Person snoring before wooden door creaking",
    "Person snoring after hen clucking",
    "Cat meowing preceded by person snoring",
    "Person snoring before birds chirping",
    "Pig oinking before person snoring",
    "Rain falling preceded by person snoring",
    "Crickets chirping before person snoring",
]


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recipe_slice(reference_data, tmp_path_factory) -> Path:
    """The authors' recipe folder cut down to the first clips of train+val and of test."""
    syncaps = reference_data / "syncaps"
    folder = tmp_path_factory.mktemp("recipe")
    train_val = dict(list(_load(syncaps / AUTHORS_FILES["train_val"]).items())[:TRAIN_VAL_SLICE])
    test = dict(list(_load(syncaps / AUTHORS_FILES["test"]).items())[:TEST_SLICE])
    val = _load(syncaps / "val.json")
    val["data"] = [row for row in val["data"] if row["id"] in train_val]
    (folder / AUTHORS_FILES["train_val"]).write_text(json.dumps(train_val))
    (folder / AUTHORS_FILES["test"]).write_text(json.dumps(test))
    (folder / AUTHORS_FILES["val_manifest"]).write_text(json.dumps(val))
    shutil.copy(syncaps / AUTHORS_FILES["descriptions"], folder)
    return folder


@pytest.fixture(scope="module")
def esc50_dir(reference_data, recipe_slice, tmp_path_factory) -> Path:
    """An ESC-50-shaped folder: the real esc50.csv, 1-second synthesized clips for the files needed."""
    root = tmp_path_factory.mktemp("esc50")
    (root / "meta").mkdir()
    shutil.copy(reference_data / "esc50" / "esc50.csv", root / "meta" / "esc50.csv")
    recipe, _ = load_recipe(recipe_slice)
    names = sorted({f for c in recipe.clips for f in (c.file1, c.file2)})
    classes = list(SYNTH_CLASSES)
    (root / "audio").mkdir()
    for k, name in enumerate(names):
        sf.write(root / "audio" / name, synth_clip(classes[k % len(classes)], k, 44100, 1.0), 44100)
    return root


@pytest.fixture(scope="module")
def replayed(recipe_slice, esc50_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("replayed")
    recipe, descriptions = load_recipe(recipe_slice)
    generate(recipe, descriptions, esc50_sources(esc50_dir, descriptions), out)
    return out


def test_replaying_a_slice_reproduces_names_captions_and_splits(replayed, recipe_slice, reference_data):
    kept = set(_load(recipe_slice / AUTHORS_FILES["train_val"])) | set(_load(recipe_slice / AUTHORS_FILES["test"]))
    for split in ("train", "val", "test"):
        published = [(r["id"], r["caption"]) for r in _load(reference_data / "syncaps" / f"{split}.json")["data"]]
        expected = [row for row in published if row[0] in kept]
        produced = _load(replayed / f"{split}.json")
        assert [(r["id"], r["caption"]) for r in produced["data"]] == expected
        assert produced["num_captions_per_audio"] == 1
        assert all(r["duration"] == 10.0 and Path(r["audio"]).is_file() for r in produced["data"])
    assert len(_load(replayed / "val.json")["data"]) > 0
    info = sf.info(next((replayed / "audio").iterdir()))
    assert (info.samplerate, info.frames, info.subtype) == (44100, 441000, "PCM_16")


def test_reversed_and_replaced_manifests_follow_the_paper(replayed, reference_data):
    assert [r["caption"] for r in _load(replayed / "test_reverse.json")["data"]] == PUBLISHED_REVERSE
    assert [r["caption"] for r in _load(replayed / "test_replaced.json")["data"]] == PUBLISHED_REPLACED
    published = _load(reference_data / "syncaps" / "audio_id_to_pos_neg_eg.json")
    produced = _load(replayed / "audio_id_to_pos_neg_eg.json")
    assert produced == {name: published[name] for name in produced}


def test_replay_through_the_cli_resumes_and_summarises(
    recipe_slice, esc50_dir, replayed, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "cli"
    args = ["syncaps", "generate", "--recipe", str(recipe_slice), "--esc50", str(esc50_dir), "--out", str(out)]
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, "--workers", "2")
    printed = stdout + stderr
    assert code == 0, printed
    assert f"{TRAIN_VAL_SLICE + TEST_SLICE} clips rendered, 0 already complete" in printed
    assert "connective" in printed and "overlapping" in printed
    assert (out / "SHA256SUMS").read_text() == (replayed / "SHA256SUMS").read_text()
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args)
    printed = stdout + stderr
    assert code == 0 and f"0 clips rendered, {TRAIN_VAL_SLICE + TEST_SLICE} already complete" in printed


@pytest.fixture(scope="module")
def synth_sources(tmp_path_factory):
    return write_synth_sources(tmp_path_factory.mktemp("synth"), clips_per_class=5, seed=1)


def _options(**overrides) -> PlanOptions:
    base = dict(seed=7, num_clips=12, val_fraction=0.25, test_fraction=0.25, transform_prob=1.0, sample_rate=32000)
    return PlanOptions(**{**base, **overrides})


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "audio").iterdir())}


def test_new_sets_are_deterministic_across_runs_and_workers(synth_sources, tmp_path):
    recipe = plan_new_set(synth_sources, _options())
    assert recipe == plan_new_set(synth_sources, _options())
    used = {t for c in recipe.clips for t in (c.file1_transform, c.file2_transform)}
    assert len(used) >= 4
    generate(recipe, synth_sources.descriptions, synth_sources, tmp_path / "one", workers=1)
    generate(recipe, synth_sources.descriptions, synth_sources, tmp_path / "two", workers=2)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    for name in ("recipe.json", "SHA256SUMS", "audio_id_to_pos_neg_eg.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert plan_new_set(synth_sources, _options(seed=8)) != recipe


def test_a_written_recipe_replays_to_the_same_files(synth_sources, tmp_path):
    recipe = plan_new_set(synth_sources, _options(num_clips=4))
    generate(recipe, synth_sources.descriptions, synth_sources, tmp_path / "first")
    again, descriptions = load_recipe(tmp_path / "first" / "recipe.json")
    assert again == recipe
    generate(again, descriptions, synth_sources, tmp_path / "again")
    assert _files(tmp_path / "first") == _files(tmp_path / "again")


def test_a_single_clip_regenerated_alone_is_byte_identical(synth_sources, tmp_path):
    recipe = plan_new_set(synth_sources, _options(num_clips=6))
    generate(recipe, synth_sources.descriptions, synth_sources, tmp_path)
    clip = recipe.clips[-1]
    write_clip(clip, recipe, synth_sources, tmp_path / "alone")
    assert (tmp_path / "alone" / clip.name).read_bytes() == (tmp_path / "audio" / clip.name).read_bytes()


def test_interrupted_generation_resumes(synth_sources, tmp_path, monkeypatch):
    recipe = plan_new_set(synth_sources, _options(num_clips=8))
    generate(recipe, synth_sources.descriptions, synth_sources, tmp_path / "reference")
    real_render, calls = runner._render, []

    def interrupted(clip):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(clip)
        return real_render(clip)

    out = tmp_path / "resumed"
    monkeypatch.setattr(runner, "_render", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate(recipe, synth_sources.descriptions, synth_sources, out)
    monkeypatch.setattr(runner, "_render", real_render)
    assert len(list((out / "audio").glob("*.wav"))) == 3
    (out / "audio" / ".half-written.wav.abc.tmp").write_bytes(b"RIFF")
    damaged = out / "audio" / recipe.clips[0].name
    damaged.write_bytes(damaged.read_bytes()[:1000])
    counts = generate(recipe, synth_sources.descriptions, synth_sources, out)
    assert (counts.rendered, counts.skipped) == (6, 2)
    assert _files(out) == _files(tmp_path / "reference")
    assert not list((out / "audio").glob(".*"))


def test_disjoint_splits_share_no_source_clip(synth_sources):
    recipe = plan_new_set(synth_sources, _options(num_clips=30, disjoint_splits=True))
    used = {s: {f for c in recipe.split(s) for f in (c.file1, c.file2)} for s in ("train", "val", "test")}
    assert not (used["train"] & used["val"] or used["train"] & used["test"] or used["val"] & used["test"])
    assert all(c.file1.split("-")[0] != c.file2.split("-")[0] for c in recipe.clips)


def test_missing_source_clip_is_named(recipe_slice, esc50_dir, tmp_path, monkeypatch, capsys):
    broken = tmp_path / "esc50"
    shutil.copytree(esc50_dir, broken)
    recipe, _ = load_recipe(recipe_slice)
    (broken / "audio" / recipe.clips[0].file1).unlink()
    args = ["syncaps", "generate", "--recipe", str(recipe_slice), "--esc50", str(broken), "--out", str(tmp_path / "o")]
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args)
    printed = stdout + stderr
    assert code == 2 and "error:" in printed and recipe.clips[0].file1 in printed
    assert "Traceback" not in printed


def test_category_without_description_is_named(synth_sources, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "sources"
    shutil.copytree(synth_sources.audio_dir.parent, folder)
    descriptions = _load(folder / "descriptions.json")
    del descriptions["siren"]
    (folder / "descriptions.json").write_text(json.dumps(descriptions))
    args = ["syncaps", "generate", "--sources", str(folder), "--num-clips", "4", "--out", str(tmp_path / "o")]
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args)
    printed = stdout + stderr
    assert code == 2 and "categories without a description: siren" in printed


def test_unwritable_output_folder(synth_sources, tmp_path, monkeypatch, capsys):
    (tmp_path / "a-file").write_text("")
    args = ["syncaps", "generate", "--sources", str(synth_sources.audio_dir.parent), "--num-clips", "4"]
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, "--out", str(tmp_path / "a-file" / "out"))
    printed = stdout + stderr
    assert code == 2 and "is not writable" in printed


def test_a_different_set_is_not_written_over_another(synth_sources, tmp_path):
    generate(plan_new_set(synth_sources, _options(num_clips=2)), synth_sources.descriptions, synth_sources, tmp_path)
    other = plan_new_set(synth_sources, _options(num_clips=2, seed=99))
    with pytest.raises(DtuError, match="different SynCaps set"):
        generate(other, synth_sources.descriptions, synth_sources, tmp_path)


def test_malformed_recipe_entries_are_reported(recipe_slice, tmp_path):
    folder = tmp_path / "recipe"
    shutil.copytree(recipe_slice, folder)
    entries = _load(folder / AUTHORS_FILES["test"])
    name = next(iter(entries))
    entries[name]["order"] = 3
    (folder / AUTHORS_FILES["test"]).write_text(json.dumps(entries))
    with pytest.raises(DtuError, match="order is 3"):
        load_recipe(folder)
    entries[name]["order"] = 2
    (folder / AUTHORS_FILES["test"]).write_text(json.dumps(entries))
    with pytest.raises(DtuError, match="does not match its fields"):
        load_recipe(folder)


def test_offline_fetch_of_the_published_recipe_says_what_to_do(monkeypatch):
    monkeypatch.setattr(fetch, "PUBLISHED_RECIPE_URL", "http://127.0.0.1:9/json_files")
    with pytest.raises(DtuError, match="pass --recipe FOLDER"):
        fetch.published_recipe_dir()


def test_synthesized_sources_are_distinct_and_deterministic(synth_sources, tmp_path):
    assert len(SYNTH_CLASSES) >= 10
    with open(synth_sources.audio_dir.parent / "sources.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 * len(SYNTH_CLASSES) and {r["fold"] for r in rows} == {"1", "2", "3", "4", "5"}
    again = write_synth_sources(tmp_path, clips_per_class=5, seed=1)
    for name in ("beeps-0.wav", "rumble-4.wav"):
        assert (again.audio_dir / name).read_bytes() == (synth_sources.audio_dir / name).read_bytes()
    assert (again.audio_dir / "beeps-0.wav").read_bytes() != (again.audio_dir / "beeps-1.wav").read_bytes()
    spectra = []
    for category in SYNTH_CLASSES:
        y = synth_clip(category, 0, 16000, 2.0)
        bands = np.abs(np.fft.rfft(y))[:8000].reshape(64, -1).mean(axis=1)
        spectra.append(bands / np.linalg.norm(bands))
    similarity = np.array(spectra) @ np.array(spectra).T
    assert similarity[~np.eye(len(spectra), dtype=bool)].max() < 0.95


@pytest.fixture
def web(monkeypatch):
    """A real HTTP server on 127.0.0.1 (tests/fake_net.py) for the recipe and ESC-50 downloads."""
    fake = FakeNet()
    yield from fake.serve(monkeypatch)


def _serve_recipe(web: FakeNet, folder: Path, monkeypatch) -> None:
    web.web_files.update({f"/json_files/{p.name}": p.read_bytes() for p in folder.iterdir()})
    monkeypatch.setattr(fetch, "PUBLISHED_RECIPE_URL", f"{web.url}/json_files")


def test_the_published_recipe_is_fetched_into_the_cache_once(reference_data, web, monkeypatch):
    _serve_recipe(web, reference_data / "syncaps", monkeypatch)
    folder = fetch.published_recipe_dir()
    assert folder.is_relative_to(cache_dir("syncaps"))
    recipe, descriptions = load_recipe(folder)
    assert len(recipe.clips) == 5370 and descriptions["cow"] == "cow mooing"
    monkeypatch.setattr(fetch, "PUBLISHED_RECIPE_URL", "http://127.0.0.1:9/json_files")
    assert fetch.published_recipe_dir() == folder


def test_esc50_is_downloaded_resuming_a_dropped_connection_and_unpacked_into_the_cache(
    esc50_dir, tmp_path, web, monkeypatch
):
    archive = tmp_path / "master.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(esc50_dir.rglob("*")):
            handle.write(path, f"ESC-50-master/{path.relative_to(esc50_dir)}")
        handle.writestr("ESC-50-master/padding.bin", np.random.default_rng(0).bytes(1_200_000))  # > 2 gdown reads
    web.web_files["/master.zip"] = archive.read_bytes()
    web.interrupt_once.add("/master.zip")
    monkeypatch.setattr(fetch, "ESC50_URL", f"{web.url}/master.zip")
    checkout = fetch.download_esc50()
    assert (checkout / "meta" / "esc50.csv").read_bytes() == (esc50_dir / "meta" / "esc50.csv").read_bytes()
    assert not list(checkout.parent.glob("*.zip")) and not (checkout.parent / ".partial").exists()
    ranges = [r.headers.get("Range") for r in web.requests]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"
    web.web_files.clear()
    assert fetch.download_esc50() == checkout


def test_positives_and_negatives_of_every_published_clip_match_the_paper(reference_data):
    syncaps = reference_data / "syncaps"
    published = _load(syncaps / "audio_id_to_pos_neg_eg.json")
    recipe = {**_load(syncaps / AUTHORS_FILES["train_val"]), **_load(syncaps / AUTHORS_FILES["test"])}
    assert len(recipe) == 5370
    for name, entry in recipe.items():
        assert positives_and_negatives(entry["caption"], entry["caption_conj_and_prep"]) == published[name], name


def test_a_dtu_recipe_with_a_bad_field_is_reported(synth_sources, tmp_path):
    recipe = plan_new_set(synth_sources, _options(num_clips=2))
    generate(recipe, synth_sources.descriptions, synth_sources, tmp_path)
    written = _load(tmp_path / "recipe.json")
    written["clips"][0]["seed"] = "seven"
    (tmp_path / "bad.json").write_text(json.dumps(written))
    with pytest.raises(DtuError, match="seed 'seven'"):
        load_recipe(tmp_path / "bad.json")
    del written["clips"][0]["seed"]
    (tmp_path / "bad.json").write_text(json.dumps(written))
    with pytest.raises(DtuError, match="malformed"):
        load_recipe(tmp_path / "bad.json")


def test_synthesized_sources_make_a_set_through_the_cli(tmp_path, monkeypatch, capsys):
    code, stdout, stderr = run_dtu(
        monkeypatch, capsys, "syncaps", "synth-sources", str(tmp_path / "src"), "--clips-per-class", "5"
    )
    printed = stdout + stderr
    assert code == 0 and "60 clips of 12 classes" in printed
    args = ["syncaps", "generate", "--sources", str(tmp_path / "src"), "--num-clips", "10", "--disjoint-splits"]
    code, stdout, stderr = run_dtu(monkeypatch, capsys, *args, "--sample-rate", "32000", "--out", str(tmp_path / "set"))
    printed = stdout + stderr
    assert code == 0, printed
    assert re.search(r"^SynCaps  10/10  clips  ", stderr, re.MULTILINE)  # a log gets plain progress lines
    test = _load(tmp_path / "set" / "test.json")["data"]
    assert len(test) == 1 and sf.info(test[0]["audio"]).samplerate == 32000


def test_dtu_data_prepare_syncaps_replays_the_recipe_into_the_data_home(
    recipe_slice, esc50_dir, web, monkeypatch, capsys
):
    _serve_recipe(web, recipe_slice, monkeypatch)
    code, out, err = run_dtu(monkeypatch, capsys, "data", "prepare", "syncaps", "--esc50", esc50_dir)
    assert code == 0, err
    folder = data_home() / "syncaps"
    assert f"syncaps: prepared in {folder} (train " in out
    record = read_record(folder)
    assert sum(record.clips.values()) == TRAIN_VAL_SLICE + TEST_SLICE and verify(folder, record) == []
    test = read_manifest(folder / "test.json")
    assert test.entries[0].audio == f"audio/{test.entries[0].id}" and (folder / test.entries[0].audio).is_file()
    assert not (data_home() / ".staging" / "syncaps").exists()
    code, out, _ = run_dtu(monkeypatch, capsys, "data", "prepare", "syncaps", "--esc50", esc50_dir)
    assert code == 0 and "syncaps: already prepared" in out


def test_dtu_data_prepare_syncaps_offline_says_what_it_would_fetch(monkeypatch, capsys):
    monkeypatch.setenv("DTU_OFFLINE", "1")
    code, _, err = run_dtu(monkeypatch, capsys, "data", "prepare", "syncaps")
    assert code == 2 and fetch.ESC50_URL in err and f"{fetch.PUBLISHED_RECIPE_URL}/" in err
    assert "error: offline mode" in err and not (data_home() / "syncaps").exists()
