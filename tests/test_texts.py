"""Strokes paired with their text: IAM-OnDB's ascii transcriptions, the alphabet and
the whole-line batches of synthesis. Every test writes its own lineStrokes and ascii
files (tests/xmlgen.py)."""

import numpy as np
import pytest
import xmlgen

import iam_ondb
import utils
from text import MIN_CHAR_COUNT, encode_text


def make_corpus(rng, forms=8, lines_per_form=4):
    """({line id: strokes}, {form: [CSR lines]}) with one text line per stroke file."""
    strokes, texts = {}, {}
    for f in range(forms):
        form = xmlgen.form_of(xmlgen.line_id(f * 6))
        texts[form] = []
        for n in range(1, lines_per_form + 1):
            text = " ".join("".join(rng.choice(list("abcdef"), size=rng.integers(1, 6)))
                            for _ in range(rng.integers(1, 4)))
            texts[form].append(text)
            strokes[f"{form}-{n:02d}"] = xmlgen.random_line(rng, int(rng.integers(30, 90)))
    return strokes, texts


@pytest.fixture
def corpus():
    return make_corpus(np.random.default_rng(0))


def write_both(root, strokes, texts, packed=False):
    lines_dir = xmlgen.write_data_folder(root, strokes)
    ascii_dir = xmlgen.write_ascii_folder(root, texts)
    if packed:
        xmlgen.pack_archive(lines_dir, root / "packed" / iam_ondb.ARCHIVE_NAME)
        xmlgen.pack_ascii_archive(ascii_dir, root / "packed" / iam_ondb.ASCII_ARCHIVE_NAME)
        return root / "packed"
    return root


def load(data_dir, **kwargs):
    kwargs = {"batch_size": 4, "seq_length": 20, "seed": 0, "progress": False,
              "texts": True, **kwargs}
    return utils.DataLoader(data_dir, **kwargs)


# ---------------------------------------------------------------- reading texts


@pytest.mark.parametrize("raw, want", [
    ("A MOVE to stop Mr . Gaitskell", "A MOVE to stop Mr. Gaitskell"),
    ("it 's , he 'll ; they 're : I 'm ? you 've ! she 'd", "it's, he'll; they're: I'm? "
                                                           "you've! she'd"),
    ("( a note )  and   spaces ", "(a note) and spaces"),
    ("' quoted ' words", "' quoted ' words"),  # quotes: which side? left alone
    ("tabs\tand\r", "tabs and"),
])
def test_normalize_text_undoes_the_tokenisation_spaces(raw, want):
    assert iam_ondb.normalize_text(raw) == want


def test_csr_lines_reads_only_the_csr_section():
    blob = xmlgen.ascii_text(["first line", "second # line"], ocr_lines=["printed", "text"])
    assert iam_ondb.csr_lines(blob.decode("latin-1")) == ["first line", "second # line"]
    assert iam_ondb.csr_lines("OCR:\n\nno handwriting section\n") is None


@pytest.mark.parametrize("packed", [False, True])
def test_every_line_gets_the_text_of_its_number(tmp_path, corpus, packed):
    strokes, texts = corpus
    loader = load(write_both(tmp_path, strokes, texts, packed))
    for line_id, text in zip(loader.line_ids, loader.texts):
        form, number = line_id.rsplit("-", 1)
        assert text == iam_ondb.normalize_text(texts[form][int(number) - 1])
    assert loader.text_skipped == {"no_transcription": 0, "count_mismatch": 0,
                                   "empty_text": 0}


def test_the_archive_path_finds_the_ascii_archive_beside_it(tmp_path, corpus):
    packed = write_both(tmp_path, *corpus, packed=True)
    loader = load(packed / iam_ondb.ARCHIVE_NAME)
    assert all(t is not None for t in loader.texts)


