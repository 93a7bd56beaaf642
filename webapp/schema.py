"""What a request may hold and what the app answers: the limits (app.py's flags), the
JSON schema of the API (pydantic), and the checks a request passes before the model
sees it, each failing with a BadInput (a 422) that says what is wrong."""

import dataclasses
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from config import DEFAULT_TRIES, MAX_TRIES
from flags import check_fields, flag
from iam_ondb import checked_line
from text import SEED_RANGE, as_written, check_seed, wrap_text, writable_lines

MAX_BIAS = 10.0  # beyond this every mixture has collapsed to its mean anyway


@dataclasses.dataclass
class Limits:
    """What one request may ask for: the flags of app.py, shown by GET /api/health."""

    max_text_length: int = flag(400, "characters of text in one request", check="positive")
    line_length: int = flag(50, "wrap the text into lines of at most this many characters "
                            "(as sample.py --line_length)", check="positive")
    max_lines: int = flag(8, "lines of one request, after wrapping", check="positive")
    max_paper_length: int = flag(6000, "characters of text on paper in one request (about "
                                 "a thousand words, three pages of A4)", check="positive")
    max_points: int = flag(2000, "points of free writing in one request", check="positive")
    max_style_points: int = flag(3000, "points of a style or a line to carry on from",
                                 check="positive")
    max_style_text: int = flag(100, "characters of a style's text", check="positive")
    max_body_bytes: int = flag(262144, "bytes of a request body", check="positive")
    max_batch: int = flag(16, "requests' lines written in one model call (1: one request at "
                          "a time, no batching)", check="positive")
    batch_wait_ms: float = flag(10.0, "how long the first request of a batch waits for others",
                                check="non-negative")
    max_queue: int = flag(256, "requests waiting for the model before new ones are turned "
                          "away (503)", check="positive")

    def __post_init__(self):
        check_fields(self)


# ---------------------------------------------------------------- requests and answers

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Step = Annotated[list[Finite], Field(min_length=3, max_length=3,
                                     description="(dx, dy, eos) in tablet units, eos 0 or 1")]
# text.check_seed decides, as it does for sample.py and the model: the same words everywhere
Seed = Annotated[int, Field(strict=True, json_schema_extra={"minimum": 0,
                                                            "maximum": SEED_RANGE - 1},
                            description="the same seed and inputs write the same; "
                                        "leave out for a fresh one"),
                 AfterValidator(check_seed)]
