"""What a user asks the writer for, and the rules every entrance applies to it: sample.py,
the web API (webapp/), the model in Python (model.write, write_page) and the SavedModel
(export.py). No TensorFlow.

- The alphabet: the characters a synthesis model writes, those its training texts hold
  at least MIN_CHAR_COUNT times. A text to write holds only those: a character outside
  it is refused with an error naming it (check_writable), everywhere; sample.py's
  --on_unknown drop leaves such characters out instead, and says which (writable_lines).
  Reading a data set's texts (training, scoring) is not writing: there a rare character
  is the model's "unknown" symbol, index 0 (encode_text(..., unknown="keep")).
- Typography and white space: what keyboards and word processors type beyond the
  alphabet (curly quotes, dashes, an ellipsis, ligatures, fractions: TYPOGRAPHY) is
  folded onto it, every run of white space is one space, and none at the ends of a line
  (as_written), whichever entrance the text comes through; each entrance says what it
  folded (folding_note).
- Seeds: whole numbers in [0, SEED_RANGE), refused outside it (check_seed); a page's
  line i has seed + i, wrapping round at SEED_RANGE (line_seeds).
- The page: which of its lines are written in which model call, with which seed, and in
  which hand (page_plan), carried out by model.write_page and by the web page alike.
"""

import random
import textwrap
import unicodedata
from collections import Counter
from typing import NamedTuple

import numpy as np

MIN_CHAR_COUNT = 3  # a character enters a model's alphabet if the training texts hold it this often
# marks a pen draws as strokes of their own after the last letter, which a written
# line often ends before drawing (its window runs ahead of the pen)
FINAL_MARKS = ".,;:!?'\"-"
MAX_TEXT_LENGTH = 100  # characters in one line of model.write; IAM-OnDB's longest has 64
SEED_RANGE = 2**31  # seeds a page can show and JavaScript can hold exactly
# what str.split() splits at: the SavedModel (export.py) cleans a text with these too
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


# ---------------------------------------------------------------- the alphabet


def alphabet_from_counts(counts, min_count=MIN_CHAR_COUNT):
    """The characters held at least min_count times, in a fixed (sorted) order."""
    return "".join(sorted(c for c, n in counts.items() if n >= min_count))


def unwritable(text, alphabet):
    """The characters of text the model cannot write, sorted: outside its alphabet, and
    not an accented letter of a base letter in it (letter_and_marks)."""
    return sorted(c for c in set(text) - set(alphabet)
                  if (accented := letter_and_marks(c)) is None or accented[0] not in alphabet)


def unwritable_message(characters, alphabet, hint=""):
    """What every entrance says of characters the model cannot write; hint (what to do
    about it) goes before the alphabet."""
    return (f"characters the model cannot write: {' '.join(map(repr, characters))}.{hint} "
            f"It writes: {alphabet}")


def check_writable(text, alphabet, hint=""):
    """A ValueError naming the characters of text the model cannot write, if any."""
    missing = unwritable(text, alphabet)
    if missing:
        raise ValueError(unwritable_message(missing, alphabet, hint))


def writable_lines(lines, alphabet, on_unknown="error", hint=""):
    """Lines to write -> (the lines, the characters left out). on_unknown="error":
    check_writable's error for a character outside the alphabet; "drop": such
    characters are left out (the white space cleaned again, empty lines dropped)."""
    missing = unwritable("".join(lines), alphabet)
    if missing and on_unknown == "error":
        raise ValueError(unwritable_message(missing, alphabet, hint))
    if missing:
        lines = [as_written("".join(c for c in line if c not in missing)) for line in lines]
    return [line for line in lines if line], missing


def encode_text(text, alphabet, unknown="error"):
    """Character indices of text for a model with this alphabet: 1 + the position in
    alphabet. A character outside it: unknown="error" raises check_writable's error
    (writing); "keep" codes it 0, the "unknown" symbol (a data set's texts)."""
    if unknown == "error":
        check_writable(text, alphabet)
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    return np.array([index.get(c, 0) for c in text], np.int32)


