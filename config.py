"""The model's configuration and its folder, without TensorFlow: what config.json
holds, the defaults, help texts and ranges of train.py's flags (flags.py), which fields
fix the shape of the weights, the names of the files in a model folder (and a synthesis
model's named hands, styles.json), and where the shipped models are. The commands read
it before TensorFlow loads, so that --help and usage errors answer at once; model.py
builds the networks from it.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np

from cleaning import NO_CLEANING, STEPS, parse_steps, spec_of
from files import write_atomic
from flags import FieldError, check_fields, flag
from kinds import FREE, KINDS, READER, SYNTHESIS
from utils import MAX_REPEATS

# a model folder: its config, its training log (train.py) and its checkpoints,
# ckpt-STEP, of which training keeps the last CHECKPOINTS_KEPT (model.checkpoint_manager)
CONFIG_NAME = "config.json"
LOG_NAME = "log.csv"
CHECKPOINT_NAME = "ckpt"
CHECKPOINTS_KEPT = 2
STYLES_NAME = "styles.json"  # a synthesis model's named hands (load_styles, below)

# the shipped models, relative to the project folder: the commands' defaults
FREE_MODEL_DIR = "save"  # writes freely (model.sample)
SYNTHESIS_DIR = "save/synthesis"  # writes a text (model.write)
RECOGNIZER_DIR = "save/recognizer"  # reads handwriting (recognizer.py)
SHIPPED_DIRS = (FREE_MODEL_DIR, SYNTHESIS_DIR, RECOGNIZER_DIR)
# model.write(..., tries): candidates of a line, of which the recogniser keeps the one it
# reads best; what sample.py --text and the web page write by default: two, since a third
# try costs more than 1.6x one try's time on a two-core CPU (bench.py --only tries;
# docs/synthesis.md)
DEFAULT_TRIES = 2
# the bias a text is written at unless told otherwise, by the web page and sample.py --text
# (in the model's first named hand): neat, and as legible as people's lines (README);
# model.write's own default stays 0, the raw model, as a library call expects
PAGE_BIAS = 0.75
OWN_HAND = "own"  # sample.py --style own: the model's own hand, however many named hands it has
MAX_TRIES = 16
# Fields that fix the shape of the weights: a model_dir holding other values
# cannot be resumed with these.
ARCHITECTURE = ("model", "rnn_size", "num_layers", "num_mixture", "skip_connections", "peephole",
                "synthesis", "window_mixtures", "alphabet", "recognizer")

@dataclasses.dataclass
class Config:
    """Everything needed to rebuild a model and continue its training: the defaults,
    and the help and range of train.py's flag of the same name."""

    model: str = flag("lstm", "the recurrent layers: lstm (Graves' LSTM, lstm.py), gru or rnn "
                      "(Keras' cells)", choices=("lstm", "gru", "rnn"))
    rnn_size: int = flag(256, "size of RNN hidden state", check="positive")
    num_layers: int = flag(2, "number of layers in the RNN", check="positive")
    num_mixture: int = flag(20, "number of gaussian mixtures", check="positive")
    keep_prob: float = flag(0.8, "dropout keep probability (on each recurrent layer's output)",
                            check="probability")
    skip_connections: bool = flag(False, "Graves' skip connections: the input feeds every "
                                  "layer, every layer the output")
    peephole: bool = flag(False, "LSTM with peephole connections (Graves eq. 7-11; slower)")
    data_scale: float = flag(20.0, "factor to scale raw data down by", check="positive")
    limit: float = flag(500.0, "clamp raw steps to +-limit tablet units", check="positive")
    batch_size: int = flag(50, "minibatch size", check="positive")
    seq_length: int = flag(300, "RNN sequence length", check="positive")
    num_epochs: int = flag(30, "number of epochs", check="positive")
    learning_rate: float = flag(0.005, "learning rate", check="positive")
    decay_rate: float = flag(0.95, "decay rate for the learning rate, per epoch",
                             check="positive")
    grad_clip: float = flag(10.0, "clip gradients at this global norm", check="positive")
    optimizer: str = flag("adam", "adam or rmsprop", choices=("adam", "rmsprop"))
    synthesis: bool = flag(False, "the network that writes a given text (section 5), trained "
                           "on whole lines with their texts; other defaults then "
                           "from kinds.SYNTHESIS_RECIPE")
    recognizer: bool = flag(False, "the network that reads handwriting (strokes in, text out), "
                            "trained with CTC on whole lines with their texts; other defaults "
                            "then from kinds.RECOGNIZER_RECIPE")
    window_mixtures: int = flag(10, "K, the Gaussians of the soft window", check="positive")
    clean: str = flag(NO_CLEANING, "clean the training lines (the validation lines stay raw): "
                      f"a comma-separated list of {', '.join(STEPS)}, or all "
                      "(docs/cleaning.md)")
    oversample: int = flag(0, "train a line whose rarest character fewer than N training lines "
                           "hold ceil(N / lines holding it) times an epoch, at most "
                           "--oversample_cap (digits, capitals, brackets; 0: every line once)",
                           check="non-negative")
    oversample_cap: int = flag(MAX_REPEATS, "the most copies of one line an epoch that "
                               "--oversample makes", check="positive")
    oversample_chars: str = flag("", "characters written worst (the reader's per-character "
                                 "table, docs/recognizer.md): a training line holding one is "
                                 "trained --oversample_cap times an epoch, however many "
                                 "lines hold it")
    unipen_lines: float = flag(0.0, "the share of training lines composed of one UNIPEN "
                               "writer's characters (composing.py; needs --unipen): for the "
                               "characters IAM-OnDB holds too rarely to be learnt",
                               check="share")
    unipen_beside: float = flag(0.0, "the share of IAM-OnDB training lines written with a run "
                                "of one UNIPEN writer's characters before or after them "
                                "(needs --unipen)", check="share")
    unipen_rare: float = flag(1.0, "for --unipen_lines and --unipen_beside, draw a UNIPEN "
                              "writer's character that n < --oversample IAM-OnDB training "
                              "lines hold ceil(N / n) times as often as the rest, at most "
                              "this many times (1: all alike)", check="positive")
    exclude: str = flag("", "a file of line ids (a01-000u-01, one a line) to leave out of "
                        "training, e.g. the lines whose ink and text part ways at the end "
                        "(evaluate.py --overruns)")
    alphabet: str = flag("", "the characters a synthesis model writes (a recogniser reads), "
                         "from its training texts", command_line=False)

    def __post_init__(self):
        check_fields(self)  # the ranges and choices declared above
        try:  # saved as the steps it names, in their order: "level,smooth", or "none"
            self.clean = spec_of(parse_steps(self.clean))
        except ValueError as err:
            raise FieldError(f"clean: {err}") from None
        if self.peephole and self.model != "lstm":
            raise FieldError("peephole connections exist only for model=lstm")
        if self.synthesis and (self.model != "lstm" or self.peephole):
            raise ValueError("a synthesis network is built of plain LSTM layers: "
                             "drop --model and --peephole")
        if (self.oversample or self.oversample_chars or self.unipen_lines or self.unipen_beside) \
                and not (self.synthesis or self.recognizer):
            raise FieldError("oversample, unipen: the unconditional model's windows have no "
                             "texts; they are for --synthesis or --recognizer")
        if self.unipen_rare < 1:
            raise FieldError("unipen_rare: at least 1 (1: every character alike)")
        if self.unipen_rare != 1 and not self.oversample:
            raise FieldError("unipen_rare: the rare characters are those fewer than "
                             "--oversample lines hold; give --oversample too")
        if self.unipen_lines + self.unipen_beside > 1:
            raise FieldError("unipen_lines + unipen_beside: shares of the training lines, "
                             "at most 1 together")
        if self.recognizer and (self.synthesis or self.model != "lstm" or self.peephole
                                or self.skip_connections):
            raise ValueError("a recogniser is built of plain bidirectional LSTM layers: "
                             "drop --synthesis, --model, --peephole and --skip_connections")

    @property
    def output_size(self):
        return 1 + 6 * self.num_mixture

    @property
    def kind(self):
        """The name of the model's kind (kinds.py): what its flags asked for."""
        return READER if self.recognizer else SYNTHESIS if self.synthesis else FREE

    def save(self, model_dir):
        text = json.dumps({"kind": self.kind, **dataclasses.asdict(self)}, indent=2) + "\n"
        write_atomic(Path(model_dir) / CONFIG_NAME, text.encode())

    @classmethod
    def load(cls, model_dir):
        path = Path(model_dir) / CONFIG_NAME
        try:
            fields = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no {CONFIG_NAME} in '{model_dir}': give a folder train.py wrote (a new "
                f"run goes to runs/), or one of the shipped models: {', '.join(SHIPPED_DIRS)}"
            ) from None
        kind = fields.pop("kind", None)  # named since kinds.py; before, by the fields alone
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(fields) - known
        if unknown:
            raise ValueError(f"{path}: unknown fields {sorted(unknown)}")
        try:
            config = cls(**fields)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        if kind not in (None, config.kind):
            raise ValueError(f"{path}: kind {kind!r}, but its fields describe a "
                             f"{config.kind!r} model")
        return config


