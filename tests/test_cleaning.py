"""Data cleaning (cleaning.py, DataLoader(clean=...), train.py --clean): each step on
made-up strokes whose tilt, slant and noise are known because the test put them there,
and the training lines cleaned while the validation lines stay raw."""

import json

import numpy as np
import pytest
import xmlgen

import cleaning
import train
import utils
from config import SHIPPED_DIRS, Config

SEQ = 20  # the test loaders' seq_length: of 40 lines, the 20th and 40th validate


# ---------------------------------------------------------------- made-up writing


def upright_strokes(rng, words=4, letters=5, jitter=0.0):
    """Absolute points of a level line of upright writing: each word one stroke of
    letters, each letter a vertical stroke up 40 to 80 units and down again, joined to
    the next by a stroke along the baseline; words apart by a pen lift. Level as
    cleaning defines it: the least-squares line through its points is horizontal (the
    letters' heights tilt it, so y is sheared by that slope, which keeps x and so the
    upright strokes upright)."""
    strokes, x = [], 0.0
    for _ in range(words):
        points = []
        for _ in range(letters):
            height = rng.uniform(40, 80)
            points += [(x, -y) for y in np.linspace(0, height, 9)]
            points += [(x, -y) for y in np.linspace(height, 0, 9)[1:]]
            points += [(x + d, 0.0) for d in np.linspace(0, 25, 5)[1:]]
            x += 25
        stroke = np.array(points) + rng.normal(0, jitter, (len(points), 2))
        strokes.append(stroke)
        x += 60
    slope = cleaning.baseline_slope(np.concatenate(strokes))
    return [np.column_stack([s[:, 0], s[:, 1] - slope * s[:, 0]]) for s in strokes]


def steps(strokes):
    """The rows (dx, dy, eos) of absolute strokes (xmlgen.steps_of), float64."""
    return xmlgen.steps_of(strokes)


def sheared(strokes, degrees):
    """The strokes leaning right by degrees (left if negative): x moves right by
    tan(degrees) for every unit up (y down)."""
    lean = np.tan(np.radians(degrees))
    return [np.column_stack([s[:, 0] - lean * s[:, 1], s[:, 1]]) for s in strokes]


def turned(strokes, degrees):
    """The strokes turned about the origin so that a level line falls to the right by
    degrees (y down)."""
    a = np.radians(degrees)
    turn = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    return [s @ turn for s in strokes]


def positions(line):
    return np.cumsum(np.asarray(line, float)[:, :2], axis=0)


# ---------------------------------------------------------------- each step


@pytest.mark.parametrize("degrees", [6.0, -4.0])
def test_a_line_tilted_by_a_known_angle_is_level_after(degrees):
    strokes = upright_strokes(np.random.default_rng(0))
    level, tilted = steps(strokes), steps(turned(strokes, degrees))
    assert abs(np.degrees(cleaning.tilt(level))) < 1e-9  # the made-up line is level
    assert np.degrees(cleaning.tilt(tilted)) == pytest.approx(degrees, abs=0.1)
    after = cleaning.level(tilted)
    assert abs(np.degrees(cleaning.tilt(after))) < 0.1  # least squares is not turned exactly
    # the same line as the level one: turned back about its first point, not bent
    np.testing.assert_allclose(positions(after), positions(level), atol=2.0)  # of 1,000 wide


@pytest.mark.parametrize("degrees", [20.0, 8.0, -12.0])
def test_a_line_sheared_by_a_known_slant_is_upright_after(degrees):
    strokes = upright_strokes(np.random.default_rng(1))
    upright, leaning = steps(strokes), steps(sheared(strokes, degrees))
    assert np.degrees(cleaning.slant(upright)) == pytest.approx(0, abs=0.01)
    assert np.degrees(cleaning.slant(leaning)) == pytest.approx(degrees, abs=0.01)
    after = cleaning.upright(leaning)
    assert np.degrees(cleaning.slant(after)) == pytest.approx(0, abs=0.01)
    np.testing.assert_allclose(after, upright, atol=1e-6)  # the letters' strokes vertical again


