"""Every ``--help`` reads at 80 columns: no ``<bool>`` beside flags, no long float reprs, no cut descriptions."""

from __future__ import annotations

import re

import pytest
from cli_helpers import COMMANDS, run_dtu

from dtu_audio.errors import brief


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dtu")
def test_help_reads_at_80_columns(monkeypatch, capsys, command):
    code, out, _ = run_dtu(monkeypatch, capsys, *command, "--help")
    assert code == 0 and out.startswith("Usage:")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "<bool>" not in out  # flags take no value
    assert not re.search(r"\d\.\d{5,}", out)  # no 0.8333333333333334
    commands = out.partition("\nCommands:\n")[2].splitlines()
    assert not [line for line in commands if line.endswith("...")]  # one-line descriptions fit whole


def test_flags_are_listed_without_a_value(monkeypatch, capsys):
    _, out, _ = run_dtu(monkeypatch, capsys, "syncaps", "generate", "--help")
    assert re.search(r"^  --disjoint-splits +No source clip", out, re.MULTILINE)
    assert "[default: (5/6)]" in out
    _, out, _ = run_dtu(monkeypatch, capsys, "train", "--help")
    assert "--set SECTION.FIELD=VALUE" in out


def test_brief_cuts_long_errors_at_a_word_boundary():
    text = "connection refused by the proxy " * 20
    short = brief(text, 100)
    assert len(short) <= 100 and short.endswith(" ...")
    assert short.removesuffix(" ...").split()[-1] in text.split()
    assert brief("a  short\n message") == "a short message"


def test_spec_presets_says_what_each_is_for(monkeypatch, capsys):
    code, out, _ = run_dtu(monkeypatch, capsys, "spec", "presets")
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines] == ["audiocaps", "clotho", "quickstart", "syncaps", "tiny"]
    assert "quickstart  The offline quickstart" in lines and max(map(len, lines)) <= 80
