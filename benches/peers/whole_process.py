#!/usr/bin/env python3
"""Times whole processes (start, imports, the work, exit), min and median of REPS runs,
and prints result lines (peer_common.report): for the archive map, `graphsig map --json`
against a Python that imports torch and calls `torch.export.load`.

    python3 benches/peers/whole_process.py SIDE OP N BYTES REPS -- COMMAND...
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from peer_common import report  # noqa: E402


def main():
    sep = sys.argv.index("--")
    side, op, n, nbytes, reps = sys.argv[1:sep]
    cmd = sys.argv[sep + 1:]
    times = []
    for _ in range(int(reps)):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    report(side, "", op, int(n), int(nbytes), times)


if __name__ == "__main__":
    main()
