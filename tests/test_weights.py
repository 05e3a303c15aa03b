"""The weight cache against a real HTTP server on 127.0.0.1 playing Google Drive and the hub."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import types

import gdown
import pytest
import torch
from cli_helpers import dtu_process
from fake_net import FakeNet
from paper_layout import audioset_state, paper_state, write_wavcaps_standin

from conftest import REPO_ROOT
from dtu_audio.encoders.checkpoint import save_checkpoint
from dtu_audio.errors import DtuError
from dtu_audio.weights import drive, fetch, import_file, registry, weight_path
from dtu_audio.weights.cache import WeightCache

WAVCAPS = registry.KNOWN["wavcaps-pt"].drive_id
HTSAT = registry.KNOWN["htsat-audioset"].drive_id
FOLDER = registry.KNOWN["dtu-finetuned"].drive_id
BERT = registry.KNOWN["bert-base-uncased"]
BERT_FILES = (*BERT.hf_files, *BERT.hf_optional_files, "model.safetensors")


def checkpoint_bytes(key: str, values: int = 1000) -> bytes:
    buffer = io.BytesIO()
    torch.save({key: {"weight": torch.arange(values, dtype=torch.float32)}}, buffer)
    return buffer.getvalue()


# Over gdown's 512 KiB read size, so a connection dropped half-way has delivered bytes to resume from.
BIG_WAVCAPS = checkpoint_bytes("model", 300_000)


@pytest.fixture
def net(monkeypatch):
    fake = FakeNet()
    fake.drive_files[WAVCAPS] = ("HTSAT-BERT-PT.pt", BIG_WAVCAPS)
    fake.drive_files[HTSAT] = ("HTSAT.ckpt", checkpoint_bytes("state_dict"))
    fake.drive_files["a" * 33] = ("audiocaps_lambda10.pt", checkpoint_bytes("model", 10))
    fake.drive_files["b" * 33] = ("clotho_lambda10.pt", checkpoint_bytes("model", 20))
    fake.folders[FOLDER] = ("DTU checkpoints", ["a" * 33, "b" * 33])
    fake.hub_repos[BERT.hf_repo] = {
        name: f"{name} of bert".encode() for name in (*BERT_FILES, "pytorch_model.bin", "tf_model.h5")
    }
    fake.hub_repos[BERT.hf_repo]["config.json"] = b'{"model_type": "bert"}\n'

    yield from fake.serve(monkeypatch)


def drive_requests(net: FakeNet, file_id: str):
    return [r for r in net.requests if r.host.endswith("google.com") and f"id={file_id}" in r.path]


def test_drive_file_is_fetched_through_gdown_and_recorded(net):
    assert fetch(["wavcaps-pt"]) == [("wavcaps-pt", "downloaded")]
    path = weight_path("wavcaps-pt")
    assert path.name == "HTSAT-BERT-PT.pt"
    assert path.read_bytes() == BIG_WAVCAPS
    record = WeightCache().read_manifest()["wavcaps-pt"]
    assert record.sha256 == hashlib.sha256(BIG_WAVCAPS).hexdigest()
    assert (record.source, record.size) == (f"gdrive:{WAVCAPS}", len(BIG_WAVCAPS))
    assert not WeightCache().partial_dir("wavcaps-pt").exists()
    assert fetch(["wavcaps-pt"]) == [("wavcaps-pt", "cached")]
    assert len(drive_requests(net, WAVCAPS)) == 1


def test_virus_scan_page_is_confirmed_by_gdown(net):
    net.virus_scan_ids.add(WAVCAPS)
    fetch(["wavcaps-pt"])
    assert weight_path("wavcaps-pt").read_bytes() == BIG_WAVCAPS
    assert net.seen("drive.usercontent.google.com", f"/download?id={WAVCAPS}")


def test_quota_page_is_one_error_with_the_way_round(net):
    net.quota_ids.add(HTSAT)
    with pytest.raises(DtuError) as err:
        fetch(["htsat-audioset"])
    message = str(err.value)
    assert "Too many users have viewed or downloaded this file recently" in message
    assert f"https://drive.google.com/uc?id={HTSAT}" in message
    assert "dtu fetch-weights --import htsat-audioset /path/to/HTSAT.ckpt" in message
    assert "\n" not in message
    with pytest.raises(DtuError, match="run: dtu fetch-weights htsat-audioset"):
        weight_path("htsat-audioset")


def test_file_without_public_access_is_one_error_with_the_way_round(net):
    del net.drive_files[HTSAT]
    with pytest.raises(DtuError, match="page instead of the file .*Anyone with the link.*--import htsat-audioset"):
        fetch(["htsat-audioset"])
    assert WeightCache().read_manifest() == {}


def test_dropped_connection_resumes_with_a_range_request(net):
    net.interrupt_once.add(WAVCAPS)
    fetch(["wavcaps-pt"])
    assert weight_path("wavcaps-pt").read_bytes() == BIG_WAVCAPS
    ranges = [r.headers.get("Range") for r in drive_requests(net, WAVCAPS)]
    assert ranges[0] is None
    assert ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"


def test_partial_file_of_a_failed_run_is_resumed_by_the_next(net, monkeypatch):
    monkeypatch.setattr(drive, "RETRIES", 0)
    net.interrupt_once.add(WAVCAPS)
    with pytest.raises(DtuError, match="run the same command again to resume"):
        fetch(["wavcaps-pt"])
    partial = list(WeightCache().partial_dir("wavcaps-pt").glob("*.part"))
    assert len(partial) == 1
    kept = partial[0].stat().st_size
    assert 0 < kept < len(BIG_WAVCAPS)
    with pytest.raises(DtuError):
        weight_path("wavcaps-pt")
    fetch(["wavcaps-pt"])
    assert weight_path("wavcaps-pt").read_bytes() == BIG_WAVCAPS
    assert drive_requests(net, WAVCAPS)[-1].headers["Range"] == f"bytes={kept}-"


def test_checksum_mismatch_keeps_the_old_file_and_leaves_no_broken_one(net, monkeypatch):
    known = dataclasses.replace(registry.KNOWN["wavcaps-pt"], sha256=hashlib.sha256(BIG_WAVCAPS).hexdigest())
    monkeypatch.setitem(registry.KNOWN, "wavcaps-pt", known)
    fetch(["wavcaps-pt"])
    manifest_before = WeightCache().manifest_path.read_text()
    net.drive_files[WAVCAPS] = ("HTSAT-BERT-PT.pt", checkpoint_bytes("model", 5))
    with pytest.raises(DtuError, match="sha256 is .* expected") as err:
        fetch(["wavcaps-pt"], force=True)
    assert "the cached copy (if any) is kept" in str(err.value)
    assert weight_path("wavcaps-pt").read_bytes() == BIG_WAVCAPS
    assert WeightCache().manifest_path.read_text() == manifest_before
    assert not WeightCache().partial_dir("wavcaps-pt").exists()


def test_a_page_served_as_the_file_is_not_cached(net):
    net.drive_files[HTSAT] = ("HTSAT.ckpt", b"<html><body>Sign in to continue</body></html>")
    with pytest.raises(DtuError, match="htsat-audioset is corrupt: .* not a PyTorch checkpoint"):
        fetch(["htsat-audioset"])
    assert "htsat-audioset" not in WeightCache().read_manifest()


def test_offline_mode_never_touches_the_network(net, monkeypatch):
    with pytest.raises(DtuError, match="offline mode forbids downloading.*--import wavcaps-pt"):
        fetch(["wavcaps-pt"], offline=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DtuError, match="offline mode forbids listing"):
        fetch(["dtu-finetuned"])
    assert net.requests == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    fetch(["wavcaps-pt", "dtu-finetuned"])
    seen = len(net.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert [status for _, status in fetch(["wavcaps-pt", "dtu-finetuned"])] == ["cached"] * 3
    assert len(net.requests) == seen


def test_drive_folder_files_become_named_entries(net):
    results = fetch(["dtu-finetuned"])
    assert results == [
        ("dtu-finetuned/audiocaps_lambda10", "downloaded"),
        ("dtu-finetuned/clotho_lambda10", "downloaded"),
    ]
    assert weight_path("dtu-finetuned/clotho_lambda10").read_bytes() == net.drive_files["b" * 33][1]
    assert WeightCache().read_manifest()["dtu-finetuned/audiocaps_lambda10"].source == f"gdrive:{'a' * 33}"
    with pytest.raises(DtuError, match="run: dtu fetch-weights dtu-finetuned"):
        weight_path("dtu-finetuned/esc50")
    listing = fetch_weights("--list", env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(map(len, listing)) <= 80
    assert any("dtu-finetuned " in line and "2 files" in line for line in listing)
    assert any("dtu-finetuned/clotho_lambda10" in line and "yes" in line for line in listing)
    wide = fetch_weights("--list", "--wide", env={"COLUMNS": "80"}).stdout.splitlines()
    assert any("dtu-finetuned/clotho_lambda10 " in line and f"gdrive:{'b' * 33}" in line for line in wide)


def test_no_network_is_one_clear_error(net, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    with pytest.raises(DtuError, match="cannot reach Google Drive.*--import wavcaps-pt"):
        fetch(["wavcaps-pt"])


def test_disk_full_is_one_clear_error(net, monkeypatch):
    def no_space(**kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", kwargs["output"])

    monkeypatch.setattr(gdown, "download", no_space)
    with pytest.raises(DtuError, match="the disk is full.*--cache-dir.*--import wavcaps-pt"):
        fetch(["wavcaps-pt"])


def test_import_checks_the_file_before_registering_it(tmp_path, monkeypatch):
    good = write_wavcaps_standin(tmp_path / "downloaded.pt")
    wrong = tmp_path / "htsat.ckpt"
    torch.save({"state_dict": audioset_state()}, wrong)
    page = tmp_path / "page.html"
    page.write_text("<html>quota exceeded</html>")
    with pytest.raises(DtuError, match="htsat.ckpt is an audio-encoder checkpoint .*no top-level 'model'"):
        import_file("wavcaps-pt", wrong)
    with pytest.raises(DtuError, match="is an HTML page, not a PyTorch checkpoint"):
        import_file("wavcaps-pt", page)
    assert WeightCache().read_manifest() == {}
    record = import_file("wavcaps-pt", good)
    assert weight_path("wavcaps-pt").read_bytes() == good.read_bytes()
    assert weight_path("wavcaps-pt").name == "HTSAT-BERT-PT.pt"
    assert record.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    known = dataclasses.replace(registry.KNOWN["htsat-audioset"], sha256="0" * 64)
    monkeypatch.setitem(registry.KNOWN, "htsat-audioset", known)
    with pytest.raises(DtuError, match="its sha256 is .* expected 0000"):
        import_file("htsat-audioset", wrong)


def fetch_weights(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return dtu_process("fetch-weights", *args, env=env, timeout=120)


def test_cli_default_fetch_uses_gdown_and_the_hub_then_works_offline(net):
    env = net.env()
    result = fetch_weights(env=env)
    assert result.returncode == 0, result.stderr
    assert "wavcaps-pt: downloaded" in result.stdout and "bert-base-uncased: downloaded" in result.stdout
    bert = weight_path("bert-base-uncased")
    assert sorted(p.name for p in bert.iterdir() if p.is_file()) == sorted(BERT_FILES)
    assert (bert / "vocab.txt").read_bytes() == b"vocab.txt of bert"
    assert net.seen("127.0.0.1", f"/{BERT.hf_repo}/resolve/")
    record = json.loads(WeightCache().manifest_path.read_text())["entries"]["bert-base-uncased"]
    assert record["source"] == f"hf:{BERT.hf_repo}@main" and len(record["sha256"]) == 64
    assert not WeightCache().partial_dir("bert-base-uncased").exists()
    listing = fetch_weights("--list", env=env)
    assert listing.returncode == 0
    rows = {line.split()[0]: line for line in listing.stdout.splitlines()[3:] if line.strip()}
    assert "yes" in rows["wavcaps-pt"] and "yes" in rows["bert-base-uncased"] and "no" in rows["htsat-audioset"]
    seen = len(net.requests)
    offline = fetch_weights(env={**env, "HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 0, offline.stderr
    assert "wavcaps-pt: cached" in offline.stdout and "bert-base-uncased: cached" in offline.stdout
    assert len(net.requests) == seen


def test_cli_failure_is_one_line_and_exit_2(net):
    net.quota_ids.add(HTSAT)
    result = fetch_weights("htsat-audioset", env=net.env())
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: could not download htsat-audioset")
    assert "Traceback" not in result.stderr
    assert "dtu fetch-weights --import htsat-audioset" in " ".join(result.stderr.split())


def test_cli_import_then_weight_path(tmp_path):
    file = write_wavcaps_standin(tmp_path / "HTSAT-BERT-PT.pt")
    result = fetch_weights("--import", "wavcaps-pt", str(file), env={})
    assert result.returncode == 0, result.stderr
    assert weight_path("wavcaps-pt").read_bytes() == file.read_bytes()


def test_two_processes_fetching_the_same_entry_download_it_once(net):
    net.slow_ids.add(WAVCAPS)
    env = {**os.environ, **net.env()}
    command = [sys.executable, "-m", "dtu_audio", "fetch-weights", "wavcaps-pt"]
    procs = [subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    assert sorted(out.split(":")[1].split()[0] for out in outputs) == ["cached", "downloaded"]
    assert len(drive_requests(net, WAVCAPS)) == 1
    assert weight_path("wavcaps-pt").read_bytes() == BIG_WAVCAPS


def test_cli_hub_unreachable_is_one_clear_error(net):
    result = fetch_weights("bert-base-uncased", env={**net.env(), "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert message.startswith("error: could not download bert-base-uncased")
    assert "cannot reach the Hugging Face hub" in message and "--cache-dir DIR" in message
    assert "bert-base-uncased" not in WeightCache().read_manifest()


def test_cache_dir_option_wins_over_dtu_home(tmp_path):
    file = tmp_path / "HTSAT.ckpt"
    torch.save({"state_dict": audioset_state()}, file)
    cache_dir = tmp_path / "elsewhere"
    result = fetch_weights("--import", "htsat-audioset", str(file), "--cache-dir", str(cache_dir), env={})
    assert result.returncode == 0, result.stderr
    assert weight_path("htsat-audioset", cache_dir=cache_dir).read_bytes() == file.read_bytes()
    with pytest.raises(DtuError, match="not in the weight cache"):
        weight_path("htsat-audioset")


def test_unreadable_manifest_and_unwritable_cache_are_clear_errors(tmp_path):
    cache = WeightCache()
    cache.root.mkdir(parents=True, exist_ok=True)
    cache.manifest_path.write_text("{not json")
    with pytest.raises(DtuError, match="manifest .* is unreadable.*delete it"):
        weight_path("wavcaps-pt")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    good = write_wavcaps_standin(tmp_path / "HTSAT-BERT-PT.pt")
    with pytest.raises(DtuError, match="cannot create the weight cache"):
        import_file("wavcaps-pt", good, cache_dir=blocker / "cache")


def test_import_refuses_files_that_do_not_fit_the_entry_and_says_what_they_are(tmp_path, model, spec):
    ours = tmp_path / "best.pt"
    save_checkpoint(ours, model, spec)
    with pytest.raises(DtuError) as err:
        import_file("wavcaps-pt", ours)
    message = str(err.value)
    assert "a dtu checkpoint with a 32-d embedding and a 32-wide text encoder, not the WavCaps HTSAT-BERT" in message
    assert "\n" not in message
    with pytest.raises(DtuError, match="a retrieval-model checkpoint with a 1024-d .* not the AudioSet HTSAT"):
        import_file("htsat-audioset", write_wavcaps_standin(tmp_path / "wavcaps.pt"))
    state = paper_state()
    state["audio_proj.2.weight"] = torch.zeros(3, 3)
    torch.save({"model": state}, tmp_path / "resized.pt")
    with pytest.raises(DtuError, match=r"mis-shaped \(audio_proj.2.weight: \[3, 3\] in the file"):
        import_file("dtu-finetuned/resized", tmp_path / "resized.pt")
    (tmp_path / "settings.json").write_text('{"model": {}}')
    with pytest.raises(DtuError, match="settings.json is a JSON file, not a PyTorch checkpoint"):
        import_file("wavcaps-pt", tmp_path / "settings.json")
    assert WeightCache().read_manifest() == {}


def test_import_takes_our_checkpoints_as_fine_tuned_entries(tmp_path, model, spec):
    ours = tmp_path / "best.pt"
    save_checkpoint(ours, model, spec)
    import_file("dtu-finetuned/ours", ours)
    assert weight_path("dtu-finetuned/ours").read_bytes() == ours.read_bytes()


def test_import_accepts_a_lightning_checkpoint_without_running_its_classes(tmp_path, monkeypatch):
    """HTSAT.ckpt is a Lightning checkpoint: its callbacks are pickled classes, read as inert stand-ins."""
    module = types.ModuleType("pytorch_lightning.callbacks.early_stopping")

    class EarlyStopping:
        pass

    EarlyStopping.__module__, EarlyStopping.__qualname__ = module.__name__, "EarlyStopping"
    module.EarlyStopping = EarlyStopping
    for name in ("pytorch_lightning", "pytorch_lightning.callbacks", module.__name__):
        monkeypatch.setitem(sys.modules, name, module if name == module.__name__ else types.ModuleType(name))
    lightning = tmp_path / "HTSAT.ckpt"
    torch.save({"state_dict": audioset_state(), "callbacks": {EarlyStopping: {"best": 1.0}}}, lightning)
    import_file("htsat-audioset", lightning)
    assert weight_path("htsat-audioset").read_bytes() == lightning.read_bytes()


def test_a_fetch_waits_for_the_process_holding_the_entry_lock(net):
    waited = threading.Event()
    results = []
    worker = threading.Thread(target=lambda: results.extend(fetch(["wavcaps-pt"], on_wait=lambda _: waited.set())))
    with WeightCache().entry_lock("wavcaps-pt"):
        worker.start()
        assert waited.wait(timeout=30)
        assert net.requests == []
    worker.join(timeout=60)
    assert results == [("wavcaps-pt", "downloaded")]
