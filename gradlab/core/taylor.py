"""The Taylor test: an eps-free verdict on a hand-written gradient.

Along a random direction ``v``, the first-order Taylor remainder

    r(h) = |J(x + h·v) − J(x) − h·⟨∇J(x), v⟩|

falls like h² when ∇J is right and only like h when it is wrong, whatever
the step.  ``J = Σ⟨u, f⟩`` reduces a tensor output to a scalar with a random
cotangent ``u``, so ∇J is exactly what the hand-written backward computes
for ``grad_output = u``.  The slope of log r against log h, fitted over the
steps where r stands above round-off, is the verdict (pyadjoint's
``taylor_test`` and Manopt's ``checkgradient`` work the same way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from gradlab.core.capture import captured_output
from gradlab.core.invoke import apply_function, make_inputs
from gradlab.core.loading import FunctionSpec
from gradlab.model.problems import UserCodeError, problem_from_exception

#: Steps h, largest first: 1e-1 down to 1e-6 in half decades.
DEFAULT_STEPS = tuple(float(h) for h in np.logspace(-1, -6, 11))
#: A remainder counts as above round-off when it exceeds this fraction of the magnitudes it is the difference of.
ROUND_OFF = 1e-13
#: The fitted slope a right gradient reaches (2 in theory; higher where the h² term vanishes along v).
MIN_SLOPE = 1.8
#: The fewest steps a slope is fitted over, when there are as many above round-off.
FIT_STEPS = 3


@dataclass
class TaylorResult:
    """The Taylor remainders of one Function and the verdict drawn from their slope.

    Attributes
    ----------
    hs : numpy.ndarray
        The steps, largest first.
    remainders : numpy.ndarray
        r(h) for each step; NaN where f was not finite.
    above_round_off : numpy.ndarray
        Boolean, per step: whether r(h) stood above round-off (the others
        are noise and are left out).
    used : numpy.ndarray
        Boolean, per step: the steps the slope was fitted over, the smaller
        half of those above round-off.
    slope : float
        The least-squares slope of log r against log h over the used steps;
        NaN when fewer than two steps were above round-off.
    passed : bool or None
        True when the slope is at least :data:`MIN_SLOPE`, or when r is at
        round-off at the smallest steps (at every step for a linear f): the
        gradient is exact along the direction.  None when the test could
        not run.
    note : str
        The verdict in words, with how many steps were used, and anything left out.
    """

    hs: np.ndarray
    remainders: np.ndarray
    above_round_off: np.ndarray
    used: np.ndarray
    slope: float
    passed: bool | None
    note: str = ""
    points_used: int = field(init=False)

    def __post_init__(self) -> None:
        self.points_used = int(np.count_nonzero(self.used))


def taylor_test(
    spec: FunctionSpec,
    inputs: tuple | None = None,
    hs=DEFAULT_STEPS,
    seed: int = 0,
    min_slope: float = MIN_SLOPE,
) -> TaylorResult:
    """Run the Taylor test on ``spec``'s hand-written backward, in float64.

    Parameters
    ----------
    spec : FunctionSpec
    inputs : tuple, optional
        Forward's arguments; by default :func:`~gradlab.core.invoke.make_inputs`.
        Floating-point tensors are cast to float64; those that require grad
        are moved along ``v``, the others stay fixed.
    hs : sequence of float
        The steps, any order; reported largest first.
    seed : int
        Seeds the direction ``v`` and the cotangent ``u``.
    min_slope : float
        The slope at or above which the gradient passes.

    Returns
    -------
    TaylorResult

    Raises
    ------
    UserCodeError
        When forward or backward raises.
    """
    steps = np.sort(np.asarray(hs, dtype=np.float64))[::-1]
    with captured_output():
        args = _as_float64(make_inputs(spec) if inputs is None else inputs)
        moved = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]
        if not moved:
            return _not_run(steps, "no input requires grad: there is no gradient to test")
        generator = torch.Generator().manual_seed(seed)
        direction = {i: torch.randn(args[i].shape, dtype=torch.float64, generator=generator) for i in moved}
        apply = apply_function(spec)
        start = _float_outputs(apply(*args))
        if not start:
            return _not_run(steps, "forward returns no floating-point tensor: there is no gradient to test")
        scalar = _Scalarization(start, generator)
        gradients = _hand_written_gradients(spec, start, scalar.cotangents, [args[i] for i in moved])
        held = _hold_where_not_finite(direction, moved, gradients)
        slope_along_v = sum(float((g * direction[i]).sum()) for i, g in zip(moved, gradients) if g is not None)
        size_gradient = sum(float((g * direction[i]).abs().sum()) for i, g in zip(moved, gradients) if g is not None)
        j0, size0 = scalar(start)
        if not (math.isfinite(j0) and math.isfinite(slope_along_v)):
            return _not_run(steps, "f or its hand-written gradient is not finite (NaN or inf) at the inputs")
        remainders, floors = [], []
        for h in steps:
            jh, size_h = scalar(_float_outputs(_moved_call(apply, args, direction, h)))
            remainders.append(abs(jh - j0 - h * slope_along_v))
            floors.append(ROUND_OFF * (size0 + size_h + h * size_gradient))
    missing = [spec.arg_names[i] if i < len(spec.arg_names) else str(i) for i, g in zip(moved, gradients) if g is None]
    notes = []
    if missing:
        notes.append(f"backward returned None for {', '.join(repr(m) for m in missing)}, which requires grad; taken as 0")
    if scalar.left_out:
        notes.append(f"{scalar.left_out} output elements that are not finite at the inputs were left out")
    if held:
        notes.append(f"{held} input elements where the hand-written gradient is not finite were held fixed")
    return _verdict(steps, np.array(remainders), np.array(floors), min_slope, notes)


class _Scalarization:
    """``J = Σ⟨u, f⟩`` with a random cotangent ``u``, zero where f is not finite at the inputs."""

    def __init__(self, outputs: list[torch.Tensor], generator: torch.Generator) -> None:
        self.finite = [torch.isfinite(o.detach()) for o in outputs]
        self.cotangents = [
            torch.randn(o.shape, dtype=torch.float64, generator=generator) * mask for o, mask in zip(outputs, self.finite)
        ]
        self.left_out = sum(int((~mask).sum()) for mask in self.finite)

    def __call__(self, outputs: list[torch.Tensor]) -> tuple[float, float]:
        """J at ``outputs``, and ``Σ|u·f|``, the size its round-off scales with."""
        products = [torch.where(mask, u * o.detach(), 0.0) for u, o, mask in zip(self.cotangents, outputs, self.finite)]
        return sum(float(p.sum()) for p in products), sum(float(p.abs().sum()) for p in products)


def _hold_where_not_finite(direction: dict[int, torch.Tensor], moved: list[int], gradients: list) -> int:
    """Zero the direction (and the gradient) at input elements whose gradient is not finite; how many."""
    held = 0
    for i, gradient in zip(moved, gradients):
        if gradient is None:
            continue
        bad = ~torch.isfinite(gradient)
        held += int(bad.sum())
        direction[i] = torch.where(bad, 0.0, direction[i])
        gradient.masked_fill_(bad, 0.0)
    return held


def _not_run(steps: np.ndarray, note: str) -> TaylorResult:
    none = np.zeros(steps.shape, dtype=bool)
    return TaylorResult(steps, np.full(steps.shape, np.nan), none, none.copy(), math.nan, None, note)


def _as_float64(inputs: tuple) -> tuple:
    """Floating-point tensors as float64 leaves, keeping which require grad."""
    cast = []
    for arg in inputs:
        if isinstance(arg, torch.Tensor) and arg.is_floating_point():
            arg = arg.detach().to(torch.float64).requires_grad_(arg.requires_grad)
        cast.append(arg)
    return tuple(cast)


def _float_outputs(output) -> list[torch.Tensor]:
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    return [o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point()]


def _hand_written_gradients(spec: FunctionSpec, outputs, cotangents, leaves) -> list[torch.Tensor | None]:
    """∇J from the hand-written backward: None for a leaf backward gave no gradient."""
    connected = [(o, u) for o, u in zip(outputs, cotangents) if o.requires_grad]
    if not connected:
        return [None] * len(leaves)
    try:
        grads = torch.autograd.grad([o for o, _ in connected], leaves, [u for _, u in connected], allow_unused=True)
    except Exception as exc:  # noqa: BLE001 - user backward
        raise UserCodeError(
            problem_from_exception(
                exc, spec.filename, "backward", f"{spec.name}.backward", fallback=spec.method_location("backward")
            )
        ) from exc
    return [None if g is None else g.detach() for g in grads]


def _moved_call(apply, args: tuple, direction: dict[int, torch.Tensor], h: float):
    """forward at ``x + h·v``, without building a graph."""
    moved = tuple(a.detach() + h * direction[i] if i in direction else a for i, a in enumerate(args))
    with torch.no_grad():
        return apply(*moved)


def _verdict(steps: np.ndarray, remainders: np.ndarray, floors: np.ndarray, min_slope: float, notes: list[str]) -> TaylorResult:
    """Fit the slope and decide; ``notes`` (what was left out) follow the verdict's own note.

    The slope is fitted over the smaller half (at least :data:`FIT_STEPS`) of
    the steps above round-off: the Taylor expansion holds as h goes to 0,
    and a large step can feel higher-order terms or a kink.  A remainder
    that falls to round-off at the smallest steps means the gradient is
    exact along ``v`` there, whatever the large steps did.
    """
    finite = np.isfinite(remainders) & np.isfinite(floors)
    above = finite & (remainders > floors)
    remainders = np.where(finite, remainders, np.nan)
    if not finite.all():
        notes.append(f"f was not finite (NaN or inf) at {np.count_nonzero(~finite)} of {steps.size} steps, which were left out")
    exact_below = _round_off_tail(steps, finite, above)
    count = int(np.count_nonzero(above))

    def result(used, slope, passed, first_note):
        return TaylorResult(steps, remainders, above, used, slope, passed, "; ".join([first_note, *notes]))

    if count == 0:
        if finite.any():
            return result(
                above,
                math.nan,
                True,
                "the remainder is at round-off at every step: f is linear along the direction and the gradient exact",
            )
        return result(above, math.nan, None, "f was not finite at any step")
    if count == 1:
        if exact_below is None:
            return result(above, math.nan, None, "only the smallest step is above round-off: no slope")
        return result(
            above, math.nan, True, f"only 1 step is above round-off; below h = {exact_below:.0e} the remainder is at round-off"
        )
    used = _fitted_steps(above)
    slope = float(np.polyfit(np.log(steps[used]), np.log(remainders[used]), 1)[0])
    fitted = f"slope {slope:.2f}, fitted over the {np.count_nonzero(used)} smallest of the {count} steps (out of {steps.size}) above round-off"
    if slope >= min_slope:
        return result(used, slope, True, fitted)
    if exact_below is not None:
        return result(
            used,
            slope,
            True,
            f"{fitted}, but at h ≤ {exact_below:.0e} the remainder is at round-off, so the gradient is exact along the direction: "
            "the larger steps crossed a kink or a region where f is not smooth",
        )
    return result(
        used, slope, False, f"{fitted}: the remainder falls like h^{slope:.1f}, not h², so the hand-written gradient is wrong"
    )


def _fitted_steps(above: np.ndarray) -> np.ndarray:
    """The smaller half, and at least :data:`FIT_STEPS`, of the steps above round-off (steps run largest first)."""
    indices = np.flatnonzero(above)
    keep = max(FIT_STEPS, math.ceil(indices.size / 2))
    used = np.zeros_like(above)
    used[indices[-keep:]] = True
    return used


def _round_off_tail(steps: np.ndarray, finite: np.ndarray, above: np.ndarray) -> float | None:
    """The largest h below which every finite step is at round-off, when the last two finite steps are; else None."""
    tail = []
    for k in range(steps.size - 1, -1, -1):
        if not finite[k]:
            continue
        if above[k]:
            break
        tail.append(k)
    if len(tail) < 2:
        return None
    return float(steps[tail[-1]])