Bias = Annotated[float, Field(strict=True, ge=0.0, le=MAX_BIAS, allow_inf_nan=False,
                              description="legibility: 0 writes as the data, larger is "
                                          "neater (Graves eq. 61-62)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Style(Strict):
    strokes: list[Step] = Field(description="a line of writing, [[dx, dy, eos], ...] in "
                                            "tablet units, as /api/write returns it")
    text: str = Field(description="what the strokes write")


class Tried(Strict):
    """A request with tries and max_tries: max_tries, when given, at least tries."""

    @model_validator(mode="after")
    def max_tries_at_least_tries(self):
        if self.max_tries is not None and self.max_tries < self.tries:
            raise ValueError(f"max_tries ({self.max_tries}) is fewer than tries "
                             f"({self.tries}): give at least as many")
        return self


class WriteRequest(Tried):
    text: str | None = Field(None, description="the text; long lines are wrapped")
    lines: list[str] | None = Field(None, description="or its lines (each wrapped if long)")
    bias: Bias = 0.0
    tries: Annotated[int, Field(strict=True, ge=1, le=MAX_TRIES,
                                description="candidates of each line, of which the one the "
                                            "recogniser reads best is kept")] = DEFAULT_TRIES
    max_tries: Annotated[int | None, Field(strict=True, ge=1, le=MAX_TRIES, description=(
        "a line whose every try the recogniser misreads is written again, tries more at a "
        "time, until one reads right or this many were drawn (at least tries)"))] = None
    seed: Seed | None = None
    style: Style | None = Field(None, description="write in this hand (Graves section 5.5)")
    hand: str | None = Field(None, description="or in this named hand of the model's "
                                               "(hand-1, ...; GET /api/health lists them)")


class PaperRequest(Tried):
    text: str = Field(description="the text: a blank line starts a paragraph, the lines "
                                  "between run on (docs/paper.md)")
    paper: str = Field("a4", description="a4, a5, a6, a3, letter, legal or WIDTHxHEIGHTmm")
    landscape: bool = False
    margins: str = Field("20", description="mm: one for all four, or top,right,bottom,left")
    size: Finite | None = Field(None, description="the x-height in mm (default 2.5)")
    pitch: Finite | None = Field(None, description="baseline to baseline in mm (default 3.2 "
                                                   "x size)")
    align: Literal["left", "center", "right"] = "left"
    lifelike: bool = Field(False, description="tilted, bowed, unevenly spaced lines, a hand "
                                              "loosening down the text, a pen wider where "
                                              "slow in the PDF")
    bias: Bias = 0.0
    tries: Annotated[int, Field(strict=True, ge=1, le=MAX_TRIES)] = DEFAULT_TRIES
    max_tries: Annotated[int | None, Field(strict=True, ge=1, le=MAX_TRIES)] = None
    seed: Seed | None = None
    style: Style | None = None
    hand: str | None = None


class SampleRequest(Strict):
    num_points: Annotated[int, Field(strict=True, ge=1)] = 700
    bias: Bias = 0.0
    seed: Seed | None = None
    prime: list[Step] | None = Field(None, description="a line to carry on from, in its hand")


class ReadRequest(Strict):
    strokes: list[Step] = Field(description="a line of handwriting, [[dx, dy, eos], ...] in "
                                            "tablet units, as the page's pad records it")


class ReadAnswer(BaseModel):
    text: str = Field(description="what the recogniser reads (save/recognizer)")


class Line(BaseModel):
    text: str
    strokes: list[list[float]]
    seed: int
    stop: Literal["end", "budget"]
    reading: str | None = Field(description="what the recogniser reads of the line, if "
                                            "there is one")
    read_right: bool | None = Field(description="whether that reading is the line's text "
                                                "(spaces aside): false says that no try "
                                                "read right; null without a recogniser")


class WriteAnswer(BaseModel):
    strokes: list[list[float]] = Field(description="the page, [[dx, dy, eos], ...] in tablet "
                                                   "units: its lines one below the other")
    seed: int = Field(description="the seed of the first line; line i has seed + i")
    stop: Literal["end", "budget"] = Field(description="end: every line ended by the stop "
                                                       "rule; budget: one ran out of points")
    lines: list[Line]
    note: str = Field("", description="how the text's typography was written, if it was "
                                      "folded onto the alphabet (curly quotes as straight "
                                      "ones, dashes as hyphens, ...), else empty")


class SampleAnswer(BaseModel):
    strokes: list[list[float]]
    seed: int


class BadInput(ValueError):
    """A request the app will not run: a 422 with this message."""


def validation_message(errors):
    """Pydantic's errors as one line, without echoing the input back."""
    parts = []
    for error in errors[:5]:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            parts.append(f"the body is not valid JSON ({reason})" if reason
                         else "the body is not valid JSON")
            continue
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        where = ".".join(loc).replace(".[", "[")
        message = str(error.get("msg")).removeprefix("Value error, ")  # a check of ours
        parts.append(f"{where}: {message}" if where else message)
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


# ---------------------------------------------------------------- checks


def check_steps(steps, name, limit):
    """Given strokes -> float32 [T, 3] (iam_ondb.checked_line), or BadInput saying what is
    wrong."""
    try:
        return checked_line(steps, name, limit)
    except ValueError as err:
        raise BadInput(str(err)) from None


def writable(lines, alphabet):
    """lines, if the model can write them (text.writable_lines: a character it cannot
    write is refused, in the words of sample.py and model.write), or BadInput."""
    try:
        return writable_lines(lines, alphabet)[0]
    except ValueError as err:
        raise BadInput(str(err)) from None


def lines_of(request, limits, alphabet):
    """The request's text as the lines to write (text.wrap_text), checked against the
    limits and the alphabet."""
    if (request.text is None) == (request.lines is None):
        raise BadInput("give either text or lines")
    parts = [request.text] if request.text is not None else request.lines
    length = sum(map(len, parts))
    if length > limits.max_text_length:
        raise BadInput(f"the text has {length} characters; at most {limits.max_text_length}")
    lines = [line for part in parts for line in wrap_text(part, limits.line_length)]
    if not lines:
        raise BadInput("nothing to write: the text is empty")
    if len(lines) > limits.max_lines:
        raise BadInput(f"the text makes {len(lines)} lines of at most {limits.line_length} "
                       f"characters; at most {limits.max_lines} are written")
    return writable(lines, alphabet)


def style_of(style, limits, alphabet, hand=None, named=None):
    """(strokes, text) of a request's style, or of its named hand (named: the synthesis
    model's, {name: (strokes, text)}), checked, or None."""
    if hand is not None:
        if style is not None:
            raise BadInput("give style or hand, not both")
        if hand not in (named or {}):
            raise BadInput(f"hand: unknown named hand {hand!r}; the model's are "
                           f"{', '.join(sorted(named or {})) or 'none'}")
        return named[hand]
    if style is None:
        return None
    text = as_written(style.text)
    if not text:
        raise BadInput("a style needs the text its strokes write (style.text is empty)")
    if len(text) > limits.max_style_text:
        raise BadInput(f"style.text has {len(text)} characters; at most "
                       f"{limits.max_style_text}")
    writable([text], alphabet)
    return check_steps(style.strokes, "style.strokes", limits.max_style_points), text
