"""Manifests in the paper's format: read, validate, write, resolve audio, build from caption CSVs."""

from __future__ import annotations

import json

import pytest
from cli_helpers import write_csv

from dtu_audio.datasets.manifest import (
    AudioEntry,
    Manifest,
    load_manifest_or_csv,
    manifest_from_csv,
    manifest_to_json,
    parse_manifest,
    read_manifest,
    resolve_audio_paths,
    write_manifest,
)
from dtu_audio.errors import DtuError


@pytest.mark.parametrize(
    ("relative", "captions_per_audio", "count"),
    [
        ("syncaps/test.json", 1, 485),
        ("audiocaps/val_audioset_5_orig.json", 5, 428),
        ("audiocaps/test_audioset_5_future_past.json", 5, 592),
    ],
)
def test_reference_manifests_round_trip(reference_data, tmp_path, relative, captions_per_audio, count):
    source = reference_data / relative
    manifest = read_manifest(source)
    assert (manifest.captions_per_audio, len(manifest)) == (captions_per_audio, count)
    assert len(manifest.captions) == captions_per_audio * count
    write_manifest(manifest, tmp_path / "copy.json")
    assert json.loads((tmp_path / "copy.json").read_text()) == json.loads(source.read_text())
    assert read_manifest(tmp_path / "copy.json") == manifest


def test_with_captions_and_subset_keep_the_layout():
    manifest = Manifest(1, (AudioEntry("a.wav", "/a.wav", ("x",), 2.0), AudioEntry("b.wav", "/b.wav", ("y",))))
    assert manifest.with_captions(["X", "Y"]).captions == ["X", "Y"]
    assert [e.id for e in manifest.subset([1]).entries] == ["b.wav"]
    with pytest.raises(ValueError, match="one new caption per existing caption"):
        manifest.with_captions(["only one"])
    assert manifest_to_json(manifest)["data"][0] == {"caption": "x", "id": "a.wav", "audio": "/a.wav", "duration": 2.0}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "expected an object"),
        ({"num_captions_per_audio": 2, "data": []}, "allowed: 1 or 5"),
        ({"num_captions_per_audio": 1, "data": {}}, "'data' must be a list"),
        ({"num_captions_per_audio": 1, "data": ["row"]}, "row 0 is not an object"),
        ({"num_captions_per_audio": 1, "data": [{"caption": "x"}]}, "row 0 has no 'id'"),
        ({"num_captions_per_audio": 5, "data": [{"id": "a", "caption_1": "x"}]}, "lacks caption_2"),
        ({"num_captions_per_audio": 1, "data": [{"id": "a", "caption": "x", "duration": "long"}]}, "non-numeric"),
        ({"num_captions_per_audio": 1, "data": [{"id": "a", "audio": ["a"], "caption": "x"}]}, "'audio' that is not"),
    ],
)
def test_invalid_manifests_say_what_is_wrong(obj, message):
    with pytest.raises(DtuError, match=message):
        parse_manifest(obj, "m.json")


def test_unreadable_manifest_files(tmp_path):
    with pytest.raises(DtuError, match="does not exist"):
        read_manifest(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DtuError, match="not valid JSON"):
        read_manifest(tmp_path / "bad.json")


def test_audio_is_resolved_by_id_under_the_audio_root(reference_data, tmp_path):
    manifest = read_manifest(reference_data / "syncaps" / "test.json")
    with pytest.raises(DtuError) as missing:
        resolve_audio_paths(manifest)
    assert "485 of 485 audio files not found" in str(missing.value)
    assert "--audio-root" in str(missing.value)
    for entry in manifest.entries[:-4]:
        (tmp_path / entry.id).write_bytes(b"")
    with pytest.raises(DtuError) as missing:
        resolve_audio_paths(manifest, tmp_path)
    message = str(missing.value)
    assert message.startswith(f"4 of 485 audio files not found under {tmp_path}: ")
    assert manifest.entries[-4].id in message and message.endswith(", ...")
    assert "\n" not in message
    for entry in manifest.entries[-4:]:
        (tmp_path / entry.id).write_bytes(b"")
    paths = resolve_audio_paths(manifest, tmp_path)
    assert paths == [tmp_path / e.id for e in manifest.entries]


