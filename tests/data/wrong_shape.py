"""A backward that returns a gradient of the wrong shape."""
from torch.autograd import Function


class Total(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.sum(dim=-1)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.sum().reshape(1)


EXPLORE = {"Total": {"elementwise": False}}
