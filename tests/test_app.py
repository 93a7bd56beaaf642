"""The web page's server (app.py), in-process: the API, its limits and bad inputs,
and the batching of concurrent requests."""

import numpy as np
import pytest

from model import load_model
from tests.tiny import save_tiny_model


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A tiny unconditional model and a tiny synthesis model, saved as train.py would."""
    root = tmp_path_factory.mktemp("models")
    save_tiny_model(root / "free")
    save_tiny_model(root / "synthesis", synthesis=True, alphabet="abc ", num_layers=2)
    return root / "free", root / "synthesis"


# ---------------------------------------------------------------- one seed per row


def test_a_row_with_its_own_seed_does_not_depend_on_its_neighbours(tiny_models):
    free, synthesis = (load_model(d) for d in tiny_models)
    pair, _ = free.sample(300, num_samples=2, seed=[7, 8])
    crowd, _ = free.sample(300, num_samples=5, seed=[1, 2, 7, 3, 4])
    np.testing.assert_array_equal(pair[0], crowd[2])
    assert not np.array_equal(crowd[0], crowd[2])  # the seeds do differ
    alone, infos = synthesis.write(["ab", "ab"], seed=[5, 6])
    mixed, mixed_infos = synthesis.write(["cab cab cab cab", "ab", "c"], seed=[1, 5, 2])
    np.testing.assert_array_equal(alone[0], mixed[1])
    assert [i["seed"] for i in mixed_infos] == [1, 5, 2]
    with pytest.raises(ValueError, match="one seed per row"):
        synthesis.write(["ab", "ab"], seed=[5])
