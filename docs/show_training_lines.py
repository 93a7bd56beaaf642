"""Training lines as the networks see them, drawn: IAM-OnDB lines, lines composed of UNIPEN
writers' characters, and IAM-OnDB lines with some UNIPEN characters beside them
(composing.py), with their texts, so that they are looked at before anything trains on
them. Nothing of either data set is kept: the picture is written where --out says.

    python docs/show_training_lines.py --data_dir path/to/iam-ondb --unipen path/to/unipen \\
        --out /tmp/lines.svg [--lines 12] [--seed 0] [--held_out] \
        [--oversample 400 --unipen_rare 64]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from composing import Composer  # noqa: E402
from drawing import draw_strokes, join_lines  # noqa: E402
from unipen import Characters  # noqa: E402
from utils import DataLoader  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", default="data")
    parser.add_argument("--unipen", required=True)
    parser.add_argument("--cache_dir", default=None)
    parser.add_argument("--out", required=True, help="the SVG to write (outside the project)")
    parser.add_argument("--lines", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--held_out", action="store_true",
                        help="compose of the held-out writers' characters (validation)")
    parser.add_argument("--oversample", type=int, default=400, help="as train.py's")
    parser.add_argument("--unipen_rare", type=float, default=1.0, help="as train.py's")
    args = parser.parse_args()
    characters = Characters(args.unipen, cache_dir=args.cache_dir)
    print(characters.summary(), file=sys.stderr)
    loader = DataLoader(args.data_dir, texts=True, cache_dir=args.cache_dir,
                        unipen=characters, unipen_lines=0.5, unipen_beside=0.5,
                        oversample=args.oversample, unipen_rare=args.unipen_rare)
    held = characters.held_out()
    composer = Composer(characters, loader.alphabet, held if args.held_out else ~held,
                        loader.favour if args.unipen_rare > 1 else None)
    rng = np.random.default_rng(args.seed)
    lines, texts = [], []
    for k in range(args.lines):
        if k % 2 == 0:
            line, text = composer.compose(rng)
        else:
            i = int(rng.integers(0, len(loader.data)))
            line, text = composer.beside(loader.in_tablet_units(loader.data[i]),
                                         loader.train_texts[i], rng)
        lines.append(line)
        texts.append(text)
        print(f"{k:2d} {text}")
    draw_strokes(join_lines(lines), factor=2, svg_filename=args.out)


if __name__ == "__main__":
    main()
