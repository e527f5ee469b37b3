"""SVG export through Qt's own ``QSvgGenerator``.

pyqtgraph 0.14's ``SVGExporter`` fails on every export with PySide6 6.11
(``ValueError: not enough values to unpack`` in ``correctCoordinates``,
pyqtgraph issue #3485).  :class:`QtSvgExporter` renders the same scene with
``QSvgGenerator`` instead; :func:`install` puts it in place of pyqtgraph's in
the plots' context menus, and :func:`export_svg` serves gradlab's own exports.

Curves are drawn in data coordinates under a scaling ``transform`` with
cosmetic pens, which ``QSvgGenerator`` writes as
``vector-effect="non-scaling-stroke"``: renderers that ignore it (rsvg,
Inkscape, most converters) scale a 1.5 px line by the data-to-pixel factor.
:func:`bake_transforms` moves each such group's transform into its
coordinates, so every renderer draws the widths the plot has.
"""

from __future__ import annotations

import re

from pyqtgraph.exporters import Exporter, SVGExporter
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtSvg import QSvgGenerator


def _render(exporter: Exporter, path: str) -> None:
    source = exporter.getSourceRect()
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("gradlab")
    # pyqtgraph draws curves in device coordinates: the generator must have the screen's resolution, or the
    # curves come out scaled against their axes (QSvgGenerator defaults to 72 dpi)
    screen = QGuiApplication.primaryScreen()
    generator.setResolution(round(screen.logicalDotsPerInch()) if screen is not None else 96)
    painter = QPainter(generator)
    try:
        exporter.setExportMode(True, {"antialias": True, "background": None, "painter": painter})
        exporter.getScene().render(painter, QRectF(0, 0, source.width(), source.height()), QRectF(source))
    finally:
        exporter.setExportMode(False)
        painter.end()
    with open(path, encoding="utf-8") as file:
        text = file.read()
    with open(path, "w", encoding="utf-8") as file:
        file.write(bake_transforms(text))


class QtSvgExporter(SVGExporter):
    """pyqtgraph's SVG exporter, drawing with ``QSvgGenerator`` (to a file; copy and bytes are not offered)."""

    Name = "Scalable Vector Graphics (SVG)"
    allowCopy = False

    def export(self, fileName=None, toBytes=False, copy=False):  # noqa: N803 - pyqtgraph's signature
        if fileName is None:
            self.fileSaveDialog(filter="Scalable Vector Graphics (*.svg)")
            return None
        _render(self, str(fileName))
        return None


def install() -> None:
    """Offer :class:`QtSvgExporter` instead of pyqtgraph's SVG exporter in every plot's Export dialog."""
    exporters = Exporter.Exporters
    if SVGExporter in exporters:
        exporters[exporters.index(SVGExporter)] = QtSvgExporter
    elif QtSvgExporter not in exporters:
        exporters.append(QtSvgExporter)


def export_svg(scene, path: str) -> None:
    """Write a pyqtgraph scene (or item) to ``path`` as SVG."""
    _render(QtSvgExporter(scene), path)


_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR = re.compile(f"({_NUMBER}),({_NUMBER})")
_GROUP = re.compile(r"<g ([^>]*)>((?:(?!<g[\s>]).)*?)</g>", re.DOTALL)  # an innermost group
_MATRIX = re.compile(r'\s*transform="matrix\(([^)]*)\)"')
_ELEMENT = re.compile(r"<([a-z]+)\b([^>]*?)/?>", re.DOTALL)
_NON_SCALING = ' vector-effect="non-scaling-stroke"'


def bake_transforms(svg: str) -> str:
    """``svg`` with every group's non-scaling strokes in plain coordinates: no ``vector-effect`` left to honour.

    A group under a translation only just loses the attribute (it changes nothing there).
    A group under a scaling matrix, holding only paths, polylines, polygons, lines and
    rectangles, gets its points multiplied out and the identity matrix; a group with
    anything else (text, images) is left as Qt wrote it.
    """
    return _GROUP.sub(_bake_group, svg)


def _bake_group(match: re.Match) -> str:
    attributes, body = match.groups()
    matrix = _MATRIX.search(attributes)
    if _NON_SCALING not in body or matrix is None:
        return match.group(0)
    a, b, c, d, e, f = (float(v) for v in matrix.group(1).split(","))
    if (a, b, c, d) == (1, 0, 0, 1):
        return match.group(0).replace(_NON_SCALING, "")
    elements = [m.group(1) for m in _ELEMENT.finditer(body)]
    if not set(elements) <= {"path", "polyline", "polygon", "line", "rect"}:
        return match.group(0)

    def point(x: float, y: float) -> str:
        return f"{a * x + c * y + e:.6g},{b * x + d * y + f:.6g}"

    def pairs(text: str) -> str:
        return _PAIR.sub(lambda m: point(float(m.group(1)), float(m.group(2))), text)

    def element(m: re.Match) -> str:
        name, rest = m.group(1), m.group(2).replace(_NON_SCALING, "")
        if name in ("path", "polyline", "polygon"):
            rest = re.sub(r'(?<![\w-])(d|points)="([^"]*)"', lambda p: f'{p.group(1)}="{pairs(p.group(2))}"', rest)
        elif name == "line":
            values = {k: float(v) for k, v in re.findall(r'(?<![\w-])(x1|y1|x2|y2)="([^"]*)"', rest)}
            rest = re.sub(r'\s*(?<![\w-])(x1|y1|x2|y2)="[^"]*"', "", rest)
            (x1, y1), (x2, y2) = (point(values["x1"], values["y1"]).split(","), point(values["x2"], values["y2"]).split(","))
            rest += f' x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"'
        else:  # a rectangle turns into the polygon of its corners
            values = {k: float(v) for k, v in re.findall(r'(?<![\w-])(x|y|width|height)="([^"]*)"', rest)}
            rest = re.sub(r'\s*(?<![\w-])(x|y|width|height)="[^"]*"', "", rest)
            x, y, w, h = (values.get(k, 0.0) for k in ("x", "y", "width", "height"))
            corners = " ".join(point(px, py) for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h)))
            name, rest = "polygon", f'{rest} points="{corners}"'
        return f"<{name}{rest}/>"

    baked = _MATRIX.sub(' transform="matrix(1,0,0,1,0,0)"', attributes, count=1)
    return f"<g {baked}>{_ELEMENT.sub(element, body)}</g>"