def test_five_caption_csv_of_audiocaps_and_clotho(reference_data):
    audiocaps = manifest_from_csv(reference_data / "audiocaps" / "val.csv", audio_root="/data/audiocaps")
    assert audiocaps.captions_per_audio == 5
    first = audiocaps.entries[0]
    assert first.id == "YvfY_TJq7n_U.wav" and first.audio == "/data/audiocaps/YvfY_TJq7n_U.wav"
    assert first.captions[3] == "Birds chirp and ducks quack before a man speaks"
    clotho = load_manifest_or_csv(reference_data / "clotho" / "val.csv")
    assert (clotho.captions_per_audio, len(clotho)) == (5, 1045)
    assert clotho.captions == read_manifest(reference_data / "clotho" / "val.json").captions


def test_audiocaps_own_csv_layout(tmp_path):
    header = ["audiocap_id", "youtube_id", "start_time", "caption"]
    five = [[str(i), vid, "30", f"caption {vid} {i}"] for vid in ("abc", "def") for i in range(5)]
    manifest = manifest_from_csv(write_csv(tmp_path / "five.csv", header, five))
    assert manifest.captions_per_audio == 5
    assert [e.id for e in manifest.entries] == ["Yabc.wav", "Ydef.wav"]
    assert manifest.entries[1].captions[4] == "caption def 4"
    uneven = [["1", "abc", "30", "one"], ["2", "abc", "30", "two"], ["3", "def", "0", "three"]]
    manifest = manifest_from_csv(write_csv(tmp_path / "uneven.csv", header, uneven))
    assert manifest.captions_per_audio == 1
    assert [(e.id, e.captions) for e in manifest.entries] == [
        ("Yabc.wav", ("one",)),
        ("Yabc.wav", ("two",)),
        ("Ydef.wav", ("three",)),
    ]


def test_bad_caption_csvs(tmp_path):
    with pytest.raises(DtuError, match="does not exist"):
        manifest_from_csv(tmp_path / "missing.csv")
    with pytest.raises(DtuError, match="unknown header"):
        manifest_from_csv(write_csv(tmp_path / "odd.csv", ["name", "text"], [["a", "b"]]))
    three = write_csv(
        tmp_path / "three.csv", ["file_name", "caption_1", "caption_2", "caption_3"], [["a", "b", "c", "d"]]
    )
    with pytest.raises(DtuError, match="found 3 caption columns"):
        manifest_from_csv(three)
    (tmp_path / "latin1.csv").write_bytes("file_name,caption_1\na,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DtuError, match="cannot be read"):
        manifest_from_csv(tmp_path / "latin1.csv")


def test_csv_rows_with_missing_cells_are_refused(tmp_path):
    five = ["file_name", *(f"caption_{k}" for k in range(1, 6))]
    short = write_csv(tmp_path / "short.csv", five, [["a.wav", "one", "two", "three", "four", "five"], ["b.wav", "x"]])
    with pytest.raises(DtuError, match=r"short.csv: row 2 has no caption_2, caption_3, caption_4, caption_5; fill"):
        manifest_from_csv(short)
    blank = write_csv(
        tmp_path / "blank.csv", ["audiocap_id", "youtube_id", "start_time", "caption"], [["1", "", "0", " "]]
    )
    with pytest.raises(DtuError, match=r"blank.csv: row 1 has no youtube_id, caption"):
        manifest_from_csv(blank)
    extra = write_csv(tmp_path / "extra.csv", ["file_name", "caption_1"], [["a.wav", "one", "surplus"]])
    with pytest.raises(DtuError, match=r"extra.csv: row 1 has more cells than the header"):
        manifest_from_csv(extra)
