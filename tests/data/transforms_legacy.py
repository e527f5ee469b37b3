"""The tutorial's style, forward(ctx, x): torch.func refuses every transform until setup_context is split out."""
from torch.autograd import Function


class LegacySquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


class LegacyWrongJvp(Function):
    """Legacy style with a jvp whose sign is flipped: torch.func refuses it, forward-mode AD runs it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output

    @staticmethod
    def jvp(ctx, x_t):
        (x,) = ctx.saved_tensors
        return -2 * x * x_t
