"""The cost model of a finished benchmark: the fits of :mod:`gradlab.model.cost_model` against this machine's copy bandwidth."""

from __future__ import annotations

from gradlab.core.bandwidth import copy_bandwidth
from gradlab.model.cost_model import fit_costs, fittable
from gradlab.model.results import BenchmarkReport, CostModel


def cost_model(report: BenchmarkReport, device: str) -> CostModel:
    """Per-call overhead, per-element cost and crossovers of ``report``'s rows.

    The copy bandwidth (cached per machine) is measured only when some
    implementation was timed at two or more sizes, with the benchmark's thread
    count; where it cannot be measured (no memory for the copy), the fits come
    without it.

    Parameters
    ----------
    report : BenchmarkReport
        Rows and explanations of a run (``report.environment["threads"]`` read).
    device : str
        The device the rows were timed on.
    """
    if not fittable(report.rows):
        return fit_costs(report.rows, report.why)
    try:
        bandwidth, source = copy_bandwidth(device, report.environment.get("threads"))
    except RuntimeError:  # out of memory, a device gone
        return fit_costs(report.rows, report.why)
    return fit_costs(report.rows, report.why, bandwidth, source)
