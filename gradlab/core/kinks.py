"""Kinks: points where a function's left and right derivatives disagree (ReLU at 0, ``abs``, ``clamp`` edges).

Within eps of a kink, finite differences mix two slopes and mean nothing, so
gradcheck fails there whatever backward does.  :func:`find_kinks` finds the
kinks of a 1-D sweep for the plots; :func:`kink_mask` and
:func:`move_off_kinks` find gradcheck inputs within a few eps of one and
move them away.

The test, at each point ``t`` with a small step ``h``: the one-sided
differences ``D−(t) = (f(t) − f(t−h))/h`` and ``D+(t) = (f(t+h) − f(t))/h``
differ by about ``h·|f″|`` where f is smooth, and by the jump in f′ near a
kink.  ``|f″|`` is estimated from the cells beside the point, between
``D+`` at one end and ``D−`` at the other, which never straddle the point
itself; a point is a kink when its jump exceeds :data:`JUMP_FACTOR` times that
estimate plus round-off.  A kink between two points shows as a cell whose
slope change stands out from its neighbours'; such a cell is subdivided
until the kink is found or shown to be smooth curvature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gradlab.core.invoke import apply_function
from gradlab.core.loading import FunctionSpec

#: The default step of the one-sided differences (gradcheck's default eps).
DEFAULT_EPS = 1e-6
#: How many times the smooth prediction a jump must exceed to be a kink.
JUMP_FACTOR = 10.0
#: Round-off of a one-sided difference, in units of eps·|f|/h.
ROUND_OFF_UNITS = 8.0
#: Cells on each side whose median curvature a cell is compared with.
NEIGHBOURS = 3
#: A suspicious cell is split into this many; the step stays this many times smaller than the spacing.
SUBDIVISIONS = 32
#: How many times a cell may be split (each split divides its width by 2 to 32).
MAX_DEPTH = 40
#: Points of the local grid on each side of an input element (kink_mask), half the near distance apart.
LOCAL_POINTS = 4
#: The local grid's spacing over its step h: the step is kept large, so f's own round-off stays small next to a kink.
LOCAL_STEP_RATIO = 8
#: The most elements of one argument tested one at a time (a Function that is not elementwise).
MAX_ONE_AT_A_TIME = 256


@dataclass
class Kink:
    """A point where f′ jumps.

    Attributes
    ----------
    x : float
        Where: the sweep point within ``h`` of the kink, or the kink located
        between two points.
    left_derivative, right_derivative : float
        The one-sided derivatives on either side.
    """

    x: float
    left_derivative: float
    right_derivative: float

    @property
    def jump(self) -> float:
        return abs(self.right_derivative - self.left_derivative)


# --- the scan ---------------------------------------------------------------------------------


class _Evaluator:
    """Wraps f, mapping a float64 array of points to f there, and notes the precision f answered in."""

    def __init__(self, f: Callable[[np.ndarray], np.ndarray]) -> None:
        self.f = f
        self.machine_eps = float(np.finfo(np.float64).eps)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        values = self.f(t)
        if isinstance(values, torch.Tensor):
            if values.is_floating_point():
                self.machine_eps = max(self.machine_eps, torch.finfo(values.dtype).eps)
            values = values.detach().cpu().to(torch.float64).numpy()
        return np.asarray(values, dtype=np.float64).reshape(t.shape)


@dataclass
class _Scan:
    """One-sided differences over a batch of lines of points, and the points and cells that look kinked.

    Arrays are (lines, points) for points and (lines, points − 1) for the
    cells between neighbouring points.
    """

    t: np.ndarray
    values: np.ndarray
    left: np.ndarray
    right: np.ndarray
    kinked_points: np.ndarray
    kinked_cells: np.ndarray
    scale: float


def _scan(evaluate: _Evaluator, t: np.ndarray, h: float, scale: float | None = None) -> _Scan:
    """Evaluate f at ``t − h``, ``t``, ``t + h`` and flag the points and cells where f′ jumps.

    ``scale`` is the largest ``|f|`` around (by default, on these points):
    f's round-off is taken as a few units in the last place of it, since an
    implementation may cancel intermediate values that large (GELU's
    ``x·(1 + erf(x/√2))/2`` far left, where f itself is tiny).
    """
    below, above = t - h, t + h
    f_below, f_at, f_above = evaluate(below), evaluate(t), evaluate(above)
    left = (f_at - f_below) / (t - below)  # the steps as rounded, so the quotients are exact differences
    right = (f_above - f_at) / (above - t)
    if scale is None:
        finite = np.abs(f_at[np.isfinite(f_at)])
        scale = float(finite.max()) if finite.size else 0.0
    magnitude = np.abs(f_below) + np.abs(f_at) + np.abs(f_above) + scale
    round_off = ROUND_OFF_UNITS * evaluate.machine_eps * magnitude / h

    width = np.diff(t, axis=1)
    with np.errstate(invalid="ignore"):
        point_jump = _finite_or_nan(np.abs(right - left))
        cell_jump = _finite_or_nan(np.abs(left[:, 1:] - right[:, :-1]))  # both one-sided differences look into the cell
    curvature = cell_jump / width

    noise = _median_nearby(point_jump) + round_off  # how rough f is at the step h, from the points around
    beside = _max_of_neighbouring_cells(curvature)
    kinked_points = np.isfinite(point_jump) & (point_jump > JUMP_FACTOR * (h * beside + noise))
    cell_noise = np.maximum(noise[:, 1:], noise[:, :-1])
    kinked_cells = np.isfinite(cell_jump) & (cell_jump > JUMP_FACTOR * (width * _median_nearby(curvature) + cell_noise))
    return _Scan(t, f_at, left, right, kinked_points, kinked_cells, scale)


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def _max_of_neighbouring_cells(curvature: np.ndarray) -> np.ndarray:
    """Per point, the larger curvature of the (one or two) cells it bounds; 0 where there are none."""
    lines, cells = curvature.shape
    padded = np.full((lines, cells + 2), -np.inf)
    padded[:, 1:-1] = np.where(np.isnan(curvature), -np.inf, curvature)
    return np.maximum(np.maximum(padded[:, :-1], padded[:, 1:]), 0.0)


def _median_nearby(values: np.ndarray) -> np.ndarray:
    """Per entry, the median of up to :data:`NEIGHBOURS` finite entries on each side, itself excluded; 0 where none."""
    lines, size = values.shape
    padded = np.full((lines, size + 2 * NEIGHBOURS), np.nan)
    padded[:, NEIGHBOURS:-NEIGHBOURS] = values
    offsets = [o for o in range(-NEIGHBOURS, NEIGHBOURS + 1) if o != 0]
    nearby = np.stack([padded[:, NEIGHBOURS + o : NEIGHBOURS + o + size] for o in offsets])
    result = np.zeros((lines, size))
    known = ~np.all(np.isnan(nearby), axis=0)
    if known.any():
        result[known] = np.nanmedian(nearby[:, known], axis=0)
    return result


def _tangents_meet(a, b, fa, fb, slope_a, slope_b):
    """Where the tangent at ``a`` and the one at ``b`` cross, clipped into [a, b]; the middle where they are parallel."""
    with np.errstate(invalid="ignore", divide="ignore"):
        meet = (fb - fa + slope_a * a - slope_b * b) / (slope_a - slope_b)
    return np.where(np.isfinite(meet), np.clip(meet, a, b), (a + b) / 2)


# --- a 1-D sweep ------------------------------------------------------------------------------


def find_kinks(f: Callable, xs, eps: float = DEFAULT_EPS) -> list[Kink]:
    """The kinks of ``f`` over a sweep ``xs``.

    Parameters
    ----------
    f : callable
        Maps a 1-D float64 tensor of points to f at each point (a tensor or
        an array of the same length), elementwise; called without grad.
    xs : array_like
        The sweep; sorted here.
    eps : float
        The step h of the one-sided differences: a sweep point within h of
        a kink is reported as the kink.  It is lowered to a thirty-second of
        the sweep's spacing when larger, so neighbouring points never see
        each other's kink.  f must not bend much over 32·h: for a larger
        eps, features that narrow count as kinks (to finite differences of
        that step, they are).

    Returns
    -------
    list of Kink
        By position.  A kink between two sweep points is located by
        subdividing their cell until it is under 64·h wide; kinks at
        adjacent sweep points, or within ``2·h`` of each other, are merged
        into the one with the larger jump.
    """
    t = np.unique(np.asarray(xs, dtype=np.float64).ravel())
    t = t[np.isfinite(t)]
    if t.size == 0:
        return []
    spacing = float(np.min(np.diff(t))) if t.size > 1 else np.inf
    h = min(float(eps), spacing / SUBDIVISIONS)
    sweep = _Sweep(_Evaluator(_pointwise(f)), h)
    return _merge(sweep.kinks(t, depth=0), h)


def _pointwise(f: Callable) -> Callable[[np.ndarray], object]:
    def call(t: np.ndarray):
        with torch.no_grad():
            values = f(torch.from_numpy(t.ravel().copy()))
        return values.reshape(t.shape) if isinstance(values, torch.Tensor) else np.asarray(values).reshape(t.shape)

    return call


class _Sweep:
    """Finds the kinks on a line of points, subdividing suspicious cells; ``scale`` is set by the first scan."""

    def __init__(self, evaluate: _Evaluator, h: float) -> None:
        self.evaluate = evaluate
        self.h = h
        self.scale: float | None = None

    def scan(self, t: np.ndarray) -> _Scan:
        scan = _scan(self.evaluate, t[None, :], self.h, self.scale)
        if self.scale is None:
            self.scale = scan.scale
        return scan

    def kinks(self, t: np.ndarray, depth: int) -> list[Kink]:
        """Kinks on the sorted points ``t``: flagged points once confirmed, flagged cells once subdivided."""
        scan = self.scan(t)
        points, cells = scan.kinked_points[0], scan.kinked_cells[0]
        left, right = scan.left[0], scan.right[0]
        found = [
            Kink(float(t[i]), float(left[i]), float(right[i]))
            for i in _strongest_of_adjacent(points, np.abs(right - left))
            if self.confirmed(t, i)
        ]
        for first, last in _runs(cells & ~points[:-1] & ~points[1:]):  # a kink at a cell's end is found above
            found += self.kinks_in_cells(scan, first, last, depth)
        return found

    def confirmed(self, t: np.ndarray, i: int) -> bool:
        """Whether point ``i`` is still a kink on a fine grid around it, where f″ is resolved.

        On a coarse sweep the cells beside a point may be too wide to show how
        fast f bends (``sin(1000 x)`` sampled every 0.01); :data:`SUBDIVISIONS`
        times h apart, they are not.
        """
        fine = SUBDIVISIONS * self.h
        spacing = np.diff(t)[max(i - 1, 0) : i + 1]
        if spacing.size and np.max(spacing) <= 2 * fine:
            return True
        local = t[i] + fine * np.arange(-NEIGHBOURS, NEIGHBOURS + 1)
        return bool(self.scan(local).kinked_points[0, NEIGHBOURS])

    def kinks_in_cells(self, scan: _Scan, first: int, last: int, depth: int) -> list[Kink]:
        """Subdivide the flagged cells ``first..last`` and scan them again, with a few cells of context on each side.

        The context gives the outer cells neighbours on both sides; kinks found
        in it belong to other cells and are dropped.  A run too narrow to split
        further holds its kink where the tangents of its strongest cell meet.
        """
        t, left, right = scan.t[0], scan.left[0], scan.right[0]
        a, b = t[first], t[last + 1]
        pieces = min(SUBDIVISIONS * (last - first + 1), int((b - a) // (SUBDIVISIONS * self.h)))
        if pieces < 2 or depth >= MAX_DEPTH:
            k = first + int(np.argmax(np.abs(left[first + 1 : last + 2] - right[first : last + 1])))
            x = _tangents_meet(t[k], t[k + 1], scan.values[0, k], scan.values[0, k + 1], right[k], left[k + 1])
            return [Kink(float(x), float(right[k]), float(left[k + 1]))]
        step = (b - a) / pieces
        grid = a + step * np.arange(-NEIGHBOURS, pieces + NEIGHBOURS + 1)
        grid[NEIGHBOURS], grid[NEIGHBOURS + pieces] = a, b
        return [kink for kink in self.kinks(grid, depth + 1) if a <= kink.x <= b]


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` index of each run of adjacent True values."""
    runs: list[tuple[int, int]] = []
    for i in map(int, np.flatnonzero(flags)):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _strongest_of_adjacent(flags: np.ndarray, jump: np.ndarray) -> list[int]:
    """Indices of flagged points, one per run of adjacent ones: the one with the largest jump."""
    return [first + int(np.argmax(jump[first : last + 1])) for first, last in _runs(flags)]


