"""paper.py and printout.py: a text on pages in mm, filled to each line's measured width,
saved as SVG (read back by vpype, turned into G-code by the docs' recipe) and PDF (read
back by pypdf). The writing comes from a stand-in writer whose letters are boxes of known
sizes, so that every figure is known without a network."""

import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import printout
from paper import (
    LOOSE_WORDS,
    LOOSEN,
    MIN_FILL,
    PAPERS,
    Paper,
    paper_size,
    paragraphs_of,
    parse_margins,
    write_document,
)

ROOT = Path(__file__).resolve().parents[1]
X_HEIGHT, ASCENT, DESCENT = 100.0, 200.0, 80.0  # the stand-in's letters, tablet units
TALL, DEEP = set("bdfhklt" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), set("gjpqy")


def letter_width(c):
    return 110.0 + 12.0 * (ord(c) % 7)  # 1.5 x-heights on average, as IAM-OnDB writes


def box_line(text, seed, wider=1.0):
    """A line [T, 3] in tablet units (y down) writing text: each letter one stroke
    letter_width(c) wide, a wave between the baseline and X_HEIGHT above it (two tops,
    a bottom between them), a tall letter rising first to ASCENT, a deep one dipping
    last to DESCENT below; a space 50 units; the whole line a few percent wider or
    narrower by seed, as a hand varies, and wider by `wider`."""
    stretch = wider * (1.0 + 0.06 * np.random.default_rng(seed).standard_normal())
    points, x = [], 0.0
    t = np.linspace(0.0, 1.0, 25)
    for c in text:
        w = letter_width(c) * stretch
        if c == " ":
            x += 50.0 * stretch
            continue
        ys = [-X_HEIGHT * (1 - np.cos(4 * np.pi * t)) / 2]
        if c in TALL:
            ys.insert(0, -ASCENT * np.sin(np.pi * t[:-1]))
        if c in DEEP:
            ys.append(DESCENT * np.sin(np.pi * t[1:]))
        ys = np.concatenate(ys)
        xs = x + np.linspace(0.0, 0.8 * w, len(ys))
        stroke = np.stack([xs, ys, np.zeros_like(xs)], axis=1)
        stroke[-1, 2] = 1
        points.append(stroke)
        x += w
    xy = np.concatenate(points)
    steps = xy.copy()
    steps[1:, :2] = np.diff(xy[:, :2], axis=0)
    return steps.astype(np.float32)


class BoxWriter:
    """A write(texts, seeds) for paper.write_document, counting the lines it writes;
    widening: how much wider the lines of every call but the first are (a hand that
    the first lines mislead about)."""

    def __init__(self, widening=1.0):
        self.written, self.shares, self.widening, self.calls = [], [], widening, 0

    def __call__(self, texts, seeds, shares):
        self.written += list(texts)
        self.shares += list(shares)
        self.calls += 1
        wider = self.widening if self.calls > 1 else 1.0
        return [box_line(t, s, wider) for t, s in zip(texts, seeds)]


def letter(words=400):
    """About this many words in paragraphs of 60 to 100 words, a greeting and a name."""
    rng = np.random.default_rng(0)
    vocab = ("the of and to a in that it was he for on are with as his they be at one have "
             "this from or had by word but what some we can out other were all there when "
             "up use your how said an each she which do their time if will way about many "
             "then them write would like so these her long make thing see him two has look "
             "more day could go come did number sound no most people my over know water than "
             "call first who may down side been now find Quixotic zebras 1984").split()
    paragraphs, left = [], words
    while left > 0:
        n = min(left, int(rng.integers(60, 100)))
        paragraphs.append(" ".join(rng.choice(vocab, n)) + ".")
        left -= n
    return "Dear Sam,\n\n" + "\n\n".join(paragraphs) + "\n\nYours,\n\nAnne\n"


def strokes_of(doc):
    return [s for page in doc.pages for line in page for s in line.strokes]


# ---------------------------------------------------------------- the paper


def test_paper_sizes_margins_and_landscape_are_read_in_mm():
    assert paper_size("A4") == (210.0, 297.0) and paper_size("letter") == PAPERS["letter"]
    assert paper_size("100x150mm") == (100.0, 150.0) and paper_size("90.5 x 60") == (90.5, 60.0)
    assert parse_margins("20") == (20.0,) * 4
    assert parse_margins("10,15 20, 25") == (10.0, 15.0, 20.0, 25.0)
    paper = Paper.of("a5", landscape=True, margins="10,20,30,40", size=2)
    assert (paper.width, paper.height) == (210.0, 148.0)
    assert (paper.text_width, paper.text_height) == (150.0, 108.0)
    assert paper.pitch == pytest.approx(6.4)


