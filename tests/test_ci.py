""".ci/run: a fresh machine builds the environment from the project's own files, outside
the checkout; a later run reuses it. Run here with stand-ins for python3, python, pip and
ruff that only write down how they were called (and, first on the PATH, stand in for
anything the script would otherwise find on the machine)."""

import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STAND_IN = """#!/bin/sh
echo "$0 $*" >> "$CALLS"
"""
# python3 -m venv DIR: a "venv" whose python and ruff are stand-ins too
PYTHON3 = STAND_IN + """if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin"
    echo 'PATH="'"$3"'/bin:$PATH"' > "$3/bin/activate"
    cp "$STAND_IN" "$3/bin/python"
    cp "$STAND_IN" "$3/bin/ruff"
fi
"""


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def ci(tmp_path, **env):
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    # the runner's own WRITE_RNN_VENV (a CI run that chose its environment's place) is not
    # the stand-ins': only env says where the environment goes
    outside = {k: v for k, v in os.environ.items() if k != "WRITE_RNN_VENV"}
    run = subprocess.run(["bash", str(ROOT / ".ci" / "run")], capture_output=True, text=True,
                         timeout=60, env={**outside, "PATH": f"{tmp_path / 'bin'}:"
                                          f"{os.environ['PATH']}", "CALLS": str(calls),
                                          "STAND_IN": str(tmp_path / "stand-in"), **env})
    assert run.returncode == 0, run.stderr
    return calls.read_text().splitlines()


def test_ci_builds_the_environment_once_outside_the_checkout_and_reuses_it(tmp_path):
    (tmp_path / "bin").mkdir()
    executable(tmp_path / "stand-in", STAND_IN)
    executable(tmp_path / "bin" / "python3", PYTHON3)
    for name in ("python", "pip", "ruff", "pytest"):
        executable(tmp_path / "bin" / name, STAND_IN)
    home = tmp_path / "home"
    venv = home / ".cache" / "write-rnn" / "venv"
    first = ci(tmp_path, HOME=str(home), XDG_CACHE_HOME="")
    assert first == [f"{tmp_path}/bin/python3 -m venv {venv}",
                     f"{venv}/bin/python -m pip install --quiet --upgrade pip",
                     f"{venv}/bin/python -m pip install --quiet -r requirements-dev.txt",
                     f"{venv}/bin/ruff check .",
                     f"{venv}/bin/python -m pytest"]
    again = ci(tmp_path, HOME=str(home), XDG_CACHE_HOME="")
    # the environment is there and works: no new one, only pip's check of the requirements
    assert again == [f"{venv}/bin/python -c import sys", *first[2:]]
    elsewhere = tmp_path / "elsewhere"
    assert ci(tmp_path, WRITE_RNN_VENV=str(elsewhere))[0] == (
        f"{tmp_path}/bin/python3 -m venv {elsewhere}")
