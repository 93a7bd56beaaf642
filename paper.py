"""A text on paper: pages in millimetres, for printers and pen plotters. Pure numpy;
the writing comes from a `write` function (Writer.write, through sample.py or the web
service), so the layout is tested without a network.

    doc = write_document(text, Paper.of("a4", margins="20", size=3), write, seed=1)
    printout.save_svgs(doc, "letter")   # letter.page-1.svg ... in mm
    printout.save_pdf(doc, "letter.pdf")

Lines are filled by their measured width, not a character count (fill_lines): every
line is planned from an estimate of its words' widths, written, measured on the page,
and where one overflows the width or stops short of MIN_FILL of it, its paragraph is
planned again from there with the widths measured and those lines written again.
Then the lines are placed on pages (place_lines): baselines a line pitch apart, a
blank line of the text left blank, a new page when the next line's lowest stroke would
cross the bottom margin; every stroke inside the margins by construction.
"""

import dataclasses
import re
import time
from typing import NamedTuple

import numpy as np

from cleaning import positions, stroke_indices
from drawing import as_drawn, line_guides

PAPERS = {"a3": (297.0, 420.0), "a4": (210.0, 297.0), "a5": (148.0, 210.0), "a6": (105.0, 148.0),
          "letter": (215.9, 279.4), "legal": (215.9, 355.6)}  # width, height in mm
SIZE = 2.5  # the writing's x-height in mm: a hand on ruled paper writes 2 to 3.5
PITCH = 3.2  # the default line pitch, in x-heights: room for an ascender and a descender
MARGINS = 20.0  # mm
ALIGNS = ("left", "center", "right")
FIRST_FILL = 0.92  # a line is first planned to this share of the width, ...
MIN_FILL = 0.6  # ... and planned again if it overflows, or stops short of this share
MAX_ROUNDS = 4  # write, measure and plan again at most this many times
PILOT = 6  # lines written first, to measure the hand's size and width
LOOSE_WORDS, LOOSEN = 300, 0.4  # lifelike: by a page's words in, the bias is 40% lower
PEN_MM = 0.35  # the width of a pen stroke (a fine-liner; a plotter's pen is 0.3 to 0.5)


# ---------------------------------------------------------------- the paper


@dataclasses.dataclass(frozen=True)
class Paper:
    """A page and where the writing goes on it, in mm: margins (top, right, bottom,
    left), size (the x-height), pitch (baseline to baseline), align, and whether the
    page is written as a person would (lifelike: tilted, curved, uneven lines)."""

    width: float
    height: float
    margins: tuple = (MARGINS,) * 4
    size: float = SIZE
    pitch: float = SIZE * PITCH
    align: str = "left"
    lifelike: bool = False

    @classmethod
    def of(cls, paper="a4", landscape=False, margins=None, size=None, pitch=None, **kw):
        """A Paper from the command line's words (each checked, errors naming the flag):
        paper "a4", "letter", ... or "WxHmm"; margins "20" or "20,15,20,15" (top,
        right, bottom, left, as CSS); size and pitch in mm (pitch: PITCH x-heights)."""
        width, height = paper_size(paper)
        if landscape:
            width, height = height, width
        size = SIZE if size is None else size
        out = cls(width, height, parse_margins(MARGINS if margins is None else margins),
                  size, PITCH * size if pitch is None else pitch, **kw)
        out.check(paper)
        return out

    @property
    def text_width(self):
        return self.width - self.margins[1] - self.margins[3]

    @property
    def text_height(self):
        return self.height - self.margins[0] - self.margins[2]

    def check(self, name="the paper"):
        """A ValueError naming the flag unless the writing has room on the page."""
        if not (self.size > 0 and np.isfinite(self.size)):
            raise ValueError(f"--size must be a positive number of mm, not {self.size}")
        if not (self.pitch > 0 and np.isfinite(self.pitch)):
            raise ValueError(f"--pitch must be a positive number of mm, not {self.pitch}")
        if self.align not in ALIGNS:
            raise ValueError(f"--align must be one of {', '.join(ALIGNS)}, not {self.align!r}")
        room = f"{name} is {self.width:g} x {self.height:g} mm"
        if self.text_width < 12 * self.size:
            raise ValueError(f"--margins {fmt_margins(self.margins)} leave {self.text_width:g} mm "
                             f"across ({room}): a line needs room for a dozen letters of "
                             f"--size {self.size:g} mm, {12 * self.size:g} mm; give smaller "
                             f"margins or a smaller --size")
        if self.text_height < self.pitch + self.size:
            raise ValueError(f"--margins {fmt_margins(self.margins)} leave {self.text_height:g} "
                             f"mm down the page ({room}): not room for a line of --size "
                             f"{self.size:g} mm at a pitch of {self.pitch:g} mm; give smaller "
                             f"margins or a smaller --size")


