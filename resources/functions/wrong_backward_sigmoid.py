"""Sigmoid with a deliberately wrong backward: what a failed check looks like.

Computes the sigmoid ``y = 1 / (1 + exp(-x))`` correctly, but backward
forgets the factor ``(1 - y)`` and returns ``grad * y`` instead of
``grad * y * (1 - y)``. Plots show the hand-written f' rising towards 1
where the true derivative (finite differences, autograd of forward,
torch.sigmoid) falls back to 0.

gradcheck fails on purpose: the analytical Jacobian from backward disagrees
with the numerical one from finite differences (it is y where it should be
y * (1 - y), off by y ** 2 on the diagonal). gradgradcheck fails too:
backward uses y, a saved *output*, and autograd differentiates y through
this same wrong backward, so the mistake reaches the second derivative.

To fix it, return ``grad_output * y * (1 - y)`` (see sigmoid.py).
"""
import torch
from torch.autograd import Function


class WrongSigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y  # wrong: missing the factor (1 - y)


EXPLORE = {
    "WrongSigmoid": {
        "domain": (-6.0, 6.0),
        "compare": {"torch.sigmoid": torch.sigmoid},
    },
}
