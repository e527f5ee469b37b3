"""x ** 3 whose backward has a wrong constant: 2.9 x ** 2 instead of 3 x ** 2."""
from torch.autograd import Function


class WrongConstantCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2.9 * x ** 2 * grad_output


EXPLORE = {"WrongConstantCube": {"domain": (-2.0, 2.0)}}