def test_the_slant_is_found_through_the_jitter_of_a_tablet():
    strokes = upright_strokes(np.random.default_rng(2), words=8, jitter=1.0)
    leaning = steps(sheared(strokes, 15.0))
    found = np.degrees(cleaning.slant(cleaning.smooth(leaning)))
    assert found == pytest.approx(15.0, abs=1.5)
    assert abs(np.degrees(cleaning.slant(cleaning.upright(cleaning.smooth(leaning))))) < 0.5


@pytest.mark.parametrize("lean, degrees", [(18.0, 5.0), (25.0, -4.0), (-10.0, 3.0)])
def test_a_line_both_slanted_and_tilted_is_the_line_it_was_made_from_after(lean, degrees):
    strokes = upright_strokes(np.random.default_rng(3), words=2)  # short: tall letters weigh
    line = steps(turned(sheared(strokes, lean), degrees))
    assert np.degrees(cleaning.slant(line)) == pytest.approx(lean + degrees, abs=1e-6)
    # the fit of the slanted points leans with the letters; stood upright, it is exact
    assert np.degrees(cleaning.tilt(line, np.tan(cleaning.slant(line)))) == pytest.approx(
        degrees, abs=1e-6)
    done = cleaning.clean_line(line, ("level", "slant"))
    np.testing.assert_allclose(positions(done), positions(steps(strokes)), atol=1e-3)


def test_savitzky_golay_weights_keep_a_cubic_and_match_scipy():
    from scipy.signal import savgol_coeffs

    weights = cleaning.savitzky_golay_weights(7)
    np.testing.assert_allclose(weights, savgol_coeffs(7, 3), atol=1e-12)
    t = np.arange(-3, 4)
    assert weights @ (2 - t + 0.5 * t**2 - 0.1 * t**3) == pytest.approx(2)


def curve(t):
    """A stroke's points along a slow curve, [len(t), 2]."""
    return np.column_stack([6 * t, 40 * np.sin(t / 4)])


def test_smoothing_keeps_a_cubic_stroke_exactly():
    t = np.arange(40.0)
    cubic = np.column_stack([5 * t, 0.002 * t**3 - 0.1 * t**2 + t])
    line = steps([cubic, cubic + [300, 0]])
    np.testing.assert_allclose(cleaning.smooth(line), line, atol=1e-9)


def test_smoothing_takes_noise_away_and_keeps_each_strokes_ends():
    rng = np.random.default_rng(4)
    clean = [curve(np.arange(50.0)), curve(np.arange(30.0)) + [400, 0], curve(np.arange(5.0))]
    noisy = [s + rng.normal(0, 1.5, s.shape) for s in clean]
    line = steps(noisy)
    truth = np.concatenate(clean)
    smoothed = cleaning.smooth(line)
    half = cleaning.SMOOTHING_WINDOW // 2
    ends = np.cumsum([len(s) for s in noisy])
    starts = ends - [len(s) for s in noisy]
    kept = np.concatenate([np.r_[a:a + half, b - half:b] for a, b in zip(starts, ends)])
    moved = np.setdiff1d(np.arange(starts[2]), kept)  # the points smoothing reaches

    def error(steps):  # of the positions, wherever the line is placed
        off = positions(steps)[moved] - truth[moved]
        return np.abs(off - off.mean(axis=0)).mean()

    # a 7-point cubic leaves sqrt(1/3) of the noise of each point
    assert error(smoothed) < 0.7 * error(line)
    np.testing.assert_allclose(positions(smoothed)[kept], positions(line)[kept], atol=1e-9)
    # the third stroke is shorter than the window: kept as it is
    np.testing.assert_allclose(positions(smoothed)[starts[2]:], positions(line)[starts[2]:],
                               atol=1e-9)


