#!/usr/bin/env python3
"""Runs a command, stops it after LIMIT seconds, and prints its peak resident memory,
wall time, exit status and the length and start of its error output (for run.sh)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

limit = float(os.environ.get("LIMIT", "20"))
with tempfile.TemporaryFile() as err:
    start = time.monotonic()
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=err)
    killed = False
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > limit:
            child.send_signal(signal.SIGKILL)
            pid, status, usage = os.wait4(child.pid, 0)
            killed = True
            break
        time.sleep(0.005)
    wall = time.monotonic() - start
    err.seek(0)
    text = err.read()
code = f"killed after {limit:.0f} s" if killed else f"exit {os.waitstatus_to_exitcode(status)}"
first = text.decode("utf-8", "replace").splitlines()[0][:70] if text else ""
print(f"{usage.ru_maxrss // 1024} MB, {wall:.2f} s, {code}, stderr {len(text)} bytes" + (f": `{first}…`" if first else ""))