def paper_size(name):
    """(width, height) in mm of a paper's name (PAPERS) or "WxHmm" ("100x150mm")."""
    key = str(name).strip().lower()
    if key in PAPERS:
        return PAPERS[key]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*(mm)?", key)
    if not match or min(float(match[1]), float(match[2])) <= 0:
        raise ValueError(f"--paper {name}: give one of {', '.join(PAPERS)}, or a size in mm "
                         f"as WIDTHxHEIGHTmm (such as 100x150mm)")
    return float(match[1]), float(match[2])


def parse_margins(margins):
    """Margins in mm: one number for all four, or four (top, right, bottom, left, as CSS),
    as a number, a sequence or "20,15,20,15" -> (top, right, bottom, left)."""
    values = margins if isinstance(margins, (list, tuple)) else \
        re.split(r"[,\s]+", str(margins).strip())
    try:
        values = [float(v) for v in values]
    except ValueError:
        values = []
    if len(values) == 1:
        values *= 4
    if len(values) != 4 or not all(np.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"--margins {margins}: give one size in mm, or four (top, right, "
                         f"bottom, left) such as 20,15,20,15, none negative")
    return tuple(values)


def fmt_margins(margins):
    return f"{margins[0]:g}" if len(set(margins)) == 1 else ",".join(f"{m:g}" for m in margins)


# ---------------------------------------------------------------- the text


def paragraphs_of(text):
    """The text's paragraphs as lists of words, as Markdown reads a text: a blank line
    starts a paragraph (and is a blank line on the page: an empty list here), the lines
    between run on (a text file's own wrapping goes), and a line that ends in two
    spaces or a backslash ends its line on the page too (an address, a signature)."""
    out, words = [], []
    for line in str(text).splitlines():
        if not line.strip():
            if words:
                out.append(words)
                words = []
            if out and out[-1]:
                out.append([])
            continue
        broken = line.endswith("  ") or line.rstrip().endswith("\\")
        words += line.rstrip().removesuffix("\\").split()
        if broken and words:
            out.append(words)
            words = []
    if words:
        out.append(words)
    while out and not out[-1]:
        out.pop()
    return out


# ---------------------------------------------------------------- a written line


class Shape(NamedTuple):
    """A written line as the paper sees it, in its own tablet units (y down): the
    strokes as drawn, each [N, 2] with the baseline at y = 0 and the leftmost point at
    x = 0; its x-height, width, and how far it reaches above and below the baseline."""

    strokes: list
    x_height: float
    width: float
    top: float  # the highest point's y: negative, above the baseline
    bottom: float  # the lowest point's y


def shape_of(line):
    """A written line [T, 3] (tablet units) -> its Shape, as drawing.as_drawn draws it."""
    drawn = as_drawn(line)
    baseline, body_top, _, _ = line_guides(drawn)
    xy = positions(drawn)
    xy -= [xy[:, 0].min(), baseline]
    strokes = [xy[idx] for idx in stroke_indices(drawn)]
    return Shape(strokes, max(baseline - body_top, 1.0), float(np.ptp(xy[:, 0])),
                 float(xy[:, 1].min()), float(xy[:, 1].max()))


# ---------------------------------------------------------------- filling lines


class Plan(NamedTuple):
    """One line of a paragraph: its words [start, end) and its text."""

    start: int
    end: int
    text: str


def fitting_end(widths, space, room, start):
    """The end of the longest run of words from start whose widths and the spaces
    between them (mm) fit in room: one word at least, however wide."""
    end, width = start + 1, widths[start]
    while end < len(widths) and width + space + widths[end] <= room:
        width += space + widths[end]
        end += 1
    return end


def plan_lines(words, widths, space, room, first=0):
    """Greedy filling from word `first` on: as many words on a line as fit in room
    (word widths and the space between them in mm). A word wider than room has a line
    of its own. -> [Plan]."""
    plans, start = [], first
    while start < len(words):
        end = fitting_end(widths, space, room, start)
        plans.append(Plan(start, end, " ".join(words[start:end])))
        start = end
    return plans


def line_seed(seed, paragraph, start):
    """A line's seed, from the document's and where the line starts: the same line
    comes out the same whichever round of filling writes it."""
    return int(np.random.SeedSequence([seed, paragraph, start]).generate_state(1)[0]) % 2**31


