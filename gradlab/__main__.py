"""``python -m gradlab``: the same entry point as the ``gradlab`` command."""

import sys

from gradlab.cli import main

if __name__ == "__main__":  # the engine's spawned processes import this module too
    sys.exit(main())
