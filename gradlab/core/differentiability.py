"""Why a hand-written backward cannot be differentiated again, in PyTorch's words."""

from __future__ import annotations

import torch

DETACHED = (
    "backward's result is detached from the autograd graph (detach, .data, numpy or no_grad), "
    "so it cannot be differentiated again"
)


def double_backward_blocker(grad: torch.Tensor) -> str:
    """Explain a first-order gradient that is not connected to its seed.

    A ``once_differentiable`` backward returns tensors whose ``grad_fn`` is a
    delayed-error node; calling that node raises PyTorch's own message.  Any
    other disconnected result was detached by the backward itself.
    """
    node = grad.grad_fn
    if node is None:
        return DETACHED
    try:
        node(torch.ones_like(grad))
    except RuntimeError as exc:
        return f"double backward is not supported: {str(exc).strip().splitlines()[0]}"
    return DETACHED
