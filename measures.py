"""How well a line is written, in numbers, without TensorFlow: the edit distance of a
reading to its text and the character error rates and per-character table made of
it (the recogniser's measures, recognizer.py), and how much of a written line comes
after its window reached the last character (the writer's, writer.Writer.write).
"""

import numpy as np


def final_character_share(window_argmax, text_length):
    """What comes after the window first reaches the last character, in characters'
    worth of the line's own pace: (T - t0) U / T, for the T steps of window_argmax (the
    character phi peaks on at each step), t0 the first step on character U - 1 of the
    U = text_length. About 1 if the last character takes as many points as an average
    one; None if the window never reaches it."""
    window_argmax = np.asarray(window_argmax)
    reached = np.flatnonzero(window_argmax == text_length - 1)
    if len(reached) == 0:
        return None
    steps = len(window_argmax)
    return (steps - reached[0]) * text_length / steps


def edit_alignment(ref, hyp):
    """The Levenshtein alignment of hyp to ref: (distance, pairs), pairs a list of
    (ref character or None, hyp character or None) from start to end (None: an
    insertion or a deletion)."""
    n, m = len(ref), len(hyp)
    d = [list(range(m + 1))]  # d[i][j]: the distance of ref[:i] to hyp[:j]
    for i in range(1, n + 1):
        row = [i]
        for j in range(1, m + 1):
            row.append(min(d[i - 1][j] + 1, row[j - 1] + 1,
                           d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1])))
        d.append(row)
    pairs, i, j = [], n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            pairs.append((ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            pairs.append((ref[i - 1], None))
            i -= 1
        else:
            pairs.append((None, hyp[j - 1]))
            j -= 1
    return d[n][m], pairs[::-1]


def edit_distance(ref, hyp):
    """Levenshtein distance between two strings (insertions, deletions and
    substitutions cost 1): edit_alignment's."""
    return edit_alignment(ref, hyp)[0]


def character_error_rate(refs, hyps, spaces=True):
    """Edits over reference characters, summed over lines (each line's edit distance
    counts, long lines weigh more). spaces=False leaves spaces out of both first."""
    if not spaces:
        refs = [r.replace(" ", "") for r in refs]
        hyps = [h.replace(" ", "") for h in hyps]
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("no reference characters to score against")
    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / total


def character_table(refs, hyps):
    """{character: (times it was read back as itself, times it was written)} over
    the characters of refs, from each line's edit alignment to its reading."""
    table = {}
    for ref, hyp in zip(refs, hyps):
        for r, h in edit_alignment(ref, hyp)[1]:
            if r is not None:
                right, seen = table.get(r, (0, 0))
                table[r] = (right + (r == h), seen + 1)
    return table


LOST_SHARE = 2  # a final-character share above this: the pen lost the text, nearly always


def written_share(info):
    """final_character_share of a line Writer.write wrote, from its info: the window's
    phi [T, len(text)] over its text."""
    phi = info["phi"]
    peaks = phi.argmax(axis=1) if len(phi) else np.zeros(0, int)
    return final_character_share(peaks, phi.shape[1])


def lost_the_text(info):
    """Whether a line Writer.write wrote failed to end cleanly: stopped by the point
    budget rather than the stop rule, or with a final_character_share above LOST_SHARE."""
    share = written_share(info)
    return info["stop"] != "end" or share is None or share > LOST_SHARE


def reads_as(reading, text):
    """Whether a reading is the text, spaces aside (the recogniser's CER counts no space)."""
    return reading.replace(" ", "") == text.replace(" ", "")


def best_try(candidates):
    """Which of a line's candidates [(reading, info)] to keep: the one the recogniser
    reads closest to its text (edits over characters, spaces ignored), among those
    that end by the stop rule without losing the text (final_character_share at most
    2) if any do; without readings, the first of those. Ties go to the earlier try."""
    def score(candidate):
        reading, info = candidate
        lost = lost_the_text(info)
        if reading is None:
            return (lost, 0.0)
        text = info["text"].replace(" ", "")
        return (lost, edit_distance(text, reading.replace(" ", "")) / max(1, len(text)))

    scores = [score(c) for c in candidates]
    return scores.index(min(scores))