def test_what_does_not_pair_is_skipped_counted_and_reported(tmp_path, corpus, capsys):
    strokes, texts = corpus
    forms = list(texts)
    texts[forms[0]] = texts[forms[0]][:-1]  # a form with one text line too few
    texts[forms[1]][2] = "   "  # a line with no text
    del texts[forms[2]]  # a form with no transcription
    loader = load(write_both(tmp_path, strokes, texts), progress=True)
    by_id = dict(zip(loader.line_ids, loader.texts))
    assert all(by_id[i] is None for i in by_id if i.startswith(forms[0] + "-"))
    assert all(by_id[i] is None for i in by_id if i.startswith(forms[2] + "-"))
    assert by_id[f"{forms[1]}-03"] is None and by_id[f"{forms[1]}-02"] is not None
    assert loader.text_skipped == {"no_transcription": 4, "count_mismatch": 4,
                                   "empty_text": 1}
    assert sum(t is not None for t in loader.texts) == len(strokes) - 9
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "23 with their text" in line
    assert "4 in forms without a transcription" in line
    assert "4 in forms whose line count differs" in line and "1 with an empty text" in line
    assert str(loader.cache_path) in line
    # skipped lines are not trained on
    assert set(loader.train_ids).isdisjoint(i for i, t in by_id.items() if t is None)


def test_texts_without_transcriptions_is_a_clear_error(tmp_path, corpus):
    root = tmp_path / "only_strokes"
    xmlgen.write_data_folder(root, corpus[0])
    with pytest.raises(FileNotFoundError, match=iam_ondb.ASCII_ARCHIVE_NAME):
        load(root)
    assert load(root, texts=False).texts[0] is None  # the strokes alone still load


def test_cache_holds_the_texts_and_is_rebuilt_when_they_change(tmp_path, corpus, monkeypatch):
    strokes, texts = corpus
    packed = write_both(tmp_path, strokes, texts, packed=True)
    first = load(packed)
    monkeypatch.setattr(utils, "read_lines", lambda *a, **k: pytest.fail("cache not used"))
    assert load(packed).texts == first.texts
    monkeypatch.undo()
    form = next(iter(texts))
    texts[form][0] = "changed words"
    ascii_dir = xmlgen.write_ascii_folder(tmp_path / "new", texts)
    xmlgen.pack_ascii_archive(ascii_dir, packed / iam_ondb.ASCII_ARCHIVE_NAME)
    again = load(packed)
    assert again.texts[again.line_ids.index(f"{form}-01")] == "changed words"


# ---------------------------------------------------------------- alphabet and batches


def test_alphabet_is_every_character_held_min_count_times_in_the_training_texts(tmp_path,
                                                                                corpus):
    strokes, texts = corpus
    form = next(iter(texts))
    texts[form][0] = "Q Q Q z"  # Q three times: in; z once: out
    loader = load(write_both(tmp_path, strokes, texts))
    counts = {}
    for t in loader.train_texts:
        for c in t:
            counts[c] = counts.get(c, 0) + 1
    want = "".join(sorted(c for c, n in counts.items() if n >= MIN_CHAR_COUNT))
    assert loader.alphabet == want
    assert ("Q" in want) == (counts.get("Q", 0) >= 3) and "z" not in want
    # a given alphabet (a resumed model's) is kept, and its unknowns become index 0
    fixed = load(write_both(tmp_path, strokes, texts), alphabet="abc ")
    assert fixed.alphabet == "abc "
    for text, chars in zip(fixed.train_texts, fixed.train_chars):
        np.testing.assert_array_equal(chars, ["abc ".find(c) + 1 for c in text])


def test_encode_text_names_unknown_characters():
    assert list(encode_text("abba", "ab")) == [1, 2, 2, 1]
    with pytest.raises(ValueError, match=r"'x' 'y'"):
        encode_text("axby", "ab")
    assert list(encode_text("axby", "ab", unknown="keep")) == [1, 0, 2, 0]


