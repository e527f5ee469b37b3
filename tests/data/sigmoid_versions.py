"""Two versions of a sigmoid to time against each other, and a Function with other arguments."""
import torch
from torch.autograd import Function


class SigmoidSavesOutput(Function):
    """Saves y; backward is y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


class SigmoidSavesInput(Function):
    """Saves x and recomputes the sigmoid in backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        y = torch.sigmoid(x)
        return grad_output * y * (1 - y)


class Scale(Function):
    """Takes two arguments: not comparable with the sigmoids."""

    @staticmethod
    def forward(ctx, x, a):
        ctx.save_for_backward(x, a)
        return x * a

    @staticmethod
    def backward(ctx, grad_output):
        x, a = ctx.saved_tensors
        return grad_output * a, grad_output * x
