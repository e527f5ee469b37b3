"""Shared test setup.

Qt runs offscreen and keeps its settings in a throwaway folder; both are set
before anything imports Qt.
"""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SETTINGS = tempfile.mkdtemp(prefix="gradlab-test-settings-")
os.environ["XDG_CONFIG_HOME"] = _SETTINGS
os.environ["XDG_DATA_HOME"] = _SETTINGS
os.environ["XDG_CACHE_HOME"] = _SETTINGS  # the measured copy bandwidth is cached here, not in the real cache
