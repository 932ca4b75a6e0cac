"""Runs fuzz jobs in a persistent worker subprocess and classifies each run.

Kinds of finding (each has a key `kind:stage:format[:detail]`, matched by known_open.py):
- escaped: an exception that is not a LabelviewError (a traceback, "unexpected X");
- signal: the worker died by a signal (negative return code: SIGSEGV in a C extension, …);
- hang: a stage took longer than the timeout (the worker is killed and restarted);
- unlocated: an issue or error naming no file;
- loss: an object count drop without any issue (see worker.py).
A run with none of these is ok. Peak RSS is measured per job (VmHWM, reset before each job).
"""

from __future__ import annotations

import fnmatch
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.worker import REPO, peak_rss_mb

KINDS = ("escaped", "signal", "hang", "unlocated", "loss")


@dataclass
class Outcome:
    findings: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    rss_mb: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    def finding_keys(self) -> list[str]:
        return [finding["key"] for finding in self.findings]


class Worker:
    """A `python -m tests.fuzz.worker` subprocess, restarted after it dies or hangs."""

    def __init__(
        self, *, memory_mb: int = 2048, timeout: float = 30.0, preload: bool = True
    ) -> None:
        self.memory_mb = memory_mb
        self.preload = preload  # import labelview before the first job (False: the probes only)
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.buffer = b""
        self.restarts = 0
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"fuzz-worker-{os.getpid()}.log"

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            FUZZ_MEMORY_MB=str(self.memory_mb),
            FUZZ_PRELOAD="1" if self.preload else "0",
            PYTHONPATH=str(REPO),
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            QT_QPA_PLATFORM="offscreen",
        )
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.fuzz.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=REPO,
                env=env,
            )
        self.buffer = b""
        ready = self._message(60.0)
        if not ready or "ready" not in ready:
            raise RuntimeError(f"fuzz worker did not start (see {self.log})")

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _message(self, timeout: float) -> dict[str, Any] | None:
        """The next protocol line, None on timeout; {} when the worker died."""
        assert self.proc is not None
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return {}
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, job: dict[str, Any], timeout: float | None = None) -> Outcome:
        """Run one job; a signal or a hang becomes a finding and the worker is restarted."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None
        assert self.proc.stdin is not None
        timeout = timeout or self.timeout
        started = time.monotonic()
        stage = "start"
        fmt = job["readers"][0]
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        while True:
            message = self._message(timeout)
            if message is None:  # no word within the timeout: the stage hangs
                rss = peak_rss_mb(self.proc.pid)
                self._restart()
                return Outcome(
                    [_finding("hang", stage, fmt, f"no answer in {timeout:.0f} s during {stage}")],
                    rss_mb=rss,
                    seconds=time.monotonic() - started,
                )
            if not message:  # the worker died
                code = self.proc.wait()
                self._restart()
                if code < 0:
                    name = signal.Signals(-code).name
                    finding = _finding("signal", stage, fmt, f"killed by {name} during {stage}")
                    finding["key"] += f":{name}"
                else:
                    finding = _finding("escaped", stage, fmt, f"worker exited {code} in {stage}")
                    finding["key"] += f":exit{code}"
                return Outcome([finding], seconds=time.monotonic() - started)
            if "stage" in message:
                stage = message["stage"]
                continue
            return Outcome(
                message["done"], message["counts"], message["rss_mb"], message["seconds"]
            )

    def _restart(self) -> None:
        self.restarts += 1
        self.close()
        self.start()


def _finding(kind: str, stage: str, fmt: str, detail: str) -> dict[str, Any]:
    # "write coco" → stage "write", format "coco"; the job's reader otherwise.
    verb, _, target = stage.partition(" ")
    return {"kind": kind, "key": f"{kind}:{verb}:{target or fmt}", "detail": detail}


def known(key: str, known_open: dict[str, str]) -> str | None:
    """The known_open pattern matching finding `key`, None when it is new."""
    for pattern in known_open:
        if fnmatch.fnmatchcase(key, pattern):
            return pattern
    return None


@dataclass
class Tally:
    """Per-format counts for the bench table, and the distinct findings with one example each."""

    tried: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    kinds: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    rss: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)

    def add(self, seed: str, outcome: Outcome, what: str) -> None:
        self.tried[seed] += 1
        self.rss[seed] = max(self.rss[seed], outcome.rss_mb)
        if outcome.ok:
            self.ok[seed] += 1
        for kind in {finding["kind"] for finding in outcome.findings}:
            self.kinds[seed][kind] += 1
        for finding in outcome.findings:
            key = finding["key"]
            self.seen[key] += 1
            if key not in self.examples or len(what) < len(self.examples[key]["input"]):
                self.examples[key] = {"seed": seed, "input": what, "detail": finding["detail"]}

    def table(self) -> str:
        head = ("seed", "tried", "ok", *KINDS, "peak RSS MB")
        rows = [head]
        for seed in sorted(self.tried):
            counts = [self.kinds[seed][kind] for kind in KINDS]
            rows.append((seed, self.tried[seed], self.ok[seed], *counts, f"{self.rss[seed]:.0f}"))
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
        lines = [
            " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "-+-".join("-" * w for w in widths))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "per_seed": {
                seed: {
                    "tried": self.tried[seed],
                    "ok": self.ok[seed],
                    **{kind: self.kinds[seed][kind] for kind in KINDS},
                    "peak_rss_mb": round(self.rss[seed], 1),
                }
                for seed in sorted(self.tried)
            },
            "findings": {key: {"count": self.seen[key], **self.examples[key]} for key in self.seen},
        }


def run_parallel(
    jobs: list[dict[str, Any]], *, workers: int = 2, timeout: float = 3.0, memory_mb: int = 2048
) -> list[Outcome]:
    """Run `jobs` over several workers at once (in order of the results): for hostile inputs,
    where most waiting is a FIFO or a hang that costs the full timeout, not CPU."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    local = threading.local()
    started: list[Worker] = []

    def one(job: dict[str, Any]) -> Outcome:
        if not hasattr(local, "worker"):
            local.worker = Worker(memory_mb=memory_mb, timeout=timeout)
            local.worker.start()
            started.append(local.worker)
        return local.worker.run(job)

    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, jobs))
    finally:
        for worker in started:
            worker.close()
