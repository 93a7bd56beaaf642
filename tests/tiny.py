"""A tiny untrained model saved the way train.py saves one, for tests that need a model_dir."""

import keras

from config import Config
from model import build_model, checkpoint_for, checkpoint_manager

ALPHABET = "abc "  # what the tiny synthesis models of the tests write (conftest.tiny_models)


def save_tiny_model(model_dir, seed=0, **fields):
    """Build a small model (rnn_size 16, 3 mixtures unless fields say otherwise) with
    seeded weights, and save config.json and a checkpoint in model_dir. Returns the model."""
    keras.utils.set_random_seed(seed)
    config = Config(**{"rnn_size": 16, "num_mixture": 3, **fields})
    model = build_model(config)
    model_dir.mkdir(parents=True, exist_ok=True)
    config.save(model_dir)
    checkpoint_manager(checkpoint_for(model), model_dir).save()
    return model
