"""Fixtures shared by several test files: generated data folders and a tiny saved model.

The test helpers are modules of this folder, imported as modules and named where used
(`import xmlgen` ... `xmlgen.random_lines(...)`); pyproject.toml's pythonpath puts this
folder on the path. The session fixtures are shared, so tests only read them (loading
a data folder writes its parsed-data cache beside it, the same for every test) and
train into their own --model_dir.
"""

from quiet import quiet_tensorflow

# as the commands do at their entrance, before anything loads TensorFlow (tiny does): the
# suite's worker processes, whose output is not captured, start without its chatter
quiet_tensorflow()

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tiny  # noqa: E402
import xmlgen  # noqa: E402

import train  # noqa: E402


@pytest.fixture(scope="session")
def random_data_dir(tmp_path_factory):
    """A data folder of 40 random lines of 60 to 199 points (xmlgen.random_line) laid out
    as IAM-OnDB's lineStrokes/. With --seq_length 20, 38 lines train and 2 validate."""
    root = tmp_path_factory.mktemp("random_data")
    rng = np.random.default_rng(0)
    xmlgen.write_data_folder(root, xmlgen.random_lines(rng, rng.integers(60, 200, size=40)))
    return root


@pytest.fixture(scope="session")
def font_data(tmp_path_factory):
    """(data folder, {form: texts}): 420 lines written in xmlgen.FONT with their ascii
    transcriptions, for train.py --synthesis."""
    root = tmp_path_factory.mktemp("font_data")
    texts = xmlgen.write_font_corpus(root, np.random.default_rng(0))
    return root, texts


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """(free, synthesis, reader): a tiny unconditional model, a tiny synthesis model that
    writes tiny.ALPHABET and a tiny recogniser that reads it, untrained, saved as
    train.py would, for the web app and the entrances."""
    root = tmp_path_factory.mktemp("models")
    tiny.save_tiny_model(root / "free")
    tiny.save_tiny_model(root / "synthesis", synthesis=True, alphabet=tiny.ALPHABET,
                         num_layers=2)
    tiny.save_tiny_model(root / "reader", recognizer=True, alphabet=tiny.ALPHABET, rnn_size=8,
                         num_layers=1)
    return root / "free", root / "synthesis", root / "reader"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model_dir holding a tiny untrained model (tiny.save_tiny_model's defaults)."""
    path = tmp_path_factory.mktemp("tiny_model")
    tiny.save_tiny_model(path)
    return path


# a reader of the font: 1 x 32 units, 120 steps
FONT_FLAGS = ["--recognizer", "--rnn_size", "32", "--num_layers", "1", "--batch_size", "8",
              "--learning_rate", "0.01", "--seq_length", "20", "--seed", "0",
              "--validate_every", "30", "--log_every", "10", "--max_steps", "120"]


@pytest.fixture(scope="session")
def font_reader(font_data, tmp_path_factory):
    """A tiny recogniser trained by train.py on font_data until it reads xmlgen.FONT
    (a few seconds): its model_dir."""
    data_dir, _ = font_data
    model_dir = tmp_path_factory.mktemp("font_reader")
    train.main([*FONT_FLAGS, "--data_dir", str(data_dir), "--model_dir", str(model_dir)])
    return model_dir
