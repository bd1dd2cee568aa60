"""``python -m cwsync.simulator`` serves the demo seed as a separate process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_module_entry_point_serves_companyinfo() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cwsync.simulator", "--port", str(port), "--latency-ms", "5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/login/companyinfo/northwind",
                    headers={"clientId": "x"},
                )
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        assert response.json()["Codebase"] == "v2025_1/"
    finally:
        process.terminate()
        process.wait(timeout=10)
