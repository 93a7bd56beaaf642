import runpy
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from config import Config
from iam_ondb import read_line_file
from sample import main
from writer import FreeWriter

ROOT = Path(__file__).resolve().parent.parent
NS = "{http://www.w3.org/2000/svg}"
KINDS = ("normal", "color", "multi_color", "eos_pdf", "pdf")


@pytest.fixture(scope="module")
def full_run(tiny_model_dir, tmp_path_factory):
    """One run with every output, shared by the tests that inspect them."""
    out = tmp_path_factory.mktemp("out")
    result = main(["--model_dir", str(tiny_model_dir), "--filename", str(out / "s"),
                   "--sample_length", "50", "--seed", "3", "--scale_factor", "5",
                   "--png", "--animate", "--export", str(out / "export")])
    return out, result


def stroke_lengths(strokes):
    """Points per stroke, from the eos column; a last stroke without eos counts too."""
    ends = list(np.flatnonzero(np.asarray(strokes)[:, 2] > 0.5))
    if not ends or ends[-1] != len(strokes) - 1:
        ends.append(len(strokes) - 1)
    return np.diff([-1, *ends])


def segment_count(strokes):
    """Paths of a per-segment drawing: one per step within a stroke, one per lone point."""
    return int(np.maximum(stroke_lengths(strokes) - 1, 1).sum())


def svg_root(path):
    return ET.parse(path).getroot()


def paths(path):
    return svg_root(path).findall(f"{NS}path")


def seconds(value):
    assert value.endswith("s")
    return float(value[:-1])


# ---------------------------------------------------------------- the outputs


def test_writes_the_five_svgs(full_run):
    out, result = full_run
    assert set(result.files) == ({str(out / f"s.{kind}.svg") for kind in KINDS}
                                 | {str(out / "s.png"), str(out / "s.animated.svg"),
                                    str(out / "export")})
    strokes, params = result.strokes, result.params
    assert strokes.shape == (50, 3)
    assert set(np.unique(strokes[:, 2])) <= {0.0, 1.0}
    n_strokes = len(stroke_lengths(strokes))
    assert 1 < n_strokes < 50  # several strokes, or the counts below prove little

    normal = paths(out / "s.normal.svg")
    assert len(normal) == n_strokes
    assert {p.get("stroke") for p in normal} == {"black"}
    # --scale_factor 5: the canvas is the pen path's extent / 5 plus the margins
    absolute = np.vstack([[0, 0], np.cumsum(strokes[:, :2], axis=0)])
    width = np.ptp(absolute[:, 0]) / 5 + 50
    assert float(svg_root(out / "s.normal.svg").get("width")) == pytest.approx(width, rel=1e-4)

    assert len(paths(out / "s.color.svg")) == n_strokes
    assert len(paths(out / "s.multi_color.svg")) == segment_count(strokes)
    assert len(paths(out / "s.eos_pdf.svg")) == segment_count(strokes)
    ellipses = svg_root(out / "s.pdf.svg").findall(f"{NS}ellipse")
    assert len(ellipses) == int((params["pi"] >= 0.01).sum())


