"""How tall a plot's y range must be at least, so round-off never fills a plot.

A linear function's f′ is 1 everywhere, but finite differences give
1 ± 3e-11; left to auto-range, a plot would spread that noise over its whole
height.  The rule here: a y range is never narrower than
``RELATIVE_FLOOR`` times the *scale* of what it shows, and data narrower
than that is drawn centred in a range of that height, a flat line at its
value.

The scale of f is its largest ``|value|``.  The scale of f′ and f″ is their
own largest ``|value|``, or, when larger, what keeps the round-off of finite
differences (``ROUND_OFF`` times ``max|f|``: it grows with f, not with the
derivative) under ``1 / NOISE_MARGIN`` of the plot's height.  That is what
keeps the f″ of a linear function, 0 ± 2e-8 with no value of its own to be
relative to, a flat line at 0.  A residual of order k has the scale of the
derivatives it compares (or its own, when larger), so a residual of 1e-16 on
f′ ≈ 1 reads as 0.  Only when every value is 0 does ``ABSOLUTE_FLOOR``
apply.  Pure numpy: no Qt, no torch.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gradlab.model.results import CurveSet

#: A y range is at least this fraction of the scale of what it shows: a change
#: smaller than that is under a pixel on an axis from 0 to the largest value.
RELATIVE_FLOOR = 1e-3
#: The y range of data that is 0 everywhere.
ABSOLUTE_FLOOR = 1.0
_EPS = float(np.finfo(np.float64).eps)
#: Round-off of gradlab's central differences in f, f′, f″, as a fraction of ``max|f|``: steps
#: of ε^(1/3) and ε^(1/4) (``core.curves.finite_differences``) give ε/h and 4ε/h².
ROUND_OFF = (0.0, _EPS ** (2 / 3), 4 * _EPS**0.5)
#: Round-off fills at most this fraction's inverse of a plot's height.
NOISE_MARGIN = 1e3


def magnitude(arrays: Iterable[np.ndarray | None]) -> float:
    """The largest finite ``|value|`` of ``arrays`` (None entries skipped), or 0.0 if there is none."""
    peaks = [np.max(np.abs(values[np.isfinite(values)]), initial=0.0) for values in _arrays(arrays)]
    return float(max(peaks, default=0.0))


def derivative_scale(order: int, derivatives: Iterable[np.ndarray | None], f: Iterable[np.ndarray | None]) -> float:
    """The scale of an ``order``-th derivative: its own largest ``|value|``, or the size its round-off asks for.

    Parameters
    ----------
    order : int
        0 for f itself, 1 for f′, 2 for f″.
    derivatives : iterable of ndarray or None
        The curves of that order (hand-written and references).
    f : iterable of ndarray or None
        The curves of f itself, whose size sets the round-off.

    Returns
    -------
    float
        ``max(max|derivatives|, NOISE_MARGIN * ROUND_OFF[order] * max|f| / RELATIVE_FLOOR)``.
    """
    noise = ROUND_OFF[order] * magnitude(f)
    return max(magnitude(derivatives), NOISE_MARGIN * noise / RELATIVE_FLOOR)


def order_scales(curves: CurveSet) -> tuple[float, float, float]:
    """The scales of f, f′ and f″ in ``curves``, over the hand-written curve and every reference."""
    every = [curves.hand_written, *curves.references]
    f = [curve.f for curve in every]
    names = ("f", "df", "d2f")
    return tuple(derivative_scale(order, [getattr(curve, name) for curve in every], f) for order, name in enumerate(names))


def residual_scale(order: int, curves: CurveSet, scales: tuple[float, float, float] | None = None) -> float:
    """The scale of the residuals of derivative ``order`` (1 or 2): that derivative's scale, or their own largest ``|value|``.

    ``scales`` are ``order_scales(curves)`` when the caller has them already (they scan every curve).
    """
    own = magnitude(r.values for r in curves.residuals if r.order == order)
    return max((scales or order_scales(curves))[order], own)


def min_span(scale: float) -> float:
    """The narrowest y range for data of ``scale``: ``RELATIVE_FLOOR * scale``, or ``ABSOLUTE_FLOOR`` for a scale of 0."""
    span = RELATIVE_FLOOR * abs(scale)
    return span if span > 0 and np.isfinite(span) else ABSOLUTE_FLOOR


def widened(low: float, high: float, span: float) -> tuple[float, float]:
    """``(low, high)``, or a range of height ``span`` centred on it when it is narrower than that."""
    if high - low >= span:
        return low, high
    middle = (low + high) / 2
    return middle - span / 2, middle + span / 2


def y_limits(arrays: Iterable[np.ndarray | None], scale: float | None = None) -> tuple[float, float] | None:
    """The y range that shows ``arrays``: their finite bounds, widened to at least ``min_span(scale)``.

    Parameters
    ----------
    arrays : iterable of ndarray or None
        The values drawn in one plot; None entries and non-finite values are skipped.
    scale : float, optional
        The scale of those values (see :func:`derivative_scale`); by default their own largest ``|value|``.

    Returns
    -------
    tuple of float or None
        ``(low, high)`` without padding, or None when there is no finite value.

    Examples
    --------
    >>> import numpy as np
    >>> y_limits([np.ones(5)])
    (0.9995, 1.0005)
    >>> y_limits([np.array([0.0, 2e-8])], scale=3.0)
    (-0.00149999, 0.00150001)
    """
    finite = [values[np.isfinite(values)] for values in _arrays(arrays)]
    finite = [values for values in finite if values.size]
    if not finite:
        return None
    low = float(min(values.min() for values in finite))
    high = float(max(values.max() for values in finite))
    if scale is None:
        scale = max(abs(low), abs(high))
    return widened(low, high, min_span(scale))


def _arrays(arrays: Iterable[np.ndarray | None]) -> list[np.ndarray]:
    return [np.asarray(values, dtype=float).ravel() for values in arrays if values is not None]
