"""Exp written in the modern style: forward without ctx, plus setup_context.

Computes ``y = exp(x)``. Since PyTorch 2.0 a Function may split the old
``forward(ctx, ...)`` in two: ``forward(x)`` does only the computation, and
``setup_context(ctx, inputs, output)`` receives the forward arguments and
result and saves what backward needs. ``torch.func`` transforms require
this split: ``torch.func.grad(Exp.apply)`` works on this class as written
(vmap would also need ``generate_vmap_rule = True``).

exp is its own derivative, so setup_context saves the output and backward
returns ``grad * y``; because y is a saved output, double backward flows
back through forward and gives f'' = exp(x) again.

gradcheck passes; gradgradcheck passes.
"""
import torch
from torch.autograd import Function


class Exp(Function):
    @staticmethod
    def forward(x):
        return torch.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


EXPLORE = {
    "Exp": {
        "domain": (-3.0, 3.0),
        "compare": {"torch.exp": torch.exp},
    },
}
