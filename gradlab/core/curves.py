"""f, f′ and f″ of a Function over a grid, against autograd-of-forward and finite differences.

Each curve comes from one batched autograd call over the whole grid: for an
elementwise Function output *i* depends on input *i* only, so the gradient of
``sum(y)`` is the pointwise derivative.  A non-elementwise Function is followed
along a line ``x0 + t·v`` through its example input and projected on a fixed
direction ``w`` of its output, which gives directional derivatives in ``t``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gradlab.core.capture import captured_output
from gradlab.core.differentiability import DETACHED, double_backward_blocker
from gradlab.core.invoke import (
    AUTOGRAD_OF_FORWARD,
    FINITE_DIFFERENCES,
    apply_function,
    autograd_of_forward,
    first_tensor,
    make_inputs,
    user_callable,
)
from gradlab.core.kinks import find_kinks
from gradlab.core.loading import FunctionSpec
from gradlab.model.options import MAX_POINTS, MIN_POINTS, curve_grid_problem
from gradlab.model.problems import UserCodeError, problem_from_exception
from gradlab.model.results import Curve, CurveSet, Problem, Residual

HAND_WRITTEN = "hand-written backward"
_DTYPE = torch.float64
_MACHINE_EPS = torch.finfo(_DTYPE).eps


class _Probe:
    """Maps a grid ``t`` (N,) to values (N,) whose i-th entry depends on ``t[i]`` only."""

    def __init__(self, spec: FunctionSpec, fixed: Sequence[float], sweep: int) -> None:
        self.spec = spec
        self.fixed = list(fixed)
        self.sweep = sweep
        self.notes: list[str] = []
        self._multi_output_noted = False

    def arguments(self, t: torch.Tensor) -> list:
        """The swept argument ``t``, a constant's 0-d tensor (never differentiated), the others filled with their fixed value."""
        constants = self.spec.options.constants
        args = [torch.tensor(value, dtype=t.dtype) if i in constants else torch.full_like(t, value) for i, value in enumerate(self.fixed)]
        args[self.sweep] = t
        return args

    def output(self, implementation: Callable, args) -> torch.Tensor:
        out = implementation(*args)
        if isinstance(out, (tuple, list)) and not self._multi_output_noted:
            self._multi_output_noted = True
            self.notes.append(f"forward returns {len(out)} outputs; the plots show the first")
        return first_tensor(out)

    def __call__(self, implementation: Callable, t: torch.Tensor) -> torch.Tensor:
        y = self.output(implementation, self.arguments(t))
        if y.shape != t.shape:
            raise UserCodeError(
                problem_from_exception(
                    ValueError(f"forward returned shape {tuple(y.shape)} for inputs of shape {tuple(t.shape)}"),
                    self.spec.filename,
                    "options",
                    f"{self.spec.name}.forward",
                    hint=f"the Function is not elementwise: set EXPLORE = {{{self.spec.name!r}: {{\"elementwise\": False}}}}",
                )
            )
        return y

    @property
    def parameter(self) -> str:
        return self.spec.arg_names[self.sweep] if self.spec.arg_names else "x"


class _LineProbe(_Probe):
    """For non-elementwise Functions: ``f(t) = <w, F(x0 + t v)>`` with fixed unit ``v``, ``w``."""

    def __init__(self, spec: FunctionSpec, sweep: int) -> None:
        super().__init__(spec, [], sweep)
        self.example = [a.detach() if isinstance(a, torch.Tensor) else a for a in make_inputs(spec, dtype=_DTYPE)]
        generator = torch.Generator().manual_seed(1)
        base = self.example[sweep]
        if not isinstance(base, torch.Tensor) or not base.is_floating_point():
            raise UserCodeError(
                problem_from_exception(
                    TypeError(f"argument {sweep} of the example input is not a floating-point tensor"),
                    spec.filename,
                    "options",
                    f"EXPLORE[{spec.name!r}]",
                    hint="set 'sweep' to a floating-point tensor argument",
                )
            )
        direction = torch.randn(base.shape, dtype=_DTYPE, generator=generator)
        self.direction = direction / direction.norm()
        self.generator = generator
        self.projection: torch.Tensor | None = None

    def __call__(self, implementation: Callable, t: torch.Tensor) -> torch.Tensor:
        values = []
        for t_i in t.unbind():
            args = list(self.example)
            args[self.sweep] = self.example[self.sweep] + t_i * self.direction
            y = self.output(implementation, args)
            if self.projection is None or self.projection.shape != y.shape:
                w = torch.randn(y.shape, dtype=_DTYPE, generator=self.generator)
                self.projection = w / w.norm()
            values.append((self.projection * y).sum())
        return torch.stack(values)

    @property
    def parameter(self) -> str:
        name = self.spec.arg_names[self.sweep] if self.spec.arg_names else "x"
        return f"t  ({name} = {name}\u2080 + t\u00b7v,  f = \u27e8w, F\u27e9)"


