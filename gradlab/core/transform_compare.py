"""Compare a transform's tensors with its reference's: which outputs, the largest difference, and where it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

#: Names one element of one compared tensor: ``label(index) -> "d y[0, 1] / d x[0, 1]"``.
Label = Callable[[tuple[int, ...]], str]


def floating_outputs(output) -> tuple[torch.Tensor, ...]:
    """The outputs that are compared: the floating-point tensors of a forward's output, in order."""
    outputs = (output,) if isinstance(output, torch.Tensor) else tuple(output) if isinstance(output, (tuple, list)) else ()
    found = tuple(o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point())
    if not found:
        raise TypeError(f"forward returned {type(output).__name__} with no floating-point tensor")
    return found


def index_text(index: Sequence[int]) -> str:
    """``[1, 2]`` for a 2-d index, ``""`` for a 0-d tensor's."""
    return f"[{', '.join(str(int(i)) for i in index)}]" if len(index) else ""


@dataclass
class Comparison:
    """How far a transform's tensors are from the reference's.

    ``close`` is :func:`torch.allclose` on every pair (NaN equal to NaN);
    ``where`` names the element of the largest absolute difference, whose two
    values are ``actual`` and ``expected``.
    """

    close: bool
    max_abs_diff: float
    where: str
    actual: float | None = None
    expected: float | None = None
    shape_error: str = ""

    def describe(self) -> str:
        """``"max |difference| 2 at d y[0] / d x[0] (1 vs -1)"``."""
        if self.shape_error:
            return self.shape_error
        text = f"max |difference| {self.max_abs_diff:.3g}"
        if self.where:
            text += f" at {self.where}"
        if self.actual is not None and self.expected is not None:
            text += f" ({self.actual:.6g} vs {self.expected:.6g})"
        return text


def compare(
    actual: Sequence[torch.Tensor], expected: Sequence[torch.Tensor], labels: Sequence[Label], rtol: float, atol: float
) -> Comparison:
    """Compare tensors pairwise; the worst element over all of them is reported.

    A NaN in only one of a pair counts as an infinite difference.
    """
    if len(actual) != len(expected):
        return Comparison(False, float("inf"), "", shape_error=f"{len(actual)} results against the reference's {len(expected)}")
    close, worst = True, Comparison(True, 0.0, "")
    for a, e, label in zip(actual, expected, labels):
        a, e = a.detach().to(torch.float64), e.detach().to(torch.float64)
        if a.shape != e.shape:
            return Comparison(
                False,
                float("inf"),
                label(()),
                shape_error=f"{label(())}: shape {tuple(a.shape)} against the reference's {tuple(e.shape)}",
            )
        close = close and torch.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
        if not a.numel():
            continue
        diff = (a - e).abs()
        both_nan = a.isnan() & e.isnan()
        diff = torch.where(both_nan, torch.zeros_like(diff), diff.nan_to_num(nan=float("inf")))
        flat = int(diff.argmax())
        if float(diff.flatten()[flat]) > worst.max_abs_diff or not worst.where:
            index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else ()
            worst = Comparison(
                True, float(diff.flatten()[flat]), label(index), float(a.flatten()[flat]), float(e.flatten()[flat])
            )
    worst.close = close
    return worst
