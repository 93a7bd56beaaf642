"""The README's pictures of the synthesis model in save/synthesis, with fixed seeds.

    python docs/make_synthesis_figures.py [--model_dir save/synthesis]

None of them holds a line of IAM-OnDB: the five styles are the model's own writing,
each written once from scratch, unbiased, with its own seed, and then used to prime
the model.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import SYNTHESIS_DIR  # noqa: E402
from drawing import as_drawn, draw_strokes, page_as_drawn, write_attention_png  # noqa: E402
from text import wrap_text  # noqa: E402
from utils import quiet_tensorflow  # noqa: E402

PAGE = ("Handwriting synthesis writes any text you type, in a hand of its own or in "
        "yours. It reads the text through a soft window that slides along the letters "
        "as the pen moves, and it stops when the window has passed the last one.")
SENTENCE = "A quick brown fox jumps over the lazy dog."
STYLE_TEXT = "Every writer has a hand of their own."
BIASES = (0.0, 0.5, 1.0, 2.0)
# lines of docs/sentences.txt for a model's before-and-after picture: digits, capitals
COMPARISON = ("The quick brown fox jumps over the lazy dog.",
              "She bought 3 apples, 12 pears and 7 plums.",
              "Quentin Zuckerman met Xavier in Quebec.",
              "Meet me at 10:45 by the old north gate.")
STYLE_SEEDS = (11, 12, 13, 14, 15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model_dir", default=str(ROOT / SYNTHESIS_DIR))
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--comparison", metavar="NAME",
                        help="only write synthesis.NAME.svg: the COMPARISON lines at bias "
                             "0.75, one try each, seeds 0 to 3 (a model before and after)")
    args = parser.parse_args()
    quiet_tensorflow()
    from model import load_model

    model = load_model(args.model_dir)
    out = Path(args.out)
    if args.comparison:
        lines, _ = model.write(list(COMPARISON), bias=0.75, seed=[0, 1, 2, 3])
        draw_strokes(page_as_drawn(lines), factor=10,
                     svg_filename=str(out / f"synthesis.{args.comparison}.svg"))
        return

    lines = wrap_text(PAGE, 45)
    strokes, _ = model.write_page(lines, bias=1.0, seed=5)
    draw_strokes(page_as_drawn(strokes), factor=10, svg_filename=str(out / "synthesis.page.svg"))

    # the same sentence at four biases, one under another, each with the same seed
    at_bias = [model.write(SENTENCE, bias=b, seed=7)[0] for b in BIASES]
    draw_strokes(page_as_drawn(at_bias), factor=10, svg_filename=str(out / "synthesis.biases.svg"))

    # one sentence in five styles: each style is the model's own line, written first
    styled = []
    for seed in STYLE_SEEDS:
        style, _ = model.write(STYLE_TEXT, bias=0.0, seed=seed)  # unbiased: hands vary more
        styled.append(model.write(SENTENCE, bias=1.0, seed=3, style=(style, STYLE_TEXT))[0])
    draw_strokes(page_as_drawn(styled), factor=10, svg_filename=str(out / "synthesis.styles.svg"))

    strokes, info = model.write(SENTENCE, bias=1.0, seed=7)
    write_attention_png([info["phi"]], [SENTENCE], str(out / "synthesis.attention.png"))
    draw_strokes(as_drawn(strokes), factor=10,
                 svg_filename=str(out / "synthesis.attention_line.svg"))
    print(f"wrote {out}/synthesis.*.svg and synthesis.attention.png; stops: {info['stop']}",
          np.round(len(strokes) / len(SENTENCE), 1), "points a character")


if __name__ == "__main__":
    main()