def _numpy(tensor: torch.Tensor | None) -> np.ndarray | None:
    return None if tensor is None else tensor.detach().to("cpu", _DTYPE).numpy().copy()


def differentiate(probe: _Probe, implementation: Callable, x: torch.Tensor, label: str) -> Curve:
    """f, f′ and f″ of one implementation by autograd, with the reason for any that is missing.

    The seed of the first backward requires grad, and backward is linear in
    it, so a backward that keeps its graph yields a result connected to the
    seed; one that is not has detached it or is ``once_differentiable``.  Errors in forward propagate; errors in backward become notes.
    """
    t = x.detach().clone().requires_grad_(True)
    y = probe(implementation, t)
    curve = Curve(label, _numpy(y))
    if not y.requires_grad:
        curve.df_note = curve.d2f_note = "forward's output is not connected to its input under autograd"
        return curve
    seed = torch.ones_like(y, requires_grad=True)
    try:
        (dy,) = torch.autograd.grad(y, t, seed, create_graph=True, allow_unused=True)
    except Exception as exc:  # noqa: BLE001 - user backward
        spec = probe.spec
        problem = problem_from_exception(exc, spec.filename, "backward", f"{spec.name}.backward", fallback=spec.method_location("backward"))
        curve.df_note = curve.d2f_note = problem.message
        return curve
    if dy is None:
        curve.df_note = curve.d2f_note = f"backward returned None for {probe.parameter}"
        return curve
    curve.df = _numpy(dy)
    if not dy.requires_grad:
        curve.d2f_note = DETACHED
        return curve
    try:
        d2y, dseed = torch.autograd.grad(dy, (t, seed), torch.ones_like(dy), allow_unused=True)
    except Exception as exc:  # noqa: BLE001 - user double backward
        curve.d2f_note = f"double backward is not supported: {str(exc).strip().splitlines()[0]}"
        return curve
    if dseed is None:
        curve.d2f_note = double_backward_blocker(dy)
        return curve
    curve.d2f = np.zeros_like(curve.df) if d2y is None else _numpy(d2y)
    return curve


def finite_differences(probe: _Probe, implementation: Callable, x: torch.Tensor, eps: float | None) -> Curve:
    """Central differences of f: step ``eps``, or ε^(1/3)·max(1, |x|) for f′ and ε^(1/4)·max(1, |x|) for f″."""
    scale = x.abs().clamp(min=1.0)
    h1 = torch.full_like(x, eps) if eps else _MACHINE_EPS ** (1 / 3) * scale
    h2 = torch.full_like(x, eps) if eps else _MACHINE_EPS ** (1 / 4) * scale
    with torch.no_grad():
        f0 = probe(implementation, x)
        df = (probe(implementation, x + h1) - probe(implementation, x - h1)) / (2 * h1)
        d2f = (probe(implementation, x + h2) - 2 * f0 + probe(implementation, x - h2)) / (h2 * h2)
    return Curve(FINITE_DIFFERENCES, _numpy(f0), _numpy(df), _numpy(d2f))


def residual(order: int, mine: np.ndarray | None, reference: Curve, x: np.ndarray) -> Residual | None:
    """Hand-written minus ``reference`` for derivative ``order``; None where either is missing."""
    theirs = reference.df if order == 1 else reference.d2f
    if mine is None or theirs is None:
        return None
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN here, and a gap in the plot
        values = mine - theirs
    magnitude = np.abs(values)
    if np.all(np.isnan(magnitude)):
        return Residual(order, reference.label, values, float("nan"), float("nan"))
    worst = int(np.nanargmax(magnitude))
    return Residual(order, reference.label, values, float(magnitude[worst]), float(x[worst]))


def _reference(probe: _Probe, implementation: Callable, x: torch.Tensor, label: str) -> Curve:
    """A reference curve; one that cannot be computed (a forward using numpy under autograd) is a note, not a failure."""
    try:
        return differentiate(probe, implementation, x, label)
    except UserCodeError as exc:
        return Curve(label, None, df_note=exc.problem.message, d2f_note=exc.problem.message)


