"""Score a model on whole lines of IAM-OnDB, so that any two models compare.

Protocol: for a line of T points the first input is (0, 0, 1), then the true
steps; the model is scored on steps 1..T-1 (clamped to +-limit as in training,
eos as in the data), with dropout off. A synthesis model also reads each line's
text, and scores every line that has one (a character outside its alphabet is read
as its "unknown" symbol); --paired scores an unconditional model on those same lines.

    python evaluate.py --model_dir save --data_dir ../data/lineStrokes-all.tar.gz --json
    python evaluate.py --model_dir save/synthesis --data_dir ../data --split valid

--sentences FILE measures instead how a synthesis model ends its lines: it writes
every line of FILE (docs/sentences.txt: 100 sentences not from IAM-OnDB) and counts
those that stop by the stop rule, those that run into the point budget, and those
where the window skipped a character. Both modes give, for a synthesis model, how much
of a line comes after the window reaches its last character (final_character_share):
on real lines (--split valid) the writers' own habit, on written ones the writer's, so
that a writer who scribbles on past the end of the text shows as a larger share.

    python evaluate.py --model_dir save/synthesis --sentences docs/sentences.txt --bias 0.5

--overruns FILE lists the training lines whose ink and text part ways at the end, as a
synthesis model's window reads them (overrun_lines), for train.py --exclude FILE.

--unipen PATH scores a synthesis model the same way on lines composed of UNIPEN's held-out
writers' characters (capitals, digits and symbols IAM-OnDB barely holds), and reads them
with a recogniser.
"""

import functools
import json
import sys
import time
from pathlib import Path

import numpy as np

import kinds
from config import FREE_MODEL_DIR, MAX_TRIES, RECOGNIZER_DIR, Config, holds_model
from files import write_atomic
from flags import ArgumentParser, between, ranged, seed_flag
from kinds import READER, SYNTHESIS
from measures import LOST_SHARE, final_character_share, written_share
from quiet import add_verbose_flag, quiet_tensorflow
from text import encode_text, letters_of, line_seeds, pad_texts, page_seeds
from utils import DataLoader, pad_lines, power_of_two_rows, raw_units_offset, to_model_units

# TensorFlow and model.py are imported where they are used: the flags, config.json
# and the data are read first, so that --help and usage errors answer at once.


