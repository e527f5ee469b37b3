"""The engine: gradlab's core running in a child process, behind a pipe.

User code can loop forever, allocate too much or crash its interpreter; the
client side (:class:`~gradlab.engine.client.Engine`) times requests out,
cancels them, and restarts a dead or stuck process.  Each engine leads its
own process group, dies with its parent, and takes along whatever the user's
code started (:mod:`~gradlab.engine.lifetime`, :mod:`~gradlab.engine.tether`).
This package module imports no torch; only the child does.
"""

from gradlab.engine.client import Engine, EngineError
from gradlab.engine.lifetime import stop_all_engines
from gradlab.model.requests import (
    BenchRequest,
    CallsRequest,
    CheckRequest,
    CurvesRequest,
    EpsSweepRequest,
    LoadRequest,
    OtherFunction,
    Source,
)

__all__ = ["BenchRequest", "Engine", "EngineError", "OtherFunction", "Source", "LoadRequest", "CurvesRequest", "CheckRequest", "CallsRequest", "EpsSweepRequest", "stop_all_engines"]
