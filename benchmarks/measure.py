"""Running a command as a child process: wall time, peak RSS, exit code, output.

The peak RSS comes from `os.wait4`, which reports the resource usage of exactly the child
that was waited for (and of any grandchildren it waited for itself), so the benchmark's own
memory never leaks into a figure.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class Measurement:
    """One run of one command."""

    argv: tuple[str, ...]
    seconds: float
    peak_rss: int  # bytes
    cpu_seconds: float  # user + system: a figure that holds on a busy machine
    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss / MB

    def check(self, allowed: Sequence[int] = (0,)) -> Measurement:
        """Raise when the command failed: a failed run measures nothing worth reporting."""
        if self.returncode not in allowed:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise CommandFailed(
                f"{' '.join(self.argv)} exited {self.returncode}:\n{tail}")
        return self


class CommandFailed(RuntimeError):
    """A measured command exited with an unexpected code."""


def _maxrss_bytes(ru_maxrss: int) -> int:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
        cwd: Path | None = None) -> Measurement:
    """Run `argv` to completion; output goes through temporary files, never a pipe that
    could fill up and stall the child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 env=dict(env) if env is not None else None, cwd=cwd)
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measurement(
            argv=tuple(str(a) for a in argv),
            seconds=seconds,
            peak_rss=_maxrss_bytes(usage.ru_maxrss),
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            returncode=child.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


@dataclass(frozen=True)
class Series:
    """Repeated runs of one figure; the median is what gets reported."""

    runs: tuple[Measurement, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def peak_rss(self) -> int:
        return max(m.peak_rss for m in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss / MB

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(m.cpu_seconds for m in self.runs)

    @property
    def all_seconds(self) -> list[float]:
        return [round(m.seconds, 4) for m in self.runs]

    @property
    def last(self) -> Measurement:
        return self.runs[-1]


def repeated(once: Callable[[], Measurement], times: int, *,
             long_after: float = 30.0) -> Series:
    """Run `once` up to `times` times; a run longer than `long_after` seconds is not repeated
    (its own length already smooths out noise, and a million-post run is costly)."""
    runs = [once()]
    while len(runs) < times and runs[0].seconds <= long_after:
        runs.append(once())
    return Series(tuple(runs))
