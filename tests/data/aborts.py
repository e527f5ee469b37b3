"""A Function that kills its interpreter."""
import os

from torch.autograd import Function


class Abort(Function):
    @staticmethod
    def forward(ctx, x):
        os.abort()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
