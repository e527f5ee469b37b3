"""A cube whose backward detaches its result, so f'' is lost."""
from torch.autograd import Function


class DetachedCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return (3 * x ** 2 * grad_output).detach()