def test_validation_lines_are_those_of_the_unconditional_split(tmp_path):
    rng = np.random.default_rng(1)
    strokes, texts = make_corpus(rng, forms=12, lines_per_form=5)
    root = write_both(tmp_path, strokes, texts)
    with_texts, without = load(root), load(root, texts=False)
    assert with_texts.valid_ids == without.valid_ids and with_texts.valid_ids
    assert set(with_texts.train_ids).isdisjoint(with_texts.valid_ids)
    # short lines (at most seq_length + 2 points) train synthesis too
    short = [i for i, a in zip(with_texts.line_ids, with_texts.raw_data) if len(a) <= 22]
    assert set(short) <= set(with_texts.train_ids)


def test_text_batches_are_whole_lines_of_neighbouring_lengths(tmp_path, corpus):
    loader = load(write_both(tmp_path, *corpus), batch_size=4)
    by_id = {i: a for i, a in zip(loader.line_ids, loader.raw_data)}
    lengths = sorted(len(by_id[i]) for i in loader.train_ids)
    for _ in range(5):
        x, y, mask, chars = loader.next_batch()
        assert x.shape == y.shape and x.shape[:2] == mask.shape and x.shape[1] % 64 == 0
        n = mask.sum(1).astype(int) + 1  # the points of each line
        # a run of 4 neighbours in length order
        assert any(lengths[k:k + 4] == sorted(n) for k in range(len(lengths)))
        for row in range(4):
            np.testing.assert_array_equal(x[row, 0], utils.START)
            np.testing.assert_array_equal(x[row, 1:n[row] - 1], y[row, :n[row] - 2])
            assert not y[row, n[row] - 1:].any()
            written = chars[row][chars[row] >= 0]
            assert chars.shape[1] == loader.text_width
            assert any(np.array_equal(written, c) for c in loader.train_chars)


def test_rare_line_repeats_lift_each_line_to_its_rarest_characters_target():
    texts = ["ab a", "ab", "aX b", "b", "Q X", "  "]
    # lines holding each character, spaces aside, counted here by hand
    holders = {"a": 3, "b": 4, "X": 2, "Q": 1}
    want = [min(16, max(1, -(-5 // min(holders[c] for c in set(t) - {" "}))))
            if t.strip() else 1 for t in texts]
    assert want == [2, 2, 3, 2, 5, 1]
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 5), want)
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 5, cap=2), [2, 2, 2, 2, 2, 1])
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 0), [1] * 6)


def test_rare_line_repeats_never_repeat_a_line_with_a_word_struck_out():
    # "Q" is in one line of each kind; the struck-out one ("#") is a scribble to learn once
    texts = ["a Q b", "a # Q", "a b", "a b"]
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 3), [2, 1, 1, 1])


def test_rare_line_repeats_repeat_the_lines_of_weak_characters_cap_times():
    # "8" is in more lines than the target, so only naming it as weak repeats its lines;
    # "Q" stays lifted by its rarity; a struck-out line is never repeated
    texts = ["a 8", "b 8", "c 8 #", "a Q", "a b", "b a"]
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 2, cap=5), [1, 1, 1, 2, 1, 1])
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 2, cap=5, weak="8"),
                                  [5, 5, 1, 2, 1, 1])
    np.testing.assert_array_equal(utils.rare_line_repeats(texts, 0, cap=5, weak="8Q"),
                                  [5, 5, 1, 5, 1, 1])