def pad_texts(indices, multiple=16):
    """Index arrays of several texts -> int32 [B, U], padded with -1 (a zero one-hot)
    to a multiple of `multiple`, so that a compiled network sees few shapes."""
    width = max(1, -(-max(len(i) for i in indices) // multiple) * multiple)
    out = np.full((len(indices), width), -1, np.int32)
    for row, i in enumerate(indices):
        out[row, :len(i)] = i
    return out


# ---------------------------------------------------------------- lines

# What keyboards, phones and word processors type, as the handwriting alphabet writes it:
# folded by as_written at every entrance, and reported (folded_characters)
TYPOGRAPHY = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u2039": "'", "\u203a": "'",  # single quotes, apostrophes, primes and guillemets
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"',  # double quotes and guillemets
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": "",  # hyphens, dashes, the minus sign; a soft hyphen is unseen
    "\u2026": "...", "\u2022": "-", "\u00b7": ".",  # ellipsis, bullet, middle dot
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",  # zero-width marks
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st",  # ligatures
    "\u00bd": "1/2", "\u00bc": "1/4", "\u00be": "3/4", "\u2153": "1/3", "\u2154": "2/3",
    "\u215b": "1/8",  # vulgar fractions
    "\u00d7": "x", "\u2044": "/", "\u2215": "/",  # multiplication sign, fraction slashes
    "\u00df": "ss", "\u1e9e": "SS", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe",
    "\u0152": "OE",  # sharp s, and the ligatures of Danish, Norwegian and French
}
_FOLD = str.maketrans(TYPOGRAPHY)


def as_written(line):
    """A line as it is written: its accents composed with their letters (Unicode NFC: an
    e and a combining acute are one é), typography folded (TYPOGRAPHY: curly quotes
    straight, dashes hyphens, an ellipsis three dots, ...), every run of white space one
    space, none at the ends."""
    return " ".join(unicodedata.normalize("NFC", line).translate(_FOLD).split())


# ---------------------------------------------------------------- accents

# The accents of the Latin letters European languages write, as Unicode decomposes them
# (NFD: é is e and U+0301), by the names accents.MARKS draws them under
COMBINING_MARKS = {
    "\u0300": "grave", "\u0301": "acute", "\u0302": "circumflex", "\u0303": "tilde",
    "\u0304": "macron", "\u0306": "breve", "\u0307": "dot", "\u0308": "diaeresis",
    "\u030a": "ring", "\u030b": "double_acute", "\u030c": "caron", "\u0327": "cedilla",
    "\u0328": "ogonek",
}
# letters Unicode does not decompose: their base letter and the mark drawn across it
CROSSED = {"\u00f8": ("o", "stroke"), "\u00d8": ("O", "stroke"), "\u0142": ("l", "stroke"),
           "\u0141": ("L", "stroke"), "\u0111": ("d", "bar"), "\u0110": ("D", "bar")}


def letter_and_marks(character):
    """(its base letter, [the names of its marks]) for an accented letter (é: ("e",
    ["acute"])), or None for any other character."""
    if character in CROSSED:
        base, mark = CROSSED[character]
        return base, [mark]
    decomposed = unicodedata.normalize("NFD", character)
    if len(decomposed) > 1 and all(m in COMBINING_MARKS for m in decomposed[1:]):
        return decomposed[0], [COMBINING_MARKS[m] for m in decomposed[1:]]
    return None


def split_marks(line):
    """A line -> (the line in base letters, [(position, mark name)]): what the network
    writes, and the marks accents.add_marks adds to the letters at those positions."""
    letters, marks = [], []
    for position, character in enumerate(line):
        accented = letter_and_marks(character)
        letters.append(character if accented is None else accented[0])
        marks += [] if accented is None else [(position, mark) for mark in accented[1]]
    return "".join(letters), marks


def letters_of(line):
    """The letters the network writes for a line as typed (as_written, then split_marks'
    base letters): what a reader, which reads no accents, is compared with."""
    return split_marks(as_written(line))[0]


def accented_letters(alphabet):
    """{accented letter: its base letter} of the Latin-1 and Latin Extended-A letters a
    model with this alphabet writes (for the web page, which checks a text as it is
    typed)."""
    letters = {}
    for code in range(0xC0, 0x180):
        accented = letter_and_marks(chr(code))
        if accented is not None and accented[0] in alphabet:
            letters[chr(code)] = accented[0]
    return letters


def folded_characters(text):
    """{character: what it is written as} of the characters of text as_written folds,
    for an entrance to say so."""
    return {c: TYPOGRAPHY[c] for c in sorted(set(text) & set(TYPOGRAPHY))}


def folding_note(text):
    """One sentence saying how text's typography is written, or "" if it is not folded."""
    folded = folded_characters(text)
    return ("written as the alphabet has them: " + ", ".join(
        f"{c!r} as {t!r}" for c, t in folded.items())) if folded else ""


def wrap_text(text, line_length=50):
    """The lines of a page: the text's own line breaks kept, each line cleaned
    (as_written) and wrapped at spaces into lines of at most line_length characters,
    blank lines dropped. IAM-OnDB's lines hold 29 characters on average and 64 at most."""
    return [line for paragraph in text.splitlines()
            for line in textwrap.wrap(as_written(paragraph), line_length,
                                      break_on_hyphens=False)]


def end_mark(line, alphabet):
    """What the writer reads after a line: a space when its last character is a letter
    or a digit (and the alphabet holds a space), else nothing. The window leaves a last
    letter before its late strokes (a t's bar, a k's arm, an x's second stroke, a d's
    stem) are drawn, and a line ends at the first pen lift after; a space after the
    letter holds the window until the letter is finished (writer.write_loop). After a
    mark (. , ; ...) the writer begins a new stroke before the window settles on a
    space, so there none is read. (docs/experiments.md, "The end mark".)"""
    return " " if line[-1:].isalnum() and " " in alphabet else ""


def check_line(line):
    """A line model.write can take, cleaned, or a ValueError saying why not."""
    if not isinstance(line, str) or not line.strip():
        raise ValueError(f"cannot write {line!r}: give a non-empty string")
    line = as_written(line)
    if len(line) > MAX_TEXT_LENGTH:
        raise ValueError(f"a line holds at most {MAX_TEXT_LENGTH} characters, not "
                         f"{len(line)}: split the text into lines")
    return line


# ---------------------------------------------------------------- seeds


def seed_message(seed):
    return f"a seed is a whole number from 0 to {SEED_RANGE - 1}, not {seed}"


def check_seed(seed):
    """seed as an int, or a ValueError (seed_message) if it is not one of the seeds."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed < SEED_RANGE:
        raise ValueError(seed_message(seed))
    return int(seed)


def check_seeds(seed, rows):
    """A seed for model.sample or model.write: None (a fresh one), one seed for every
    row, or a list of one seed a row; checked."""
    if seed is None:
        return fresh_seed()
    if np.ndim(seed) == 0:
        return check_seed(seed)
    if len(seed) != rows:
        raise ValueError(f"{len(seed)} seeds for {rows} rows: give one seed per row")
    return [check_seed(s) for s in seed]


def fresh_seed():
    """A seed chosen at random, for a sample asked for without one (and shown with it)."""
    return random.randrange(SEED_RANGE)


def line_seeds(seed, count, first=0):
    """The seeds of lines first .. first + count - 1 of a page with this seed: line i
    has seed + i (wrapping round at SEED_RANGE), so that a line comes out the same
    whether it is written alone, in a batch, by sample.py or by the web page. Page k of
    sample.py --num_samples starts at line k * (its lines)."""
    return [(seed + first + i) % SEED_RANGE for i in range(count)]


def try_seeds(seed, rows, tries):
    """The seeds of the other tries of rows lines written with seed (one int for all,
    or one a line, as check_seeds gives it): tries - 1 lists of one seed a line, try
    k's seed of a line derived from its own seed and k (and, with one seed for all,
    from its place too), so that a line with a seed of its own comes out the same
    whatever is written beside it."""
    def derived(*entropy):
        return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0]) % SEED_RANGE
    if np.ndim(seed) == 0:
        return [[derived(seed, k, i) for i in range(rows)] for k in range(1, tries)]
    return [[derived(s, k) for s in seed] for k in range(1, tries)]


def page_seeds(seed, pages, lines):
    """The seeds of pages of this many lines each (sample.py --num_samples): a page
    takes a seed a line, page k the seeds of lines k * lines, ... of one long page."""
    return [line_seeds(seed, 1, first=k * lines)[0] for k in range(pages)]


# ---------------------------------------------------------------- the page


class PageCall(NamedTuple):
    """One model call of a page: its lines (by index), their seeds, and the hand they
    are written in: "style" (the style given), "first" (the page's first line, as it
    was written by an earlier call) or None (the model's own)."""

    rows: tuple
    seeds: tuple
    hand: str | None


def page_plan(count, seed, styled=False):
    """The calls that write a page of count lines in one hand. With a style, every line
    at once, primed with it; without, the first line, then the others primed with it
    (Graves section 5.5), so that the page keeps the first line's hand."""
    seeds = tuple(line_seeds(seed, count))
    if styled or count == 1:
        return [PageCall(tuple(range(count)), seeds, "style" if styled else None)]
    return [PageCall((0,), seeds[:1], None),
            PageCall(tuple(range(1, count)), seeds[1:], "first")]


def hand_of(call, style, lines, written):
    """The style (strokes, text) a PageCall writes with: style, the first line as
    written (written: the strokes of the lines written so far, by index), or None.
    The first line's text goes without its final marks: its strokes end without them
    one time in two ("night," as "night"), and a window told of a mark not drawn yet
    draws it at the start of every line that follows."""
    if call.hand == "style":
        return style
    if call.hand == "first":
        return written[0], lines[0].rstrip(FINAL_MARKS) or lines[0]
    return None


def lines_holding(texts):
    """{character: how many of texts hold it}, spaces aside."""
    return Counter(c for t in texts for c in set(t) if not c.isspace())


def repeats_for(held_by, target, cap):
    """How often to train on a character n = held_by lines hold, so that it is seen as
    though target lines held it: ceil(target / n), at least once and at most cap (none
    held: cap). utils.rare_line_repeats repeats a line by its rarest character's, and
    scarcity weighs a composed line's characters by the same."""
    return min(cap, max(1, -(-target // held_by))) if held_by else cap


def scarcity(texts, alphabet, target, cap):
    """{character: weight} for the characters of alphabet (spaces aside) that n < target
    of texts hold: repeats_for(n), as rare_line_repeats repeats a line whose rarest
    character it is."""
    holders = lines_holding(texts)
    return {c: repeats_for(holders[c], target, cap) for c in alphabet
            if not c.isspace() and holders[c] < target}
