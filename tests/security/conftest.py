"""Fixtures for the security proofs."""

from __future__ import annotations

import pytest

from tests.conftest import MINIMAL_TOML
from tests.finance.conftest import FINANCE_TOML
from tests.security.world import World, build_world


@pytest.fixture
def world(app, write_pilot, monkeypatch, tmp_path) -> World:
    """A pilot with a financial case, everyone who may address it, and their API tokens."""
    folder = write_pilot("reminders", pilot__toml=MINIMAL_TOML + FINANCE_TOML)
    return build_world(app, folder, monkeypatch, tmp_path)
