"""A Function with a misspelt EXPLORE option."""
import torch
from torch.autograd import Function


class Double(Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output


EXPLORE = {
    "Double": {"domian": (-1.0, 1.0)},
}
