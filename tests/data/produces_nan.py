"""A log whose forward produces NaN for negative inputs."""
import torch
from torch.autograd import Function


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.log(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / x


EXPLORE = {"Log": {"domain": (-1.0, 1.0)}}
