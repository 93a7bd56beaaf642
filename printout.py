"""A paper.Document saved for the tools of the trade: an SVG a page in millimetres, as
plotter software (vpype, Inkscape's AxiDraw extension) reads it, and one PDF of every
page, vector, for printing.

    save_svgs(doc, "letter")     # letter.page-1.svg, letter.page-2.svg, ...
    save_pdf(doc, "letter.pdf")

An SVG page is width/height in mm with a viewBox of the page in mm, one Inkscape layer
(the page, or the pen), a group a line, and one single-line <path> a pen stroke: no
fill, a stroke PEN_MM wide, each line's strokes in the order the pen travels least
(plotting_order). The PDF is drawn by matplotlib (a dependency already; reportlab or
cairo would be one more), a page a figure of the paper's size; with a lifelike paper its
pen is wider where it moves slowly, as ink pools, which a plotter's pen cannot do.
"""

import numpy as np
import svgwrite
from svgwrite.extensions import Inkscape

from files import write_atomic
from paper import PEN_MM

MM_PER_INCH = 25.4
POINTS_PER_MM = 72 / MM_PER_INCH


def plotting_order(lines):
    """The strokes of a page's lines in the order a plotter draws them: each line's
    strokes in writing order, every other line backwards (its strokes last to first,
    each drawn from its end), so that the pen goes on from the end of one line to the
    nearer end of the next rather than back across the page. -> [(line index,
    [stroke [N, 2]])]."""
    return [(i, [s[::-1] for s in line.strokes[::-1]] if i % 2 else line.strokes)
            for i, line in enumerate(lines)]


def pen_travel(strokes):
    """The distance the pen travels lifted (mm) through strokes in this order."""
    ends = [(s[0], s[-1]) for s in strokes]
    return float(sum(np.hypot(*(b[0] - a[1])) for a, b in zip(ends, ends[1:])))


def page_svg(doc, number):
    """Page number (from 1) of doc as an svgwrite Drawing in mm."""
    paper = doc.paper
    dwg = svgwrite.Drawing(size=(f"{paper.width:g}mm", f"{paper.height:g}mm"),
                           viewBox=f"0 0 {paper.width:g} {paper.height:g}", profile="full")
    inkscape = Inkscape(dwg)
    layer = inkscape.layer(label=f"page {number}", id=f"page-{number}")
    dwg.add(layer)
    for i, strokes in plotting_order(doc.pages[number - 1]):
        group = dwg.g(id=f"page-{number}-line-{i + 1}", fill="none", stroke="black",
                      stroke_width=f"{PEN_MM:g}", stroke_linecap="round",
                      stroke_linejoin="round")
        for stroke in strokes:
            points = " ".join(f"{x:.2f},{y:.2f}" for x, y in stroke)
            group.add(dwg.path(d=f"M{points}" if len(stroke) > 1 else
                               f"M{points} l0,0"))
        layer.add(group)
    return dwg


def save_svgs(doc, name):
    """Every page as NAME.page-K.svg (K from 1) -> the paths written."""
    paths = []
    for number in range(1, len(doc.pages) + 1):
        path = f"{name}.page-{number}.svg"
        write_atomic(path, page_svg(doc, number).tostring().encode())
        paths.append(path)
    return paths


def pen_widths(stroke, width):
    """The width of each segment of a stroke [N, 2] (mm) for a pen that lays down more
    ink where it moves slowly: width at the stroke's median speed, from 0.6 to 1.4 of it
    (points come at the tablet's fixed rate, so a segment's length is the pen's speed)."""
    speed = np.hypot(*np.diff(stroke, axis=0).T)
    if not len(speed):
        return np.array([width])
    ratio = np.median(speed) / np.maximum(speed, 1e-6)
    return width * np.clip(0.6 + 0.4 * ratio, 0.6, 1.4)


def page_figure(doc, number):
    """Page number (from 1) as a matplotlib Figure of the paper's size, 1 mm a unit."""
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    paper = doc.paper
    fig = Figure(figsize=(paper.width / MM_PER_INCH, paper.height / MM_PER_INCH))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, paper.width)
    ax.set_ylim(paper.height, 0)
    ax.set_axis_off()
    segments, widths = [], []
    for _, strokes in plotting_order(doc.pages[number - 1]):
        for stroke in strokes:
            stroke = stroke if len(stroke) > 1 else np.vstack([stroke, stroke])
            segments += list(np.stack([stroke[:-1], stroke[1:]], axis=1))
            widths += list(pen_widths(stroke, PEN_MM) if paper.lifelike
                           else np.full(len(stroke) - 1, PEN_MM))
    ax.add_collection(LineCollection(segments, linewidths=np.array(widths) * POINTS_PER_MM,
                                     colors="black", capstyle="round", joinstyle="round"))
    return fig


def pdf_bytes(doc):
    """Every page in one vector PDF at the paper's size. The same document gives the
    same bytes (no creation date)."""
    import io

    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Creator": "write-rnn", "CreationDate": None}) as pdf:
        for number in range(1, len(doc.pages) + 1):
            pdf.savefig(page_figure(doc, number))
    return buffer.getvalue()


def save_pdf(doc, path):
    """pdf_bytes into path -> path."""
    write_atomic(path, pdf_bytes(doc))
    return path


def save_pngs(doc, name, dpi=100):
    """Every page as NAME.page-K.png, to look at -> the paths written."""
    import io

    paths = []
    for number in range(1, len(doc.pages) + 1):
        buffer = io.BytesIO()
        page_figure(doc, number).savefig(buffer, format="png", dpi=dpi, facecolor="white")
        path = f"{name}.page-{number}.png"
        write_atomic(path, buffer.getvalue())
        paths.append(path)
    return paths
