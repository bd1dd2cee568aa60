"""openapi.json at the repository root is the app's schema; `make openapi` regenerates it."""

from __future__ import annotations

from pathlib import Path

from cwsync.openapi import render

ROOT = Path(__file__).resolve().parents[1]


def test_openapi_json_is_current() -> None:
    committed = (ROOT / "openapi.json").read_text()
    assert committed == render(), "openapi.json is stale: run `make openapi`"