@pytest.mark.parametrize("names", [("smooth",), ("level",), ("slant",),
                                   ("level", "slant", "smooth")])
def test_cleaning_keeps_the_point_count_the_pen_lifts_and_the_first_row(names):
    rng = np.random.default_rng(5)
    line = steps(sheared(turned(xmlgen.random_line(rng, 300), 3.0), 10.0))
    done = cleaning.clean_line(line, names)
    assert done.shape == line.shape and done.dtype == np.float32
    np.testing.assert_array_equal(done[:, 2], line[:, 2])
    np.testing.assert_array_equal(done[0], line[0])
    assert not np.allclose(done, line, atol=1e-3)  # and it did something
    assert len(cleaning.smooth(line[:3])) == 3 and len(cleaning.level(line[:1])) == 1


# ---------------------------------------------------------------- dropping


def test_a_line_with_an_absurd_step_is_dropped_and_counted():
    rng = np.random.default_rng(6)
    good = steps(upright_strokes(rng))
    broken = good.copy()
    broken[10, :2] = [cleaning.MAX_PEN_DOWN_STEP, 50]  # drawn with the pen down
    jumping = good.copy()
    first_of_second_stroke = np.flatnonzero(good[:, 2])[0] + 1
    jumping[first_of_second_stroke, :2] = [3000, 0]  # a jump with the pen up is no fault
    text = "a" * int(len(good) / cleaning.MIN_POINTS_PER_CHAR)
    sparse_text = text + "a" * 3
    assert cleaning.why_broken(good, text) is None
    assert cleaning.why_broken(jumping) is None
    assert cleaning.why_broken(broken) == "step"
    assert cleaning.why_broken(good, sparse_text) == "sparse"
    lines = [good, broken, jumping, good, broken]
    texts = [text, None, None, sparse_text, text]
    kept, cleaned, dropped = cleaning.clean_lines(lines, texts, ("drop",))
    assert kept == [0, 2] and dropped == {"step": 2, "sparse": 1}
    assert cleaned[0] is good and cleaned[1] is jumping  # dropping alone changes no line
    summary = cleaning.describe(("drop",), dropped)
    assert "3 broken dropped" in summary and "2 with a pen-down step over 400" in summary


# ---------------------------------------------------------------- the flag


def test_the_steps_a_flag_names():
    assert cleaning.parse_steps("all") == cleaning.STEPS
    assert cleaning.parse_steps("none") == cleaning.parse_steps("") == ()
    assert cleaning.parse_steps(" smooth, level ") == ("level", "smooth")
    with pytest.raises(ValueError, match="unknown step 'wobble'.*level, slant, smooth, drop"):
        cleaning.parse_steps("level,wobble")
    assert cleaning.describe(("level", "slant", "smooth"), {}) == (
        "training lines cleaned: levelled, slant-corrected, smoothed")


