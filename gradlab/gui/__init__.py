"""The desktop face of gradlab: PySide6 and pyqtgraph, never torch.

Numbers reach it from the engine as plain dataclasses and numpy arrays.
"""
