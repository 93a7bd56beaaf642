"""The three kinds of model a folder holds, and what differs between them, declared once
each: free writing (Graves section 4), synthesis (section 5: a text, read through the
soft window) and the reader (recognizer.py: strokes in, text out).

A kind says how train.py starts a new run of it (its flag, recipe and folder), whether it
learns from lines with their texts (whose characters become its alphabet), how its
network is built, what load_model makes of it, its training batches, its validation
figures and its SavedModel. config.json names the kind ("kind"; a folder saved before
kinds were named says it by its synthesis and recognizer fields): `of(config)` gives
it. A new kind of model is a new Kind here. Light to import: what needs TensorFlow is
imported where it is used.
"""

import dataclasses

FREE, SYNTHESIS, READER = "free", "synthesis", "reader"


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    what: str  # how messages name a model of the kind
    flag: str  # train.py's flag that asks for it ("" for the default kind)
    run_dir: str  # where train.py puts a new run unless --model_dir says otherwise
    recipe: dict  # train.py's defaults where the flags say nothing
    paired: bool  # it learns from lines with their texts: its alphabet is theirs

    def how_to_train(self, model_dir):
        """How to get a model of the kind into model_dir, for a message."""
        flag = f" {self.flag}" if self.flag else ""
        return f"train one with `python train.py{flag} --model_dir {model_dir}`"

    def build(self, config, loader=None):
        """The network config describes; loader: the training data, for a new run."""
        raise NotImplementedError

    def ready(self, network, model_dir):
        """What load_model returns: the network as it is used."""
        return network

    def batches(self, loader, config):
        """The training batches, from the DataLoader."""
        return loader

    def validate(self, network, loader):
        """The validation figures train.py logs (evaluate.py's), or {} without lines."""
        from evaluate import score_lines

        if not loader.valid_data:
            return {}
        return score_lines(network, loader.valid_data,
                           loader.valid_texts if self.paired else None)

    def progress(self, train, valid):
        """The progress bar's figures of the losses: in raw nats per point, the unit of
        evaluate.py's nll_per_point_raw and of the README."""
        return f"nats/point (raw units): train {_shown(train, '.3f')}, valid {_shown(valid, '.3f')}"

    progress_figure = "nll_per_point_raw"  # the validation figure the progress bar shows

    def loss_offset(self, config):
        """What turns the training loss into the progress bar's units (model units to
        raw tablet units: utils.raw_units_offset)."""
        from utils import raw_units_offset

        return raw_units_offset(config.data_scale)

    def saved_model(self, network):
        """export.py's tf.Module of the network."""
        raise ValueError(f"{self.what} has no SavedModel export")


def _shown(value, form):
    return "-" if value in (None, "") else format(value, form)


class FreeWriting(Kind):
    def build(self, config, loader=None):
        from model import HandwritingModel

        return _built(HandwritingModel(config))

    def ready(self, network, model_dir):
        from writer import FreeWriter

        return FreeWriter(network)

    def saved_model(self, network):
        from export import free_writing_module

        return free_writing_module(network)


class Synthesis(Kind):
    def build(self, config, loader=None):
        from model import SynthesisModel

        # a new run's window starts at the pace of its training lines
        pace = {} if loader is None else {"chars_per_step": loader.chars_per_point}
        return _built(SynthesisModel(config, **pace))

    def ready(self, network, model_dir):
        from config import load_styles
        from writer import Writer

        return Writer(network, styles=load_styles(model_dir))

    def saved_model(self, network):
        from export import synthesis_module

        return synthesis_module(network)


class Reading(Kind):
    progress_figure = "valid_cer"

    def build(self, config, loader=None):
        from recognizer import build_recognizer

        return build_recognizer(config)

    def batches(self, loader, config):
        from recognizer import ReadingBatches

        return ReadingBatches(loader, config.alphabet)

    def validate(self, network, loader):
        """Its character error rates on the validation lines people wrote, and on lines
        of the characters of UNIPEN writers it never saw."""
        from evaluate import legibility_figures

        figures = legibility_figures(network, loader.valid_lines, loader.valid_texts,
                                     prefix="valid_")
        if loader.unipen_valid:
            figures.update(legibility_figures(network, *loader.unipen_valid,
                                              prefix="valid_unipen_"))
        return figures

    def progress(self, train, valid):
        """Its CTC loss per line and its validation character error rate (spaces
        ignored)."""
        return f"CTC nats/line: train {_shown(train, '.2f')}, valid CER {_shown(valid, '.4f')}"

    def loss_offset(self, config):
        return 0.0  # a CTC loss has no units to convert


def _built(network):
    network.build()
    return network


# What `train.py --synthesis` starts from, where the flags say nothing: Graves' three
# layers of 400 (section 5.2) with skip connections, and what fits the 12 hours this
# model had on a two-core CPU (docs/synthesis.md, "Sizing": 6,200 points/s measured).
SYNTHESIS_RECIPE = {"rnn_size": 400, "num_layers": 3, "skip_connections": True,
                    "batch_size": 32, "learning_rate": 0.001, "keep_prob": 0.9,
                    "num_epochs": 30}

# What `train.py --recognizer` starts from: a reader of ~1.1 M parameters (two 1-D
# convolutions, three bidirectional LSTMs of 128 each way) sized to train in under
# four hours on a two-core CPU (README "Reading handwriting").
RECOGNIZER_RECIPE = {"rnn_size": 128, "num_layers": 3, "batch_size": 32, "learning_rate": 0.001,
                     "keep_prob": 0.9, "grad_clip": 5.0, "num_epochs": 40, "decay_rate": 0.95}

KINDS = {kind.name: kind for kind in (
    FreeWriting(FREE, "a model that writes freely and reads no text", "", "runs/handwriting",
                {}, False),
    Synthesis(SYNTHESIS, "a synthesis model (it writes a given text)", "--synthesis",
              "runs/synthesis", SYNTHESIS_RECIPE, True),
    Reading(READER, "a recogniser (it reads handwriting)", "--recognizer", "runs/recognizer",
            RECOGNIZER_RECIPE, True),
)}


def of(config):
    """The kind of the model config describes."""
    return KINDS[config.kind]


def asked(flags):
    """The kind train.py's flags ask for ({field: value} of the flags given)."""
    return next((kind for kind in KINDS.values()
                 if kind.flag and flags.get(kind.flag.lstrip("-"))), KINDS[FREE])
