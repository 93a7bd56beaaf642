"""The notebook runs top to bottom, headless, without a cell error, with both shipped models."""

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_notebook_executes_without_errors(tmp_path, monkeypatch):
    # a copy of the project layout, so that the run leaves nothing behind in the repo
    for source in [*ROOT.glob("*.py"), ROOT / "save"]:
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / source.name)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setenv("IAM_ONDB", str(tmp_path / "data"))  # absent: the no-data path
    notebook = nbformat.read(ROOT / "notebooks" / "handwriting.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path / "notebooks")}})
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = check_outputs(notebook)
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    # sample, pdf, eos, long, biased, primed; a written line, four biases, a page, three hands
    assert len(svgs) >= 10
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2  # the training curve, the window over the text
    printed = "".join(o.text for o in outputs if o.get("name") == "stdout")
    assert "stopped by: end" in printed  # the shipped synthesis model ends its line itself


def check_outputs(notebook):
    """A notebook's outputs, checked: no error, nothing on stderr (no TensorFlow start-up
    lines), and without IAM-OnDB one friendly sentence that says where to put it."""
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o.text for o in outputs if o.get("name") == "stderr"]
    printed = "".join(o.text for o in outputs if o.get("name") == "stdout")
    assert "IAM-OnDB is not in" in printed and "point IAM_ONDB at it" in printed
    assert "lineStrokes XML" not in printed  # the loader's error, meant for a command line
    return outputs


def test_the_committed_notebook_shows_its_outputs_without_data():
    notebook = nbformat.read(ROOT / "notebooks" / "handwriting.ipynb", as_version=4)
    outputs = check_outputs(notebook)
    assert sum("image/svg+xml" in o.get("data", {}) for o in outputs) >= 10
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
