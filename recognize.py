"""Read handwriting: print the text of each line of pen strokes, one a line.

    python recognize.py path/to/a01-000u-01.xml line.npy

reads IAM-OnDB lineStrokes XML files, or .npy arrays of [T, 3] (dx, dy, eos) rows in
tablet units (what model.write and model.sample return, saved with numpy.save),
with the recogniser in save/recognizer unless --model_dir says otherwise. All the
files are read in one batched call.

The flags and files are read, and checked, before TensorFlow loads: --help and
usage errors answer at once. --verbose (or WRITE_RNN_VERBOSE=1) shows TensorFlow's
own log lines.
"""


from config import RECOGNIZER_DIR, folder_problem
from flags import ArgumentParser
from iam_ondb import read_line_file
from kinds import READER
from quiet import add_verbose_flag, quiet_tensorflow


def build_parser():
    p = ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a lineStrokes XML file, or a .npy of [T, 3] (dx, dy, eos) rows in "
                        "tablet units")
    p.add_argument("--model_dir", default=RECOGNIZER_DIR,
                   help=f"the recogniser (default: {RECOGNIZER_DIR})")
    add_verbose_flag(p)
    return p


def read_lines(parser, files):
    """Every file as [T, 3] strokes, or a usage error that names the file."""
    lines = []
    for name in files:
        try:
            lines.append(read_line_file(name))
        except (OSError, ValueError) as err:
            parser.error(f"{name}: {err}")
    return lines


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = folder_problem(args.model_dir, READER)
    if problem:  # before TensorFlow loads
        parser.error(f"--model_dir {args.model_dir} {problem}")
    lines = read_lines(parser, args.files)
    quiet_tensorflow(args.verbose)
    from model import open_model

    try:
        model = open_model(args.model_dir, READER)
    except ValueError as err:
        parser.error(f"--model_dir {err}")
    try:
        texts = model.read(lines)
    except ValueError as err:
        parser.error(str(err))
    for text in texts:
        print(text)


if __name__ == "__main__":
    main()
