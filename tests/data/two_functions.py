"""Two Functions in one file, and an imported one that must not count."""
import torch
from torch.autograd import Function
from torch.autograd import Function as ImportedBase  # noqa: F401


class First(Function):
    """The first."""

    @staticmethod
    def forward(ctx, x):
        return x + 1

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class Second(Function):
    @staticmethod
    def forward(x):
        return x * 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 3
