"""Benchmark baselines for CI: save a report, then compare a later run with it cell by cell.  No torch, no Qt.

``gradlab bench --save-baseline BASE.json`` writes :func:`baseline_json`;
``gradlab bench --compare BASE.json --fail-slower 10%`` reads it back with
:func:`read_baseline` and fails on the regressions :func:`compare` finds, as
pytest-benchmark's ``--benchmark-compare-fail`` does.  The benchmark panel
shows the same changes in its table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from gradlab.model.bench_table import time_unit
from gradlab.model.json_text import json_text
from gradlab.model.results import BenchmarkReport, BenchmarkRow
from gradlab.model.text_args import shape_label
from gradlab.model.words import counted

#: The key that marks a baseline file, and the format version this gradlab writes and reads.
FORMAT_KEY = "gradlab_baseline"
FORMAT_VERSION = 1
#: Environment entries that must match for two timings to be comparable, with their names in words.
ENVIRONMENT_KEYS = {"torch": "torch", "device_name": "device", "threads": "threads", "dtype": "dtype"}

SLOWER, FASTER, SAME = "slower", "faster", "same"
ONLY_IN_BASELINE, ONLY_IN_RUN, NOT_TIMED = "only in the baseline", "only in this run", "not timed"

CellKey = tuple[str, str, tuple[int, ...], str, str]


def cell_key(row: BenchmarkRow) -> CellKey:
    """What matches a cell across runs: (implementation, mode, shape timed, dtype, device)."""
    return row.implementation, row.mode, row.dims, row.dtype, row.device


@dataclass
class CellChange:
    """One cell of this run against the same cell of the baseline.

    Attributes
    ----------
    implementation, mode, shape, dtype, device : str, str, tuple of int, str, str
        The cell, as :func:`cell_key` matches it (``shape`` is the shape timed).
    status : str
        ``"slower"`` (a regression: the change exceeds both ``threshold`` and
        ``noise``), ``"faster"`` (likewise the other way), ``"same"``, or, for
        cells that are listed but never a failure, ``"only in the baseline"``,
        ``"only in this run"`` and ``"not timed"`` (an error on either side).
    old_s, new_s : float or None
        The baseline's and this run's medians per call.
    old_iqr_s, new_iqr_s : float or None
        Their IQRs.
    noise : float
        The two cells' combined relative IQR: old IQR / old median + new IQR / new median.
    threshold : float
        The ``fail_slower`` fraction it was judged with.
    """

    implementation: str
    mode: str
    shape: tuple[int, ...]
    dtype: str
    device: str
    status: str
    old_s: float | None = None
    new_s: float | None = None
    old_iqr_s: float | None = None
    new_iqr_s: float | None = None
    noise: float = 0.0
    threshold: float = 0.0

    @property
    def key(self) -> CellKey:
        """The cell, as :func:`cell_key` gives it for a row."""
        return self.implementation, self.mode, self.shape, self.dtype, self.device

    @property
    def change(self) -> float | None:
        """new / old − 1: +0.12 is 12 % slower; None unless both sides were timed."""
        if self.old_s is None or self.new_s is None:
            return None
        return self.new_s / self.old_s - 1

    def label(self) -> str:
        """``"custom Function @ 100×100 (both)"``: the cell in words."""
        return f"{self.implementation} @ {shape_label(self.shape)} ({self.mode})"

    def verdict(self) -> str:
        """A word or two for the table: SLOWER, faster, within noise, or why the cell was not compared."""
        if self.status == SLOWER:
            return "SLOWER"
        if self.status == SAME:
            change = self.change or 0.0
            return "within noise" if abs(change) > self.threshold else ""
        return self.status


def percent_text(change: float) -> str:
    """``0.12`` → ``"+12 %"``; one decimal under 10 %."""
    value = 100 * change
    return f"{value:+.1f} %" if abs(value) < 9.95 else f"{value:+.0f} %"


def _timed(row: BenchmarkRow) -> float | None:
    """The row's median, or None when it was not timed."""
    median = row.median_s
    return median if not row.error and median is not None and math.isfinite(median) and median > 0 else None


def _relative_iqr(row: BenchmarkRow, median: float) -> float:
    iqr = row.iqr_s
    return iqr / median if iqr is not None and math.isfinite(iqr) and iqr > 0 else 0.0


def _change(key: CellKey, old: BenchmarkRow, new: BenchmarkRow, threshold: float) -> CellChange:
    a, b = _timed(old), _timed(new)
    found = CellChange(*key, NOT_TIMED, old_s=a, new_s=b, old_iqr_s=old.iqr_s, new_iqr_s=new.iqr_s, threshold=threshold)
    if a is None or b is None:
        return found
    found.noise = _relative_iqr(old, a) + _relative_iqr(new, b)
    change, bar = b / a - 1, max(threshold, found.noise)
    found.status = SLOWER if change > bar else FASTER if -change > bar else SAME
    return found


