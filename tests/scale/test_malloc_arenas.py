"""Long-running commands (``serve``, ``worker``) cap the C library's malloc arenas, so that a server's
memory is not spread over an arena per thread, and fix its memory-map threshold, so that large freed
arrays go back to the system instead of leaving holes in a growing heap; the processes they start
inherit both, and an operator who set ``MALLOC_ARENA_MAX`` or ``MALLOC_MMAP_THRESHOLD_`` keeps that
choice."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
CODE = (
    "import os; from recallguard.scale.bulk_gc import cap_malloc_arenas; "
    "print(cap_malloc_arenas(), os.environ.get('MALLOC_ARENA_MAX'))"
)


def _cap(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", CODE], env=base | env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_capped_at_two_and_passed_on_to_processes_started_later() -> None:
    assert _cap() == ["True", "2"]


def test_the_operators_setting_wins() -> None:
    assert _cap(MALLOC_ARENA_MAX="8") == ["False", "8"]


MMAP = (
    "import os; from recallguard.scale.bulk_gc import fix_mmap_threshold; "
    "print(fix_mmap_threshold(), os.environ.get('MALLOC_MMAP_THRESHOLD_'))"
)


def _fix(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    done = subprocess.run(
        [sys.executable, "-c", MMAP], env=base | env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_mmap_threshold_fixed_and_passed_on() -> None:
    assert _fix() == ["True", "131072"]


def test_the_operators_mmap_threshold_wins() -> None:
    assert _fix(MALLOC_MMAP_THRESHOLD_="65536") == ["False", "65536"]
