"""ReLU max(x, 0): a kink at 0 and what derivative checks make of it.

Computes ``y = max(x, 0)``. Backward passes the gradient through where the
input was positive and blocks it elsewhere: ``grad * (x > 0)``. The mask is
a comparison, which carries no gradient, so the backward is differentiable
in ``grad`` (double backward gives the same mask) and constant in x: f'' is
0 everywhere except at the kink, where f' jumps from 0 to 1 and no
derivative exists.

At x = 0 the hand-written backward picks f'(0) = 0 (as torch.relu does),
while central finite differences see half of each side and give 0.5, so
gradcheck fails exactly at the kink. Random inputs land within eps of 0 with
negligible probability.

gradcheck passes away from 0; gradgradcheck passes away from 0 (f'' = 0).
"""
import torch
from torch.autograd import Function


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).to(grad_output.dtype)


EXPLORE = {
    "ReLU": {
        "domain": (-3.0, 3.0),
        "compare": {"torch.relu": torch.relu},
    },
}
