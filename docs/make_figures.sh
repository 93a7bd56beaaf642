#!/usr/bin/env bash
# The README's pictures, from the shipped models in save/ and save/synthesis/, with fixed seeds,
# and the notebook's outputs.
# None of them holds a line of IAM-OnDB: the primed sample is primed with the model's own writing.
set -euo pipefail
cd "$(dirname "$0")/.."
python sample.py --filename docs/readme --seed 7 --sample_length 700 --png
python sample.py --filename docs/biased --seed 7 --sample_length 700 --bias 1.5
python - <<'PY'
import numpy as np
from model import load_model
strokes, _ = load_model("save").sample(350, seed=21, bias=1.0)
strokes[0, :2] = 0  # a line starts with a zero step
np.save("docs/own_writing.npy", strokes)
PY
python sample.py --filename docs/primed --seed 8 --sample_length 500 --prime docs/own_writing.npy
rm docs/own_writing.npy
# keep what the README shows
rm -f docs/readme.{color,multi_color}.svg docs/biased.{color,multi_color,eos_pdf,pdf}.svg \
  docs/primed.{color,multi_color,eos_pdf,pdf}.svg
python docs/make_synthesis_figures.py
# the first page of docs/letter.txt on A5, as docs/paper.md shows it
python sample.py --text_file docs/letter.txt --paper a5 --margins 15 --lifelike --seed 3 \
  --filename docs/paper --png
mv docs/paper.page-1.png docs/paper.png
rm -f docs/paper.page-*.{svg,png} docs/paper.pdf
# the notebook, run in place with the data set out of reach, so that its outputs hold no
# IAM-OnDB line
IAM_ONDB=/nonexistent python - <<'PY'
import nbclient
import nbformat

path = "notebooks/handwriting.ipynb"
notebook = nbformat.read(path, as_version=4)
nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": "notebooks"}}).execute()
nbformat.write(notebook, path)
PY
