"""The demo pilot switched to the DuckDB demo warehouse: `testbed sync` + `testbed analyze
--json` print what the folder version prints."""

from __future__ import annotations

import json

from testbed.sources.demo import DEMO_PILOT, DEMO_SOURCE
from tests.sources.conftest import EXPERIMENTS, assert_same


def test_sync_and_analyze_give_the_json_of_the_folder(runner, tmp_path):
    from testbed.sources.demo import build_warehouse

    warehouse = tmp_path / "warehouse.duckdb"
    assert build_warehouse(warehouse, EXPERIMENTS / DEMO_PILOT) == 8874
    assert runner.invoke(args=["load", str(EXPERIMENTS / DEMO_PILOT)]).exit_code == 0
    folder = runner.invoke(args=["analyze", DEMO_PILOT, "--json"])
    assert folder.exit_code == 0, folder.output

    steps = (
        ["sources", "add", DEMO_SOURCE, f"duckdb:///{warehouse}"],
        ["sources", "switch", DEMO_PILOT, DEMO_SOURCE],
        ["sync"],
    )
    for step in steps:
        result = runner.invoke(args=step)
        assert result.exit_code == 0, (step, result.output)
    assert f"{DEMO_PILOT}: refreshed (8874 rows" in result.output
    synced = runner.invoke(args=["analyze", DEMO_PILOT, "--json"])

    assert_same(json.loads(folder.output), json.loads(synced.output))
    again = runner.invoke(args=["sync", DEMO_PILOT])
    assert again.exit_code == 0
    # The source sums in parallel, so a second refresh may differ in the last bits.
    resynced = runner.invoke(args=["analyze", DEMO_PILOT, "--json"])
    assert_same(json.loads(synced.output), json.loads(resynced.output))


def test_sync_fails_with_exit_code_1_and_keeps_the_data(runner, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    from testbed.sources.demo import build_warehouse

    build_warehouse(warehouse, EXPERIMENTS / DEMO_PILOT)
    runner.invoke(args=["load", str(EXPERIMENTS / DEMO_PILOT)])
    runner.invoke(args=["sources", "add", DEMO_SOURCE, f"duckdb:///{warehouse}"])
    runner.invoke(args=["sources", "switch", DEMO_PILOT, DEMO_SOURCE])
    assert runner.invoke(args=["sync"]).exit_code == 0
    before = runner.invoke(args=["analyze", DEMO_PILOT, "--json"]).output
    warehouse.unlink()

    failed = runner.invoke(args=["sync", DEMO_PILOT])

    assert failed.exit_code == 1
    assert "earlier data kept" in failed.output
    assert runner.invoke(args=["analyze", DEMO_PILOT, "--json"]).output == before
