"""What every command does before its work: --help and usage errors answer without
loading TensorFlow, and TensorFlow's start-up lines stay out of the output unless
--verbose or WRITE_RNN_VERBOSE=1 asks for them; the project's modules import without
quieting TensorFlow themselves (a command does it at its entrance)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import quiet

ROOT = Path(__file__).resolve().parents[1]

# runs a command as `python COMMAND ARGS...` would, then says whether TensorFlow loaded
PROBE = textwrap.dedent("""
    import runpy, sys
    sys.argv = sys.argv[1:]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
        code = 0
    except SystemExit as exit:
        code = exit.code
    print("exit", code, "tensorflow" in sys.modules)
""")

USAGE_ERRORS = {
    "train.py": ["--keep_prob", "2"],
    "sample.py": ["--sample_length", "0"],
    "evaluate.py": ["--model_dir", "nowhere"],
    "bench.py": ["--only", "nothing"],
    "app.py": ["--port", "0"],
    "export.py": ["--web", "site", "--precision", "fp8"],
}


def environment(**extra):
    """This environment without the variables that set TensorFlow's or our verbosity."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", quiet.VERBOSE_VARIABLE)}
    return {**env, **extra}


def probe(command, *args):
    out = subprocess.run([sys.executable, "-c", PROBE, command, *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=environment())
    return out.stdout.strip().splitlines()[-1], out.stdout, out.stderr


@pytest.mark.parametrize("command", list(USAGE_ERRORS))
def test_help_answers_without_loading_tensorflow(command):
    last, stdout, stderr = probe(command, "--help")
    assert last == "exit 0 False", stderr[-2000:]
    assert "--verbose" in stdout and "usage:" in stdout
    assert stderr == ""


@pytest.mark.parametrize("command", list(USAGE_ERRORS))
def test_a_usage_error_answers_without_loading_tensorflow(command):
    last, _, stderr = probe(command, *USAGE_ERRORS[command])
    assert last == "exit 2 False"
    # the error and where the flags are, not the whole usage before it
    first, second = stderr.splitlines()[:2]
    assert "error: --" in first and "usage" not in stderr
    assert second.endswith("--help` lists the flags)")


# ---------------------------------------------------------------- the quiet start


def test_what_loads_quietly_drops_known_noise_and_passes_on_the_rest(tmp_path, monkeypatch,
                                                                     capfd):
    (tmp_path / "noisy.py").write_text(textwrap.dedent("""
        import os
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called "
                    b"are written to STDERR\\n"
                    b"I0000 00:00:1795766523.367336   17279 port.cc:153] oneDNN custom "
                    b"operations are on.\\n"
                    b"W0000 00:00:1795766523.367704   17279 cudart_stub.cc:31] Could not "
                    b"find cuda drivers on your machine, GPU will not be used.\\n"
                    b"E0000 00:00:1795766530.854849   17528 something.cc:52] a real error\\n"
                    b"a line of the module's own\\n")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    quiet._import_filtering_stderr("noisy")
    err = capfd.readouterr().err
    assert err == ("E0000 00:00:1795766530.854849   17528 something.cc:52] a real error\n"
                   "a line of the module's own\n")


def test_what_fails_to_load_still_says_why(tmp_path, monkeypatch, capfd):
    (tmp_path / "broken.py").write_text("import os\nos.write(2, b'on the way down\\n')\n1 / 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ZeroDivisionError):
        quiet._import_filtering_stderr("broken")
    assert capfd.readouterr().err == "on the way down\n"


@pytest.mark.parametrize("value, verbose", [("", False), ("0", False), ("1", True),
                                            ("yes", True)])
def test_the_environment_variable_asks_for_verbosity(monkeypatch, value, verbose):
    monkeypatch.setenv(quiet.VERBOSE_VARIABLE, value)
    assert quiet.is_verbose() is verbose
    assert quiet.is_verbose(True)


def run_sample(model_dir, out, *flags, **env):
    return subprocess.run(
        [sys.executable, "sample.py", "--model_dir", str(model_dir), "--filename", str(out),
         "--sample_length", "20", "--seed", "1", *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment(**env))


def is_tensorflow_noise(line):
    return bool(quiet._LOAD_NOISE.fullmatch(line)) or any(
        word in line for word in ("cuInit", "XLA", "absl", "oneDNN"))


@pytest.mark.slow
def test_a_command_prints_its_own_lines_only_and_verbose_brings_tensorflows_back(
        tiny_model_dir, tmp_path):
    silent = run_sample(tiny_model_dir, tmp_path / "q")
    assert silent.returncode == 0, silent.stderr[-3000:]
    assert silent.stderr == ""
    assert silent.stdout.startswith("sampled 1 x 20 points")
    for verbose in (run_sample(tiny_model_dir, tmp_path / "v", "--verbose"),
                    run_sample(tiny_model_dir, tmp_path / "e",
                               **{quiet.VERBOSE_VARIABLE: "1"})):
        assert verbose.returncode == 0, verbose.stderr[-3000:]
        assert any(map(is_tensorflow_noise, verbose.stderr.splitlines()))


# what a snippet of the README does: import the project's modules, then use TensorFlow
IMPORT = "import {module}, tensorflow as tf; tf.constant(1.0) + 1"
QUIET = "import quiet; quiet.quiet_tensorflow(); "  # what a command does at its entrance


@pytest.mark.slow
@pytest.mark.parametrize("module, before, env, quiet", [
    ("model", QUIET, {}, True),
    ("recognizer", QUIET, {}, True),
    ("model", QUIET, {quiet.VERBOSE_VARIABLE: "1"}, False),
    # a command's --verbose: its own call asks, and later calls keep to it
    ("recognizer", "import quiet; quiet.quiet_tensorflow(verbose=True); " + QUIET, {}, False),
])
def test_a_command_quiets_tensorflow_at_its_entrance(module, before, env, quiet):
    out = subprocess.run([sys.executable, "-c", before + IMPORT.format(module=module)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=environment(**env))
    assert out.returncode == 0, out.stderr[-3000:]
    if quiet:
        assert out.stderr == ""
    else:
        assert any(map(is_tensorflow_noise, out.stderr.splitlines())), out.stderr


@pytest.mark.parametrize("module", ["mixture", "lstm", "model", "writer", "recognizer"])
def test_the_networks_and_the_writer_import_without_side_effects(module):
    # importing them leaves TensorFlow's log level to the command (or the user)
    probe = f"import os; import {module}; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=environment())
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-1] == "None"


@pytest.mark.parametrize("argv, message", [
    (["--tries", "0"], "--tries must be between 1 and 16, not 0"),
    (["--bias", "-1"], "--bias must be zero or positive, not -1"),
    (["--lines", "x"], "--lines must be a whole number, not 'x'"),
    (["--bias", "nan"], "--bias must be zero or positive, not nan"),
])
def test_every_command_refuses_a_flag_out_of_range_in_one_style(argv, message, capsys):
    import evaluate

    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(["--model_dir", str(ROOT / "save")] + argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {message}" in err and "usage:" not in err
