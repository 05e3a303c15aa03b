import shutil
import subprocess
import sys

from dtu_audio import __version__


def dtu(*args: str) -> subprocess.CompletedProcess:
    """Run the installed ``dtu`` entry point (``python -m dtu_audio`` when it is not on PATH)."""
    command = [shutil.which("dtu")] if shutil.which("dtu") else [sys.executable, "-m", "dtu_audio"]
    return subprocess.run([*command, *args], capture_output=True, text=True)


def test_version():
    result = dtu("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"dtu-audio {__version__}"


def test_help_lists_commands_with_one_line_help():
    result = dtu("--help")
    assert result.returncode == 0
    assert "spec" in result.stdout and "Show presets and resolved run specs." in result.stdout


def test_spec_error_is_one_line_without_traceback(tmp_path):
    result = dtu("spec", "show", "clotho", "--set", "train.precision=fp16")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: invalid value: train.precision")
    assert lines[0].endswith("(given on the command line as train.precision=fp16)")


def test_spec_show_writes_resolved_spec(tmp_path):
    out = tmp_path / "spec.yaml"
    result = dtu("spec", "show", "syncaps", "--set", "train.epochs=3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "epochs: 3" in out.read_text()


def test_unknown_command_is_a_usage_error_not_a_traceback():
    result = dtu("no-such-command")
    assert result.returncode == 2 and "No such command" in result.stderr and "Traceback" not in result.stderr


def test_error_text_with_brackets_is_printed_verbatim(tmp_path):
    result = dtu("spec", "show", str(tmp_path / "[x].yaml"))
    assert result.returncode == 2 and "[x].yaml" in result.stderr
