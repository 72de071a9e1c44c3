"""The setup the Python tests of the weft command line share: their arguments (WEFT_BINARY SOURCE_DIR WORK_DIR), the
peers' folders on sys.path (bench/, tests/generate/), a skip when Debian's torch is missing, a fresh work folder and
an environment whose compile cache lives in it.

Usage (from a test in tests/<dir>/):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
    from cli_test_setup import setup
    weft, source, work, env = setup()
"""
import os
import shutil
import subprocess
import sys


def setup(needs_torch=True):
    """Returns (weft binary, source dir, work dir, environment); exits 0 with SKIP when torch is needed and missing."""
    weft, source, work = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, os.path.join(source, "bench"))
    sys.path.insert(0, os.path.join(source, "tests", "generate"))
    if needs_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("SKIP: torch is not importable (Debian's python3-torch)")
            sys.exit(0)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ, WEFT_CACHE_DIR=os.path.join(work, "cache"))
    return weft, source, work, env


def run_weft(cmd, env, name, timeout=300):
    """Runs `cmd` (the weft binary and its arguments) and returns its output (stdout and stderr, carriage returns as
    newlines); on a non-zero exit prints the output and exits with FAIL naming `name` and the command."""
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    text = out.stdout.decode(errors="replace").replace("\r", "\n")
    if out.returncode != 0:
        print(text)
        sys.exit(f"FAIL: {name}: {' '.join(cmd)} exited {out.returncode}")
    return text
