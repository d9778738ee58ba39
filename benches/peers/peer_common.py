"""What every peer script shares: timing a callable, and printing one result line in the
shape report.py reads."""

import json
import statistics
import time


def timed(fn, reps):
    """Runs `fn` `reps` times; returns its last result and every duration in seconds."""
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def report(side, version, op, n, nbytes, times):
    """Prints {"side", "version", "op", "n", "bytes", "min_s", "median_s", "reps"} as one JSON line."""
    line = {"side": side, "version": version, "op": op, "n": n, "bytes": nbytes,
            "min_s": min(times), "median_s": statistics.median(times), "reps": len(times)}
    print(json.dumps(line), flush=True)
