"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams (its own process).

`python -m benchmarks.loadgen --port 8000 --path /v1/… --token T --connections 50
--seconds 20` keeps N connections busy with one GET after another for a warm-up and then
the measured window, and prints one JSON object: requests, errors, requests/s, p50/p99 ms.

Not httpx: its AsyncClient slows down badly at high concurrency (encode/httpx#3215), which
would measure the load generator instead of the API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, whether the server will close the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close"


async def one_connection(
    host: str, port: int, request: bytes, measure_from: float, until: float, stats: Stats
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            status, closing = await read_response(reader)
            elapsed = time.perf_counter() - started
        except (OSError, asyncio.IncompleteReadError, ValueError):
            stats.errors += 1
            writer = None
            await asyncio.sleep(0.01)
            continue
        if started >= measure_from:
            stats.latencies.append(elapsed)
            stats.statuses[status] += 1
            if status >= 400:
                stats.errors += 1
        if closing:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


async def run(
    host: str, port: int, path: str, token: str, connections: int, seconds: float, warmup: float
) -> dict[str, object]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode("latin-1")
    stats = Stats()
    now = time.perf_counter()
    measure_from, until = now + warmup, now + warmup + seconds
    await asyncio.gather(
        *(
            one_connection(host, port, request, measure_from, until, stats)
            for _ in range(connections)
        )
    )
    window = time.perf_counter() - measure_from
    latencies = sorted(stats.latencies)
    return {
        "requests": len(latencies),
        "errors": stats.errors,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "seconds": round(window, 3),
        "rps": len(latencies) / window if window > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadgen", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(
            args.host,
            args.port,
            args.path,
            args.token,
            args.connections,
            args.seconds,
            args.warmup,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
