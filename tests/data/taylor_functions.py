"""Functions whose gradients are right, wrong, or nearly right, for the Taylor test."""
import torch
from torch.autograd import Function


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


class SigmoidTwice(Function):
    """Backward is twice the right one."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return 2 * grad_output * y * (1 - y)


class SigmoidSlightlyWrong(Function):
    """Backward is off by one part in ten thousand: large steps look right, small ones do not."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return 1.0001 * grad_output * y * (1 - y)


class Affine(Function):
    """3 x + 1: linear, so the remainder is round-off."""

    @staticmethod
    def forward(ctx, x):
        return 3 * x + 1

    @staticmethod
    def backward(ctx, grad_output):
        return 3 * grad_output


class AffineWrong(Function):
    """3 x + 1 with backward 2: linear, and wrong."""

    @staticmethod
    def forward(ctx, x):
        return 3 * x + 1

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output


class MultiplyAdd(Function):
    """w * x + b, three inputs."""

    @staticmethod
    def forward(ctx, w, x, b):
        ctx.save_for_backward(w, x)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_output):
        w, x = ctx.saved_tensors
        return grad_output * x, grad_output * w, grad_output


class MultiplyAddWrongBias(Function):
    """w * x + b whose bias gradient is doubled."""

    @staticmethod
    def forward(ctx, w, x, b):
        ctx.save_for_backward(w, x)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_output):
        w, x = ctx.saved_tensors
        return grad_output * x, grad_output * w, 2 * grad_output


class SinCos(Function):
    """Two outputs, sin and cos."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x), torch.cos(x)

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_sin * torch.cos(x) - grad_cos * torch.sin(x)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).to(grad_output.dtype)
