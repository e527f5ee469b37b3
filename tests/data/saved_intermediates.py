"""Functions that save what backward needs in right and wrong ways, for double backward."""
import math

import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _inner(x):
    return SQRT_2_OVER_PI * (x + 0.044715 * x**3)


def _gelu_derivative(x, tanh_inner):
    sech2 = 1 - tanh_inner * tanh_inner
    return 0.5 * (1 + tanh_inner) + 0.5 * x * sech2 * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)


class GeluSavesTanh(Function):
    """Exact first derivative; saves tanh_inner, an intermediate, so double backward is wrong."""

    @staticmethod
    def forward(ctx, x):
        tanh_inner = torch.tanh(_inner(x))
        ctx.save_for_backward(x, tanh_inner)
        return 0.5 * x * (1 + tanh_inner)

    @staticmethod
    def backward(ctx, grad_output):
        x, tanh_inner = ctx.saved_tensors
        return grad_output * _gelu_derivative(x, tanh_inner)


class GeluRecomputes(Function):
    """The fix: save the input and recompute tanh_inner in backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * x * (1 + torch.tanh(_inner(x)))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _gelu_derivative(x, torch.tanh(_inner(x)))


class GeluOnceDifferentiable(Function):
    """Saves tanh_inner but says double backward is unsupported: nothing to report."""

    @staticmethod
    def forward(ctx, x):
        tanh_inner = torch.tanh(_inner(x))
        ctx.save_for_backward(x, tanh_inner)
        return 0.5 * x * (1 + tanh_inner)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, tanh_inner = ctx.saved_tensors
        return grad_output * _gelu_derivative(x, tanh_inner)


class TanhAttribute(Function):
    """tanh(x)^2 / 2 with tanh(x) kept as a ctx attribute: an intermediate."""

    @staticmethod
    def forward(ctx, x):
        ctx.t = torch.tanh(x)
        return ctx.t * ctx.t / 2

    @staticmethod
    def backward(ctx, grad_output):
        t = ctx.t
        return grad_output * t * (1 - t * t)


class GeluSetupContext(Function):
    """The modern style: setup_context computes tanh_inner from the inputs and saves it."""

    @staticmethod
    def forward(x):
        return 0.5 * x * (1 + torch.tanh(_inner(x)))

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        tanh_inner = torch.tanh(_inner(x))
        ctx.save_for_backward(x, tanh_inner)

    @staticmethod
    def backward(ctx, grad_output):
        x, tanh_inner = ctx.saved_tensors
        return grad_output * _gelu_derivative(x, tanh_inner)


class ExpSetupContext(Function):
    """setup_context saves the output: right."""

    @staticmethod
    def forward(x):
        return torch.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class ReluSavesMask(Function):
    """Saves a floating-point mask: computed in forward, but it has no derivative to lose."""

    @staticmethod
    def forward(ctx, x):
        mask = (x > 0).to(x.dtype)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad_output):
        (mask,) = ctx.saved_tensors
        return grad_output * mask


class SquareSavesDetached(Function):
    """Saves x.detach(): a copy of the input without its history."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x.detach())
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


class SquareSavesView(Function):
    """Saves a view of the input, made in forward where autograd does not record."""

    @staticmethod
    def forward(ctx, x):
        flat = x.view(-1)
        ctx.save_for_backward(flat)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (flat,) = ctx.saved_tensors
        return 2 * flat.view(grad_output.shape) * grad_output


class Double(Function):
    """Saves nothing, keeps a number on ctx."""

    @staticmethod
    def forward(ctx, x):
        ctx.factor = 2.0
        return x * ctx.factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor


class ScaleSavesNone(Function):
    """Saves None next to a tensor, as PyTorch allows."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(None, x, scale)
        return x * scale

    @staticmethod
    def backward(ctx, grad_output):
        _, x, scale = ctx.saved_tensors
        return grad_output * scale, grad_output * x


class ScaleSavesFlatScale(Function):
    """Saves a view of scale: harmless when scale is a constant, an intermediate when it requires grad."""

    @staticmethod
    def forward(ctx, x, scale):
        flat_scale = scale.reshape(-1)
        ctx.save_for_backward(x, flat_scale)
        return x * scale

    @staticmethod
    def backward(ctx, grad_output):
        x, flat_scale = ctx.saved_tensors
        return grad_output * flat_scale.view(grad_output.shape), grad_output * x


class SavesTwice(Function):
    """Calls save_for_backward twice; PyTorch keeps only the last call."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sin(x)
        ctx.save_for_backward(y)
        cos = torch.cos(x)
        ctx.save_for_backward(
            x,
            cos,
        )
        return y

    @staticmethod
    def backward(ctx, grad_output):
        _, cos = ctx.saved_tensors
        return grad_output * cos


class SavesStarred(Function):
    """Saves a list of tensors with *: names come out as parts[i]."""

    @staticmethod
    def forward(ctx, x):
        parts = [torch.sin(x), torch.cos(x)]
        ctx.save_for_backward(x, *parts)
        return parts[0]

    @staticmethod
    def backward(ctx, grad_output):
        _, _, cos = ctx.saved_tensors
        return grad_output * cos


class RaisesInForward(Function):
    @staticmethod
    def forward(ctx, x):
        raise ValueError("no forward today")

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