@pytest.mark.parametrize("kw, flag", [
    ({"paper": "b9"}, "--paper"), ({"paper": "0x10mm"}, "--paper"),
    ({"margins": "1,2,3"}, "--margins"), ({"margins": "-1"}, "--margins"),
    ({"margins": "100"}, "--margins"), ({"margins": "150,10,140,10"}, "--margins"),
    ({"size": 0.0}, "--size"), ({"size": 20.0}, "--margins"), ({"pitch": -2.0}, "--pitch"),
    ({"align": "justify"}, "--align")])
def test_sizes_and_margins_that_leave_no_room_are_refused_naming_the_flag(kw, flag):
    with pytest.raises(ValueError, match=re.escape(flag)):
        Paper.of(**kw)


def test_paragraphs_run_on_until_a_blank_line_or_a_hard_break():
    text = "Dear Sam,\n\nline one\nruns on\n\n\n\nnext  \nbroken\\\nhere\n\n"
    assert paragraphs_of(text) == [["Dear", "Sam,"], [], ["line", "one", "runs", "on"], [],
                                   ["next"], ["broken"], ["here"]]
    assert paragraphs_of(" \n\n") == []


# ---------------------------------------------------------------- filling and placing


@pytest.fixture(scope="module")
def a4_letter():
    writer = BoxWriter()
    text = letter()
    doc = write_document(text, Paper.of("a4", margins="20"), writer, seed=5)
    return text, doc, writer


def test_a_letter_fills_every_line_to_its_measured_width(a4_letter):
    text, doc, writer = a4_letter
    paper = doc.paper
    paragraphs = [p for p in paragraphs_of(text) if p]
    lines = [line for page in doc.pages for line in page]
    # every word, in order, and a paragraph's words on lines of their own
    assert " ".join(line.text for line in lines).split() == [w for p in paragraphs for w in p]
    last_lines, at = set(), 0
    for words in paragraphs:
        count = 0
        while count < len(words):
            count += len(lines[at].text.split())
            at += 1
        assert count == len(words)  # no line holds words of two paragraphs
        last_lines.add(at - 1)
    for i, line in enumerate(lines):
        xs = np.concatenate([s[:, 0] for s in line.strokes])
        width = xs.max() - xs.min()
        assert width <= paper.text_width + 1e-6 and doc.stats["shrunk"] == 0
        if i not in last_lines:
            assert width >= MIN_FILL * paper.text_width, line.text
    assert doc.stats["rounds"] >= 2 and len(writer.written) >= len(lines)


def test_lines_that_come_out_wider_than_planned_are_planned_and_written_again():
    # the lines after the first few come out 12% wider: the pilot misleads the plan
    writer = BoxWriter(widening=1.12)
    doc = write_document(letter(200), Paper.of("a4"), writer, seed=5)
    room = doc.paper.text_width
    assert doc.stats["rewritten"] > 0 and doc.stats["reflow_s"] > 0
    lines = [line for page in doc.pages for line in page]
    widths = [np.ptp(np.concatenate(line.strokes)[:, 0]) for line in lines]
    assert max(widths) <= room + 1e-6
    # fitting, not shrinking: every line is written at the document's one scale
    assert doc.stats["shrunk"] == 0


def test_every_stroke_is_inside_the_margins(a4_letter):
    _, doc, _ = a4_letter
    paper, (top, right, bottom, left) = doc.paper, doc.paper.margins
    for page in doc.pages:
        xy = np.concatenate([s for line in page for s in line.strokes])
        assert xy[:, 0].min() >= left - 0.5 and xy[:, 0].max() <= paper.width - right + 0.5
        assert xy[:, 1].min() >= top - 0.5 and xy[:, 1].max() <= paper.height - bottom + 0.5


