"""log, whose EXPLORE key is misspelt: the domain below is never used."""
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


EXPLORE = {"Lgo": {"domain": (0.5, 2.0)}}
