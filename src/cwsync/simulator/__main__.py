"""``python -m cwsync.simulator --port 8765 --seed seed.json --latency-ms 250``."""

from __future__ import annotations

import argparse

from cwsync.simulator.server import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cwsync.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", default=None, help="seed JSON file (default: the demo seed)")
    parser.add_argument("--latency-ms", type=int, default=0, help="fixed latency per request")
    parser.add_argument("--no-log-bodies", action="store_true", help="log requests without bodies")
    parser.add_argument("--log-limit", type=int, default=200_000, help="requests kept in the log")
    parser.add_argument("--rng-seed", type=int, default=0, help="seed for probabilistic faults")
    args = parser.parse_args(argv)
    run(
        args.host,
        args.port,
        args.seed,
        latency_ms=args.latency_ms,
        log_bodies=not args.no_log_bodies,
        request_log_limit=args.log_limit,
        rng_seed=args.rng_seed,
    )


if __name__ == "__main__":
    main()