def test_oversampling_trains_the_lines_of_rare_characters_more_often(tmp_path):
    rng = np.random.default_rng(2)
    strokes, texts = make_corpus(rng, forms=12, lines_per_form=5)
    forms = sorted(texts)
    texts[forms[0]][0] = "a Zed"  # the one line holding Z (and it trains: not a 20th)
    root = write_both(tmp_path, strokes, texts)
    plain, lifted = load(root), load(root, oversample=6)
    assert plain.train_ids == lifted.train_ids
    z = lifted.train_texts.index("a Zed")
    assert lifted.repeats[z] == 6 and lifted.repeats.sum() > len(lifted.data)
    capped = load(root, oversample=6, oversample_cap=2)
    assert capped.repeats[z] == 2 and capped.repeats.max() == 2
    assert "repeated up to 2 times" in capped.summary()
    assert lifted.num_batches == lifted.repeats.sum() // 4
    assert f"repeated up to {lifted.repeats.max()} times" in lifted.summary()
    assert "repeated" not in plain.summary()
    weak = load(root, oversample_chars="Z", oversample_cap=3)
    assert weak.repeats[z] == 3 and weak.repeats.sum() == len(weak.data) + 2
    assert "one of 'Z' repeated up to 3 times" in weak.summary()
    # without oversampling, the batches are those drawn before it existed
    np.testing.assert_array_equal(
        plain.batches.by_length,
        np.lexsort((np.random.default_rng(0).random(len(plain.data)),
                    [len(line) for line in plain.data])))
    # each line about as often as it repeats, over many batches
    seen = np.zeros(len(lifted.data))
    for _ in range(3000):
        np.add.at(seen, lifted.next_lines(), 1)
    ratio = seen[z] / np.median(seen[lifted.repeats == 1])
    assert 3 < ratio < 10, ratio
    # the copies spread among lines of about the same length, not in one run
    order = list(lifted.batches.by_length)
    places = [k for k, line in enumerate(order) if line == z]
    assert len(places) == 6 and places[-1] - places[0] > 6
    length = len(lifted.data[z])
    assert all(abs(len(lifted.data[line]) - length) <= 0.25 * length
               for line in order[places[0]:places[-1]])


def test_oversampling_is_for_models_with_texts():
    from config import Config, FieldError

    with pytest.raises(FieldError, match="oversample"):
        Config(oversample=100)
    assert Config(synthesis=True, oversample=100).oversample == 100
    with pytest.raises(FieldError, match="oversample"):
        Config(oversample_chars="8")
    with pytest.raises(FieldError, match="oversample_cap"):
        Config(synthesis=True, oversample=100, oversample_cap=0)


# ---------------------------------------------------------------- the real data


@pytest.mark.slow
def test_real_iam_ondb_pairs_its_lines_with_their_texts(tmp_path):
    import os
    from pathlib import Path

    real = Path(os.environ.get("IAM_ONDB", Path(__file__).resolve().parents[1] / "data"))
    try:
        kind, path = iam_ondb.resolve_source(real)
    except FileNotFoundError:
        pytest.skip(f"IAM-OnDB not found at {real}: set IAM_ONDB to the folder holding "
                    f"{iam_ondb.ARCHIVE_NAME} and {iam_ondb.ASCII_ARCHIVE_NAME}")
    if iam_ondb.resolve_text_source(real, kind, path) is None:
        pytest.skip(f"no {iam_ondb.ASCII_ARCHIVE_NAME} beside the strokes at {real}")
    loader = load(real, cache_dir=tmp_path, batch_size=32, seq_length=300)
    # the development copy: two forms whose text has another number of lines
    assert sum(t is not None for t in loader.texts) == 10_762
    assert loader.text_skipped == {"no_transcription": 0, "count_mismatch": 17,
                                   "empty_text": 0}
    assert {"Q", "X", "Z", "#", "q", "x", "z", "0", "9"} <= set(loader.alphabet)
    assert not {"&", "*"} & set(loader.alphabet)
    assert 0.04 < loader.chars_per_point < 0.05  # a character in about 22 points
    without = load(real, cache_dir=tmp_path, texts=False, seq_length=300)
    assert set(loader.valid_ids) <= set(without.valid_ids)
    assert len(without.valid_ids) - len(loader.valid_ids) <= 2
    x, y, mask, chars = loader.next_batch()
    assert x.shape[0] == 32 and chars.shape == (32, loader.text_width)


def test_the_end_mark_is_a_space_after_a_last_letter_or_digit_only():
    from text import end_mark

    alphabet = " .,abc1"
    assert [end_mark(t, alphabet) for t in ("abc", "a 1", "ab.", "a,", "a b!")] == \
        [" ", " ", "", "", ""]
    assert end_mark("abc", "abc") == ""  # an alphabet without a space reads none
