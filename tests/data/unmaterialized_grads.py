"""Double: a backward that cannot take an undefined (None) grad_output, which check_undefined_grad sends."""
from torch.autograd import Function


class Double(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2
