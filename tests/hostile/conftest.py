"""Hypothesis profiles of the hostile-input tests.

``ci`` (the default here) keeps the folder fast: a few dozen examples per property, no deadline (the
2-core CI machine is noisy). ``thorough`` is for a long local run:
``pytest tests/hostile --hypothesis-profile=thorough``. An explicit ``--hypothesis-profile`` always wins.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same inputs on every run: a failure here is reproducible, never flaky
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", default=None):
        settings.load_profile("ci")
