"""`python -m benchmarks.sync --quick` runs end to end and prints every figure of issue 8.

Timings are not asserted (the machine is shared; the figures are for people to read), only
that each figure is there, for the base run and for the run with twice the clients.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import pg_admin_url, require_postgres

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]

# Printed once per sync scenario: the base run and the one with twice the clients.
PER_SCENARIO = (
    "wall time T:",
    "requests by method:",
    "requests per unchanged client:",
    "requests per changed client:",
    "bound T*:",
    "efficiency T*/T:",
    "scheduler peak RSS:",
)
ONCE = (
    "memory growth at 2× clients:",
    "naive wall time:",
    "speed-up over naive:",
    "API requests/s:",
    "API latency p50:",
)


def test_quick_benchmark_prints_every_figure(tmp_path: Path):
    require_postgres()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.sync",
            "--quick",
            "--database-url",
            pg_admin_url(),
            "--workdir",
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    for label in PER_SCENARIO:
        assert sum(line.startswith(label) for line in lines) == 2, (label, completed.stdout)
    for label in ONCE:
        assert sum(line.startswith(label) for line in lines) == 1, (label, completed.stdout)
    assert "T*/T: 0.000" not in completed.stdout  # a figure computed from nothing
