"""What crosses the process boundary: requests, options, results, problems, labels.

Imports neither torch nor Qt, so the GUI, the CLI, the engine client and the
engine itself share one definition of each.  ``import-linter`` holds this
line (see ``.importlinter``).
"""