def _merge(kinks: list[Kink], h: float) -> list[Kink]:
    """Sorted, with kinks closer than ``2·h`` merged into the one with the larger jump."""
    merged: list[Kink] = []
    for kink in sorted(kinks, key=lambda k: k.x):
        if merged and kink.x - merged[-1].x <= 2 * h:
            if kink.jump > merged[-1].jump:
                merged[-1] = kink
            continue
        merged.append(kink)
    return merged


# --- gradcheck inputs -------------------------------------------------------------------------


def kink_mask(
    fn: FunctionSpec | Callable,
    inputs: tuple,
    eps: float = DEFAULT_EPS,
    margin: float = 2.0,
    elementwise: bool | None = None,
    seed: int = 0,
) -> list[torch.Tensor | None]:
    """Which input elements lie within ``margin·eps`` of a kink.

    Parameters
    ----------
    fn : FunctionSpec or callable
        The Function (called through ``apply``) or any callable of the inputs.
    inputs : tuple
        The arguments, e.g. from :func:`~gradlab.core.invoke.make_inputs`.
        Floating-point tensors that require grad are tested, as gradcheck
        would differentiate them.
    eps : float
        gradcheck's step.
    margin : float
        How many eps count as near.
    elementwise : bool, optional
        Whether output element *i* depends on input element *i* only, so
        every element can be tested at once; by default the Function's
        ``elementwise`` option (True for a plain callable).  Otherwise, or
        when an output's shape differs from the argument's, elements are
        tested one at a time, up to :data:`MAX_ONE_AT_A_TIME` of them (a
        larger argument is not tested).
    seed : int
        Seeds the random weights that reduce several outputs to one value.

    Returns
    -------
    list
        Per argument, a bool tensor of its shape (True: near a kink), or None
        for an argument that is not tested.
    """
    return [None if scan is None else scan.near for scan in _scan_inputs(fn, inputs, eps, margin, elementwise, seed)]


