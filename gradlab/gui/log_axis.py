"""A log-scale axis whose labels never crowd: decades, plus 2 and 5 when the view spans little more than one."""

from __future__ import annotations

import pyqtgraph as pg

from gradlab.model.bench_table import time_unit

#: Below this many decades in view, the 2× and 5× ticks are labelled too.
FEW_DECADES = 1.5


class LogAxis(pg.AxisItem):
    """pyqtgraph's axis in log mode, labelling fewer minor ticks.

    pyqtgraph labels every minor tick (2, 3, … 9 × each decade) when only one
    or two decades are in view, and the labels overlap.  This keeps the tick
    marks and grid, and labels 1 × 10ⁿ always and 2 × and 5 × 10ⁿ only when the
    view spans under :data:`FEW_DECADES` decades.
    """

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().logTickStrings(values, scale, spacing)
        low, high = self.range
        kept = {1, 10} if high - low >= FEW_DECADES else {1, 2, 5, 10}  # 10: a decade seen from just below
        return [text if round(10 ** (value % 1)) in kept else "" for value, text in zip(values, strings)]


class TimeLogAxis(LogAxis):
    """A log axis of seconds, labelled as people read times: ``100 µs``, ``2 ms``, not ``0.0001``."""

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().logTickStrings(values, scale, spacing)
        return [_time_label(10**value) if text else "" for value, text in zip(values, strings)]


def _time_label(seconds: float) -> str:
    unit, scale = time_unit([seconds])
    return f"{seconds / scale:.3g} {unit}"


def log_axes(time: bool = False) -> dict[str, LogAxis]:
    """``axisItems`` for a log–log plot; ``time``: its y values are seconds, labelled in s, ms, µs or ns."""
    return {"left": TimeLogAxis("left") if time else LogAxis("left"), "bottom": LogAxis("bottom")}