def _derivative_notes(spec: FunctionSpec, probe: _Probe, hand: Curve, autograd: Curve) -> list[str]:
    """Why the hand-written f″ is flat zero where autograd of forward's is not: backward is constant in x under autograd."""
    if hand.d2f is None or autograd.d2f is None or np.any(hand.d2f != 0):
        return []
    scale = np.nanmax(np.abs(autograd.d2f)) if np.any(np.isfinite(autograd.d2f)) else 0.0
    if not scale > 1e-8:
        return []
    return [
        f"f″ of the hand-written backward is 0 everywhere, autograd of forward's is not (up to {scale:.3g}): "
        f"{spec.name}.backward's result does not depend on {probe.parameter} through autograd "
        "(detach, .data, numpy or no_grad inside backward)"
    ]


def _not_elementwise_note(spec: FunctionSpec, probe: _Probe, x: torch.Tensor, f: np.ndarray | None) -> list[str]:
    """A note when moving one input element moves other outputs: the pointwise plots would be wrong."""
    if f is None or x.numel() < 3:
        return []
    k = x.numel() // 2
    moved = x.detach().clone()
    moved[k] += 1e-3 * max(1.0, abs(float(moved[k])))
    try:
        with torch.no_grad():
            g = _numpy(probe(apply_function(spec), moved))
    except UserCodeError:
        return []
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: no evidence either way
        others = np.delete(np.abs(g - f), k)
    scale = max(1.0, float(np.nanmax(np.abs(f))) if np.any(np.isfinite(f)) else 1.0)
    if not np.nanmax(others, initial=0.0) > 1e-9 * scale:
        return []
    return [
        f"changing {probe.parameter} at one point changed f at others: {spec.name} is not elementwise, so these "
        f"pointwise f′ and f″ are not its derivatives; set EXPLORE = {{{spec.name!r}: {{\"elementwise\": False}}}} "
        "to follow it along a line"
    ]


def _nonfinite_notes(curve: Curve) -> list[str]:
    notes = []
    for name, values in (("f", curve.f), ("f\u2032", curve.df), ("f\u2033", curve.d2f)):
        if values is not None:
            bad = int(np.count_nonzero(~np.isfinite(values)))
            if bad:
                notes.append(f"{name} is not finite (NaN or inf) at {bad} of {values.size} points; they are shown as gaps")
    return notes


def _check_grid(spec: FunctionSpec, domain: tuple[float, float], points: int) -> None:
    """Refuse a grid the plots cannot use: too few or too many points (memory grows with them), an empty or infinite domain."""
    if problem := curve_grid_problem(domain, points):
        raise UserCodeError(
            Problem("options", f"cannot plot {spec.name}: {problem}", hint=f"ask for {MIN_POINTS:,} to {MAX_POINTS:,} points over a finite domain with low < high")
        )


def compute_curves(
    spec: FunctionSpec,
    domain: tuple[float, float] | None = None,
    points: int = 1001,
    sweep: int | None = None,
    fixed: Sequence[float] | None = None,
    eps: float | None = None,
) -> CurveSet:
    """Compute everything the plots show for one Function.

    Parameters
    ----------
    spec : FunctionSpec
    domain : (float, float), optional
        The x range; defaults to the Function's ``domain`` option.
    points : int
        Grid size.
    sweep : int, optional
        Index of the argument the plots vary; defaults to the ``sweep`` option.
    fixed : sequence of float, optional
        Values of the other arguments; defaults to the ``fixed`` option.
    eps : float, optional
        Finite-difference step; by default a step suited to each order.

    Raises
    ------
    UserCodeError
        When forward raises (a backward that raises is a note on the curve), or
        when ``points`` or ``domain`` is out of range (kind ``"options"``).
    """
    options = spec.options
    lo, hi = domain or options.domain
    sweep = options.sweep if sweep is None else sweep
    fixed = list(options.fixed if fixed is None else fixed)
    _check_grid(spec, (lo, hi), points)
    x = torch.linspace(lo, hi, int(points), dtype=_DTYPE)
    with captured_output() as captured:
        probe = _Probe(spec, fixed, sweep) if options.elementwise else _LineProbe(spec, sweep)
        hand = differentiate(probe, apply_function(spec), x, HAND_WRITTEN)
        references = [
            _reference(probe, autograd_of_forward(spec), x, AUTOGRAD_OF_FORWARD),
            finite_differences(probe, apply_function(spec), x, eps),
        ]
        for name, fn in options.compare.items():
            references.append(_reference(probe, user_callable(fn, spec.filename, f"compare[{name!r}]"), x, name))
        if hand.d2f is None and options.elementwise:  # no double backward: f″ of the forward by a second road, and do they agree?
            road, disagreement = _second_road(probe, autograd_of_forward(spec, clone_inputs=False), x, references[0])
            references += [road] if road is not None else []
            probe.notes += [disagreement] if disagreement else []
        notes = probe.notes + _nonfinite_notes(hand) + _derivative_notes(spec, probe, hand, references[0])
        kinks = []
        if options.elementwise:
            notes += _not_elementwise_note(spec, probe, x, hand.f)
            kinks = _kinks(probe, apply_function(spec), lo, hi, eps)
            notes += [_kink_note(kinks, probe.parameter)] if kinks else []
    grid = _numpy(x)
    residuals = [
        r
        for reference in references[:2]
        for order, mine in ((1, hand.df), (2, hand.d2f))
        if (r := residual(order, mine, reference, grid)) is not None
    ]
    return CurveSet(
        function=spec.name,
        parameter=probe.parameter,
        x=grid,
        hand_written=hand,
        references=references,
        residuals=residuals,
        notes=notes,
        captured=captured,
        kinks=[kink.x for kink in kinks],
    )


