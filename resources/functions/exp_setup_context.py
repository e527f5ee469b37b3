"""Exp written in the modern style: forward without ctx, plus setup_context.

Computes ``y = exp(x)``. Since PyTorch 2.0 a Function may split the old
``forward(ctx, ...)`` in two: ``forward(x)`` does only the computation, and
``setup_context(ctx, inputs, output)`` receives the forward arguments and
result and saves what backward needs. ``torch.func`` transforms require
this split, and with it ``generate_vmap_rule = True`` lets PyTorch derive
the vmap rule: ``torch.func.vmap(Exp.apply)`` works.

exp is its own derivative, so setup_context saves the output and backward
returns ``grad * y``; because y is a saved output, double backward flows
back through forward and gives f'' = exp(x) again. ``jvp`` is the
forward-mode twin of backward: it pushes a tangent ``x_t`` forward,
``y * x_t``, from the output saved with ``ctx.save_for_forward``.

gradcheck, gradgradcheck, forward AD and batched grad (vmap) all pass.
"""
import torch
from torch.autograd import Function


class Exp(Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y

    @staticmethod
    def jvp(ctx, x_t):
        (y,) = ctx.saved_tensors
        return y * x_t


EXPLORE = {
    "Exp": {
        "domain": (-3.0, 3.0),
        "compare": {"torch.exp": torch.exp},
    },
}