def holds_model(model_dir):
    """Whether model_dir holds a model folder's config.json (a model to load)."""
    return (Path(model_dir) / CONFIG_NAME).is_file()


def folder_problem(model_dir, kind=None):
    """What stops model_dir from holding a model to load, for a message ("does not exist:
    train one with ..."), or None; kind (kinds.FREE, SYNTHESIS, READER): the kind the
    caller needs, whose training command the message gives. No TensorFlow: the commands
    ask it before TensorFlow loads."""
    path = Path(model_dir)
    how = KINDS[kind or FREE].how_to_train(model_dir)
    shipped = any(path == Path(d) for d in SHIPPED_DIRS)
    if not path.exists():
        if shipped:
            how = (f"run from the project folder, whose {model_dir}/ holds the shipped model, "
                   f"or {how}")
        return f"does not exist: {how}"
    if not path.is_dir():
        return f"is a file, not a folder: {how}"
    if not any(path.iterdir()):
        return f"is empty: {how}"
    if not holds_model(path):
        return f"holds no model (no {CONFIG_NAME}): {how}"
    return None


def load_styles(model_dir):
    """A model folder's named hands, {name: (strokes [T, 3] float32, text)}, from its
    styles.json ({name: {"text": ..., "strokes": [[dx, dy, eos], ...]}}), or {}."""
    path = Path(model_dir) / STYLES_NAME
    if not path.exists():
        return {}
    try:
        named = json.loads(path.read_text())
        return {name: (np.asarray(hand["strokes"], np.float32), hand["text"])
                for name, hand in named.items()}
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a file of named hands ({err})") from None


def save_styles(model_dir, styles):
    """Write {name: (strokes, text)} as model_dir's styles.json (load_styles reads it)."""
    named = {name: {"text": text, "strokes": np.round(np.asarray(strokes, np.float64), 1)
                    .tolist()} for name, (strokes, text) in styles.items()}
    write_atomic(Path(model_dir) / STYLES_NAME, (json.dumps(named) + "\n").encode())
