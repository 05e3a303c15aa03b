"""``dtu data`` against a real HTTP server on 127.0.0.1 serving a tiny Clotho record and AudioCaps' CSVs."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading

import pytest
from cli_helpers import run_dtu
from data_fixtures import audiocaps_csvs, clotho_files, clotho_path, md5_table
from fake_net import FakeNet
from tiny import write_tiny_text_encoder

from dtu_audio.data import clotho, home
from dtu_audio.data.prepare import prepare_audiocaps, prepare_clotho
from dtu_audio.datasets import splits
from dtu_audio.datasets.manifest import read_manifest
from dtu_audio.encoders.text import KNOWN_TEXT_ENCODERS
from dtu_audio.errors import DtuError
from dtu_audio.resolve import weights_dir
from dtu_audio.weights.cache import CachedEntry, WeightCache

PAPER_FILES = [
    "train.json",
    "val.json",
    "test.json",
    "train_rearranged.json",
    "val_rearranged.json",
    "test_rearranged.json",
    "test_future_past_5captions.json",
    "test_future_past_reverse_5captions.json",
    "test_future_past_replace_5captions.json",
    "test_rearranged_future_past_reverse_5captions.json",
    "audio_id_to_pos_neg_eg.json",
]


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> dict[str, bytes]:
    return clotho_files(tmp_path_factory.mktemp("clotho-src"))


@pytest.fixture
def net(record, monkeypatch):
    fake = FakeNet()
    fake.web_files = {clotho_path(name): data for name, data in record.items()}
    monkeypatch.setattr(clotho, "MD5", md5_table(record))
    yield from fake.serve(monkeypatch, **{clotho.BASE_URL_VAR: "{url}"})


def _clotho_requests(net: FakeNet, name: str):
    return [r for r in net.requests if r.path.startswith(clotho_path(name))]


def _leftovers(root) -> list[str]:
    """Anything under the data home's staging folder, or a dataset folder without its record."""
    staged = sorted(p.name for p in (root / ".staging").glob("*")) if (root / ".staging").is_dir() else []
    return staged + [
        p.name for p in root.glob("*") if p.is_dir() and not p.name.startswith(".") and home.read_record(p) is None
    ]


def _register_tiny_bert() -> None:
    """What dtu fetch-weights bert-tiny leaves in the weight cache: its config, the tests' vocabulary, no weights."""
    cache = WeightCache()
    folder = write_tiny_text_encoder(cache.folder_path("prajjwal1/bert-tiny"))
    config_class, settings = KNOWN_TEXT_ENCODERS["prajjwal1/bert-tiny"]
    config_class(**settings).save_pretrained(folder)
    cache.record(
        "prajjwal1/bert-tiny",
        CachedEntry(path=folder.relative_to(cache.root).as_posix(), source="test", size=0, sha256="0", fetched="now"),
    )


def test_prepare_then_train_and_eval_find_clotho_with_no_data_flags(net, tmp_path, monkeypatch, capsys):
    code, out, err = run_dtu(monkeypatch, capsys, "data", "prepare", "clotho")
    assert code == 0, err
    folder = home.data_home() / "clotho"
    assert folder == weights_dir() / "data" / "clotho"
    assert f"clotho: prepared in {folder} (train 8, val 4, test 4 clips)" in out
    for name in PAPER_FILES:
        assert (folder / name).is_file(), name
    assert sorted(p.name for p in (folder / "csv").iterdir()) == sorted(n for n in clotho.MD5 if n.endswith(".csv"))
    test = read_manifest(folder / "test.json")
    assert test.captions_per_audio == 5 and (folder / test.entries[0].audio).is_file()
    assert test.entries[0].audio == "audio/evaluation/evaluation clip 0.wav"
    assert not home.downloads_dir("clotho").exists() and _leftovers(home.data_home()) == []

    code, out, _ = run_dtu(monkeypatch, capsys, "data", "list")
    assert code == 0 and "clotho" in out and "train 8, val 4, test 4" in out and "yes" in out

    _register_tiny_bert()
    monkeypatch.chdir(tmp_path)
    code, out, err = run_dtu(monkeypatch, capsys, "train", "--dataset", "clotho", "--lambda", "10", "--spec", "tiny")
    assert code == 0, err
    (best,) = tmp_path.glob("runs/clotho-*/best.pt")
    code, out, err = run_dtu(monkeypatch, capsys, "eval", "--ckpt", best, "--dataset", "clotho")
    assert code == 0, err
    results = json.loads(next(tmp_path.glob("runs/eval-clotho-*/results.json")).read_text())
    assert results["data_root"] == str(folder)
    sets = results["sets"]
    assert sets["test"]["source"] == str(folder / "test.json")
    assert sets["future_past_reverse"]["source"] == str(folder / "test_future_past_reverse_5captions.json")


