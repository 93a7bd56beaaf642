"""Write handwriting with a trained model and draw it as SVG files.

    python sample.py --filename sample --sample_length 800 --scale_factor 10 --model_dir save

writes sample.normal.svg (the line), sample.color.svg (a random colour per
stroke), sample.multi_color.svg (a random colour per point), sample.eos_pdf.svg
(grey to red: where the model expects the pen to lift) and sample.pdf.svg (the
mixture each point was drawn from). In IPython, `%run -i sample.py` also leaves
the loaded `model` and the drawing functions behind, so that

    strokes, params = model.sample(800)
    draw_strokes(strokes)

draws another line.

    python sample.py --text "Type a sentence, get it in handwriting."

writes the text with the synthesis model (save/synthesis unless --model_dir says
otherwise), wrapped into lines of --line_length characters, as a page:
FILENAME.normal.svg only, unless --all_figures asks for the other four drawings too;
--style FILE --style_text "..." writes it in the hand of that line, and --png adds
FILENAME.png and FILENAME.attention.png, where the window over the text was at every
step.

The flags and input files are read, and checked, before TensorFlow loads: --help and
usage errors answer at once. --verbose (or WRITE_RNN_VERBOSE=1) shows TensorFlow's own
log lines.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from config import (
    DEFAULT_TRIES,
    FREE_MODEL_DIR,
    MAX_TRIES,
    OWN_HAND,
    PAGE_BIAS,
    RECOGNIZER_DIR,
    SYNTHESIS_DIR,
    folder_problem,
    holds_model,
    load_styles,
)

# every drawing function, so that `%run -i sample.py` leaves them behind to draw with
from drawing import (  # noqa: F401
    SVG_KINDS,
    draw_strokes,
    draw_strokes_animated,
    draw_strokes_custom_color,
    draw_strokes_eos_weighted,
    draw_strokes_pdf,
    draw_strokes_random_color,
    join_lines,
    page_as_drawn,
    plot_strokes,
    write_attention_png,
    write_sample,
)
from files import target_problem
from flags import ArgumentParser, between, ranged, seed_flag
from iam_ondb import read_hand_file, read_line_file, transcription_of
from kinds import READER, SYNTHESIS
from paper import ALIGNS, MARGINS, PAPERS, PITCH, SIZE, Paper
from quiet import add_verbose_flag, quiet_tensorflow
from text import (
    MAX_TEXT_LENGTH,
    check_writable,
    folding_note,
    fresh_seed,
    page_seeds,
    wrap_text,
    writable_lines,
)

# TensorFlow, model.py and export.py are imported where they are used, once the flags
# and the input files have been read
if TYPE_CHECKING:
    from writer import FreeWriter, Writer

def build_parser():
    p = ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Output files: FILENAME.normal.svg, .color.svg, .multi_color.svg, .eos_pdf.svg "
               "and .pdf.svg (with --text: .normal.svg only, unless --all_figures), with --png "
               "FILENAME.png, with --animate FILENAME.animated.svg. "
               "With --num_samples N > 1 every sample gets its own set, numbered from 0: "
               "FILENAME-0.normal.svg, FILENAME-1.normal.svg, ...")
    p.add_argument("--filename", default="sample",
                   help="name of the output files, without extension (folders are created)")
    p.add_argument("--sample_length", type=ranged("positive", int), default=800,
                   help="number of points to sample")
    p.add_argument("--scale_factor", type=ranged("positive"), default=10,
                   help="factor to scale down by for svg output. smaller means bigger output")
    p.add_argument("--model_dir", default=None,
                   help=f"directory of the trained model (config.json and checkpoint); "
                        f"default {FREE_MODEL_DIR}, or {SYNTHESIS_DIR} with --text")
    p.add_argument("--num_samples", type=ranged("positive", int), default=1,
                   help="number of samples; more than one numbers the files FILENAME-0.*, "
                        "FILENAME-1.*, ...")
    p.add_argument("--seed", type=seed_flag, default=None,
                   help="random seed: the same model, seed and flags write the same line "
                        "(default: a fresh seed, printed)")
    p.add_argument("--bias", type=ranged("non-negative"), default=None,
                   help="sampling bias b >= 0 (Graves eq. 61-62): larger is neater and less "
                        f"varied (default 0 for free writing, as the original; {PAGE_BIAS} for "
                        "a text, as the web page)")
    p.add_argument("--prime", metavar="FILE",
                   help="continue this line, in its writer's style: an IAM-OnDB lineStrokes XML "
                        "file, or a .npy of [T, 3] (dx, dy, eos) rows in tablet units, such as a "
                        "saved model.sample line. FILENAME.normal.svg shows it in grey before the "
                        "continuation in black; the other files show the continuation only")
    p.add_argument("--png", action="store_true",
                   help="also write FILENAME.png: the sample, the density of each next point, "
                        "and the end-of-stroke probability")
    p.add_argument("--animate", action="store_true",
                   help="also write FILENAME.animated.svg, which a browser draws at the pen's "
                        "pace (a viewer without SVG animation shows the finished line)")
    p.add_argument("--loop", action="store_true",
                   help="the animation plays again and again, a second on the finished line "
                        "in between (writes it without --animate too)")
    add_text_flags(p.add_argument_group("writing a given text (a synthesis model)"))
    add_paper_flags(p.add_argument_group("on paper: pages in mm for printing and plotting "
                                         "(docs/paper.md)"))
    p.add_argument("--export", metavar="DIR",
                   help="also save the model as a TensorFlow SavedModel in DIR, with a `sample` "
                        "and a `step` signature, for programs without this code (e.g. "
                        "TensorFlow Serving)")
    add_verbose_flag(p)
    return p


def add_text_flags(text):
    """The flags of writing a given text, into the argument group text."""
    text.add_argument("--text", help="the text to write; long lines are wrapped")
    text.add_argument("--text_file", metavar="FILE",
                      help="the text to write, read from FILE: one line of the page per line "
                           "of the file (long lines wrapped)")
    text.add_argument("--line_length", type=between(1, MAX_TEXT_LENGTH), default=50,
                      help="wrap the text into lines of at most this many characters "
                           f"(at most {MAX_TEXT_LENGTH}; IAM-OnDB's lines hold 29 on average)")
    text.add_argument("--style", metavar="FILE",
                      help="write in the hand of this line: an IAM-OnDB lineStrokes XML file, "
                           "a .npy of [T, 3] (dx, dy, eos) rows in tablet units, a hand file "
                           "(.json, with its text) as the web page downloads one, the name "
                           "of one of the model's named hands (hand-1, ...), or "
                           f"'{OWN_HAND}', the model's own (default: its first named hand, as "
                           "the web page writes; its own if it has none)")
    text.add_argument("--style_text",
                      help="what the --style line writes (read from IAM-OnDB's ascii files "
                           "for a lineStrokes XML file if not given)")
    text.add_argument("--tries", type=between(1, MAX_TRIES), default=DEFAULT_TRIES,
                      help=f"write this many candidates of each line in one batched call and "
                           f"keep the one the recogniser (--recognizer_dir) reads best "
                           f"(default {DEFAULT_TRIES}; 1 to {MAX_TRIES})")
    text.add_argument("--max_tries", type=int, default=None,
                      help="write a line whose every try the recogniser misreads again, "
                           "--tries more at a time, until one reads right or this many were "
                           f"drawn (--tries to {MAX_TRIES}; default: no more)")
    text.add_argument("--recognizer_dir", default=RECOGNIZER_DIR,
                      help=f"the recogniser that picks the best try and says what it reads "
                           f"(default {RECOGNIZER_DIR}); without one, tries that end by the "
                           f"stop rule are preferred")
    text.add_argument("--all_figures", action="store_true",
                      help="with a text, write the four other drawings of free writing too "
                           "(.color, .multi_color, .eos_pdf and .pdf.svg); without it, only "
                           "the page, FILENAME.normal.svg")
    text.add_argument("--on_unknown", choices=("error", "drop"), default="error",
                      help="characters the model cannot write: stop with an error naming "
                           "them, or drop them with a warning")


def add_paper_flags(paper):
    """The flags of writing a text on paper (paper.py), into the argument group paper."""
    paper.add_argument("--paper", metavar="SIZE",
                       help=f"write the text on pages of this paper ({', '.join(PAPERS)}, or "
                            "WIDTHxHEIGHTmm), filled to each line's measured width: "
                            "FILENAME.page-1.svg, ... in mm (one a page, for plotters) and "
                            "FILENAME.pdf (every page, for printing); a blank line of the "
                            "text starts a paragraph, and the lines between run on")
    paper.add_argument("--landscape", action="store_true", help="the paper turned sideways")
    paper.add_argument("--margins", metavar="MM", default=None,
                       help=f"the margins in mm: one for all four, or top,right,bottom,left "
                            f"(default {MARGINS:g})")
    paper.add_argument("--size", type=ranged("positive"), default=None,
                       help=f"the writing's x-height (a small letter's height) in mm (default "
                            f"{SIZE:g})")
    paper.add_argument("--pitch", type=ranged("positive"), default=None,
                       help=f"baseline to baseline in mm (default {PITCH:g} x --size)")
    paper.add_argument("--align", choices=ALIGNS, default="left", help="where lines sit")
    paper.add_argument("--lifelike", action="store_true",
                       help="write the page as a person would: lines a little tilted and "
                            "curved, the left margin and the spacing a little uneven, and in "
                            "the PDF and PNG a pen wider where it moves slowly (seeded; the "
                            "SVG keeps single lines for plotters)")


# ---------------------------------------------------------------- input checks


def check_args(parser, args):
    """Everything that can be checked without TensorFlow, so mistakes fail fast."""
    writing = args.text is not None or args.text_file
    if args.bias is None:
        args.bias = PAGE_BIAS if writing else 0.0
    out = Path(args.filename)
    if not out.name or out.name in (".", ".."):
        parser.error(f"--filename needs a file name, not '{args.filename}'")
    for folder in (out.parent, *out.parent.parents):
        if folder.exists() and not folder.is_dir():
            parser.error(f"--filename {args.filename}: '{folder}' is a file, not a folder")
    if args.export:
        if target_problem(args.export):
            parser.error(f"--export {args.export} {target_problem(args.export)}")
    if args.text is not None and args.text_file:
        parser.error("give --text or --text_file, not both")
    if not writing:
        for name in ("style", "style_text"):
            if getattr(args, name):
                parser.error(f"--{name} goes with --text or --text_file")
    elif args.prime:
        parser.error("--prime continues free writing; to write a text in a hand, use --style "
                     "FILE --style_text TEXT")
    if args.max_tries is not None and not args.tries <= args.max_tries <= MAX_TRIES:
        parser.error(f"--max_tries must be between --tries ({args.tries}) and {MAX_TRIES}, "
                     f"not {args.max_tries}")
    if args.model_dir is None:
        args.model_dir = SYNTHESIS_DIR if writing else FREE_MODEL_DIR
    problem = folder_problem(args.model_dir, SYNTHESIS if writing else None)
    if problem:  # before TensorFlow loads; open_model says the rest
        parser.error(f"--model_dir {args.model_dir} {problem}")
    args.sheet = check_paper(parser, args, writing)


def check_paper(parser, args, writing):
    """The paper.Paper of --paper and its flags, or None without --paper."""
    given = [f"--{name}" for name in ("landscape", "margins", "size", "pitch", "lifelike")
             if getattr(args, name) not in (None, False)] + \
        (["--align"] if args.align != "left" else [])
    if args.paper is None:
        if given:
            parser.error(f"{given[0]} goes with --paper")
        return None
    if not writing:
        parser.error("--paper writes a text: give --text or --text_file")
    if args.num_samples > 1:
        parser.error("--paper writes one document: leave out --num_samples")
    try:
        return Paper.of(args.paper, args.landscape, args.margins, args.size, args.pitch,
                        align=args.align, lifelike=args.lifelike)
    except ValueError as err:
        parser.error(str(err))


def read_text(parser, args):
    """The text to write, from --text or --text_file."""
    if args.text_file:
        try:
            text = Path(args.text_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            parser.error(f"--text_file {args.text_file}: cannot read it ({err})")
    else:
        text = args.text
    if folding_note(text):
        print(f"warning: {folding_note(text)}", file=sys.stderr)
    if not text.strip():
        parser.error("--text_file holds no text" if args.text_file else "--text is empty")
    return text


def read_style(parser, args):
    """(strokes, text) of --style, the name of a named hand, or None (--style own, or
    no --style)."""
    if args.style == OWN_HAND:
        if args.style_text:
            parser.error(f"--style {OWN_HAND} is the model's own hand: leave out --style_text")
        return None
    if not args.style:  # main then takes the model's first named hand
        if args.style_text:
            parser.error("--style_text says what the --style line writes: give --style too")
        return None
    if not Path(args.style).exists():
        try:
            names = load_styles(args.model_dir)
        except ValueError as err:
            parser.error(f"--style {args.style}: {err}")
        if args.style in names:  # a named hand knows what it writes
            if args.style_text:
                parser.error(f"--style {args.style} is a named hand, which knows its text: "
                             f"leave out --style_text")
            return args.style
        if not Path(args.style).suffix:
            parser.error(f"--style {args.style}: no such file, nor a named hand of "
                         f"{args.model_dir} (its named hands: "
                         f"{', '.join(sorted(names)) or 'none'})")
    if Path(args.style).suffix.lower() == ".json":  # a hand file holds its text
        if args.style_text:
            parser.error(f"--style {args.style} is a hand file, which holds its text: leave "
                         "out --style_text")
        try:
            return read_hand_file(args.style)
        except OSError as err:
            parser.error(f"--style {args.style}: cannot read it ({err.strerror or err})")
        except ValueError as err:
            parser.error(f"--style {args.style}: {err}")
    strokes = read_line(parser, "--style", args.style)
    text = args.style_text
    if text is None and Path(args.style).suffix.lower() == ".xml":
        text = transcription_of(args.style)
    if not text or not text.strip():
        parser.error(f"--style {args.style}: say what it writes with --style_text "
                     "(no IAM-OnDB transcription was found beside it)")
    return strokes, text


def read_line(parser, flag, path):
    """iam_ondb.read_line_file, with argparse errors naming the flag."""
    try:
        return read_line_file(path)
    except OSError as err:
        parser.error(f"{flag} {path}: cannot read it ({err.strerror or err})")
    except ValueError as err:
        parser.error(f"{flag} {path}: {err}")


def check_alphabet(parser, args, model, lines, style, keep_lines=False):
    """Lines the model can write: unknown characters are an error naming them, or are
    dropped with a warning (--on_unknown). A style's text must be writable as it is.
    keep_lines: the lines (a text for --paper) keep their line breaks and spaces."""
    if style is not None:
        try:
            check_writable(style[1], model.alphabet)
        except ValueError as err:
            parser.error(f"--style_text: {err}")
    try:
        written, unknown = writable_lines(lines, model.alphabet, args.on_unknown,
                                          " Use --on_unknown drop to leave them out.")
    except ValueError as err:
        parser.error(f"the text holds {err}")
    if unknown:
        print(f"warning: leaving out {' '.join(map(repr, unknown))}, which the model "
              f"cannot write", file=sys.stderr)
    lines = [line.translate({ord(c): None for c in unknown}) for line in lines] \
        if keep_lines else written
    if not any(line.strip() for line in lines):
        parser.error("nothing is left of the text to write")
    return lines


def open_model(parser, flag, model_dir, kind=None):
    """model.open_model, its errors through parser, naming the flag."""
    from model import open_model as opened

    try:
        return opened(model_dir, kind)
    except ValueError as err:
        parser.error(f"{flag} {err}")


# ---------------------------------------------------------------- main


def write_pages(model, lines, args, seed, style):
    """args.num_samples pages of the lines, each in one hand (model.write_page), as
    model.sample returns lines: (strokes, params, [(lines, infos)] per page)."""
    pages, strokes, params = [], [], []
    for page_seed in page_seeds(seed, args.num_samples, len(lines)):
        line_strokes, infos = model.write_page(lines, args.bias, page_seed, style, args.tries,
                                               args.max_tries)
        pages.append((lines, infos))
        strokes.append(page_as_drawn(line_strokes))
        params.append({k: np.concatenate([info["params"][k] for info in infos])
                       for k in infos[0]["params"]})
    if args.num_samples == 1:
        return strokes[0], params[0], pages
    return strokes, params, pages


def write_on_paper(model, text, args, seed, style, hand):
    """--paper: the text on pages (Writer.on_paper), saved as FILENAME.page-K.svg (mm),
    FILENAME.pdf and with --png FILENAME.page-K.png."""
    import printout

    doc = model.on_paper(text, args.sheet, args.bias, seed, style, args.tries, args.max_tries)
    stats, lines = doc.stats, sum(len(page) for page in doc.pages)
    print(f"wrote {lines} line(s) on {len(doc.pages)} page(s) of {args.paper} with "
          f"{args.model_dir} in {hand}, --bias {args.bias:g}, --seed {seed}, best of "
          f"{args.tries}: {stats['rewritten']} line(s) written again to fit, "
          f"{stats['reflow_s']:.1f} s of {stats['write_s'] + stats['reflow_s']:.1f} s")
    Path(args.filename).parent.mkdir(parents=True, exist_ok=True)
    files = printout.save_svgs(doc, args.filename) + \
        [printout.save_pdf(doc, f"{args.filename}.pdf")]
    if args.png:
        files += printout.save_pngs(doc, args.filename)
    for path in files:
        print(f"wrote {path}")
    return Sampled(model, doc, None, files)


class Sampled(NamedTuple):
    """What main returns: the model, what it sampled, and the files it wrote."""

    model: "FreeWriter | Writer"  # as load_model returns it
    strokes: np.ndarray  # as model.sample returns it: [num_samples,] sample_length, 3;
    # with --paper, the paper.Document
    params: dict  # with --paper, None
    files: list  # every path written


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    writing = args.text is not None or args.text_file
    prime = read_line(parser, "--prime", args.prime) if args.prime else None
    text = read_text(parser, args) if writing else None
    style = read_style(parser, args)
    quiet_tensorflow(args.verbose)
    model = open_model(parser, "--model_dir", args.model_dir, SYNTHESIS if writing else None)

    seed = args.seed if args.seed is not None else fresh_seed()
    if writing:
        if args.style is None:  # as the web page: its first hand
            style = model.first_hand
        hand = style if isinstance(style, str) else "its own hand" if style is None else args.style
        if isinstance(style, str):  # a named hand, looked up
            style = model.hand(style)
        if holds_model(args.recognizer_dir):
            model.reader = open_model(parser, "--recognizer_dir", args.recognizer_dir, READER)
        if args.sheet is not None:
            text = "\n".join(check_alphabet(parser, args, model, text.splitlines(), style,
                                             keep_lines=True))
            return write_on_paper(model, text, args, seed, style, hand)
        lines = check_alphabet(parser, args, model, wrap_text(text, args.line_length), style)
        strokes, params, pages = write_pages(model, lines, args, seed, style)
        stops = [info["stop"] for _, infos in pages for info in infos]
        print(f"wrote {len(lines)} line(s) x {args.num_samples} with {args.model_dir} in "
              f"{hand}, --bias {args.bias:g}, --seed {seed}, best of {args.tries}: "
              f"{stops.count('end')} ended by the stop rule, {stops.count('budget')} by the "
              "point budget")
        for _, infos in pages:
            for info in infos:
                if info["reading"] is not None:
                    wrong = "" if info["read_right"] else (
                        f"  (no try of {info['tries']} read as {info['text']!r}"
                        + ("" if args.max_tries else "; --max_tries writes more") + ")")
                    print(f"  reads: {info['reading']}{wrong}")
    else:
        strokes, params = model.sample(args.sample_length, num_samples=args.num_samples,
                                       seed=seed, bias=args.bias, prime=prime)
        print(f"sampled {args.num_samples} x {args.sample_length} points from {args.model_dir} "
              f"with --seed {seed}")

    files = []
    if args.export:
        from export import export_saved_model

        files.append(export_saved_model(model.network, args.export))
        print(f"wrote {files[-1]}")
    Path(args.filename).parent.mkdir(parents=True, exist_ok=True)
    many = args.num_samples > 1
    for i in range(args.num_samples):
        name = f"{args.filename}-{i}" if many else args.filename
        if not many:
            one = (strokes, params)
        else:
            one = (strokes[i], params[i] if writing else {k: v[i] for k, v in params.items()})
        written = write_sample(name, *one, factor=args.scale_factor, prime=prime,
                               png=args.png, animate=args.animate or args.loop, loop=args.loop,
                               seed=(seed, i),  # the random colours, reproducible
                               kinds=SVG_KINDS if args.all_figures or not writing else ("normal",))
        if writing and args.png:
            page_lines, infos = pages[i]
            write_attention_png([info["phi"] for info in infos], page_lines,
                                f"{name}.attention.png")
            written.append(f"{name}.attention.png")
        for path in written:
            print(f"wrote {path}")
        files += written
    return Sampled(model, strokes, params, files)


if __name__ == "__main__":
    # also what `%run -i sample.py` runs: model, strokes and params stay behind
    model, strokes, params, files = main()
