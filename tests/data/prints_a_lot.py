"""A Function that prints megabytes."""
from torch.autograd import Function


class Chatty(Function):
    @staticmethod
    def forward(ctx, x):
        print("x" * 1_000_000)
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2
