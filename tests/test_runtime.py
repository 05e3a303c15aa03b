"""keep_freed_memory: a freed large tensor's memory stays in the process for the next one."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

RETURNED_MIB = """
import sys, torch
from dtu_audio.runtime import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20
block = torch.ones(16 * 2**20)  # 64 MiB, every page touched
before = resident_mib()
del block
print(before - resident_mib())
"""


def _returned_mib(setting: str) -> float:
    done = subprocess.run([sys.executable, "-c", RETURNED_MIB, setting], capture_output=True, text=True, check=True)
    return float(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc malloc setting")
def test_freed_tensors_stay_in_the_process_for_reuse():
    assert _returned_mib("default") > 60  # glibc unmaps a block that large at once
    assert _returned_mib("keep") < 4
