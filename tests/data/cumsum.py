"""A cumulative sum with a correct backward: keeps its input's shape, but is not elementwise."""
from torch.autograd import Function


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x):
        return x.cumsum(-1)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.flip(-1).cumsum(-1).flip(-1)