def bias_share(paper, paragraphs, p, start):
    """The share of the bias a line starting at word start of paragraph p is written at:
    1, or on a lifelike paper less as the text goes on, as a hand loosens (LOOSEN less
    by LOOSE_WORDS words in). From the words before the line, which no filling moves."""
    if not paper.lifelike:
        return 1.0
    words = sum(len(w) for w in paragraphs[:p]) + start
    return 1.0 - LOOSEN * min(1.0, words / LOOSE_WORDS)


def fill_lines(paragraphs, paper, write, seed, char_width, chunk=None, progress=None):
    """Every paragraph (a list of words) in lines that fit paper.text_width as written
    and measured. write(texts, seeds, bias_shares) -> the written lines [T, 3] (tablet
    units), each at its share of the bias (bias_share); char_width: a first guess of a
    character's width, in x-heights.

    The first PILOT lines are planned from char_width and written first: they fix the
    writing's scale (their median x-height is paper.size) and a character's width,
    from which every other line is planned and written in one call; then refill plans
    again where a line does not fit, MAX_ROUNDS rounds in all at most. chunk: write a
    round's lines this many at a time (a server answers others in between), telling
    progress(lines written, those and the lines planned but not written yet) after each.
    Returns ({(paragraph, plan): Shape}, [[Plan] a paragraph], mm a tablet unit, stats)."""
    room = paper.text_width
    plans = [plan_lines(w, [char_width * paper.size * len(x) for x in w],
                        char_width * paper.size, FIRST_FILL * room) for w in paragraphs]
    shapes, scale, stats = {}, None, {"rounds": 0, "lines": 0, "rewritten": 0,
                                      "write_s": 0.0, "reflow_s": 0.0}
    for round_ in range(MAX_ROUNDS):
        todo = sorted({(p, plan) for p, ps in enumerate(plans) for plan in ps} - set(shapes))
        todo = todo[:PILOT] if round_ == 0 else todo
        if not todo:
            break
        began = time.perf_counter()
        for at in range(0, len(todo), chunk or len(todo)):
            part = todo[at:at + (chunk or len(todo))]
            lines = write([plan.text for _, plan in part],
                          [line_seed(seed, p, plan.start) for p, plan in part],
                          [bias_share(paper, paragraphs, p, plan.start) for p, plan in part])
            for key, line in zip(part, lines):
                shapes[key] = shape_of(line)
            if progress is not None:  # every line written, of them and those still planned
                planned = {(p, plan) for p, ps in enumerate(plans) for plan in ps}
                progress(len(shapes), len(shapes) + len(planned - set(shapes)))
        stats["write_s" if round_ < 2 else "reflow_s"] += time.perf_counter() - began
        stats["lines" if round_ < 2 else "rewritten"] += len(todo)
        stats["rounds"] = round_ + 1
        if scale is None:
            scale = paper.size / float(np.median([shapes[k].x_height for k in todo]))
            mm_char = scale * sum(shapes[k].width for k in todo) / sum(
                len(plan.text) for _, plan in todo)
        if round_ == MAX_ROUNDS - 1:
            break  # what is written stays; place_lines shrinks a line that overflows
        for p, words in enumerate(paragraphs):
            written = [plan for plan in plans[p] if (p, plan) in shapes]
            if len(written) < len(plans[p]):  # lines not written yet: planned as measured
                start = written[-1].end if written else 0
                written += plan_lines(words, [mm_char * len(w) for w in words], mm_char,
                                      FIRST_FILL * room, start)
            plans[p] = refill(words, written, shapes, p, scale, room)
    return shapes, plans, scale, stats


def refill(words, plans, shapes, p, scale, room):
    """Paragraph p's plans, planned again from each written line that overflows room or
    (not the last) stops short of MIN_FILL of it, with the widths measured: each word
    written as its line's share, a word not written yet at the paragraph's mean. The
    line that overflowed loses a word at least; the lines after it are planned to
    FIRST_FILL of the room, or up to all of it where that lets one end where an old
    line ended, from which on the old lines stay (and need no writing again).
    Unchanged if every written line fits."""
    width = {plan: shapes[p, plan].width * scale for plan in plans if (p, plan) in shapes}
    if not width:
        return plans
    mean = sum(width.values()) / sum(len(plan.text) for plan in width)  # mm a character
    word_widths = [mean * len(w) for w in words]
    for plan, w in width.items():
        for i in range(plan.start, plan.end):
            word_widths[i] = w / len(plan.text) * len(words[i])

    def bad(i):
        w = width.get(plans[i])
        return w is not None and (w > room or (w < MIN_FILL * room and i < len(plans) - 1))

    out, i = [], 0
    while i < len(plans):
        if not bad(i):
            out.append(plans[i])
            i += 1
            continue
        old_ends, start, over = {p.end for p in plans[i:]}, plans[i].start, width[plans[i]] > room
        while True:
            end = fitting_end(word_widths, mean, FIRST_FILL * room, start)
            most = fitting_end(word_widths, mean, room, start)
            if start == plans[i].start and over:
                end = most = max(start + 1, min(end, plans[i].end - 1))
            synced = [e for e in old_ends if end <= e <= most]
            end = max(synced, default=end)
            out.append(Plan(start, end, " ".join(words[start:end])))
            start = end
            if synced or start == len(words):
                break
        i = next((k for k, plan in enumerate(plans) if plan.start >= start), len(plans))
    return out


