"""A Function whose inputs() ignores the size asked for, and a compare entry with the wrong results."""
import torch
from torch.autograd import Function


class Double(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2


EXPLORE = {
    "Double": {
        "inputs": lambda shape, dtype, device: (torch.rand(3, 4, dtype=dtype, device=device),),  # always 3x4
        "compare": {"times three": lambda x: x * 3},  # not the same function: refused, not timed
    },
}
