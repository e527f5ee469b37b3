"""Verdicts of the transform matrix: a Function under vmap, jvp, jacrev, jacfwd, hessian and torch.compile.  No torch here."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The transforms, in the order they run and are shown.
TRANSFORMS = ("vmap", "jvp", "jacrev", "jacfwd", "hessian", "compile")

#: ``pass``: agrees with its reference; ``fail``: a wrong answer; ``unsupported``: PyTorch refused
#: the transform for this Function (the message says how to enable it; not a failure);
#: ``error``: something else raised, or there was nothing to compare with.
STATUSES = ("pass", "fail", "unsupported", "error")


@dataclass
class TransformResult:
    """One transform's verdict on one Function.

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    message : str
        One line: what was compared, the largest difference and where, or
        PyTorch's refusal followed by how to enable the transform.
    detail : dict
        Plain values, by transform: ``max_abs_diff``, ``where``, ``reference``
        (what it was compared with), ``tolerance``; for ``compile`` also
        ``backend``, ``graphs``, ``graph_breaks``, ``break_reasons``,
        ``custom_backward_used`` and ``custom_jvp_used`` (bool, or None when
        it could not be told); ``seconds`` for all.
    """

    status: str
    message: str = ""
    detail: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    @property
    def failed(self) -> bool:
        """A wrong answer; ``unsupported`` and ``error`` are not."""
        return self.status == "fail"

    def to_json(self) -> dict:
        """``{"status", "message", "detail"}`` for ``gradlab check --json``."""
        return {"status": self.status, "message": self.message, "detail": dict(self.detail)}


def transforms_to_json(results: dict[str, TransformResult]) -> dict:
    """The ``"transforms"`` object of ``check --json``, keyed in :data:`TRANSFORMS` order."""
    return {name: results[name].to_json() for name in TRANSFORMS if name in results}


def transforms_text(results: dict[str, TransformResult]) -> str:
    """One line per transform, ``name  status  message``, for the CLI."""
    names = [name for name in TRANSFORMS if name in results]
    width = max((len(name) for name in names), default=0)
    return "\n".join(f"{name.ljust(width)}  {results[name].status.ljust(11)}  {results[name].message}" for name in names)