def test_png_is_an_image(full_run):
    out, _ = full_run
    blob = (out / "s.png").read_bytes()
    assert blob.startswith(b"\x89PNG\r\n\x1a\n")
    image = matplotlib.image.imread(out / "s.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert len(np.unique(image[..., 0])) > 10  # not blank


def test_animation_reveals_one_stroke_after_another(full_run):
    out, result = full_run
    shown = [a for a in svg_root(out / "s.animated.svg").iter(f"{NS}animate")
             if a.get("attributeName") == "visibility"]
    lengths = stroke_lengths(result.strokes)
    assert len(shown) == len(lengths)
    assert {a.get("repeatCount") for a in shown} == {"1"}  # played once without --loop
    begins = [float(a.get("keyTimes").split(";")[1]) * seconds(a.get("dur")) for a in shown]
    assert all(b > a for a, b in zip(begins, begins[1:]))
    # 100 points per second, pen-up steps included: a stroke starts at its first point
    np.testing.assert_allclose(begins, np.concatenate([[0], np.cumsum(lengths)[:-1]]) / 100,
                               atol=1e-4)


# ---------------------------------------------------------------- flags


def test_num_samples_numbers_the_files(tiny_model_dir, tmp_path, capsys):
    result = main(["--model_dir", str(tiny_model_dir), "--filename", str(tmp_path / "f"),
                   "--sample_length", "30", "--num_samples", "2", "--seed", "5"])
    assert result.strokes.shape == (2, 30, 3)
    assert result.params["pi"].shape == (2, 30, 3)
    assert not np.allclose(result.strokes[0], result.strokes[1])
    expected = {str(tmp_path / f"f-{i}.{kind}.svg") for i in (0, 1) for kind in KINDS}
    assert set(result.files) == expected
    assert {str(p) for p in tmp_path.iterdir()} == expected  # no plain f.* files
    for i in (0, 1):
        assert len(paths(tmp_path / f"f-{i}.normal.svg")) == len(stroke_lengths(result.strokes[i]))
    printed = capsys.readouterr().out
    assert "--seed 5" in printed
    assert all(path in printed for path in expected)


LINE_XML = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<WhiteboardCaptureSession>
  <StrokeSet>
    <Stroke colour="black" start_time="0.1" end_time="0.2">
      <Point x="1000" y="2000" time="0.1"/><Point x="1020" y="1980" time="0.11"/>
      <Point x="1045" y="1990" time="0.12"/><Point x="1050" y="2030" time="0.13"/>
    </Stroke>
    <Stroke colour="black" start_time="0.3" end_time="0.4">
      <Point x="1100" y="2000" time="0.3"/>
    </Stroke>
    <Stroke colour="black" start_time="0.5" end_time="0.6">
      <Point x="1150" y="1990" time="0.5"/><Point x="1170" y="2010" time="0.51"/>
      <Point x="1160" y="2040" time="0.52"/>
    </Stroke>
  </StrokeSet>
</WhiteboardCaptureSession>
"""


def test_prime_draws_the_line_in_grey_and_the_continuation_in_black(tiny_model_dir, tmp_path):
    (tmp_path / "line.xml").write_bytes(LINE_XML)
    result = main(["--model_dir", str(tiny_model_dir), "--filename", str(tmp_path / "p"),
                   "--sample_length", "40", "--seed", "2", "--prime", str(tmp_path / "line.xml")])
    assert result.strokes.shape == (40, 3)
    colours = [p.get("stroke") for p in paths(tmp_path / "p.normal.svg")]
    prime_segments = 3 + 1 + 2  # the strokes above: 4 points, a dot, 3 points
    assert colours.count("rgb(153,153,153)") == prime_segments
    assert colours.count("rgb(0,0,0)") == segment_count(result.strokes)
    assert len(colours) == prime_segments + segment_count(result.strokes)
    assert colours[:prime_segments] == ["rgb(153,153,153)"] * prime_segments
    # the other drawings show the continuation only
    assert len(paths(tmp_path / "p.color.svg")) == len(stroke_lengths(result.strokes))


def test_a_saved_sample_reads_as_a_line_to_continue(tmp_path):
    line = np.array([[3.5, -2, 0], [10, 4, 1], [-7, 1, 1]], np.float32)
    np.save(tmp_path / "line.npy", line)
    np.testing.assert_array_equal(read_line_file(tmp_path / "line.npy"), line)
    np.save(tmp_path / "batch.npy", np.stack([line, line]))  # model.sample(num_samples=2)
    with pytest.raises(ValueError, match=r"\[T, 3\]"):
        read_line_file(tmp_path / "batch.npy")


def _bad_weights(tmp_path, model_dir):
    shutil.copytree(model_dir, tmp_path / "m")
    Config(rnn_size=8, num_mixture=3).save(tmp_path / "m")  # the checkpoint has 16 units
    return ["--model_dir", str(tmp_path / "m")]


def _empty_model_dir(tmp_path, model_dir):
    (tmp_path / "m").mkdir()
    return ["--model_dir", str(tmp_path / "m")]


def _prime_file(name, content):
    def setup(tmp_path, model_dir):
        path = tmp_path / name
        if isinstance(content, np.ndarray):
            np.save(path, content)
        elif content is not None:
            path.write_bytes(content)
        return ["--prime", str(path)]
    return setup


def _export_dir_in_use(tmp_path, model_dir):
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "notes.txt").write_text("mine")
    return ["--export", str(tmp_path / "e")]


BAD_INPUTS = {
    "missing model_dir": (lambda t, m: ["--model_dir", str(t / "nowhere")], "--model_dir",
                          "python train.py --model_dir"),
    "empty model_dir": (_empty_model_dir, "--model_dir", "python train.py --model_dir"),
    "weights that do not fit": (_bad_weights, "--model_dir", "do not fit"),
    "zero sample_length": (lambda t, m: ["--sample_length", "0"], "--sample_length", "positive"),
    "negative num_samples": (lambda t, m: ["--num_samples", "-2"], "--num_samples", "positive"),
    "negative bias": (lambda t, m: ["--bias", "-0.5"], "--bias", "positive"),
    "zero scale_factor": (lambda t, m: ["--scale_factor", "0"], "--scale_factor", "positive"),
    "missing prime": (_prime_file("gone.xml", None), "--prime", "cannot read"),
    "empty prime": (_prime_file("empty.xml", b""), "--prime", "empty"),
    "malformed prime": (_prime_file("bad.xml", LINE_XML[:300]), "--prime", "malformed XML"),
    "not a line": (_prime_file("other.xml", b"<a><b/></a>"), "--prime", "StrokeSet"),
    "malformed npy": (_prime_file("bad.npy", b"\x93NUMPY garbage"), "--prime", ".npy"),
    "npy of another shape": (_prime_file("flat.npy", np.zeros(6)), "--prime", "[T, 3]"),
    "one-point prime": (_prime_file("dot.npy", np.zeros((1, 3))), "--prime", "at least two"),
    "export folder in use": (_export_dir_in_use, "--export", "not a SavedModel"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_usage_error_and_writes_nothing(case, tiny_model_dir, tmp_path, capsys):
    setup, flag, reason = BAD_INPUTS[case]
    argv = ["--model_dir", str(tiny_model_dir), "--filename", str(tmp_path / "out" / "s"),
            "--sample_length", "20", "--png", "--animate"] + setup(tmp_path, tiny_model_dir)
    before = set(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    stderr = capsys.readouterr().err
    assert f"error: {flag}" in stderr
    assert reason in stderr
    assert set(tmp_path.rglob("*")) == before


def test_no_flags_outside_the_project_says_where_the_model_is(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no save/ here
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    stderr = capsys.readouterr().err
    assert "--model_dir save does not exist" in stderr
    assert "project folder" in stderr and "python train.py --model_dir save" in stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- %run -i


def test_run_as_a_script_leaves_model_and_drawing_functions(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["sample.py", "--model_dir", str(tiny_model_dir), "--filename",
                                      str(tmp_path / "r"), "--sample_length", "20"])
    namespace = runpy.run_path(str(ROOT / "sample.py"), run_name="__main__")
    assert (tmp_path / "r.normal.svg").is_file()
    assert isinstance(namespace["model"], FreeWriter)
    assert namespace["strokes"].shape == (20, 3)
    strokes, params = namespace["model"].sample(30, seed=1)
    svg = namespace["draw_strokes"](strokes)
    assert len(ET.fromstring(svg.data).findall(f"{NS}path")) == len(stroke_lengths(strokes))
    for name in ("draw_strokes_random_color", "draw_strokes_eos_weighted", "draw_strokes_pdf",
                 "draw_strokes_custom_color"):
        assert callable(namespace[name])


def test_loop_writes_an_animation_that_replays(tiny_model_dir, tmp_path):
    result = main(["--model_dir", str(tiny_model_dir), "--filename", str(tmp_path / "l"),
                   "--sample_length", "30", "--seed", "4", "--loop"])
    assert str(tmp_path / "l.animated.svg") in result.files  # --loop alone writes it
    animates = list(svg_root(tmp_path / "l.animated.svg").iter(f"{NS}animate"))
    assert animates and {a.get("repeatCount") for a in animates} == {"indefinite"}
    # the drawing's 30 points' time, then a second on the finished line
    (duration,) = {seconds(a.get("dur")) for a in animates}
    assert duration == pytest.approx(30 / 100 + 1.0, abs=0.011)
