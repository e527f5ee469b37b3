"""A Function whose forward accepts 1-D input only (torch.dot): a 2-D benchmark size cannot run."""
import torch
from torch.autograd import Function


class SquaredNorm(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.dot(x, x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


EXPLORE = {"SquaredNorm": {"elementwise": False}}
