"""Shared test setup.  Qt runs offscreen; this is set before anything imports Qt."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
