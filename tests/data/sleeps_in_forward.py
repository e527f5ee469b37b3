"""A square whose forward sleeps SLEEP seconds: a slow plot that a newer edit should not wait for."""
import time

from torch.autograd import Function

SLEEP = 3.0


class SlowSquare(Function):
    @staticmethod
    def forward(ctx, x):
        time.sleep(SLEEP)
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output
