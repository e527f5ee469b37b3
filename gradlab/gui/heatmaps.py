"""Heatmaps of gradcheck's two Jacobians and their difference, side by side at one size, each with its colour scale."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt

from gradlab.model.results import Jacobians

#: (key, title) of each heatmap, left to right.
HEATMAPS = (("numerical", "numerical"), ("analytical", "analytical (backward)"), ("difference", "analytical \u2212 numerical"))
#: Rows of a Jacobian are input elements, its columns output elements (``Jacobians``' layout, PyTorch's too).
X_TITLE, Y_TITLE = "output element", "input element"
#: Layout column of each heatmap: the shared colour bar sits between the analytical map and the difference.
COLUMNS = {"numerical": 0, "analytical": 1, "difference": 3}
SHARED_BAR_COLUMN, DIFFERENCE_BAR_COLUMN = 2, 4
#: Pixels each map asks for: the same for all three, so the layout's stretch gives them equal widths.
MAP_WIDTH = 110
TITLE_SIZE = "10pt"
TITLE_HEIGHT = 30
#: Pixels of every left axis, so that the three view boxes come out equally wide whatever their tick labels.
LEFT_AXIS_WIDTH = 52
BOTTOM_AXIS_HEIGHT = 40
#: Without the checks' atol and rtol, the difference's scale is at least this fraction of the largest |numerical|.
FALLBACK_RELATIVE_FLOOR = 1e-3


def allowed_difference(numerical: np.ndarray, tolerance: tuple[float, float] | None) -> np.ndarray:
    """What gradcheck lets each entry's difference be: ``atol + rtol·|numerical|``.

    ``tolerance`` is (atol, rtol); when None (unknown),
    :data:`FALLBACK_RELATIVE_FLOOR` × the largest finite |numerical| everywhere.
    """
    magnitude = np.abs(numerical)
    if tolerance is not None:
        atol, rtol = tolerance
        return atol + rtol * magnitude
    finite = magnitude[np.isfinite(magnitude)]
    return np.full(numerical.shape, FALLBACK_RELATIVE_FLOOR * (float(finite.max()) if finite.size else 0.0))


def tolerance_text(tolerance: tuple[float, float] | None) -> str:
    """gradcheck's tolerance in words, as :func:`allowed_difference` takes it."""
    if tolerance is None:
        return f"{FALLBACK_RELATIVE_FLOOR:g}\u00b7max|numerical|"
    atol, rtol = tolerance
    return f"atol {atol:g} + rtol {rtol:g}\u00b7|numerical|"


class _Title(pg.LabelItem):
    """A plot title that never widens its column: a long one may overhang its map's axis, and the three maps stay alike."""

    def updateMin(self) -> None:  # noqa: N802 - pyqtgraph override
        super().updateMin()
        self.setMinimumWidth(0)
        self._sizeHint[Qt.SizeHint.MinimumSize] = (0, self._sizeHint[Qt.SizeHint.MinimumSize][1])


class _IndexAxis(pg.AxisItem):
    """An axis of element indices: ticks at whole numbers only."""

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph override
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal, size) if spacing >= 1]
        return levels or [(1.0, 0.0)]


def _set_title(plot: pg.PlotItem, text: str) -> None:
    """Put a :class:`_Title` where pyqtgraph's own title, which is as wide as its text at least, would be."""
    own, scene = plot.titleLabel, plot.titleLabel.scene()
    plot.layout.removeItem(own)
    own.setParentItem(None)
    if scene is not None:
        scene.removeItem(own)
    plot.titleLabel = _Title(text, size=TITLE_SIZE, parent=plot)
    plot.layout.addItem(plot.titleLabel, 0, 1)
    plot.layout.setRowFixedHeight(0, TITLE_HEIGHT)


