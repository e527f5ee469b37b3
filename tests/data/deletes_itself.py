"""A Function file that deletes itself while it loads (tests copy it out of tests/data, where it keeps itself)."""
import os

from torch.autograd import Function

if os.path.basename(os.path.dirname(__file__)) != "data":
    os.remove(__file__)


class Double(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2
