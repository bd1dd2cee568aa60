"""`--profile`: record the scheduler process with py-spy while it syncs.

py-spy attaches to the running scheduler by pid (no change to how it is started), samples
until the scheduler exits, and writes collapsed stacks; `summarize` turns them into the
functions that cost the most, by own time and including callees.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


class PySpy:
    def __init__(self, pid: int, output: Path) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(exe).exists():
            raise RuntimeError("--profile needs py-spy (pip install -e '.[dev]')")
        self.output = output
        self._log = output.with_suffix(".log").open("wb")
        self._process = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "100",
                "--nonblocking",  # sampling must not slow down what it measures
                "--format",
                "raw",
                "-o",
                str(output),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def finish(self, timeout: float = 30) -> str:
        """Wait for py-spy to write its file (it stops when the scheduler exits)."""
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._log.close()
        return summarize(self.output) if self.output.exists() else "py-spy wrote nothing"


def summarize(raw: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples; own time:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    lines.append("including callees:")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top * 2)]
    return "\n".join(lines)
