"""A plain (non-editable) install carries the built-in function files."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_contains_the_builtin_function_files(tmp_path):
    source = tmp_path / "src"  # build from a copy: setuptools writes build/ beside the sources
    for name in ("gradlab", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("gradlab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"gradlab/resources/functions/{p.name}" for p in (ROOT / "resources" / "functions").glob("*.py")}
    assert expected and expected <= names
    assert "gradlab/resources/templates/new_function.py" in names
    assert "gradlab/cli.py" in names and "gradlab/engine/worker.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "gradlab = gradlab.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
