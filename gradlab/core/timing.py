"""Time several implementations of one call fairly: warmed up, interleaved in rounds, until the spread is small.

A machine's speed drifts by tens of percent within seconds (other processes,
frequency scaling, the allocator).  Timing one implementation after the
other puts that drift between them; :func:`time_interleaved` instead takes
one block of calls of each implementation per round, rotating who goes first,
and a cell's value is the median over rounds.  Rounds are added until every
implementation's interquartile range is within :data:`TARGET_IQR` of its
median, or the time budget is spent.  A round far outside the others (a
context switch, a page-fault storm) is measured again, once.

Blocks are timed with ``torch.utils.benchmark.Timer`` (its thread setting,
and CUDA synchronisation on GPUs), or on CUDA with events around each call and
an L2 flush between calls (:mod:`gradlab.core.cuda_timing`).  Nothing else in
this process runs while a block is timed: progress is reported between cells.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch.utils.benchmark as benchmark

#: A cell is settled when its IQR is at most this fraction of its median.
TARGET_IQR = 0.05
#: Rounds taken before the spread is looked at.
MIN_ROUNDS = 7
#: A cell gets at most this many times its minimum run time before it is reported as it stands.
BUDGET_FACTOR = 4.0
#: A round further than this many IQRs above the median is measured again.
OUTLIER_IQRS = 3.0


@dataclass
class Timing:
    """One implementation's per-call times, one per round (outliers replaced by their re-measurement)."""

    times: list[float] = field(default_factory=list)
    blocks: int = 0
    remeasured: int = 0
    number: int = 1

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def iqr(self) -> float:
        return iqr(self.times)

    @property
    def minimum(self) -> float:
        return min(self.times)

    @property
    def settled(self) -> bool:
        return len(self.times) >= MIN_ROUNDS and self.iqr <= TARGET_IQR * self.median


def iqr(values: list[float]) -> float:
    """Interquartile range, as ``torch.utils.benchmark.Measurement`` computes it (linear interpolation)."""
    if len(values) < 2:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q3 - q1


def _block_time(min_run_time: float) -> float:
    """Seconds one block should last: about a tenth of a cell's minimum, within 1–50 ms."""
    return min(0.05, max(0.001, min_run_time / 10))


class StatementFailed(Exception):
    """An implementation raised while it was being timed; ``name`` says which, ``__cause__`` what."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Block:
    """Times ``number`` calls of one statement; returns seconds per call."""

    def __init__(self, name: str, statement: Callable[[], object], threads: int, block_timer: Callable | None) -> None:
        self._timer = benchmark.Timer(stmt="run()", globals={"run": statement}, num_threads=threads)
        self._block_timer = block_timer
        self._statement = statement
        self.name = name

    def __call__(self, number: int) -> float:
        try:
            if self._block_timer is not None:
                return self._block_timer(self._statement, number)
            return self._timer.timeit(number).median
        except Exception as exc:  # noqa: BLE001 - user code; the caller names the implementation
            raise StatementFailed(self.name) from exc

    def calibrate(self, block_time: float) -> int:
        """Calls per block so that a block lasts about ``block_time``; also warms the statement up."""
        number = 1
        while True:
            per_call = self(number)
            if per_call * number >= block_time / 4 or number >= 1 << 24:
                return max(1, min(1 << 24, round(block_time / max(per_call, 1e-9))))
            number *= 4


def time_interleaved(
    statements: dict[str, Callable[[], object]],
    threads: int,
    min_run_time: float,
    block_timer: Callable[[Callable[[], object], int], float] | None = None,
) -> dict[str, Timing]:
    """Per-call times of each of ``statements``, measured in interleaved rounds.

    Parameters
    ----------
    statements : dict
        Zero-argument callables by name; each is one call of an implementation.
    threads : int
        CPU threads while timing.
    min_run_time : float
        Seconds of measurement each implementation gets at least; it gets at
        most :data:`BUDGET_FACTOR` times that while its spread stays wide.
    block_timer : callable, optional
        ``block_timer(statement, number) -> seconds per call``, replacing the
        Timer (CUDA events).

    Returns
    -------
    dict
        A :class:`Timing` per name, in the order given.

    Raises
    ------
    StatementFailed
        When a statement raised; its ``name`` says which.
    """
    blocks = {name: _Block(name, statement, threads, block_timer) for name, statement in statements.items()}
    block_time = _block_time(min_run_time)
    # Warm-up: every implementation runs (and is calibrated) before any is timed.
    numbers = {name: block.calibrate(block_time) for name, block in blocks.items()}
    for name, block in blocks.items():
        block(numbers[name])
    timings = {name: Timing(number=numbers[name]) for name in statements}
    names = list(statements)
    budget = BUDGET_FACTOR * min_run_time
    started = time.perf_counter()
    rounds = 0
    while True:
        order = names[rounds % len(names):] + names[: rounds % len(names)]  # nobody always goes first
        for name in order:
            timings[name].times.append(blocks[name](numbers[name]))
            timings[name].blocks += 1
        rounds += 1
        spent = (time.perf_counter() - started) / len(names)
        if rounds >= MIN_ROUNDS and spent >= min_run_time and all(t.settled for t in timings.values()):
            break
        if rounds >= MIN_ROUNDS and spent >= budget:
            break
    for name in names:
        _remeasure_outliers(timings[name], blocks[name])
    return timings


def _remeasure_outliers(timing: Timing, block: _Block) -> None:
    """Measure again, once, each round far above the others; keep the new value."""
    median, spread = timing.median, timing.iqr
    limit = median + OUTLIER_IQRS * max(spread, 0.01 * median)
    for index, value in enumerate(timing.times):
        if value > limit:
            timing.times[index] = block(timing.number)
            timing.blocks += 1
            timing.remeasured += 1
