"""Create the one QApplication; say so plainly when there is no display to show it on."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

EXIT_NO_DISPLAY = 2  # the CLI's "could not be used" status

_HEADLESS_HINT = (
    "  Without a display, use the command line: gradlab check FILE, gradlab plot FILE --out OUT.png,\n"
    "  gradlab bench FILE (gradlab COMMAND -h for the options).\n"
    "  To run the window invisibly anyway (e.g. for scripted screenshots), set QT_QPA_PLATFORM=offscreen."
)


class NoDisplayError(RuntimeError):
    """Raised by :func:`ensure_application` when the window has no display to go to."""


def _uses_x11_or_wayland(platform: str) -> bool:
    # macOS and Windows always have their own display; Linux and the BSDs need X11 or Wayland.
    return platform.startswith(("linux", "freebsd", "openbsd", "netbsd", "dragonfly"))


def _wayland_socket(environ: Mapping[str, str]) -> str:
    """The path libwayland-client connects to for ``WAYLAND_DISPLAY`` (``""`` if it cannot tell)."""
    name = environ.get("WAYLAND_DISPLAY", "")
    if os.path.isabs(name):
        return name
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    return os.path.join(runtime, name) if runtime else ""


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why a window cannot be shown, or ``None`` when Qt should be left to try.

    Parameters
    ----------
    environ : Mapping[str, str]
        The environment to judge, normally ``os.environ``.
    platform : str
        ``sys.platform`` of the machine.

    Returns
    -------
    str or None
        One sentence naming what was looked for and not found; ``None`` when
        ``QT_QPA_PLATFORM`` is set (the user's choice is always respected), on
        macOS and Windows, or when ``DISPLAY`` or a usable ``WAYLAND_DISPLAY`` is set.

    Notes
    -----
    An X ``DISPLAY`` is not probed: the server may listen on an abstract socket
    with no file in ``/tmp/.X11-unix``, and when it cannot be reached Qt says so
    itself before it aborts. A Wayland socket has no such alternative, so one
    that is named but missing counts as no display.
    """
    if environ.get("QT_QPA_PLATFORM") or not _uses_x11_or_wayland(platform):
        return None
    if environ.get("DISPLAY"):
        return None
    wayland = environ.get("WAYLAND_DISPLAY", "")
    if not wayland:
        return "no display found: neither DISPLAY (X11) nor WAYLAND_DISPLAY (Wayland) is set"
    socket = _wayland_socket(environ)
    if socket and not os.path.exists(socket):
        return f"no display found: WAYLAND_DISPLAY is {wayland!r} but {socket} does not exist, and DISPLAY (X11) is not set"
    return None


def no_display_message(problem: str) -> str:
    """The full text for stderr: ``problem`` and how to work without a display."""
    return f"gradlab: {problem}.\n{_HEADLESS_HINT}"


def ensure_application(headless: bool = False):
    """Return the running QApplication, creating it if needed.

    Parameters
    ----------
    headless : bool
        Create it on Qt's offscreen platform (unless ``QT_QPA_PLATFORM`` says
        otherwise), for figure export and tests.

    Raises
    ------
    NoDisplayError
        When a visible application is asked for and :func:`display_problem`
        finds no display; it no longer falls back to an invisible window.
    """
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if not headless and (problem := display_problem(os.environ, sys.platform)) is not None:
            raise NoDisplayError(no_display_message(problem))
        app = QApplication(sys.argv[:1])
        app.setApplicationName("gradlab")
        app.setOrganizationName("gradlab")
    return app