def test_the_letter_takes_the_pages_its_lines_need(a4_letter):
    text, doc, _ = a4_letter
    paper, scale = doc.paper, doc.stats["mm_per_unit"]
    # the page count from the stand-in's own heights: a line reaches ASCENT above its
    # baseline at most and DESCENT below, the first line of a page as high as it may go
    lines = [line for page in doc.pages for line in page]
    assert scale * X_HEIGHT == pytest.approx(paper.size, rel=0.15)
    rows, paragraph = [], iter(range(10**6))
    for words in paragraphs_of(text):
        if not words:
            rows.append(None)
            continue
        n = 0
        while n < len(words):
            rows.append(next(paragraph))
            n += len(lines[rows[-1]].text.split())
    pages, baseline = 1, None
    for row in rows:
        if row is None:
            baseline += paper.pitch
            continue
        ascent = ASCENT if set(lines[row].text) & TALL else X_HEIGHT
        descent = DESCENT if set(lines[row].text) & DEEP else 0
        if baseline is not None and baseline + paper.pitch + scale * descent > \
                paper.height - paper.margins[2]:
            pages, baseline = pages + 1, None
        baseline = paper.margins[0] + scale * ascent if baseline is None else \
            baseline + paper.pitch
    assert len(doc.pages) == pages >= 2
    # a blank line between paragraphs: their baselines two pitches apart on a page
    page_of = [k for k, page in enumerate(doc.pages) for _ in page]
    blank_after = {r for r, after in zip(rows, rows[1:]) if r is not None and after is None}
    for i in range(len(lines) - 1):
        if page_of[i] == page_of[i + 1]:
            gap = (lines[i + 1].baseline - lines[i].baseline) / paper.pitch
            assert gap == pytest.approx(2.0 if i in blank_after else 1.0)


def test_a_lifelike_hand_loosens_down_the_text():
    text = letter(400)
    plain, lifelike = BoxWriter(), BoxWriter()
    write_document(text, Paper.of("a4"), plain, seed=2)
    write_document(text, Paper.of("a4", lifelike=True), lifelike, seed=2)
    assert set(plain.shares) == {1.0}
    # each line's share from the words before it: 1 at the start, LOOSEN less a page on
    words = text.split()
    shares = dict(zip(lifelike.written, lifelike.shares))
    line = next(t for t in lifelike.written if t.startswith("Dear"))
    assert shares[line] == 1.0
    later = [(t, s) for t, s in shares.items() if s < 1.0]
    assert later and min(s for _, s in later) == pytest.approx(1.0 - LOOSEN)
    for t, s in later[:5]:  # the first lines after "Dear Sam," in order
        before = len(" ".join(words).split(t)[0].split())
        assert s == pytest.approx(1.0 - LOOSEN * min(1.0, before / LOOSE_WORDS))


def test_chunks_write_the_same_document_and_tell_the_progress():
    text, paper = letter(200), Paper.of("a5")
    whole = write_document(text, paper, BoxWriter(), seed=6)
    writer, told = BoxWriter(), []
    chunked = write_document(text, paper, writer, seed=6, chunk=5,
                             progress=lambda done, total: told.append((done, total)))
    assert writer.calls >= len(writer.written) / 5 and writer.calls > 3
    assert all(np.array_equal(a, b) for a, b in zip(strokes_of(whole), strokes_of(chunked)))
    assert len(told) == writer.calls
    assert [d for d, _ in told] == sorted(d for d, _ in told) and told[-1][0] == told[-1][1]
    assert told[-1][1] == chunked.stats["lines"] + chunked.stats["rewritten"]
    assert all(of >= done for done, of in told)


def test_the_same_seed_gives_the_same_document_and_another_seed_another():
    paper = Paper.of("a5", margins="15", lifelike=True)
    text = letter(120)
    one = write_document(text, paper, BoxWriter(), seed=3)
    two = write_document(text, paper, BoxWriter(), seed=3)
    other = write_document(text, paper, BoxWriter(), seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(strokes_of(one), strokes_of(two)))
    assert len(strokes_of(one)) == len(strokes_of(two))
    assert not all(np.array_equal(a, b) for a, b in zip(strokes_of(one), strokes_of(other)))