def move_off_kinks(
    fn: FunctionSpec | Callable,
    inputs: tuple,
    eps: float = DEFAULT_EPS,
    margin: float = 2.0,
    elementwise: bool | None = None,
    seed: int = 0,
) -> tuple[tuple, int]:
    """Move input elements within ``margin·eps`` of a kink away from it.

    Each such element is put ``3·margin·eps`` from the kink, on its own side
    (the right side when it sits on it), or on the other side when a second
    kink is there; the inputs are then tested again.  Arguments keep their
    dtype, device and ``requires_grad``; the given tensors are not modified.
    Parameters are those of :func:`kink_mask`.

    Returns
    -------
    (tuple, int)
        The adjusted inputs, and how many elements were moved.
    """
    adjusted = list(inputs)
    moved: set[tuple[int, int]] = set()
    distance = 3 * margin * eps
    for attempt in range(4):
        side = 1.0 if attempt % 2 == 0 else -1.0  # away from the kink first, then past it
        anything_near = False
        for index in range(len(adjusted)):  # one argument at a time: max(x, y) needs only one of them moved
            scan = _scan_input(fn, tuple(adjusted), index, eps, margin, elementwise, seed)
            if scan is None or not scan.near.any():
                continue
            anything_near = True
            adjusted[index] = scan.moved(adjusted[index], side * distance * (1 + attempt // 2))
            moved.update((index, int(j)) for j in np.flatnonzero(scan.near.reshape(-1).numpy()))
        if not anything_near:
            break
    return tuple(adjusted), len(moved)


@dataclass
class _InputScan:
    """The kinks near each element of one argument."""

    near: torch.Tensor  # bool, the argument's shape
    kink_at: np.ndarray  # float64, flat: the nearest kink's position, NaN where none is near

    def moved(self, arg: torch.Tensor, offset: float) -> torch.Tensor:
        """``arg`` with each near element put at ``kink + offset·side``, side pointing from the kink to the element."""
        values = arg.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()
        near = self.near.reshape(-1).numpy()
        side = np.where(values[near] >= self.kink_at[near], 1.0, -1.0)
        values[near] = self.kink_at[near] + side * offset
        result = torch.from_numpy(values).reshape(arg.shape).to(device=arg.device, dtype=arg.dtype)
        return result.requires_grad_(arg.requires_grad)


def _scan_inputs(fn, inputs: tuple, eps: float, margin: float, elementwise: bool | None, seed: int) -> list[_InputScan | None]:
    return [_scan_input(fn, inputs, index, eps, margin, elementwise, seed) for index in range(len(inputs))]


def _scan_input(
    fn, inputs: tuple, index: int, eps: float, margin: float, elementwise: bool | None, seed: int
) -> _InputScan | None:
    """Scan argument ``index``, or None when gradcheck would not differentiate it."""
    arg = inputs[index]
    if not (isinstance(arg, torch.Tensor) and arg.is_floating_point() and arg.requires_grad and arg.numel()):
        return None
    call = apply_function(fn) if isinstance(fn, FunctionSpec) else fn
    if elementwise is None:
        elementwise = fn.options.elementwise if isinstance(fn, FunctionSpec) else True
    generator = torch.Generator().manual_seed(seed + index)
    evaluate = _element_evaluator(call, inputs, index, elementwise, generator)
    return None if evaluate is None else _scan_elements(_Evaluator(evaluate), arg, eps, margin)


def _scan_elements(evaluate: _Evaluator, arg: torch.Tensor, eps: float, margin: float) -> _InputScan:
    """Scan a small grid around each element, ``2·margin·eps`` on either side, and find the kinks within ``margin·eps``."""
    near_distance = margin * eps
    spacing = near_distance / 2
    centre = arg.detach().to("cpu", torch.float64).reshape(-1).numpy()
    t = centre[:, None] + spacing * np.arange(-LOCAL_POINTS, LOCAL_POINTS + 1)[None, :]
    scan = _scan(evaluate, t, spacing / LOCAL_STEP_RATIO)

    # Where the kinks are: flagged points, and in flagged cells where the tangents at the ends meet.
    in_cells = _tangents_meet(t[:, :-1], t[:, 1:], scan.values[:, :-1], scan.values[:, 1:], scan.right[:, :-1], scan.left[:, 1:])
    candidates = np.concatenate([np.where(scan.kinked_points, t, np.nan), np.where(scan.kinked_cells, in_cells, np.nan)], axis=1)
    distance = np.abs(candidates - centre[:, None])
    distance = np.where(np.isnan(distance), np.inf, distance)
    nearest = np.argmin(distance, axis=1)
    rows = np.arange(centre.size)
    near = distance[rows, nearest] <= near_distance
    kink_at = np.where(near, candidates[rows, nearest], np.nan)
    return _InputScan(torch.from_numpy(near).reshape(arg.shape), kink_at)


def _element_evaluator(call: Callable, inputs: tuple, index: int, elementwise: bool, generator: torch.Generator):
    """Maps a (elements, points) grid of values for argument ``index`` to ``Σ⟨u, f⟩`` per element and point.

    The call runs in float64 (kinks are the function's, not its
    precision's).  None when the elements would have to be tested one at a
    time and there are more than :data:`MAX_ONE_AT_A_TIME`.
    """
    arg = inputs[index]
    base_args = _as_float64(inputs)
    with torch.no_grad():
        outputs = _float_outputs(call(*base_args))
    weights = [torch.rand(o.shape, dtype=torch.float64, generator=generator) + 0.5 for o in outputs]
    same_shape = all(o.shape == arg.shape for o in outputs)

    def at(values: torch.Tensor) -> list[torch.Tensor]:
        args = list(base_args)
        args[index] = values.to(device=arg.device)
        with torch.no_grad():
            return [o.to("cpu", torch.float64) for o in _float_outputs(call(*args))]

    def all_elements_at_once(t: np.ndarray) -> np.ndarray:
        columns = []
        for p in range(t.shape[1]):
            values = at(torch.from_numpy(t[:, p].copy()).reshape(arg.shape))
            columns.append(sum(w * o for w, o in zip(weights, values)).reshape(-1).numpy())
        return np.stack(columns, axis=1)

    def one_element_at_a_time(t: np.ndarray) -> np.ndarray:
        base = arg.detach().to("cpu", torch.float64).reshape(-1)
        result = np.empty_like(t)
        for j in range(t.shape[0]):
            for p in range(t.shape[1]):
                values = base.clone()
                values[j] = float(t[j, p])
                result[j, p] = float(sum((w * o).sum() for w, o in zip(weights, at(values.reshape(arg.shape)))))
        return result

    if elementwise and same_shape:
        return all_elements_at_once
    return one_element_at_a_time if arg.numel() <= MAX_ONE_AT_A_TIME else None


def _as_float64(inputs: tuple) -> tuple:
    """Detached arguments, floating-point ones in float64."""
    return tuple(
        (a.detach().to(torch.float64) if a.is_floating_point() else a.detach()) if isinstance(a, torch.Tensor) else a
        for a in inputs
    )


def _float_outputs(output) -> list[torch.Tensor]:
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    return [o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point()]