def line_batches(lines, max_points=60_000, bucket=128):
    """Group lines of similar length: yields (index list, x, y, mask) as
    utils.pad_lines lays them out, x = [START, p1 .. p(T-2)], y = [p1 .. p(T-1)].

    Lengths are padded up to a multiple of `bucket` and every batch of a bucket
    has the same number of rows, so the compiled network sees few shapes.
    """
    by_bucket = {}
    for i in np.argsort([len(line) for line in lines], kind="stable"):
        steps = -(-(len(lines[i]) - 1) // bucket) * bucket
        by_bucket.setdefault(steps, []).append(int(i))
    for steps, members in sorted(by_bucket.items()):
        rows = max(1, max_points // steps)
        for start in range(0, len(members), rows):
            batch = members[start:start + rows]
            # a short last batch is padded to a power of two rows, not to a full one
            rows_padded = min(rows, power_of_two_rows(len(batch)))
            yield (batch, *pad_lines([lines[i] for i in batch], rows_padded, bucket))


def share_figures(shares):
    """The median and 90th percentile of final_character_share over lines, and how many
    lines have a share above 2: nearly always a line whose pen lost the text and wrote on
    after the window had reached the end."""
    shares = np.array([s for s in shares if s is not None])
    if not len(shares):
        return {}
    return {"final_character_share_median": float(np.median(shares)),
            "final_character_share_p90": float(np.percentile(shares, 90)),
            "final_character_share_above_2": int((shares > LOST_SHARE).sum())}


def _score_batch(model, x, y, mask, chars=None):
    """Each line's nats and SSE, and for a synthesis model (chars given) the character
    its window peaks on at each step, from the same pass through the network."""
    import tensorflow as tf

    from mixture import mixture_from_outputs, point_nll

    if chars is None:
        z, peaks = model.outputs_for(x), None
    else:
        z, _, phi, _ = model.run(x, chars)
        peaks = tf.argmax(phi, axis=-1)
    params = mixture_from_outputs(z)
    nll = point_nll(params, y) * mask
    expected = tf.stack([tf.reduce_sum(params["pi"] * params["mu1"], -1),
                         tf.reduce_sum(params["pi"] * params["mu2"], -1)], -1)
    sse = tf.reduce_sum(tf.square(expected - y[..., :2]), -1) * mask
    return tf.reduce_sum(nll, 1), tf.reduce_sum(sse, 1), peaks


@functools.cache
def _compiled_score_batch():
    """_score_batch as one tf.function, made when first needed."""
    import tensorflow as tf

    return tf.function(_score_batch, reduce_retracing=True)


def scored_batches(model, lines, texts=None, max_points=60_000):
    """score_lines' pass over lines (and texts, for a synthesis model), a batch at a
    time: (indices into lines, nats [B], SSE [B], points, final_character_share of
    each line of indices or None for an unconditional model)."""
    import tensorflow as tf

    if model.config.kind == SYNTHESIS and texts is None:
        raise ValueError("a synthesis model is scored on lines with their texts")
    if not any(len(line) > 1 for line in lines):
        raise ValueError("no line of two points or more to score")
    for batch, x, y, mask in line_batches(lines, max_points):
        chars = shares = None
        if model.config.kind == SYNTHESIS:
            indices = [encode_text(texts[i], model.alphabet, unknown="keep") for i in batch]
            chars = pad_texts(indices + [indices[0][:0]] * (len(x) - len(batch)))
        nll, sse, peaks = _compiled_score_batch()(model, tf.constant(x), tf.constant(y),
                                                  tf.constant(mask), chars)
        if peaks is not None:
            shares = [final_character_share(peaks[row, :int(mask[row].sum())].numpy(),
                                            len(indices[row])) for row in range(len(batch))]
        yield batch, nll, sse, int(mask.sum()), shares


def score_lines(model, lines, texts=None):
    """lines: float32 [T, 3] arrays in model units (steps divided by the model's
    data_scale); texts: their texts, for a synthesis model. Returns the protocol's
    figures."""
    import tensorflow as tf

    nll_sum = sse_sum = 0.0
    points = 0
    shares = []
    for _, nll, sse, count, batch_shares in scored_batches(model, lines, texts):
        shares += batch_shares or []
        nll_sum += float(tf.reduce_sum(nll))
        sse_sum += float(tf.reduce_sum(sse))
        points += count
    per_point = nll_sum / points
    offset = raw_units_offset(model.config.data_scale)
    return {
        "nll_per_point_model": per_point,
        "nll_per_point_raw": per_point + offset,
        "nll_per_sequence_raw": (nll_sum + offset * points) / len(lines),
        "sse_per_point": sse_sum / points,
        "lines": len(lines),
        "points": points,
        **share_figures(shares),
    }


def overrun_lines(model, lines, texts):
    """The indices of the lines whose ink and text part ways at the end, as a synthesis
    model's window reads them: more than LOST_SHARE characters' worth of ink after the
    window first reaches the last character (the pen writes on past the text), or the
    window never reaching it (the text runs on past the ink). A writer trained on such
    lines learns to do the same now and then."""
    overruns = []
    for batch, _, _, _, shares in scored_batches(model, lines, texts, max_points=200_000):
        overruns += [i for i, share in zip(batch, shares) if share is None or share > LOST_SHARE]
    return sorted(overruns)


def legibility_figures(reader, lines, texts, prefix="legibility_", read=None):
    """How well the recogniser reads lines [T, 3] (tablet units) of these texts:
    its character error rate with spaces ignored (PREFIXcer) and with them
    (PREFIXcer_spaces), and {character: [read back as itself, written]}
    (PREFIXcharacters) from each line's edit alignment to its reading. read: the
    readings, if the reader has read the lines already."""
    from measures import character_error_rate, character_table

    if read is None:
        read = reader.read(lines)
    table = character_table(texts, read)
    return {f"{prefix}cer": character_error_rate(texts, read, spaces=False),
            f"{prefix}cer_spaces": character_error_rate(texts, read),
            f"{prefix}characters": {c: list(table[c]) for c in sorted(table)},
            f"{prefix}readings": read}


def stop_figures(model, sentences, bias=0.0, seed=0, batch_size=25, reader=None, tries=1,
                 style=None):
    """Write every sentence (one line each) and count how the lines end: by the stop
    rule ("end") or the point budget, and whether the window's peak reached every
    character on the way (a character it never peaked on was left out or run over).
    "clean": ended by the rule with every character reached. With a reader (the
    recogniser), also legibility_figures of the written lines; tries > 1 writes the
    best of so many tries of each (model.write), picked by the same reader; style: the
    hand every sentence is written in (a named hand, or (strokes, text))."""
    counts = {"sentences": len(sentences), "stopped_by_rule": 0, "hit_budget": 0,
              "every_character_reached": 0, "clean": 0}
    shares, written, readings = [], [], []
    for start in range(0, len(sentences), batch_size):
        batch = sentences[start:start + batch_size]
        seeds = line_seeds(seed, len(batch), first=start)  # one seed per sentence
        lines, infos = model.write(batch, bias=bias, seed=seeds, style=style, tries=tries)
        written += lines
        # model.reader's, when it has one, of the line before its accents were added
        readings += [None if info["marks"] else info["reading"] for info in infos]
        for info in infos:
            peaks = info["phi"].argmax(axis=1)
            reached = len(set(peaks)) == info["phi"].shape[1]  # the text as written
            shares.append(written_share(info))
            ended = info["stop"] == "end"
            counts["stopped_by_rule"] += ended
            counts["hit_budget"] += not ended
            counts["every_character_reached"] += reached
            counts["clean"] += ended and reached
    known = None if None in readings else readings
    letters = [letters_of(s) for s in sentences]  # the reader reads no accents
    legibility = legibility_figures(reader, written, letters, read=known) if reader else {}
    return {**counts, **share_figures(shares), **legibility}


def page_figures(model, lines, pages=10, bias=0.0, seed=0, style=None, tries=1, reader=None):
    """Write lines as one page (model.write_page: one hand, the style's or the first
    line's) on `pages` seeds, page k's lines on the seeds after page k - 1's, and count
    the lines that lost the text (final_character_share above 2) and the pages holding
    one: whether a page holds, line after line. With a reader, also the legibility of
    the pages' lines (legibility_figures, prefix page_)."""
    shares, written, readings = [], [], []
    for page_seed in page_seeds(seed, pages, len(lines)):
        strokes, infos = model.write_page(lines, bias, page_seed, style, tries)
        shares.append([written_share(info) for info in infos])
        written += strokes
        readings += [None if info.get("marks") else info.get("reading") for info in infos]
    lost = [[s is not None and s > LOST_SHARE for s in page] for page in shares]
    known = None if None in readings else readings
    letters = [letters_of(line) for line in lines] * pages  # the reader reads no accents
    legibility = (legibility_figures(reader, written, letters, "page_", known)
                  if reader else {})
    return {"pages": pages, "page_lines": pages * len(lines),
            "page_lines_above_2": int(sum(map(sum, lost))),
            "pages_losing_a_line": int(sum(map(any, lost))),
            "page_share_max": max(s for page in shares for s in page if s is not None),
            "page_shares": shares, **legibility}


def build_parser():
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model_dir", default=FREE_MODEL_DIR, help="model to score")
    parser.add_argument("--data_dir", default="data",
                        help="folder holding lineStrokes/, or lineStrokes-all.tar.gz")
    parser.add_argument("--cache_dir", default=None, help="where to keep the parsed-data cache")
    parser.add_argument("--split", default="all", choices=("all", "valid"),
                        help="every line, or only the validation lines as train.py splits them "
                             "(every 20th line longer than seq_length + 2 points)")
    parser.add_argument("--paired", action="store_true",
                        help="only lines that have a transcription, as a synthesis model "
                             "is scored: the two kinds then compare on the same lines")
    parser.add_argument("--sentences", metavar="FILE",
                        help="a synthesis model: write each line of FILE and count how the "
                             "lines end (no data set needed)")
    parser.add_argument("--bias", type=ranged("non-negative"), default=0.0,
                        help="bias for --sentences")
    parser.add_argument("--seed", type=seed_flag, default=0, help="first seed for --sentences")
    parser.add_argument("--tries", type=between(1, MAX_TRIES), default=1,
                        help="--sentences: write the best of this many tries of each line, "
                             "picked by the recogniser (model.write's tries)")
    parser.add_argument("--pages", type=ranged("non-negative", int), default=0, metavar="N",
                        help="--sentences: write FILE's lines as one page (write_page) on N "
                             "seeds instead, and count the lines that lose the text")
    parser.add_argument("--rounds", type=ranged("positive", int), default=1, metavar="N",
                        help="--sentences: write FILE N times, each round on the seeds after "
                             "the last's (the per-character counts of a short file are small)")
    parser.add_argument("--style", default=None,
                        help="--sentences: the hand to write in, one of the model's named "
                             "hands (default: the model's own; with --pages, the first line's)")
    parser.add_argument("--recognizer_dir", default=RECOGNIZER_DIR,
                        help="the recogniser that reads the written lines back for --sentences "
                             "(legibility_cer); with --data_dir, it also reads the validation "
                             "lines people wrote (human_cer)")
    parser.add_argument("--overruns", metavar="FILE",
                        help="a synthesis model: write to FILE the ids of the training lines "
                             "whose ink and text part ways at the end (overrun_lines), for "
                             "train.py --exclude")
    parser.add_argument("--unipen", metavar="PATH",
                        help="--lines lines composed of the held-out UNIPEN writers' characters "
                             "(the release, as train.py --unipen takes it): a recogniser reads "
                             "them (with the per-character table); a synthesis model is scored "
                             "on them with their texts, as on IAM-OnDB's lines")
    parser.add_argument("--lines", type=ranged("positive", int), default=400,
                        help="--unipen: how many composed lines (seeded by --seed)")
    parser.add_argument("--chars", metavar="CHARS",
                        help="--unipen: compose the lines of these characters only (default: "
                             "every one the model knows), e.g. XZQ0123456789, or the alphabet "
                             "of another model to score both on the same lines")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_verbose_flag(parser)
    return parser


def main(argv=None):
    """One mode a run, by the model's kind and the flags: --unipen (a reader, on UNIPEN's
    held-out writers), --sentences or --overruns (a synthesis model), the reader's own
    figures, or the protocol's scores of a handwriting model on the data."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:  # config.json and the data first: their errors come before TensorFlow loads
        cfg = Config.load(args.model_dir)
    except (FileNotFoundError, ValueError) as err:
        parser.error(f"--model_dir {args.model_dir}: {err}")
    if args.rounds > 1 and (args.pages or not args.sentences):
        parser.error(f"--rounds {args.rounds}: give it with --sentences and without --pages "
                     "(whose N seeds are its rounds)")
    if args.chars is not None and not args.unipen:
        parser.error("--chars: give it with --unipen")
    if (args.sentences or args.overruns) and cfg.kind != SYNTHESIS:
        flag = "--sentences" if args.sentences else "--overruns"
        parser.error(f"{flag}: the model in {args.model_dir} does not write text")
    if args.unipen and cfg.kind not in (READER, SYNTHESIS):
        parser.error(f"--unipen: the model in {args.model_dir} neither reads nor writes text")
    mode = (unipen_figures if args.unipen else sentence_figures if args.sentences
            else overrun_list if args.overruns else reader_figures if cfg.kind == READER
            else protocol_scores)
    result = mode(args, cfg, parser)
    report(result, args.json)
    return result


def paired(args, cfg):
    """Whether the lines a mode reads are those with texts: a model that learns from
    them, or --paired."""
    return kinds.of(cfg).paired or args.paired


def open_data(args, cfg, parser, shortest, required=True):
    """The DataLoader of --data_dir for the model's config; its errors through parser, or
    None (with a note) where the mode can do without it."""
    try:
        return DataLoader(args.data_dir, seq_length=shortest, data_scale=cfg.data_scale,
                          limit=cfg.limit, cache_dir=args.cache_dir,
                          texts=paired(args, cfg),
                          alphabet=cfg.alphabet if cfg.kind == SYNTHESIS else None)
    except (FileNotFoundError, ValueError) as err:
        if required:
            parser.error(f"--data_dir: {err}")
        print(f"human_cer needs the validation lines: --data_dir: {err}", file=sys.stderr)
        return None


def open_models(args, parser, *folders):
    """load_model of each folder (None for a None), TensorFlow quieted first; errors
    through parser."""
    quiet_tensorflow(args.verbose)
    from model import open_model

    try:
        return [None if folder is None else open_model(folder) for folder in folders]
    except ValueError as err:
        parser.error(f"--model_dir {args.model_dir}, --recognizer_dir: {err}")


def sentence_figures(args, cfg, parser):
    """--sentences: FILE's lines written (as pages with --pages), how they end, and how
    legible they are by --recognizer_dir, beside the validation lines people wrote."""
    reading = holds_model(args.recognizer_dir)
    loader = (open_data(args, cfg, parser, cfg.seq_length, required=False)
              if reading and not args.pages else None)
    writer, reader = open_models(args, parser, args.model_dir,
                                 args.recognizer_dir if reading else None)
    try:
        sentences = [line.strip() for line in open(args.sentences, encoding="utf-8")
                     if line.strip()] * args.rounds
        writer.reader = reader
        result = (page_figures(writer, sentences, args.pages, args.bias, args.seed,
                               args.style, args.tries, reader) if args.pages else
                  stop_figures(writer, sentences, args.bias, args.seed, reader=reader,
                               tries=args.tries, style=args.style))
    except (OSError, ValueError) as err:
        parser.error(f"--sentences {args.sentences}: {err}")
    if reader and loader and loader.valid_data:
        human = legibility_figures(reader, loader.valid_in_tablet_units(),
                                   loader.valid_texts, "human_")
        result.update(human_cer=human["human_cer"], human_cer_spaces=human["human_cer_spaces"])
    return result


def overrun_list(args, cfg, parser):
    """--overruns FILE: the ids of the training lines whose ink and text part ways."""
    loader = open_data(args, cfg, parser, cfg.seq_length)
    (writer,) = open_models(args, parser, args.model_dir)
    found = overrun_lines(writer.network, loader.data, loader.train_texts)
    listed = "".join(f"{loader.train_ids[i]}\n" for i in found)
    write_atomic(Path(args.overruns), (
        f"# the {len(found):,} of {len(loader.data):,} training lines whose ink and text part "
        f"ways at the end, read by {args.model_dir} (evaluate.py --overruns)\n"
        + listed).encode())
    return {"training_lines": len(loader.data), "overruns": len(found)}


def reader_figures(args, cfg, parser):
    """A reader's own figures, on the lines people wrote (--split)."""
    loader = open_data(args, cfg, parser, cfg.seq_length if args.split == "valid" else 0)
    (reader,) = open_models(args, parser, args.model_dir)
    if args.split == "valid":
        lines, texts = loader.valid_in_tablet_units(), loader.valid_texts
    else:
        lines = [loader.in_tablet_units(line) for line in loader.data + loader.valid_data]
        texts = loader.train_texts + loader.valid_texts
    return {**legibility_figures(reader, lines, texts, prefix=""), "lines": len(lines)}


def protocol_scores(args, cfg, parser):
    """A handwriting model's NLL and SSE by the fixed protocol (score_lines), on --split."""
    loader = open_data(args, cfg, parser, cfg.seq_length if args.split == "valid" else 0)
    (model,) = open_models(args, parser, args.model_dir)
    if args.split == "valid":
        lines, texts = loader.valid_data, getattr(loader, "valid_texts", None)
    else:
        chosen = [i for i, raw in enumerate(loader.raw_data)
                  if len(raw) > 1 and (loader.texts[i] is not None or not paired(args, cfg))]
        lines = [to_model_units(loader.raw_data[i], cfg.limit, cfg.data_scale) for i in chosen]
        texts = [loader.texts[i] for i in chosen]
    start = time.perf_counter()
    result = score_lines(model.network, lines, texts)
    result["points_per_s"] = result["points"] / (time.perf_counter() - start)
    return result


def unipen_figures(args, cfg, parser):
    """evaluate.py --unipen: how well the reader reads lines composed of the characters of
    UNIPEN's held-out writers (never trained on), character by character; or how well a
    writer predicts their pens (score_lines), which tells whether it learns the characters
    IAM-OnDB lacks apart from any reader's judgement."""
    from composing import held_out_lines
    from unipen import Characters

    unknown = sorted(set(args.chars or "") - set(cfg.alphabet))
    if unknown:
        parser.error(f"--chars: the model in {args.model_dir} does not know "
                     f"{''.join(unknown)!r}; leave them out")
    try:
        characters = Characters(args.unipen, cache_dir=args.cache_dir)
        lines, texts = held_out_lines(characters, args.chars or cfg.alphabet, args.lines,
                                      args.seed)
    except (FileNotFoundError, ValueError) as err:
        parser.error(f"--unipen: {err}")
    (model,) = open_models(args, parser, args.model_dir)
    if cfg.kind == SYNTHESIS:
        return score_lines(model.network, [to_model_units(line, cfg.limit, cfg.data_scale)
                                           for line in lines], texts)
    return {**legibility_figures(model, lines, texts, prefix=""), "lines": len(lines)}


def report(figures, as_json=False):
    """Print figures as one JSON object, or as an aligned table for people: counts
    and figures of 1,000 or more (points/s) as whole numbers, others to 4 decimals;
    a table of characters as one row each of how often it was read back as itself;
    readings left out."""
    if as_json:
        print(json.dumps(figures))
        return
    figures = {k: v for k, v in figures.items() if not isinstance(v, list)}
    width = max(map(len, figures))
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{key}: read back as itself / written")
            for char, (right, seen) in value.items():
                print(f"  {char!r:>5} {right / seen:6.1%} of {seen}")
        else:
            print(f"{key:>{width}}: {shown(value)}")


def shown(value):
    """A figure as report prints it: 331681 -> 331,681; 62670.58 -> 62,671; 5.67412 ->
    5.6741; anything else (a bool, a string) as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4f}"


if __name__ == "__main__":
    main()
