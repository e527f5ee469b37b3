"""x * sqrt(scale): scale is an input that must stay positive, fixed at 0.25 for the plots."""
import torch
from torch.autograd import Function


class ScaledSqrt(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x, scale)
        return x * torch.sqrt(scale)

    @staticmethod
    def backward(ctx, grad_output):
        x, scale = ctx.saved_tensors
        root = torch.sqrt(scale)
        return grad_output * root, grad_output * x / (2 * root)


EXPLORE = {"ScaledSqrt": {"domain": (-2.0, 2.0), "fixed": {"scale": 0.25}}}
