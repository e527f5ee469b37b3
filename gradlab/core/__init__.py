"""The core: load function files, compute curves, run checks.

It imports torch and numpy, never Qt, and knows nothing of processes.  Import
the submodules you need; this package module imports nothing heavy, so the
torch-free :mod:`gradlab.model.results` can be used by the GUI.
"""
