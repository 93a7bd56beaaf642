"""A tiny untrained model saved the way train.py saves one, for tests that need a model_dir."""

import keras
import tensorflow as tf

from model import Config, build_model, checkpoint_for


def save_tiny_model(model_dir, seed=0, **fields):
    """Build a small model (rnn_size 16, 3 mixtures unless fields say otherwise) with
    seeded weights, and save config.json and a checkpoint in model_dir. Returns the model."""
    keras.utils.set_random_seed(seed)
    config = Config(**{"rnn_size": 16, "num_mixture": 3, **fields})
    model = build_model(config)
    model_dir.mkdir(parents=True, exist_ok=True)
    config.save(model_dir)
    manager = tf.train.CheckpointManager(checkpoint_for(model), str(model_dir), max_to_keep=2,
                                         checkpoint_name="ckpt")
    manager.save()
    return model
