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


def _set(function: str, variable: str, **env: str) -> list[str]:
    """What ``function`` of ``scale.bulk_gc`` returns in a fresh process without ``variable`` (unless
    ``env`` sets it), and the value of ``variable`` it leaves for the processes it starts."""
    code = (
        f"import os; from recallguard.scale.bulk_gc import {function}; "
        f"print({function}(), os.environ.get({variable!r}))"
    )
    base = {k: v for k, v in os.environ.items() if k != variable}
    done = subprocess.run(
        [sys.executable, "-c", code], env=base | env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_capped_at_two_and_passed_on_to_processes_started_later() -> None:
    assert _set("cap_malloc_arenas", "MALLOC_ARENA_MAX") == ["True", "2"]


def test_the_operators_setting_wins() -> None:
    assert _set("cap_malloc_arenas", "MALLOC_ARENA_MAX", MALLOC_ARENA_MAX="8") == ["False", "8"]


def test_mmap_threshold_fixed_and_passed_on() -> None:
    assert _set("fix_mmap_threshold", "MALLOC_MMAP_THRESHOLD_") == ["True", "131072"]


def test_the_operators_mmap_threshold_wins() -> None:
    env = {"MALLOC_MMAP_THRESHOLD_": "65536"}
    assert _set("fix_mmap_threshold", "MALLOC_MMAP_THRESHOLD_", **env) == ["False", "65536"]
