"""Dataclass fields that are also command-line flags.

A field declared with flag() holds its default, its help text and its range in one
place: check_fields enforces the ranges (a dataclass calls it from __post_init__),
and add_flags turns the fields into argparse flags whose default is SUPPRESS, so
that the parsed namespace holds exactly the flags that were given.
"""

import argparse
import dataclasses
import math

from text import check_seed, seed_message

RANGES = {
    "positive": (lambda v: v > 0, "must be positive"),
    "non-negative": (lambda v: v >= 0, "must be zero or positive"),
    "probability": (lambda v: 0 < v <= 1, "must be in (0, 1]"),
    "share": (lambda v: 0 <= v <= 1, "must be in [0, 1]"),
}


class ArgumentParser(argparse.ArgumentParser):
    """The commands' parser: a usage error is the error and where the flags are listed,
    not the whole usage first (forty flags bury the one line that matters)."""

    def error(self, message):
        # argparse's own "argument --flag: must be ..." in the commands' words: "--flag must be"
        if message.startswith("argument --") and ": " in message:
            name, rest = message[len("argument "):].split(": ", 1)
            message = f"{name} {rest}" if rest.startswith("must") else f"{name}: {rest}"
        self.exit(2, f"{self.prog}: error: {message}\n(`{self.prog} --help` lists the "
                     "flags)\n")


class FieldError(ValueError):
    """A field out of its range; the message starts with the field's name."""


def flag(default, help, check=None, choices=None, type=None, command_line=True):
    """A dataclass field with a default, the help of its flag, a range (a key of
    RANGES), or choices. type: the flag's type when the default is None.
    command_line=False: a field set by the program, with no flag."""
    metadata = {"help": help, "check": check, "choices": choices, "command_line": command_line,
                "type": type or (None if default is None else builtin_type(default))}
    return dataclasses.field(default=default, metadata=metadata)


def builtin_type(value):
    return float if isinstance(value, float) else type(value)


def check_fields(obj):
    """Check every field of the dataclass obj against its declared range and choices
    (None passes: an option not set). Raises FieldError."""
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        choices, check = field.metadata.get("choices"), field.metadata.get("check")
        if value is None:
            continue
        if choices and value not in choices:
            allowed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
            raise FieldError(f"{field.name} must be {allowed}, not {value!r}")
        if check:
            within, rule = RANGES[check]
            if not (math.isfinite(value) and within(value)):
                raise FieldError(f"{field.name} {rule}, not {value}")


def add_flags(parser, cls):
    """A --name flag for every field of the dataclass cls, with its help and default
    shown; the parsed value is absent unless the flag is given."""
    for field in dataclasses.fields(cls):
        meta = field.metadata
        if not meta.get("command_line", True):
            continue
        shown = "off" if field.default is False else field.default
        help = meta.get("help", "")
        if shown is not None:
            help = f"{help} (default: {shown})".strip()
        name = f"--{field.name}"
        if isinstance(field.default, bool):
            action = parser.add_argument(name, action="store_true", default=argparse.SUPPRESS,
                                         help=help)
        else:
            action = parser.add_argument(name, default=argparse.SUPPRESS, help=help,
                                         type=meta.get("type") or builtin_type(field.default),
                                         choices=meta.get("choices"))
        # what flag_table shows: the default and help of the field, not argparse's
        action.field_default, action.field_help = field.default, meta.get("help", "")


def given(args, cls):
    """The fields of cls among the parsed flags args: those given on the command line."""
    names = {field.name for field in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}


def ranged(check, kind=float):
    """The type of a numeric flag that must lie in RANGES[check] ("positive", ...):
    argparse then refuses another value in the range's words, as a Config field's."""
    within, rule = RANGES[check]
    return _numeric(kind, lambda v: math.isfinite(v) and within(v), rule)


def between(low, high):
    """The type of a whole-number flag from low to high."""
    return _numeric(int, lambda v: low <= v <= high, f"must be between {low} and {high}")


def _numeric(kind, within, rule):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            what = "whole number" if kind is int else "number"
            raise argparse.ArgumentTypeError(f"must be a {what}, not {text!r}") from None
        if not within(value):
            raise argparse.ArgumentTypeError(f"{rule}, not {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def seed_flag(value):
    """The type of a --seed flag: a seed by text.check_seed's rule, in its words."""
    try:
        return check_seed(int(value))
    except ValueError:
        raise argparse.ArgumentTypeError(seed_message(value)) from None


def flag_table(parser):
    """The flags of parser as the Markdown table the docs show (flag, default, what it
    does), made from the flags themselves: docs/make_flag_tables.py writes it into the
    docs, and a test fails when a table there differs from it."""
    rows = ["| flag | default | what it does |", "| --- | --- | --- |"]
    for action in parser._actions:
        names = [o for o in action.option_strings if o.startswith("--")]
        if not names or action.dest == "help":
            continue
        default = getattr(action, "field_default", action.default)
        if isinstance(action, argparse._StoreTrueAction):
            shown = "off"
        else:
            shown = "" if default in (None, "") else f"`{default}`"
        help = getattr(action, "field_help", action.help) or ""
        cell = lambda text: text.replace("|", "\\|").replace("%%", "%")  # noqa: E731
        rows.append(f"| {', '.join(f'`{n}`' for n in names)} | {cell(shown)} | {cell(help)} |")
    return "\n".join(rows)
