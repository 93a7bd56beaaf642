"""A command's entrance: TensorFlow loaded without its start-up chatter, unless asked
(--verbose, or WRITE_RNN_VERBOSE=1). A command calls quiet_tensorflow after its flags are
parsed and before anything imports TensorFlow; the modules that import TensorFlow leave
it to the command, and import without side effects.
"""

import os
import re
import sys
import tempfile

VERBOSE_VARIABLE = "WRITE_RNN_VERBOSE"  # set to 1: TensorFlow's own log lines come back
# What TensorFlow and absl write while TensorFlow loads, before any log level applies:
# absl's notice that it is not initialised, and glog-style info and warning lines
# (oneDNN, "Could not find cuda drivers", CPU features).
_LOAD_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*"
    r"|To enable the following instructions: .* with the appropriate compiler flags\.")


def is_verbose(verbose=False):
    """verbose, or WRITE_RNN_VERBOSE set to anything but empty or 0."""
    return bool(verbose) or os.environ.get(VERBOSE_VARIABLE, "").strip() not in ("", "0")


def add_verbose_flag(parser):
    """The commands' --verbose flag, read by quiet_tensorflow."""
    parser.add_argument("--verbose", action="store_true",
                        help=f"show TensorFlow's own log lines too (as {VERBOSE_VARIABLE}=1 does)")


_verbose_asked = False  # a command's --verbose, once given: later calls keep to it


def quiet_tensorflow(verbose=False):
    """Load TensorFlow and Keras without their start-up chatter: what a command (and
    the test suite, tests/conftest.py) calls at its entrance; the modules that import
    TensorFlow leave it to them, and import without side effects.

    Unless verbose (a command's --verbose, from then on, or WRITE_RNN_VERBOSE=1):
    TensorFlow's C++ log keeps only fatal errors (TF_CPP_MIN_LOG_LEVEL=3, unless it is
    set already: this hides the CUDA "failed call to cuInit" error of a CPU-only
    machine and the XLA lines), what it prints while loading is dropped line by line
    (anything not known to be noise is passed on), and its Python logger keeps errors.
    A command calls it after its flags are parsed and before anything imports
    TensorFlow: TensorFlow reads the log level once, when it loads.
    """
    global _verbose_asked
    _verbose_asked = _verbose_asked or bool(verbose)
    if is_verbose(_verbose_asked):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules:
        _import_filtering_stderr("tensorflow", "keras")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _import_filtering_stderr(*modules):
    """Import modules with file descriptor 2 (where C++ code logs) sent to a file,
    then write what it caught, less _LOAD_NOISE, to sys.stderr."""
    import importlib

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no stderr to redirect
        for module in modules:
            importlib.import_module(module)
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            for module in modules:
                importlib.import_module(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _LOAD_NOISE.fullmatch(line.rstrip()))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