def compare(report: BenchmarkReport, baseline: BenchmarkReport, fail_slower: float) -> list[CellChange]:
    """This run's cells against the baseline's, matched by :func:`cell_key`.

    Parameters
    ----------
    report : BenchmarkReport
        This run.
    baseline : BenchmarkReport
        The run it is held against (:func:`read_baseline`).
    fail_slower : float
        The fraction (0.1 for 10 %) by which a cell must be slower, beyond
        its noise too, to be a regression.

    Returns
    -------
    list of CellChange
        This run's cells in its order, then those only the baseline has.  A
        cell is ``"slower"`` when new / old − 1 exceeds both ``fail_slower``
        and the two cells' combined relative IQR; cells missing on either
        side or not timed are listed, and are no failure.
    """
    if not (math.isfinite(fail_slower) and fail_slower >= 0):
        raise ValueError(f"fail_slower must be a finite fraction of at least 0, got {fail_slower!r}")
    old: dict[CellKey, BenchmarkRow] = {}
    for row in baseline.rows:
        old.setdefault(cell_key(row), row)
    changes, seen = [], set()
    for row in report.rows:
        key = cell_key(row)
        if key in seen:  # two requested sizes that timed one shape: the first stands
            continue
        seen.add(key)
        if key in old:
            changes.append(_change(key, old[key], row, fail_slower))
        else:
            changes.append(CellChange(*key, ONLY_IN_RUN, new_s=_timed(row), new_iqr_s=row.iqr_s, threshold=fail_slower))
    for key, row in old.items():
        if key not in seen:
            changes.append(CellChange(*key, ONLY_IN_BASELINE, old_s=_timed(row), old_iqr_s=row.iqr_s, threshold=fail_slower))
    return changes


def regressions(changes: list[CellChange]) -> list[CellChange]:
    """The cells slower beyond the threshold and the noise: the ones that fail ``--fail-slower``."""
    return [c for c in changes if c.status == SLOWER]


def environment_differences(baseline: dict, now: dict) -> list[str]:
    """What differs between the baseline's environment and this run's (torch, device, threads, dtype), in words."""
    lines = []
    for key, name in ENVIRONMENT_KEYS.items():
        old, new = baseline.get(key), now.get(key)
        if (old is not None or new is not None) and str(old) != str(new):
            lines.append(f"{name}: {old if old is not None else '?'} in the baseline, {new if new is not None else '?'} now")
    return lines


def changes_table(changes: list[CellChange]) -> str:
    """Plain text: one line per cell with both medians (one unit), the change, the noise and the verdict."""
    unit, scale = time_unit([t for c in changes for t in (c.old_s, c.new_s) if t is not None])
    mixed = len({(c.dtype, c.device) for c in changes}) > 1

    def time(seconds: float | None) -> str:
        return "" if seconds is None else f"{seconds / scale:.4g}"

    lines = [["cell", f"baseline ({unit})", f"now ({unit})", "change", "noise", ""]]
    for c in changes:
        label = c.label() + (f" {c.dtype} {c.device}" if mixed else "")
        change = c.change
        noise = f"\u00b1{100 * c.noise:.0f} %" if change is not None else ""
        lines.append([label, time(c.old_s), time(c.new_s), percent_text(change) if change is not None else "", noise, c.verdict()])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join([line[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(line[1:-1], widths[1:-1])] + [line[-1]]).rstrip()
        for line in lines
    )


def summary(changes: list[CellChange], fail_slower: float) -> str:
    """One line: how many cells regressed beyond ``fail_slower`` and the noise (naming them), and what was not compared."""
    slower = regressions(changes)
    compared = sum(c.change is not None for c in changes)
    bar = f"more than {percent_text(fail_slower).lstrip('+')} and the noise" if fail_slower else "more than the noise"
    if slower:
        named = "; ".join(f"{c.label()} {percent_text(c.change)}" for c in slower)
        text = f"{len(slower)} of {counted(compared, 'compared cell')} slower than the baseline by {bar}: {named}"
    else:
        text = f"no cell slower than the baseline by {bar} ({compared} compared)"
    for status in (ONLY_IN_BASELINE, ONLY_IN_RUN, NOT_TIMED):
        count = sum(c.status == status for c in changes)
        if count:
            text += f"; {count} {status}"
    return text


def parse_fraction(text: str) -> float:
    """``"10%"`` or ``"0.1"`` → ``0.1``: how much slower counts as a regression.

    A bare number above 1 is refused (``10`` would be 1,000 %): write ``10%``.
    Raises ValueError with a readable message otherwise.
    """
    stripped = text.strip()
    number = stripped.removesuffix("%").strip()
    expected = f"expected a percentage like 10% or a fraction like 0.1, got {text!r}"
    try:
        value = float(number)
    except ValueError:
        raise ValueError(expected) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(expected)
    if stripped.endswith("%"):
        return value / 100
    if value > 1:
        raise ValueError(f"{text!r} as a fraction is {100 * value:g} %; write {number}% for {number} %")
    return value


def baseline_json(report: BenchmarkReport) -> dict:
    """The report's JSON (:meth:`BenchmarkReport.to_json`) with the baseline format version."""
    return {FORMAT_KEY: FORMAT_VERSION, **report.to_json()}


def write_baseline(report: BenchmarkReport, path: str) -> None:
    """Write :func:`baseline_json` to ``path`` as strict JSON (OSError if it cannot be written)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json_text(baseline_json(report)))


def read_baseline(path: str) -> BenchmarkReport:
    """The report saved in a baseline file, or in a plain report (``gradlab bench --out``, the panel's Export).

    Raises ValueError, naming the file, when it cannot be read, is not a
    benchmark report, or was written in a newer format.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValueError(f"{path}: not a gradlab benchmark baseline (no rows)")
    version = data.pop(FORMAT_KEY, FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"{path}: baseline format {version!r} is newer than this gradlab reads ({FORMAT_VERSION}); update gradlab")
    try:
        return BenchmarkReport.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a gradlab benchmark baseline ({exc})") from None
