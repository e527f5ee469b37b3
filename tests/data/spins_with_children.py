"""A Function whose forward starts a `sleep` process, says so, and then spins forever.

It touches $GRADLAB_TEST_BUSY (when set) once it spins, so a test knows the
engine is busy; the sleep's argument is $GRADLAB_TEST_SLEEP (default 1000).
"""
import os
import subprocess

from torch.autograd import Function

SECONDS = os.environ.get("GRADLAB_TEST_SLEEP", "1000")
subprocess.Popen(["sleep", SECONDS])


class Spin(Function):
    @staticmethod
    def forward(ctx, x):
        subprocess.Popen(["sleep", SECONDS])
        if os.environ.get("GRADLAB_TEST_BUSY"):
            open(os.environ["GRADLAB_TEST_BUSY"], "w").close()
        while True:
            x = x + 0

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
