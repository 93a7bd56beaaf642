"""Files written so that an interruption never leaves half of one (write_atomic, and
put_in_place for a folder), and whether a folder may take an export (target_problem): what
the caches, the model folders, the pictures and the exports are written with. No
TensorFlow.
"""

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path, data):
    """Write bytes via a temp file in the same folder and a rename: a crash or a
    kill leaves either the old file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private, unlike a normal save
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def target_problem(folder, marker="saved_model.pb"):
    """Why folder cannot take an export (export.py: a SavedModel, or the page's static
    build, whose marker is site.json), or None if it can: replacing an earlier export
    (a folder holding marker) is fine, anything else in the way is left alone."""
    target = Path(folder)
    if target.exists() and not (target / marker).is_file() and (
            not target.is_dir() or any(target.iterdir())):
        what = "a SavedModel" if marker == "saved_model.pb" else f"a build (no {marker})"
        return f"exists and is not {what}: choose a new folder"
    return None


def put_in_place(staging, target):
    """A finished folder in target's place, an earlier target removed only after."""
    os.chmod(staging, 0o755)  # mkdtemp makes it private, unlike a normal folder
    if target.exists():
        old = staging.with_name(staging.name + ".old")
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old)
    else:
        os.replace(staging, target)