# ---------------------------------------------------------------- pages


class Line(NamedTuple):
    """A line on a page: its text, its strokes, each [N, 2] in mm from the page's top
    left corner (y down), and its baseline's y."""

    text: str
    strokes: list
    baseline: float


class Document(NamedTuple):
    """Pages of Lines on paper; stats: how the lines were filled (fill_lines), the
    scale (mm_per_unit) and how many lines were shrunk to fit (shrunk)."""

    paper: Paper
    pages: list
    stats: dict


def lifelike_turn(strokes, width, rng, paper):
    """A line [N, 2] strokes (mm, baseline y = 0, left x = 0) as a person writes it on
    unruled paper: tilted by a degree or less, bowed by a fraction of a millimetre.
    (The hand loosening down the page is in the writing: bias_share.)"""
    angle = np.deg2rad(rng.normal(0.0, 0.4))
    bow = rng.normal(0.0, 0.08 * paper.size)
    out = []
    for s in strokes:
        x, y = s[:, 0], s[:, 1]
        u = x / max(width, 1e-9) - 0.5
        out.append(np.stack([x, y + np.tan(angle) * x + 4 * bow * (u * u - 0.25)], axis=1))
    return out


def place_lines(paragraphs, plans, shapes, scale, paper, seed):
    """The lines on pages: [[Line] a page]. Line i's baseline is a pitch below line
    i - 1's (a blank line of the text leaves one empty), the first line of a page as
    high as its tallest stroke allows; a line whose lowest stroke would cross the bottom
    margin starts a new page. A line wider than the room (a word too long for any line)
    is shrunk to fit."""
    top, right, bottom, left = paper.margins
    rng = np.random.default_rng([seed, 1])
    pages, page, baseline = [], [], None
    for p, words in enumerate(paragraphs):
        if not words:
            if page:
                baseline += paper.pitch
            continue
        for plan in plans[p]:
            shape = shapes[p, plan]
            factor = scale * min(1.0, paper.text_width / max(shape.width * scale, 1e-9))
            strokes = [s * factor for s in shape.strokes]
            width = shape.width * factor
            pitch, indent = paper.pitch, 0.0
            if paper.lifelike:
                strokes = lifelike_turn(strokes, width, rng, paper)
                pitch *= 1.0 + rng.normal(0.0, 0.03)
                indent = min(rng.uniform(0.0, 0.6 * paper.size), paper.text_width - width)
            high = min(float(s[:, 1].min()) for s in strokes)
            low = max(float(s[:, 1].max()) for s in strokes)
            if page and baseline + pitch + low > paper.height - bottom:
                pages.append(page)
                page = []
            baseline = top - high if not page else max(baseline + pitch, top - high)
            x = left + {"left": indent, "center": (paper.text_width - width) / 2,
                        "right": paper.text_width - width - indent}[paper.align]
            page.append(Line(plan.text, [s + [x, baseline] for s in strokes], baseline))
    if page:
        pages.append(page)
    return pages


def write_document(text, paper, write, seed, char_width=1.6, chunk=None, progress=None):
    """The text on pages of paper: fill_lines, then place_lines. write(texts, seeds,
    bias_shares) -> lines [T, 3] in tablet units, as Writer.write gives them; chunk and
    progress as fill_lines takes them. -> Document."""
    paragraphs = paragraphs_of(text)
    if not paragraphs:
        raise ValueError("the text is empty: nothing to put on paper")
    shapes, plans, scale, stats = fill_lines(paragraphs, paper, write, seed, char_width, chunk,
                                             progress)
    pages = place_lines(paragraphs, plans, shapes, scale, paper, seed)
    shrunk = sum(shapes[p, plan].width * scale > paper.text_width
                 for p, ps in enumerate(plans) for plan in ps)
    return Document(paper, pages, {**stats, "mm_per_unit": scale, "shrunk": shrunk})
