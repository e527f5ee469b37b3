"""Code pasted from a blog, with typographic quotes."""
from torch.autograd import Function


class Pasted(Function):
    @staticmethod
    def forward(ctx, x):
        print(‘type in forward‘, type(x))
        return x