def test_the_flag_round_trips_through_config_json(tmp_path):
    Config(clean="smooth,level").save(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["clean"] == "level,smooth"
    assert Config.load(tmp_path).clean == "level,smooth"
    Config(clean="all").save(tmp_path)
    assert Config.load(tmp_path).clean == "level,slant,smooth,drop"
    # a config.json from before the flag: no cleaning
    fields = json.loads((tmp_path / "config.json").read_text())
    del fields["clean"]
    (tmp_path / "config.json").write_text(json.dumps(fields))
    assert Config.load(tmp_path).clean == "none"
    for folder in SHIPPED_DIRS:  # the shipped models' configs load as they were trained
        path = train.Path(folder) / "config.json"
        if path.exists():
            saved = json.loads(path.read_text()).get("clean", "none")
            assert Config.load(folder).clean == saved


def test_train_py_takes_clean_keeps_it_on_resume_and_refuses_an_unknown_step(tmp_path):
    parser = train.build_parser()
    resolve = lambda *flags: train.resolve_config(  # noqa: E731
        parser.parse_args([*flags, "--model_dir", str(tmp_path)]), parser)
    config, _, resuming = resolve("--clean", "slant,drop")
    assert config.clean == "slant,drop" and not resuming
    config.save(tmp_path)
    assert resolve()[0].clean == "slant,drop"  # resumed: as it was trained
    assert resolve("--clean", "none")[0].clean == "none"
    with pytest.raises(SystemExit):
        resolve("--clean", "straighten")


def test_train_py_hands_its_cleaning_to_the_loader(tmp_path, monkeypatch):
    seen = {}

    def loader(*args, **kwargs):
        seen.update(kwargs)
        raise FileNotFoundError("no data here")

    monkeypatch.setattr(train, "DataLoader", loader)
    with pytest.raises(SystemExit):
        train.main(["--synthesis", "--clean", "all", "--model_dir", str(tmp_path / "run")])
    assert seen["clean"] == "level,slant,smooth,drop"


# ---------------------------------------------------------------- the loader


@pytest.fixture(scope="module")
def crooked_data(tmp_path_factory):
    """(data folder, {line id: text}, broken ids): 40 lines of upright writing with their
    texts, each tilted and slanted by its own angles, and two with an absurd pen-down
    step: the 10th (training) and the 20th (validation, with seq_length SEQ)."""
    root = tmp_path_factory.mktemp("crooked_data")
    rng = np.random.default_rng(7)
    lines, texts = {}, {}
    for i in range(40):
        lid = xmlgen.line_id(i)
        strokes = upright_strokes(rng, words=3, letters=int(rng.integers(2, 5)))
        strokes = turned(sheared(strokes, rng.uniform(10, 25)), rng.uniform(3, 6))
        strokes = [np.rint(s + [1000, 1000]).astype(np.int64) for s in strokes]
        if i in (9, 19):
            strokes[1][4:] += [450, 0]  # the pen skips 450 units with the pen down
        lines[lid] = strokes
        texts.setdefault(xmlgen.form_of(lid), []).append("ab " * 3)
    xmlgen.write_data_folder(root, lines)
    xmlgen.write_ascii_folder(root, texts)
    return root, [xmlgen.line_id(9), xmlgen.line_id(19)]


def load(root, tmp_path, **kwargs):
    return utils.DataLoader(root, batch_size=4, seq_length=SEQ, seed=0, progress=False,
                            cache_dir=tmp_path, **kwargs)


def test_the_loader_cleans_its_training_lines_and_not_its_validation_lines(crooked_data,
                                                                           tmp_path):
    root, (broken_train, broken_valid) = crooked_data
    raw = load(root, tmp_path, texts=True)
    done = load(root, tmp_path, texts=True, clean="all")
    # validation: the same lines, raw, the broken one too
    assert broken_valid in raw.valid_ids and done.valid_ids == raw.valid_ids
    for a, b in zip(done.valid_data, raw.valid_data):
        np.testing.assert_array_equal(a, b)
    # training: the broken line dropped, the others cleaned, their texts beside them
    assert done.train_ids == [i for i in raw.train_ids if i != broken_train]
    assert done.dropped == {"step": 1}
    assert len(done.train_texts) == len(done.data) == len(done.train_chars)
    for lid, line in zip(done.train_ids, done.data):
        original = raw.raw_data[raw.line_ids.index(lid)]
        np.testing.assert_allclose(line, utils.to_model_units(
            cleaning.clean_line(original, cleaning.STEPS), 500, 20), atol=1e-5)
        tablet = done.in_tablet_units(line)
        assert abs(np.degrees(cleaning.tilt(tablet))) < 0.1
        assert abs(np.degrees(cleaning.slant(tablet))) < 0.1
        assert np.degrees(cleaning.tilt(original)) > 2  # as it was written
        assert np.degrees(cleaning.slant(original)) > 12
        np.testing.assert_array_equal(tablet[:, 2], original[:, 2])
    assert not raw.cleaning and done.cleaning == cleaning.STEPS


def test_the_loaders_summary_says_what_cleaning_did(crooked_data, tmp_path):
    root, _ = crooked_data
    summary = load(root, tmp_path, texts=True, clean="level,slant,smooth,drop").summary()
    assert ("training lines cleaned: levelled, slant-corrected, smoothed, 1 broken dropped "
            "(1 with a pen-down step over 400 tablet units, 0 with under 8 points a "
            "character)") in summary
    assert "37 training and 2 validation lines" in summary
    assert "cleaned" not in load(root, tmp_path, texts=True).summary()
    assert "cleaned: smoothed;" in load(root, tmp_path, clean="smooth").summary() + ";"


def test_the_unconditional_models_windows_come_from_cleaned_lines(crooked_data, tmp_path):
    root, (broken_train, broken_valid) = crooked_data
    raw = load(root, tmp_path)
    done = load(root, tmp_path, clean="drop,level")
    assert done.valid_ids == raw.valid_ids and broken_valid in done.valid_ids
    assert done.train_ids == [i for i in raw.train_ids if i != broken_train]
    assert done.num_batches <= raw.num_batches
    x, y = done.next_batch()
    assert x.shape == (4, SEQ, 3)
    lid = done.train_ids[0]
    np.testing.assert_allclose(
        done.data[0], utils.to_model_units(cleaning.level(raw.raw_data[raw.line_ids.index(lid)]),
                                           500, 20), atol=1e-5)


# ---------------------------------------------------------------- lines left out


def test_a_list_of_line_ids_reads_past_comments_and_blank_lines(tmp_path):
    from iam_ondb import read_line_ids

    path = tmp_path / "overruns.txt"
    path.write_text("# lines to leave out\na01-000u-01\n\n  b02-003-04  # crossed out\n"
                    "a01-000u-01\n")
    assert read_line_ids(path) == {"a01-000u-01", "b02-003-04"}
    path.write_text("a01-000u-01\na01-000u-02 a01-000u-03\n")
    with pytest.raises(ValueError, match=r"overruns.txt, line 2: .* not one line id"):
        read_line_ids(path)


def test_the_loader_leaves_listed_lines_out_of_training_and_keeps_its_validation(
        crooked_data, tmp_path):
    root, _ = crooked_data
    raw = load(root, tmp_path, texts=True)
    left_out = raw.train_ids[3:5]
    listed = [*left_out, raw.valid_ids[0], "z99-999z-99"]  # a validation line, an unknown
    done = load(root, tmp_path, texts=True, exclude=listed, clean="drop")
    assert done.valid_ids == raw.valid_ids and len(done.valid_texts) == len(raw.valid_texts)
    assert done.train_ids == [i for i in raw.train_ids if i not in left_out
                              and i != xmlgen.line_id(9)]  # the broken one dropped too
    assert len(done.data) == len(done.train_texts) == len(done.train_ids)
    assert done.excluded == 2 and "2 training lines excluded" in done.summary()
    assert "excluded" not in raw.summary()


def test_train_py_reads_exclude_into_the_loader_and_names_a_bad_file(tmp_path, monkeypatch,
                                                                       capsys):
    seen = {}

    def loader(*args, **kwargs):
        seen.update(kwargs)
        raise FileNotFoundError("no data here")

    monkeypatch.setattr(train, "DataLoader", loader)
    listed = tmp_path / "out.txt"
    listed.write_text("a01-000u-01\n")
    with pytest.raises(SystemExit):
        train.main(["--synthesis", "--exclude", str(listed), "--model_dir", str(tmp_path / "r")])
    assert seen["exclude"] == {"a01-000u-01"}
    with pytest.raises(SystemExit):
        train.main(["--synthesis", "--exclude", str(tmp_path / "missing.txt"),
                    "--model_dir", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert "--exclude" in err and "missing.txt" in err
