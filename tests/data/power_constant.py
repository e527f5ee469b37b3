"""x ** k with the exponent declared a constant: k is never differentiated."""
import torch
from torch.autograd import Function


class Power(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x, k)
        return x ** k

    @staticmethod
    def backward(ctx, grad_output):
        x, k = ctx.saved_tensors
        return grad_output * k * x ** (k - 1), None


EXPLORE = {"Power": {"domain": (0.5, 2.0), "constants": {"k": 3.0}}}
