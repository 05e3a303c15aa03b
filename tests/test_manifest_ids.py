from dtu_audio.datasets.manifest import manifest_to_json, parse_manifest, read_manifest


def test_paper_clotho_manifest_without_ids_uses_the_audio_file_name(reference_data):
    manifest = read_manifest(reference_data / "clotho" / "val.json")
    assert len(manifest) == 1045 and manifest.captions_per_audio == 5
    first = manifest.entries[0]
    assert first.id == "noisy stuff groceries paper bag cookie metallic case cling clang.wav"
    assert first.extra == {"wav": "Clotho/waveforms/val/" + first.id}


def test_written_rows_keep_unknown_fields():
    raw = {"num_captions_per_audio": 1, "data": [{"caption": "a dog barks", "audio": "/x/dog.wav", "fold": 3}]}
    assert manifest_to_json(parse_manifest(raw))["data"][0] == {
        "caption": "a dog barks",
        "id": "dog.wav",
        "audio": "/x/dog.wav",
        "fold": 3,
    }