#: The label of f′ and f″ of the forward by torch.func: jacrev, then jacfwd of it.
FUNC_ROAD = "jacfwd(jacrev) of forward"


def _second_road(probe, forward: Callable, x: torch.Tensor, autograd: Curve) -> tuple[Curve | None, str]:
    """f′ and f″ of the forward by ``torch.func`` (``jacfwd(jacrev(f))`` per point), and a note when it disagrees with autograd of forward.

    Where the hand-written backward has no double backward (``once_differentiable``)
    these two roads are all that says what f″ is; a forward that torch.func
    cannot trace gives no curve and no note.
    """

    def f(t):
        return probe(forward, t.reshape(1)).sum()

    try:
        df = torch.func.vmap(torch.func.jacrev(f))(x)
        d2f = torch.func.vmap(torch.func.jacfwd(torch.func.jacrev(f)))(x)
    except Exception:  # noqa: BLE001 - user code under torch.func; autograd of forward still stands
        return None, ""
    road = Curve(FUNC_ROAD, autograd.f, _numpy(df), _numpy(d2f))
    if autograd.d2f is None:
        return road, ""
    gap = np.abs(road.d2f - autograd.d2f)
    scale = np.maximum(np.abs(autograd.d2f), 1.0)
    bad = np.isfinite(gap) & (gap > 1e-6 * scale)
    if not bad.any():
        return road, ""
    worst = int(np.nanargmax(np.where(bad, gap, np.nan)))
    return road, (
        f"the two roads to f″ of the forward disagree: autograd's double backward gives {autograd.d2f[worst]:.6g} and"
        f" jacfwd(jacrev) gives {road.d2f[worst]:.6g} at {probe.parameter} = {float(x[worst]):.4g}: the forward does"
        " something one of them does not differentiate alike (a Function inside it with a wrong jvp or backward, an in-place op, a NumPy call)"
    )


#: Grid points on which kinks are looked for (find_kinks refines between them): cheap at any plot resolution.
KINK_GRID = 2001


def _kinks(probe, fn: Callable, lo: float, hi: float, eps: float | None) -> list:
    """Where f′ jumps (ReLU at 0, abs, clamp edges); never fails the curves."""
    grid = torch.linspace(lo, hi, KINK_GRID, dtype=_DTYPE)
    try:
        with torch.no_grad():
            found = find_kinks(lambda t: probe(fn, t), grid, eps or 1e-6)
    except Exception:  # noqa: BLE001 - a hint, not a verdict
        return []
    tiny = 1e-9 * (hi - lo)  # a kink at 0 found at -6e-17 is at 0
    return [dataclasses.replace(kink, x=0.0) if abs(kink.x) < tiny else kink for kink in found]


def _kink_note(kinks: list, parameter: str) -> str:
    where = ", ".join(f"{parameter} = {kink.x:.4g} (f\u2032 {kink.left_derivative:.3g} \u2192 {kink.right_derivative:.3g})" for kink in kinks[:5])
    more = f" and {len(kinks) - 5} more" if len(kinks) > 5 else ""
    return f"f is not differentiable at {where}{more} (dotted lines): finite differences are meaningless within eps of a kink, and checks move their inputs off it"
