"""One rule for each thing a user gives, at every entrance (sample.py, the web API, the
model in Python, the SavedModel): which characters can be written, what extra white
space does, which seeds there are, and how a page is written."""

import numpy as np
import pytest
import tensorflow as tf
import tiny
from fastapi.testclient import TestClient

import evaluate
import sample
from export import export_saved_model
from model import load_model
from text import TYPOGRAPHY, folding_note
from webapp.service import create_app, rounded

ALPHABET = tiny.ALPHABET
SEED_LIMIT = 2**31
SEED_MESSAGE = f"a seed is a whole number from 0 to {SEED_LIMIT - 1}, not"


@pytest.fixture(scope="module")
def client(tiny_models):
    with TestClient(create_app(*tiny_models), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def exported(tiny_models, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    export_saved_model(load_model(tiny_models[0]).network, folder / "free")
    export_saved_model(load_model(tiny_models[1]).network, folder / "synthesis")
    return (tf.saved_model.load(str(folder / "free")),
            tf.saved_model.load(str(folder / "synthesis")))


def cli(tmp_path, *flags):
    return sample.main([*map(str, flags), "--filename", str(tmp_path / "out" / "s")])


# ---------------------------------------------------------------- unknown characters


def test_the_saved_model_refuses_characters_the_model_cannot_write(exported):
    _, writer = exported
    # the words of text.check_writable (TensorFlow's message escapes the quotes)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"characters the model cannot write: \\?'z\\?'\. It writes: abc "):
        writer.write(text="abz", seed=1, bias=0.0)
    assert len(writer.write(text="ab", seed=1, bias=0.0)["strokes"]) > 1


def test_an_unknown_character_is_refused_alike_by_the_command_line_the_api_and_python(
        tiny_models, client, tmp_path, capsys):
    message = "characters the model cannot write: 'z'"
    with pytest.raises(SystemExit):
        cli(tmp_path, "--model_dir", tiny_models[1], "--text", "abz")
    assert message in capsys.readouterr().err
    assert message in client.post("/api/write", json={"text": "abz"}).json()["detail"]
    with pytest.raises(ValueError, match=message):
        load_model(tiny_models[1]).write("abz")


# ---------------------------------------------------------------- white space


def test_extra_white_space_writes_the_same_from_the_command_line_the_api_and_python(
        tiny_models, client, tmp_path):
    spaced, plain = "  ab \t  cab   ", "ab cab"
    api = client.post("/api/write", json={"text": plain, "seed": 3, "tries": 1}).json()
    assert [line["text"] for line in api["lines"]] == [plain]
    assert client.post("/api/write", json={"text": spaced, "seed": 3, "tries": 1}).json()[
        "strokes"] == api["strokes"]
    written = cli(tmp_path, "--model_dir", tiny_models[1], "--text", spaced, "--seed", 3,
                  "--tries", 1, "--bias", 0)  # the API's and model.write's default bias
    assert rounded(written.strokes) == api["strokes"]  # the page, as drawn
    strokes, info = load_model(tiny_models[1]).write(spaced, seed=3)
    assert rounded(strokes) == api["lines"][0]["strokes"]  # the network's own points
    assert info["phi"].shape[1] == len(plain)


def test_the_saved_model_treats_white_space_as_model_write_does(tiny_models, exported):
    _, writer = exported
    strokes, _ = load_model(tiny_models[1]).write("ab cab", seed=4)
    out = writer.write(text=" ab\u00a0 \n cab ", seed=4, bias=0.0)
    np.testing.assert_allclose(out["strokes"].numpy(), strokes, rtol=1e-4, atol=1e-3)


# ---------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed", [SEED_LIMIT, -1])
def test_a_seed_outside_the_range_is_refused_alike_at_every_entrance(
        seed, tiny_models, client, exported, tmp_path, capsys):
    message = f"{SEED_MESSAGE} {seed}"
    for flags in (["--model_dir", tiny_models[0], "--sample_length", 10],
                  ["--model_dir", tiny_models[1], "--text", "ab"]):
        with pytest.raises(SystemExit):
            cli(tmp_path, *flags, "--seed", seed)
        assert f"--seed: {message}" in capsys.readouterr().err
    for path, body in (("/api/write", {"text": "ab"}), ("/api/sample", {"num_points": 10})):
        answer = client.post(path, json={**body, "seed": seed})
        assert answer.status_code == 422 and f"seed: {message}" in answer.json()["detail"]
    free, writer = load_model(tiny_models[0]), load_model(tiny_models[1])
    for call in (lambda: free.sample(10, seed=seed), lambda: writer.write("ab", seed=seed),
                 lambda: writer.write(["ab", "ba"], seed=[0, seed]),
                 lambda: writer.write_page(["ab", "ba"], seed=seed)):
        with pytest.raises(ValueError, match=message):
            call()
    for run in (lambda: exported[0].sample(num_points=10, seed=seed, bias=0.0),
                lambda: exported[1].write(text="ab", seed=seed, bias=0.0)):
        with pytest.raises(tf.errors.InvalidArgumentError, match=SEED_MESSAGE):
            run()


def test_seeds_derived_from_a_seed_stay_in_the_range(tiny_models, monkeypatch, tmp_path):
    writer = load_model(tiny_models[1])
    used = []
    write = writer.write

    def spy(texts, bias=0.0, seed=None, style=None, tries=1, max_tries=None):
        used.extend([seed] if np.ndim(seed) == 0 else seed)
        return write(texts, bias, seed, style, tries, max_tries)

    monkeypatch.setattr(writer, "write", spy)
    evaluate.stop_figures(writer, ["ab", "ba", "cab"], seed=SEED_LIMIT - 2)
    assert used == [SEED_LIMIT - 2, SEED_LIMIT - 1, 0]
    used.clear()
    writer.write_page(["ab", "ba"], seed=SEED_LIMIT - 1)
    assert used == [SEED_LIMIT - 1, 0]


# ---------------------------------------------------------------- the page


def calls_made(model, monkeypatch):
    """model.write, recording (texts, seeds, the style's text) of every call."""
    calls, write = [], model.write

    def spy(texts, bias=0.0, seed=None, style=None, tries=1, max_tries=None):
        calls.append((list(texts), list(seed), style and style[1]))
        return write(texts, bias, seed, style, tries, max_tries)

    monkeypatch.setattr(model, "write", spy)
    return calls


@pytest.mark.parametrize("styled", [False, True])
def test_write_page_and_the_web_page_carry_out_the_one_page_plan(styled, tiny_models, monkeypatch):
    from text import page_plan

    lines, seed = ["ab", "ba cab", "cab", "a"], 9
    writer = load_model(tiny_models[1])
    style = (writer.write("ca", seed=1)[0], "ca") if styled else None
    expected = []
    for call in page_plan(len(lines), seed, styled):
        hand = {"style": "ca", "first": lines[0], None: None}[call.hand]
        expected.append(([lines[i] for i in call.rows], list(call.seeds), hand))
    calls = calls_made(writer, monkeypatch)
    writer.write_page(lines, seed=seed, style=style)
    assert calls == expected
    app = create_app(*tiny_models)
    calls = calls_made(app.state.models.synthesis, monkeypatch)
    body = {"lines": lines, "seed": seed}
    if styled:
        body["style"] = {"strokes": rounded(style[0]), "text": "ca"}
    assert TestClient(app).post("/api/write", json=body).status_code == 200
    assert [unpadded(call, len(want[0])) for call, want in zip(calls, expected)] == expected
    assert len(calls) == len(expected)


@pytest.mark.parametrize("first, primed", [("night,", "night"), ("end.\"", "end"),
                                           ("no mark", "no mark"), ("...", "..."),
                                           ("a, b", "a, b")])
def test_the_first_line_primes_the_page_without_its_final_marks(first, primed):
    from text import PageCall, hand_of

    call = PageCall((1, 2), (5, 6), "first")
    strokes = np.zeros((4, 3))
    assert hand_of(call, None, [first, "x", "y"], [strokes]) == (strokes, primed)


def unpadded(call, rows):
    """A call of the web page's batcher without the rows it repeats to pad the batch."""
    texts, seeds, hand = call
    assert all((t, s) == (texts[rows - 1], seeds[rows - 1])
               for t, s in zip(texts[rows:], seeds[rows:]))
    return texts[:rows], seeds[:rows], hand


# ---------------------------------------------------------------- typography


@pytest.fixture(scope="module")
def typed_writer(tmp_path_factory):
    """A tiny synthesis model whose alphabet holds everything TYPOGRAPHY folds onto."""
    folder = tmp_path_factory.mktemp("typed") / "synthesis"
    alphabet = "".join(sorted(set("".join(TYPOGRAPHY.values())) | set(ALPHABET)))
    tiny.save_tiny_model(folder, synthesis=True, alphabet=alphabet, num_layers=2)
    return folder


def typed_texts():
    """Every character of the table (one that folds to nothing between letters), in lines
    of at most 100 when folded: (as typed, as folded by hand)."""
    typed = [f"a{c}b" if not TYPOGRAPHY[c] else c for c in sorted(TYPOGRAPHY)]
    halves = [typed[k::2] for k in range(2)]
    return [(" ".join(t), " ".join("".join(TYPOGRAPHY.get(c, c) for c in w) for w in t))
            for t in halves]


def test_typography_is_written_as_its_fold_at_every_entrance(typed_writer, tiny_models,
                                                             tmp_path, capsys):
    writer = load_model(typed_writer)
    folder = tmp_path / "export"
    export_saved_model(writer.network, folder)
    saved = tf.saved_model.load(str(folder))
    client = TestClient(create_app(tiny_models[0], typed_writer, tiny_models[2]))
    for k, (typed, folded) in enumerate(typed_texts()):
        assert set(typed) - set(writer.alphabet) and not set(folded) - set(writer.alphabet)
        want, info = writer.write(folded, seed=k)
        got, typed_info = writer.write(typed, seed=k)  # model.write
        np.testing.assert_array_equal(got, want)
        assert typed_info["text"] == folded
        out = saved.write(text=typed, seed=k, bias=0.0)  # the SavedModel, folding in its graph
        np.testing.assert_array_equal(out["strokes"].numpy(),
                                      saved.write(text=folded, seed=k, bias=0.0)["strokes"])
        api = client.post("/api/write", json={"text": typed, "seed": k, "tries": 1}).json()
        plain = client.post("/api/write", json={"text": folded, "seed": k, "tries": 1}).json()
        # wrapped into the page's lines as the folded text is
        assert [line["text"] for line in api["lines"]] == [line["text"] for line in plain["lines"]]
        assert " ".join(line["text"] for line in api["lines"]) == folded
        assert api["strokes"] == plain["strokes"]
        assert api["note"].startswith("written as the alphabet has them") and not plain["note"]
        flags = ["--model_dir", typed_writer, "--seed", k, "--tries", 1, "--line_length", 100,
                 "--recognizer_dir", tiny_models[2]]
        cli_typed = cli(tmp_path, *flags, "--text", typed)
        assert "warning: written as the alphabet has them" in capsys.readouterr().err
        cli_folded = cli(tmp_path, *flags, "--text", folded)
        np.testing.assert_array_equal(cli_typed.strokes, cli_folded.strokes)
        assert "warning" not in capsys.readouterr().err


def test_the_page_folds_typography_as_the_server_does(client):
    health = client.get("/api/health").json()
    assert health["typography"] == TYPOGRAPHY
    assert folding_note("“a”") == "written as the alphabet has them: '“' as '\"', '”' as '\"'"
    assert folding_note("plain 'text'") == ""
