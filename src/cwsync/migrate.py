"""Run Alembic from code (``cwsync migrate``, tests, the demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]


def _project_root() -> Path:
    # Editable installs and the source tree keep alembic.ini two levels up; an installed
    # wheel (the Docker image) runs from a working directory that holds it.
    return REPO_ROOT if (REPO_ROOT / "alembic.ini").exists() else Path.cwd()


def alembic_config(database_url: str | None = None) -> Config:
    root = _project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["configure_logger"] = False
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
