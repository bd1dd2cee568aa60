"""The ``cwsync`` command: one entry point for every process of DESIGN.md §2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="cwsync: ConnectWise agreement additions in step with INFIMA user counts.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Run the REST API (uvicorn, cwsync.app:create_app)."""
    import uvicorn

    from cwsync.config import get_settings

    get_settings().check_production()
    uvicorn.run(
        "cwsync.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=False,
    )


@app.command()
def scheduler() -> None:
    """Run the scheduler: nightly runs enqueued every tick, workers claim and sync."""
    from scheduler.main import run

    run()


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Upgrade the database schema (alembic upgrade head)."""
    from cwsync import migrate as migrations

    migrations.upgrade(revision=revision)
    typer.echo(f"database migrated to {revision}")


@app.command()
def sync(
    partner: Annotated[str, typer.Option("--partner", help="partner id")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="compute, write nothing")] = False,
) -> None:
    """Queue a manual run for a partner and follow it to the end."""
    from cwsync.sync.follow import follow_cli

    raise typer.Exit(follow_cli(partner, dry_run))


@app.command()
def simulator(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8900,
    seed: Annotated[Path | None, typer.Option(help="seed JSON (default: the demo seed)")] = None,
    latency_ms: Annotated[int, typer.Option(help="fixed latency per request")] = 0,
    log_bodies: Annotated[
        bool, typer.Option(help="keep request and answer bodies in the request log")
    ] = True,
    log_limit: Annotated[int, typer.Option(help="requests kept in the request log")] = 200_000,
) -> None:
    """Run the ConnectWise PSA simulator."""
    from cwsync.simulator.server import run

    # Benchmarks count tens of thousands of requests: --no-log-bodies keeps the log small.
    run(host, port, seed, latency_ms=latency_ms, log_bodies=log_bodies, request_log_limit=log_limit)


@app.command()
def demo() -> None:
    """Run the whole job end to end on the embedded default."""
    from cwsync.demo.main import run

    raise typer.Exit(run())


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored private key under the newest CWSYNC_ENCRYPTION_KEYS key."""
    import asyncio

    from cwsync.connections.rotation import rotate_all

    count = asyncio.run(rotate_all())
    typer.echo(f"re-encrypted {count} private key(s)")


@app.command("generate-key")
def generate_key() -> None:
    """Print a new Fernet key for CWSYNC_ENCRYPTION_KEYS."""
    from cwsync.security.encryption import generate_key as new_key

    typer.echo(new_key())


@app.command()
def openapi(
    output: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
) -> None:
    """Print or write the API's OpenAPI schema (make openapi)."""
    from cwsync.openapi import render

    text = render()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        typer.echo(f"wrote {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