def test_a_dropped_connection_resumes_with_a_range_request(net):
    archive = "clotho_audio_development.7z"
    assert len(net.web_files[clotho_path(archive)]) > 1 << 20
    net.interrupt_once.add(clotho_path(archive))
    prepare_clotho()
    ranges = [r.headers.get("Range") for r in _clotho_requests(net, archive)]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"
    assert home.read_record(home.dataset_dir("clotho")).clips == {"train": 8, "val": 4, "test": 4}


def test_a_checksum_mismatch_keeps_nothing(net):
    name = "clotho_captions_validation.csv"
    net.web_files[clotho_path(name)] = b"file_name,caption_1\nnot,the published file\n"
    with pytest.raises(DtuError, match=f"the download of {name} is corrupt: its md5 is .* nothing was kept"):
        prepare_clotho()
    downloads = home.downloads_dir("clotho")
    assert not (downloads / name).exists()
    assert [p.name for p in downloads.rglob(f"{name}*")] == []
    assert not home.dataset_dir("clotho").exists() and _leftovers(home.data_home()) == []


def test_a_full_disk_leaves_the_prepared_dataset_as_it_was(net, monkeypatch):
    prepare_clotho()
    folder = home.dataset_dir("clotho")
    before = home.read_record(folder)
    writes = []

    def full_disk(path, obj, **kwargs):
        writes.append(path)
        if len(writes) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_json(path, obj, **kwargs)

    real_write_json = splits.write_json
    monkeypatch.setattr(splits, "write_json", full_disk)
    with pytest.raises(DtuError, match="the disk is full .* nothing was published"):
        prepare_clotho(force=True)
    assert home.read_record(folder) == before and home.verify(folder, before) == []
    assert _leftovers(home.data_home()) == []
    assert (home.downloads_dir("clotho") / "clotho_audio_development.7z").is_file(), "downloads are kept"


def test_a_second_prepare_waits_for_the_first(net):
    waited = threading.Event()
    results = []
    worker = threading.Thread(target=lambda: results.append(prepare_clotho(on_wait=lambda _: waited.set())))
    with home.dataset_lock("clotho", home.data_home()):
        worker.start()
        assert waited.wait(timeout=30)
        assert net.requests == []
    worker.join(timeout=120)
    assert not results[0].already
    assert prepare_clotho().already


@pytest.mark.parametrize("how", [["--offline"], []])
def test_offline_mode_says_what_it_would_fetch(net, monkeypatch, capsys, how):
    if not how:
        monkeypatch.setenv("DTU_OFFLINE", "1")
    code, _, err = run_dtu(monkeypatch, capsys, "data", "prepare", "clotho", *how)
    assert code == 2 and net.requests == []
    assert err.count(f"{net.url}/records/4783391/files/") == 9
    assert "error: offline mode" in err and "forbids the 9 downloads listed above" in err


def test_offline_mode_prepares_from_files_already_downloaded(net, record, monkeypatch):
    downloads = home.downloads_dir("clotho")
    downloads.mkdir(parents=True)
    for name, data in record.items():
        (downloads / name).write_bytes(data)
    monkeypatch.setenv("DTU_OFFLINE", "1")
    assert prepare_clotho().record.clips["test"] == 4 and net.requests == []


