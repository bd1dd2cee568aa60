"""`cwsync scheduler`: one asyncio loop with an APScheduler tick and the run workers.

Wiring only; the rules live in `cwsync.sync` (`scheduling.enqueue_due_runs` decides what is
due, `worker.Worker` claims and executes runs). Every `scheduler_tick_seconds` the tick
queues the nightly runs whose local sync time has passed; between ticks the worker polls for
queued runs (nightly and manual), `max_concurrent_runs` at a time. Any number of replicas may
run against one PostgreSQL database: run keys make the nightly insert exactly-once, `SKIP
LOCKED` claims and leases share the work. SIGTERM/SIGINT: stop claiming, let in-flight runs
finish for `scheduler_shutdown_grace_seconds`, then release them to the other replicas.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import start_http_server

from cwsync.clock import utcnow
from cwsync.config import Settings, get_settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connectwise import SplitPoolTransport
from cwsync.db import SessionMaker, create_engine, create_sessionmaker
from cwsync.logging import configure_logging
from cwsync.sync.executor import SyncDeps
from cwsync.sync.scheduling import enqueue_due_runs
from cwsync.sync.worker import Worker

log = structlog.get_logger("scheduler")


def run() -> None:
    """Entry point of `cwsync scheduler`."""
    settings = get_settings()
    settings.check_production()
    configure_logging(settings.log_level, settings.log_json)
    # APScheduler logs every tick at INFO; the tick logs what it queued itself.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    tune_gc()
    asyncio.run(serve(settings))


def tune_gc() -> None:
    """Fewer, shorter garbage-collector pauses while runs are in flight.

    A full collection walks every tracked object, the ~130,000 that importing FastAPI,
    SQLAlchemy and pydantic leaves for good included: at the default thresholds the sync
    benchmark saw ten per 25 s, up to 0.3 s each, every one stalling all the ConnectWise
    requests in flight (issue 8: efficiency 0.78-0.86 before, 0.85-0.94 after). Start-up's
    objects are frozen out of every collection, and a larger first threshold makes
    collections ten times rarer, for about 14 MB more resident memory.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)


async def tick(sessionmaker: SessionMaker, worker: Worker) -> None:
    try:
        queued = await enqueue_due_runs(sessionmaker, utcnow())
    except Exception:  # the next tick tries again; the process must not die of a DB blip
        log.exception("tick_failed")
        return
    if queued:
        log.info("runs_queued", count=len(queued))
        worker.wake()


def build_scheduler(
    settings: Settings, sessionmaker: SessionMaker, worker: Worker
) -> AsyncIOScheduler:
    zone = ZoneInfo(settings.scheduler_timezone)
    scheduler = AsyncIOScheduler(timezone=zone)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=settings.scheduler_tick_seconds, timezone=zone),
        args=[sessionmaker, worker],
        id="enqueue_due_runs",
        next_run_time=datetime.now(zone),  # first tick at start, not a minute later
        misfire_grace_time=settings.scheduler_misfire_grace_seconds,
        coalesce=True,  # a loop that stalled runs the tick once, not once per missed tick
        max_instances=1,
    )
    return scheduler


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if settings.scheduler_metrics_port:
        start_http_server(settings.scheduler_metrics_port, addr=settings.scheduler_metrics_host)
    # No overflow connections on PostgreSQL: a burst (e.g. many runs flushing their items in
    # the same second) waits a moment for one of the pool's connections instead of opening
    # new ones - TLS handshake and all - that are closed again as soon as they are returned.
    # The sync holds a connection only for short statements, never across a ConnectWise call.
    engine = create_engine(
        settings.database_url, **({} if settings.is_sqlite else {"max_overflow": 0})
    )
    sessionmaker = create_sessionmaker(engine)
    try:
        async with httpx.AsyncClient(
            follow_redirects=False,  # a redirected write may already have been applied
            timeout=settings.cw_timeout_seconds,
            # Small connection pools, not one of cw_global_concurrency: one big httpcore pool
            # costs CPU per request in proportion to its size (see SplitPoolTransport).
            transport=SplitPoolTransport(settings.cw_global_concurrency),
        ) as http:
            worker = Worker(
                SyncDeps.create(sessionmaker, ConnectWiseFactory(http, settings), settings)
            )
            scheduler = build_scheduler(settings, sessionmaker, worker)
            scheduler.start()
            log.info("scheduler_started", owner=worker.owner)
            try:
                await worker.serve(stop)
            finally:
                scheduler.shutdown(wait=False)
                await worker.shutdown(settings.scheduler_shutdown_grace_seconds)
                log.info("scheduler_stopped", owner=worker.owner)
    finally:
        await engine.dispose()
