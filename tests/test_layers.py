"""The layer boundaries of DESIGN.md, proved in fresh interpreters."""

import subprocess
import sys

QT_PREFIXES = ("PySide6", "shiboken6", "pyqtgraph")


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    return set(out.stdout.split())


def test_importing_and_using_the_core_loads_no_qt():
    modules = _modules_after(
        "import gradlab.core.loading, gradlab.core.curves, gradlab.core.checks, gradlab.core.calls\n"
        "from gradlab.model.builtins import default_example\n"
        "from gradlab.core.loading import load_function_file\n"
        "from gradlab.core.curves import compute_curves\n"
        "compute_curves(load_function_file(str(default_example())).functions[0], points=11)\n"
    )
    assert "torch" in modules
    assert not [m for m in modules if m.startswith(QT_PREFIXES)]


def test_the_engine_client_loads_no_torch():
    modules = _modules_after(
        "from gradlab.engine import Engine, CurvesRequest, Source\n"
        "from gradlab.model.builtins import default_example\n"
        "with Engine() as e:\n"
        "    e.request(CurvesRequest(Source(str(default_example())), points=11))\n"
    )
    assert "torch" not in modules


def test_the_import_linter_contracts_hold():
    """`.importlinter`: model imports neither torch nor Qt; core no Qt; gui, cli and the engine client no torch."""
    import pathlib
    import shutil

    root = pathlib.Path(__file__).resolve().parent.parent
    command = shutil.which("lint-imports")
    assert command, "import-linter is a test dependency: pip install -e '.[test]'"
    out = subprocess.run([command, "--config", str(root / ".importlinter")], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout, out.stdout