def _one_line_error(monkeypatch, capsys, *args) -> str:
    """The error of a failing ``dtu`` run, which must be its last line and its only ``error:`` line."""
    code, _, err = run_dtu(monkeypatch, capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and lines[-1].startswith("error: ") and err.count("error:") == 1, err
    return lines[-1]


def test_a_corrupt_archive_is_one_line_naming_it_and_the_fix(net, monkeypatch, capsys):
    name = "clotho_audio_evaluation.7z"
    net.web_files[clotho_path(name)] = b"7z\xbc\xaf\x27\x1c" + b"\0" * 100
    monkeypatch.setitem(clotho.MD5, name, md5_table({name: net.web_files[clotho_path(name)]})[name])
    err = _one_line_error(monkeypatch, capsys, "data", "prepare", "clotho")
    assert f"{name} is not a readable 7z archive" in err and "delete it and run dtu data prepare clotho again" in err
    assert _leftovers(home.data_home()) == []


def test_a_caption_csv_with_the_wrong_header_is_one_line_naming_it_and_the_fix(net, monkeypatch, capsys):
    name = "clotho_captions_development.csv"
    data = net.web_files[clotho_path(name)].replace(b"caption_1", b"caption1", 1)
    net.web_files[clotho_path(name)] = data
    monkeypatch.setitem(clotho.MD5, name, md5_table({name: data})[name])
    err = _one_line_error(monkeypatch, capsys, "data", "prepare", "clotho")
    assert f"{name} has the header file_name,caption1,caption_2" in err
    assert "not Clotho's file_name,caption_1,caption_2,caption_3,caption_4,caption_5" in err
    assert "delete it and run dtu data prepare clotho again" in err


def test_a_folder_dtu_did_not_write_is_never_replaced(net, monkeypatch, capsys):
    mine = home.dataset_dir("clotho")
    (mine / "audio").mkdir(parents=True)
    (mine / "audio" / "keep.wav").write_bytes(b"mine")
    err = _one_line_error(monkeypatch, capsys, "data", "prepare", "clotho", "--force")
    assert f"{mine} exists but was not written by dtu data prepare" in err and "--data-home DIR" in err
    assert (mine / "audio" / "keep.wav").read_bytes() == b"mine" and net.requests == []


def test_a_changed_file_fails_verification_in_the_list(net, monkeypatch, capsys):
    prepare_clotho()
    folder = home.dataset_dir("clotho")
    (folder / "val.json").write_text("{}")
    code, out, _ = run_dtu(monkeypatch, capsys, "data", "list")
    assert code == 0 and "no: val.json has 2 bytes" in out


# AudioCaps: ids of 11 characters as YouTube's, three naming schemes, some clips missing.
AUDIOCAPS = {
    "train": [("aaaaaaaaaaa", 30), ("bbbbbbbbb-b", 0), ("ccccccccc_c", 10), ("ddddddddddd", 5)],
    "val": [("eeeeeeeeeee", 20), ("fffffffffff", 0)],
    "test": [("ggggggggggg", 40), ("hhhhhhhhhhh", 0)],
}


@pytest.fixture
def audiocaps_net(tmp_path, monkeypatch):
    fake = FakeNet()
    fake.web_files = {f"/audiocaps/{n}": d for n, d in audiocaps_csvs(tmp_path, AUDIOCAPS).items()}
    yield from fake.serve(monkeypatch, DTU_AUDIOCAPS_URL="{url}/audiocaps")


def _user_clips(folder, names):
    from train_data import write_clip

    for i, name in enumerate(names):
        write_clip(folder / name, 1.0, seed=i)
    return folder


def test_audiocaps_matches_the_users_clips_and_lists_the_missing(audiocaps_net, tmp_path):
    clips = _user_clips(
        tmp_path / "mine",
        [
            "Yaaaaaaaaaaa.wav",  # Y<id>.wav
            "bbbbbbbbb-b_0.wav",  # <id>_<start>.wav
            "sub/ccccccccc_c_10000_20000.flac",  # AudioSet's <id>_<start ms>_<end ms>.flac
            "eeeeeeeeeee_20_30.flac",  # <id>_<start s>_<end s>.flac
            "ggggggggggg_40.wav",
            "hhhhhhhhhhh_5.wav",  # wrong start time: no match
        ],
    )
    prepared = prepare_audiocaps(clips)
    folder = prepared.folder
    assert prepared.record.clips == {"train": 3, "val": 1, "test": 1}
    assert prepared.record.missing == {"train": 1, "val": 1, "test": 1}
    assert (folder / "missing.csv").read_text().splitlines() == [
        "split,youtube_id,start_time",
        "train,ddddddddddd,5",
        "val,fffffffffff,0",
        "test,hhhhhhhhhhh,0",
    ]
    train = read_manifest(folder / "train_audioset_orig.json")
    assert [e.id for e in train.entries] == ["Yaaaaaaaaaaa.wav", "bbbbbbbbb-b_0.wav", "ccccccccc_c_10000_20000.flac"]
    assert all((folder / e.audio).is_file() for e in train.entries)
    assert read_manifest(folder / "test_full.json").captions_per_audio == 5
    assert (folder / "test_audioset_5_future_past_reverse.json").is_file()

    (clips / "fffffffffff_0.wav").write_bytes((clips / "bbbbbbbbb-b_0.wav").read_bytes())
    assert prepare_audiocaps(clips).record.missing["val"] == 0, "a rerun matches the clips added since"


def test_audiocaps_folder_without_a_matching_clip_is_one_line(audiocaps_net, tmp_path, monkeypatch, capsys):
    clips = _user_clips(tmp_path / "mine", ["song.wav", "zzzzzzzzzzz_1.wav"])
    err = _one_line_error(monkeypatch, capsys, "data", "prepare", "audiocaps", "--audio-dir", clips)
    assert f"no clip of the AudioCaps CSVs matches a file in {clips} (2 audio files seen)" in err
    assert "name the clips Y<id>.wav, <id>_<start>.wav or <id>_<start>_<end>.flac" in err
    assert not home.dataset_dir("audiocaps").exists()


def test_audiocaps_download_fetches_missing_clips_through_yt_dlp(audiocaps_net, tmp_path, monkeypatch):
    clips = _user_clips(tmp_path / "mine", ["Yaaaaaaaaaaa.wav"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "yt-dlp"
    # Writes a copy of a clip where -o says, for the ids of the val split only (the others "are gone").
    fake.write_text(
        "#!/bin/sh\n"
        'for a; do url="$a"; done\n'
        'case "$url" in *eeeeeeeeeee|*fffffffffff) ;; *) exit 1;; esac\n'
        'while [ "$1" != "--output" ]; do shift; done\n'
        f'cp "{clips / "Yaaaaaaaaaaa.wav"}" "$(echo "$2" | sed "s/%(ext)s/wav/")"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    prepared = prepare_audiocaps(clips, download=True)
    assert prepared.record.missing == {"train": 3, "val": 0, "test": 2}
    assert (clips / "eeeeeeeeeee_20.wav").is_file() and (clips / "fffffffffff_0.wav").is_file()


@pytest.mark.parametrize(
    ("csv_name", "published", "clips", "absent_from_csv"),
    [("val.csv", "val_audioset_5_orig.json", 428, 1), ("test.csv", "test_full.json", 816, 9)],
)
def test_the_papers_audiocaps_files_against_the_csv_captions(
    reference_data, csv_name, published, clips, absent_from_csv
):
    """What docs/data.md says: the CSV's captions and order; the clip set is the authors' copy's."""
    from dtu_audio.datasets.manifest import manifest_from_csv

    by_youtube_id = {e.id[1:-4]: e.captions for e in manifest_from_csv(reference_data / "audiocaps" / csv_name).entries}
    paper = read_manifest(reference_data / "audiocaps" / published)
    shared = [e for e in paper.entries if e.id[:11] in by_youtube_id]
    assert len(paper) == clips and len(paper) - len(shared) == absent_from_csv
    assert all(e.captions == by_youtube_id[e.id[:11]] for e in shared)
    assert [e.id[:11] for e in shared] == [i for i in by_youtube_id if i in {e.id[:11] for e in shared}]
