"""The routing acceptance tests run on tests/data/routing.yaml, a matrix made for timing."""

from __future__ import annotations

import pytest

from tests.routing.test_routing_spec import use_routing


@pytest.fixture(autouse=True)
def _routing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_routing(monkeypatch)
