"""evaluate.py's protocol: whole lines, first input (0, 0, 1), scored on steps 1..T-1."""

import json
import math

import numpy as np
import pytest
import reference
import tensorflow as tf
import tiny
import xmlgen

import evaluate
from model import load_network
from utils import START, DataLoader


@pytest.fixture(scope="module")
def lines():
    rng = np.random.default_rng(0)
    out = []
    for n in (5, 17, 130, 260, 3):
        line = rng.normal(0, 1, (n, 3)).astype(np.float32)
        line[:, 2] = rng.random(n) < 0.2
        line[0, :2] = 0
        out.append(line)
    return out


def test_line_batches_follow_the_protocol(lines):
    seen = set()
    for batch, x, y, mask in evaluate.line_batches(lines, max_points=300, bucket=16):
        assert x.shape == y.shape and x.shape[:2] == mask.shape and x.shape[1] % 16 == 0
        for row, i in enumerate(batch):
            n = len(lines[i]) - 1
            np.testing.assert_array_equal(x[row, 0], START)
            np.testing.assert_array_equal(x[row, 1:n], lines[i][1:-1])
            np.testing.assert_array_equal(y[row, :n], lines[i][1:])
            assert mask[row].sum() == n and mask[row, n:].sum() == 0
            seen.add(i)
        assert mask[len(batch):].sum() == 0  # padding rows score nothing
    assert seen == set(range(len(lines)))


def test_scores_equal_a_line_by_line_computation(lines, tiny_model_dir):
    model = load_network(tiny_model_dir)
    data_scale = model.config.data_scale
    got = evaluate.score_lines(model, lines)
    nll, points = reference.line_by_line_nll(model, lines)
    nll_sum, sse_sum = nll.sum(), 0.0
    for line in lines:
        x = np.concatenate([[START], line[1:-1]])[None]
        y = line[None, 1:]
        # the network's outputs, one line at a time; the maths from the numpy reference
        params = reference.mixture(model(tf.constant(x))[0].numpy())
        expected = np.stack([(params["pi"] * params["mu1"]).sum(-1),
                             (params["pi"] * params["mu2"]).sum(-1)], -1)
        sse_sum += float(((expected - y[..., :2]) ** 2).sum())
    assert got["points"] == points == sum(len(line) - 1 for line in lines)
    assert got["lines"] == len(lines)
    assert got["nll_per_point_model"] == pytest.approx(nll_sum / points, rel=1e-5)
    assert got["nll_per_point_raw"] == pytest.approx(nll_sum / points + 2 * math.log(data_scale))
    assert got["nll_per_sequence_raw"] == pytest.approx(
        (nll_sum + 2 * math.log(data_scale) * points) / len(lines), rel=1e-5)
    assert got["sse_per_point"] == pytest.approx(sse_sum / points, rel=1e-5)


def in_model_units(steps, limit=500.0, data_scale=20.0):
    """Training's clamp to +-limit and division by data_scale, in numpy."""
    out = steps.copy()
    out[:, :2] = np.clip(out[:, :2], -limit, limit) / data_scale
    return out.astype(np.float32)


def oracle_figures(model, lines):
    """nll_per_point_raw and nll_per_sequence_raw of lines [T, 3] (model units) by
    reference.line_by_line_nll: each line alone, eq. 26 in numpy, + 2 ln(data_scale)."""
    nll, points = reference.line_by_line_nll(model, lines)
    offset = 2 * math.log(model.config.data_scale)
    return {"nll_per_point_raw": nll.sum() / points + offset,
            "nll_per_sequence_raw": (nll.sum() + offset * points) / len(lines),
            "points": points}


