"""Softplus log(1 + exp(x)), computed stably, with a sigmoid backward.

Computes ``y = log(1 + exp(x))``, a smooth ReLU. Written literally, exp(x)
overflows for large x (inf in float32 beyond about 88) and log(1 + tiny)
loses digits for very negative x, so forward uses the stable identity
``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``.

Backward is instructive because the derivative of softplus is another
familiar function: ``dy/dx = sigmoid(x)``. It saves the input x (not the
output) and calls ``torch.sigmoid``, which is itself differentiable, so
f'' = sigmoid(x) (1 - sigmoid(x)) comes for free. Compare the autograd of
forward: it differentiates through max, abs and log1p and gets the same
curve, with a kink-free result despite the kinks in the pieces.

gradcheck passes; gradgradcheck passes.
"""
import torch
from torch.autograd import Function


class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.sigmoid(x) * grad_output


EXPLORE = {
    "Softplus": {
        "compare": {"F.softplus": torch.nn.functional.softplus},
    },
}
