"""gradlab: a workbench for custom ``torch.autograd.Function``s.

The package is layered (see DESIGN.md): :mod:`gradlab.core` does the mathematics
with torch and knows nothing of Qt or processes; :mod:`gradlab.engine` runs the
core in a child process; :mod:`gradlab.gui` shows results and never imports
torch; :mod:`gradlab.cli` is the headless face of the engine.  Importing this
package imports none of them.
"""

__version__ = "0.1.0"