def test_a_lifelike_page_tilts_and_bows_its_lines_and_keeps_the_margins():
    text = letter(150)
    plain = write_document(text, Paper.of("a5", margins="15"), BoxWriter(), seed=3)
    lifelike = write_document(text, Paper.of("a5", margins="15", lifelike=True), BoxWriter(),
                              seed=3)
    paper = lifelike.paper
    plain_lines = [line for page in plain.pages for line in page]
    lifelike_lines = [line for page in lifelike.pages for line in page]
    assert [line.text for line in plain_lines] == [line.text for line in lifelike_lines]
    tilts, bows = [], []
    for a, b in zip(plain_lines, lifelike_lines):
        xa, xb = np.concatenate(a.strokes), np.concatenate(b.strokes)
        x = xa[:, 0] - xa[:, 0].min()
        assert xb[:, 0] - xb[:, 0].min() == pytest.approx(x, abs=1e-6)  # not stretched
        # the same line, moved: y changed by a tilt and a bow along it, nothing else
        coefficients = np.polyfit(x, xb[:, 1] - xa[:, 1], 2)
        assert np.polyval(coefficients, x) == pytest.approx(xb[:, 1] - xa[:, 1], abs=1e-6)
        start, middle, end = np.polyval(coefficients, [0, x.max() / 2, x.max()])
        tilts.append(np.degrees(np.arctan((end - start) / x.max())))
        bows.append(middle - (start + end) / 2)  # mm
    assert 0.1 < np.std(tilts) < 1.0 and np.abs(tilts).max() < 2.0  # a degree or less
    assert 0.0 < np.abs(bows).max() < 1.5
    starts = [min(s[:, 0].min() for s in line.strokes)
              for page in lifelike.pages for line in page]
    assert np.ptp(starts) > 0.2  # an uneven left margin
    for page in lifelike.pages:
        xy = np.concatenate([s for line in page for s in line.strokes])
        assert xy[:, 0].min() >= paper.margins[3] - 0.5
        assert xy[:, 0].max() <= paper.width - paper.margins[1] + 0.5
        assert xy[:, 1].max() <= paper.height - paper.margins[2] + 0.5


@pytest.mark.parametrize("align", ["center", "right"])
def test_lines_sit_where_align_says(align):
    doc = write_document(letter(60), Paper.of("a5", margins="15", align=align), BoxWriter(),
                         seed=1)
    paper = doc.paper
    for line in doc.pages[0]:
        xy = np.concatenate(line.strokes)
        if align == "right":
            assert xy[:, 0].max() == pytest.approx(paper.width - paper.margins[1], abs=1e-6)
        else:
            middle = (xy[:, 0].max() + xy[:, 0].min()) / 2
            assert middle == pytest.approx(paper.margins[3] + paper.text_width / 2, abs=1e-6)


def test_a_word_wider_than_the_line_is_shrunk_to_fit():
    paper = Paper.of("60x80mm", margins="5", size=2.5)
    doc = write_document("a Pneumonoultramicroscopicsilicovolcanoconiosis b", paper,
                         BoxWriter(), seed=0)
    texts = [line.text for page in doc.pages for line in page]
    assert "Pneumonoultramicroscopicsilicovolcanoconiosis" in texts
    xy = np.concatenate(strokes_of(doc))
    assert xy[:, 0].max() <= paper.width - 5 + 1e-6
    assert doc.stats["shrunk"] == 1


# ---------------------------------------------------------------- files


def test_the_svg_is_in_mm_with_a_path_a_stroke_and_a_group_a_line(a4_letter, tmp_path):
    _, doc, _ = a4_letter
    paths = printout.save_svgs(doc, tmp_path / "letter")
    assert [Path(p).name for p in paths] == [f"letter.page-{k}.svg"
                                            for k in range(1, len(doc.pages) + 1)]
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.parse(paths[0]).getroot()
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == \
        ("210mm", "297mm", "0 0 210 297")
    groups = root.findall("svg:g/svg:g", ns)
    assert len(groups) == len(doc.pages[0])
    assert len(root.findall(".//svg:path", ns)) == sum(len(line.strokes) for line in doc.pages[0])
    assert all(p.get("fill") is None for p in root.findall(".//svg:path", ns))
    assert all(g.get("fill") == "none" for g in groups)


def test_plotting_order_travels_less_than_writing_order(a4_letter):
    page = a4_letter[1].pages[0]
    written = [s for line in page for s in line.strokes]
    plotted = [s for _, strokes in printout.plotting_order(page) for s in strokes]
    assert printout.pen_travel(plotted) < 0.8 * printout.pen_travel(written)
    # the distance, computed another way
    two = [np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[4.0, 4.0], [5.0, 5.0]])]
    assert printout.pen_travel(two) == pytest.approx(5.0)


def test_a_slow_pen_lays_down_a_wider_line():
    stroke = np.array([[0, 0], [1, 0], [2, 0], [2.2, 0], [2.4, 0], [4.4, 0]], float)
    widths = printout.pen_widths(stroke, 0.5)
    # segments 1, 1, 0.2, 0.2, 2 long; median 1: width 0.5 * (0.6 + 0.4 / speed), clipped
    assert widths == pytest.approx([0.5, 0.5, 0.7, 0.7, 0.4])


