"""A Function whose forward ends the interpreter without a stack dump (as the OOM killer would)."""
import os

from torch.autograd import Function


class Exits(Function):
    @staticmethod
    def forward(ctx, x):
        os._exit(3)

    @staticmethod
    def backward(ctx, grad):
        return grad
