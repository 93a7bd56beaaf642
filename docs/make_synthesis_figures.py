"""The README's pictures of the synthesis model in save/synthesis, with fixed seeds.

    python docs/make_synthesis_figures.py [--model_dir save/synthesis]

None of them holds a line of IAM-OnDB: the styles are the model's named hands, lines of
its own writing (styles.json), and the page is written in the first of them, as the web
page writes it, the best of DEFAULT_TRIES tries a line when save/recognizer is there.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import DEFAULT_TRIES, RECOGNIZER_DIR, SYNTHESIS_DIR, holds_model  # noqa: E402
from drawing import as_drawn, draw_strokes, page_as_drawn, write_attention_png  # noqa: E402
from quiet import quiet_tensorflow  # noqa: E402
from text import wrap_text  # noqa: E402

PAGE = ("Handwriting synthesis writes any text you type, in a hand of its own or in "
        "yours. It reads the text through a soft window that slides along the letters "
        "as the pen moves, and it stops when the window has passed the last one.")
SENTENCE = "A quick brown fox jumps over the lazy dog."
BIASES = (0.0, 0.5, 1.0, 2.0)
ACCENTED = ("Hélène et Gérard vont à l'école en été.",
            "Müller fährt über die Straße nach München.",
            "El niño comió piñas en Málaga.")
# lines of docs/sentences.txt for a model's before-and-after picture: digits, capitals
COMPARISON = ("The quick brown fox jumps over the lazy dog.",
              "She bought 3 apples, 12 pears and 7 plums.",
              "Quentin Zuckerman met Xavier in Quebec.",
              "Meet me at 10:45 by the old north gate.")


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

    # a page as the web page writes it: in the first named hand, the best of DEFAULT_TRIES
    if holds_model(ROOT / RECOGNIZER_DIR):
        model.reader = load_model(str(ROOT / RECOGNIZER_DIR))
    tries = DEFAULT_TRIES if model.reader is not None else 1
    hand = model.first_hand
    lines = wrap_text(PAGE, 45)
    strokes, _ = model.write_page(lines, bias=0.75, seed=5, style=hand, tries=tries)
    draw_strokes(page_as_drawn(strokes), factor=10, svg_filename=str(out / "synthesis.page.svg"))
    # French, German and Spanish as the page writes them: accents added to their letters
    strokes, _ = model.write(list(ACCENTED), bias=0.75, seed=[1, 2, 3], style=hand, tries=tries)
    draw_strokes(page_as_drawn(strokes), factor=10,
                 svg_filename=str(out / "synthesis.accents.svg"))
    model.reader = None  # the other pictures: one try, the model's own legibility

    # the same sentence at four biases, one under another, each with the same seed
    at_bias = [model.write(SENTENCE, bias=b, seed=7)[0] for b in BIASES]
    draw_strokes(page_as_drawn(at_bias), factor=10, svg_filename=str(out / "synthesis.biases.svg"))

    # one sentence in each named hand (lines of the model's own writing, styles.json)
    styled = [model.write(SENTENCE, bias=0.75, seed=3, style=name)[0]
              for name in sorted(model.styles)]
    if styled:
        draw_strokes(page_as_drawn(styled), factor=10,
                     svg_filename=str(out / "synthesis.styles.svg"))

    strokes, info = model.write(SENTENCE, bias=0.75, seed=7)
    write_attention_png([info["phi"]], [SENTENCE], str(out / "synthesis.attention.png"))
    draw_strokes(as_drawn(strokes), factor=10,
                 svg_filename=str(out / "synthesis.attention_line.svg"))
    print(f"wrote {out}/synthesis.*.svg and synthesis.attention.png; stops: {info['stop']}",
          np.round(len(strokes) / len(SENTENCE), 1), "points a character")


if __name__ == "__main__":
    main()
