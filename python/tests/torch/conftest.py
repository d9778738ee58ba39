"""pytest configuration: with GRAPHSIG_NO_SKIPS=1 (as scripts/python-check.sh runs the
suite) a skipped test fails the run, so nothing is skipped silently."""

import os

_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("GRAPHSIG_NO_SKIPS") == "1" and _skipped:
        print(f"\n{len(_skipped)} test(s) skipped, which this run does not allow: {_skipped[:5]}")
        session.exitstatus = 1

# The shared helpers (support.py) are one folder up.
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

# torch.export.load of the opaque-object archives (torch 2.13+) needs their class:
# scripts/graphsig_opaque.py, as scripts/torch_interop.py imports it.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "scripts"))
import graphsig_opaque  # noqa: E402,F401