class JacobianHeatmaps(pg.GraphicsLayoutWidget):
    """Numerical and analytical Jacobians on one colour scale, and analytical − numerical on a scale centred on 0.

    The difference's scale never shrinks below what gradcheck tolerates
    (``atol + rtol·|numerical|``), so round-off of a right backward renders
    near-white rather than as a pattern of errors; its colour bar is in the
    difference's own units.  The largest mismatch is boxed only when it is
    beyond that tolerance.  The three maps share their axes (zoom one, all
    follow).  Cells are centred on their indices.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("jacobianHeatmaps")
        self.setMinimumWidth(200)
        self.jacobians: Jacobians | None = None
        self.worst: tuple[int, int] | None = None
        #: (atol, rtol) the difference was judged by; None: unknown, the documented fallback was used.
        self.tolerance: tuple[float, float] | None = None
        #: Whether every |difference| is within gradcheck's tolerance (then nothing is boxed).
        self.within_tolerance = False
        self.images: dict[str, pg.ImageItem] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        grid = self.ci.layout
        for key, title in HEATMAPS:
            plot = self.addPlot(row=0, col=COLUMNS[key], axisItems={side: _IndexAxis(side) for side in ("left", "bottom")})
            _set_title(plot, title)
            plot.setMinimumWidth(MAP_WIDTH)
            plot.setPreferredWidth(MAP_WIDTH)
            plot.invertY(True)
            plot.setLabel("bottom", X_TITLE)
            plot.setLabel("left", Y_TITLE)
            plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
            plot.getAxis("bottom").setHeight(BOTTOM_AXIS_HEIGHT)
            plot.getAxis("bottom").setStyle(hideOverlappingLabels=False, textFillLimits=[(0, 0.8), (2, 0.4)])  # keep the first column's 0; no crowded labels
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.images[key] = image
            self.plots[key] = plot
            grid.setColumnStretchFactor(COLUMNS[key], 1)
        for key in ("analytical", "difference"):
            self.plots[key].setXLink(self.plots["numerical"])
            self.plots[key].setYLink(self.plots["numerical"])
        self.shared_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.shared_bar.setImageItem([self.images["numerical"], self.images["analytical"]])
        self.difference_bar = pg.ColorBarItem(colorMap=pg.colormap.get("CET-D1"), interactive=False, width=12)
        self.difference_bar.setImageItem(self.images["difference"])
        for bar, column in ((self.shared_bar, SHARED_BAR_COLUMN), (self.difference_bar, DIFFERENCE_BAR_COLUMN)):
            self.addItem(bar, row=0, col=column)
            bar.layout.setContentsMargins(0, TITLE_HEIGHT, 0, BOTTOM_AXIS_HEIGHT)  # level with the maps, not their titles and axes
            grid.setColumnStretchFactor(column, 0)
        self.worst_box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self.worst_box.setPen(pg.mkPen("#ff0000", width=2))
        self.worst_box.hide()
        self.plots["difference"].addItem(self.worst_box)

    def show_jacobians(self, jacobians: Jacobians | None, tolerance: tuple[float, float] | None = None) -> None:
        """Draw ``jacobians`` (clear the maps when None) and box the largest mismatch when it is beyond the tolerance.

        ``tolerance`` is the checks' (atol, rtol); when None, see :func:`allowed_difference`.
        """
        self.jacobians, self.tolerance = jacobians, tolerance
        if jacobians is None:
            for image in self.images.values():
                image.clear()
            self.worst = None
            self.within_tolerance = False
            self.worst_box.hide()
            return
        rows, columns = jacobians.numerical.shape
        cells = QRectF(-0.5, -0.5, columns, rows)  # ticks at cell centres: tick 0 is the first element
        both = np.concatenate([jacobians.numerical.ravel(), jacobians.analytical.ravel()])
        finite = both[np.isfinite(both)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        high = high if high > low else low + 1.0
        difference = jacobians.difference
        allowed = allowed_difference(jacobians.numerical, tolerance)
        with np.errstate(invalid="ignore"):
            self.within_tolerance = bool(np.all(np.abs(difference) <= allowed))  # NaN anywhere: not within
        bound = float(np.nanmax(np.abs(difference))) if np.isfinite(difference).any() else 1.0
        floor = float(np.nanmax(allowed)) if np.isfinite(allowed).any() else 0.0
        bound = max(bound, floor)  # round-off within tolerance stays near-white
        bound = bound if bound > 0 else 1e-12  # all zero: a scale that says so
        for key, values in (("numerical", jacobians.numerical), ("analytical", jacobians.analytical), ("difference", difference)):
            self.images[key].setImage(values, autoLevels=False, rect=cells)
        self.shared_bar.setLevels((low, high))
        self.difference_bar.setLevels((-bound, bound))
        self.worst = jacobians.worst()
        row, column = self.worst
        self.worst_box.setRect(column - 0.5, row - 0.5, 1, 1)
        self.worst_box.setVisible(not self.within_tolerance)
        self.plots["numerical"].getViewBox().autoRange(padding=0)  # the other two follow

    def cell_at(self, scene_position: QPointF) -> tuple[int, int] | None:
        """(row, column) of the Jacobian entry under a scene position, or None."""
        if self.jacobians is None:
            return None
        rows, columns = self.jacobians.numerical.shape
        for key, image in self.images.items():
            if not self.plots[key].getViewBox().sceneBoundingRect().contains(scene_position):
                continue  # a zoomed neighbour's image can extend under this point
            position = image.mapFromScene(scene_position)
            column, row = int(np.floor(position.x())), int(np.floor(position.y()))
            if 0 <= row < rows and 0 <= column < columns:
                return row, column
        return None