def test_command_line_scores_every_line_under_data_dir(tmp_path, tiny_model_dir, capsys):
    rng = np.random.default_rng(1)
    generated = xmlgen.random_lines(rng, [40, 90, 350, 12])
    xmlgen.write_data_folder(tmp_path / "data", generated)
    evaluate.main(["--model_dir", str(tiny_model_dir), "--data_dir", str(tmp_path / "data"),
                   "--cache_dir", str(tmp_path / "cache"), "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"nll_per_point_raw", "nll_per_point_model", "nll_per_sequence_raw", "sse_per_point",
            "lines", "points"} <= set(result)
    assert result["lines"] == 4 and result["points"] == 40 + 90 + 350 + 12 - 4
    # the oracle: the generated lines as steps, clamped and scaled, each scored alone
    lines = [in_model_units(xmlgen.steps_of(strokes)) for strokes in generated.values()]
    assert max(np.abs(line[:, :2]).max() for line in lines) == 500 / 20  # the clamp acts
    want = oracle_figures(load_network(tiny_model_dir), lines)
    assert result["points"] == want["points"]
    assert result["nll_per_point_raw"] == pytest.approx(want["nll_per_point_raw"], rel=1e-5)
    assert result["nll_per_sequence_raw"] == pytest.approx(want["nll_per_sequence_raw"],
                                                           rel=1e-5)


def test_missing_data_is_a_usage_error(tmp_path, tiny_model_dir, capsys):
    with pytest.raises(SystemExit) as info:
        evaluate.main(["--model_dir", str(tiny_model_dir), "--data_dir",
                       str(tmp_path / "nowhere")])
    assert info.value.code == 2
    assert "--data_dir" in capsys.readouterr().err


def test_split_valid_scores_the_lines_train_py_validates_on(tmp_path, capsys):
    rng = np.random.default_rng(2)
    generated = xmlgen.random_lines(rng, rng.integers(40, 90, size=45))
    xmlgen.write_data_folder(tmp_path / "data", generated)
    model = tiny.save_tiny_model(tmp_path / "model", seq_length=30)
    evaluate.main(["--model_dir", str(tmp_path / "model"), "--data_dir", str(tmp_path / "data"),
                   "--cache_dir", str(tmp_path / "cache"), "--split", "valid", "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # train.py's split, written out: of the lines longer than seq_length + 2 = 32 points,
    # in line id order, every 20th
    kept = [xmlgen.steps_of(generated[i]) for i in sorted(generated)
            if len(xmlgen.steps_of(generated[i])) > 32]
    valid = [in_model_units(steps) for steps in kept[19::20]]
    assert result["lines"] == len(valid) == 2  # the 20th and 40th of 45
    loader = DataLoader(tmp_path / "data", seq_length=30, cache_dir=tmp_path / "cache")
    assert len(loader.valid_data) == 2
    want = oracle_figures(model, valid)
    assert result["points"] == want["points"]
    assert result["nll_per_point_raw"] == pytest.approx(want["nll_per_point_raw"], rel=1e-5)


def test_report_prints_counts_and_rates_as_whole_numbers(capsys):
    figures = {"nll_per_point_raw": 5.67412, "nll_per_sequence_raw": 3669.49, "lines": 513,
               "points": 331681, "points_per_s": 62670.5761}
    evaluate.report(figures)
    printed = dict(line.strip().split(": ") for line in capsys.readouterr().out.splitlines())
    assert printed == {"nll_per_point_raw": "5.6741", "nll_per_sequence_raw": "3,669",
                       "lines": "513", "points": "331,681", "points_per_s": "62,671"}
    evaluate.report(figures, as_json=True)
    assert json.loads(capsys.readouterr().out) == figures


def test_overruns_lists_the_training_lines_overrun_lines_finds(tmp_path, capsys):
    from iam_ondb import read_line_ids

    rng = np.random.default_rng(3)
    generated = xmlgen.random_lines(rng, rng.integers(40, 120, size=42))
    texts = {}
    for lid in sorted(generated):
        words = rng.integers(1, 4)
        texts.setdefault(xmlgen.form_of(lid), []).append(
            " ".join("abc"[: rng.integers(1, 4)] for _ in range(words)))
    xmlgen.write_data_folder(tmp_path / "data", generated)
    xmlgen.write_ascii_folder(tmp_path / "data", texts)
    model = tiny.save_tiny_model(tmp_path / "model", synthesis=True, alphabet=" abc",
                                 seq_length=30)
    out = tmp_path / "overruns.txt"
    evaluate.main(["--model_dir", str(tmp_path / "model"), "--data_dir", str(tmp_path / "data"),
                   "--cache_dir", str(tmp_path / "cache"), "--overruns", str(out), "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    loader = DataLoader(tmp_path / "data", seq_length=30, cache_dir=tmp_path / "cache",
                        texts=True, alphabet=" abc", progress=False)
    want = {loader.train_ids[i] for i in evaluate.overrun_lines(model, loader.data,
                                                               loader.train_texts)}
    assert read_line_ids(out) == want and 0 < len(want) < len(loader.data)
    assert result == {"training_lines": len(loader.data), "overruns": len(want)}
    assert not want & set(loader.valid_ids)
    assert out.read_text().startswith(f"# the {len(want):,} of {len(loader.data):,} training lines")
    tiny.save_tiny_model(tmp_path / "free")
    with pytest.raises(SystemExit):  # an unconditional model has no window to read with
        evaluate.main(["--model_dir", str(tmp_path / "free"), "--data_dir",
                       str(tmp_path / "data"), "--overruns", str(out)])
    assert "--overruns: the model in" in capsys.readouterr().err


def test_rounds_write_the_sentences_again_on_the_next_seeds(tiny_models, tmp_path, capsys):
    _, writer, reader = tiny_models
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("ab c\n\nca b\n")
    flags = ["--model_dir", str(writer), "--sentences", str(sentences), "--recognizer_dir",
             str(reader), "--data_dir", str(tmp_path / "no data"), "--bias", "1", "--json"]
    both = evaluate.main(flags + ["--rounds", "2"])
    first, second = evaluate.main(flags), evaluate.main(flags + ["--seed", "2"])
    assert both["sentences"] == 4
    # round two is the sentences written on seeds 2 and 3, read by the same reader
    assert first["legibility_readings"] != second["legibility_readings"]
    assert both["legibility_readings"] == (first["legibility_readings"]
                                           + second["legibility_readings"])
    for count in ("stopped_by_rule", "hit_budget", "every_character_reached", "clean",
                  "final_character_share_above_2"):
        assert both[count] == first[count] + second[count], count
    for c, (right, seen) in both["legibility_characters"].items():
        once, twice = first["legibility_characters"][c], second["legibility_characters"][c]
        assert [right, seen] == [once[0] + twice[0], once[1] + twice[1]], c
    for bad in (["--rounds", "0"], ["--rounds", "2", "--pages", "2"]):
        with pytest.raises(SystemExit):
            evaluate.main(flags + bad)
        assert "--rounds" in capsys.readouterr().err