def test_vpype_reads_every_page_at_its_size_with_every_stroke(a4_letter, tmp_path):
    vpype = pytest.importorskip("vpype")
    _, doc, _ = a4_letter
    for number, path in enumerate(printout.save_svgs(doc, tmp_path / "letter"), start=1):
        read = vpype.read_multilayer_svg(str(path), quantization=0.05)
        mm = vpype.convert_length("1mm")
        assert read.page_size == pytest.approx((210 * mm, 297 * mm))
        assert len(read.layers) == 1
        lines = next(iter(read.layers.values()))
        assert len(lines) == sum(len(line.strokes) for line in doc.pages[number - 1])
        x0, y0, x1, y1 = lines.bounds()
        assert x0 >= 19.5 * mm and y0 >= 19.5 * mm
        assert x1 <= 190.5 * mm and y1 <= 277.5 * mm


def test_the_gcode_recipe_lifts_and_lowers_the_pen_once_a_stroke(a4_letter, tmp_path):
    pytest.importorskip("vpype_gcode")
    _, doc, _ = a4_letter
    (svg,) = printout.save_svgs(doc._replace(pages=doc.pages[:1]), tmp_path / "letter")
    vpype = shutil.which("vpype") or str(Path(sys.executable).parent / "vpype")
    # the command docs/paper.md gives
    recipe = (ROOT / "docs" / "paper.md").read_text()
    command = re.search(r"^ *(vpype -c docs/pen-plotter\.toml .*)$", recipe, re.M)[1]
    command = command.replace("letter.page-1.svg", str(svg)).replace(
        "letter.page-1.gcode", str(tmp_path / "out.gcode")).split()
    subprocess.run([vpype, *command[1:]], cwd=ROOT, check=True, capture_output=True)
    gcode = (tmp_path / "out.gcode").read_text().splitlines()
    strokes = sum(len(line.strokes) for line in doc.pages[0])
    downs = [i for i, g in enumerate(gcode) if g.startswith("G1 Z0")]
    ups = [i for i, g in enumerate(gcode) if g.startswith("G0 Z5")]
    assert len(downs) == strokes and len(ups) == strokes + 1  # one up before the first
    assert all(u < d < u2 for u, d, u2 in zip(ups, downs, ups[1:]))  # down, draw, up
    xs = [float(m[1]) for g in gcode if (m := re.match(r"G1 X(-?[\d.]+)", g))]
    assert min(xs) >= 19.5 and max(xs) <= 190.5  # in mm on the page


def test_the_pdf_has_every_page_at_the_paper_size(a4_letter, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    _, doc, _ = a4_letter
    path = printout.save_pdf(doc, tmp_path / "letter.pdf")
    pdf = pypdf.PdfReader(path)
    assert len(pdf.pages) == len(doc.pages)
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width, height) == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72), abs=0.01)
    again = printout.save_pdf(doc, tmp_path / "again.pdf")
    assert Path(path).read_bytes() == Path(again).read_bytes()
    assert not math.isnan(width)


# ---------------------------------------------------------------- sample.py --paper


@pytest.fixture(scope="module")
def synthesis_dir(tmp_path_factory):
    import tiny

    path = tmp_path_factory.mktemp("synthesis")
    tiny.save_tiny_model(path, synthesis=True, alphabet=" .,'abcdefghijklmnopqrstuvwxyz",
                         num_layers=2)
    return path


def test_sample_py_writes_the_pages_and_the_pdf(synthesis_dir, tmp_path, capsys):
    from sample import main

    text = "dear sam,\n\nthe words of a short letter, in two paragraphs.\n\nanne\n"
    result = main(["--model_dir", str(synthesis_dir), "--text", text, "--paper", "105x148mm",
                   "--margins", "10", "--size", "2", "--filename", str(tmp_path / "l"),
                   "--seed", "4", "--png"])
    doc = result.strokes
    pages = len(doc.pages)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["l.pdf"] + [f"l.page-{k}.{e}" for k in range(1, pages + 1)
                                        for e in ("svg", "png")])
    assert [line.text for page in doc.pages for line in page][-1] == "anne"
    assert f"on {pages} page(s)" in capsys.readouterr().out


@pytest.mark.parametrize("flags, message", [
    (["--paper", "a4", "--margins", "104"], "--margins 104 leave"),
    (["--paper", "huge"], "--paper huge"),
    (["--margins", "10"], "--margins goes with --paper"),
    (["--paper", "a4", "--size", "0"], "--size"),
    (["--paper", "a4", "--num_samples", "2"], "--num_samples")])
def test_sample_py_refuses_paper_flags_that_cannot_work(flags, message, capsys):
    from sample import main

    with pytest.raises(SystemExit):
        main(["--text", "hello", *flags])
    assert message in capsys.readouterr().err
