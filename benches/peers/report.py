#!/usr/bin/env python3
"""Reads the JSON lines of benches/peers/run.sh and prints the figures, the ratios and the
targets as Markdown (what BENCHMARKS.md holds).

Ratios use the median of each side (the minimum is shown too): ratio = peer / ours, so
"250x" means we took 1/250 of the peer's time."""

import json
import sys


def ms(s):
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.2f} s"


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    machine = next((r for r in rows if r["side"] == "machine"), {})
    print(f"machine: {machine.get('cpu', '?')}, nproc {machine.get('nproc', '?')}, Linux {machine.get('kernel', '?')}")
    t = {(r["side"], r["op"], r["n"]): r for r in rows if r["side"] != "machine"}
    for n in sorted({r["n"] for r in rows if "n" in r}):
        print(f"\n### {n} specs\n")
        print("| figure | ours (median / min) | peer | peer (median / min) | peer / ours (median) | target | met |")
        print("|---|---|---|---|---|---|---|")

        # The targets are set on the 100,000-spec signature; smaller sizes show the ratio only.
        targeted = n >= 100_000

        def row(op, peer_side, peer_op, target_ratio, label=None):
            if not targeted:
                target_ratio = None
            ours = t.get(("ours", op, n))
            peer = t.get((peer_side, peer_op, n))
            if not ours:
                return
            o = f"{ms(ours['median_s'])} / {ms(ours['min_s'])}"
            if peer:
                p = f"{ms(peer['median_s'])} / {ms(peer['min_s'])}"
                ratio = peer["median_s"] / ours["median_s"]
                met = "—" if target_ratio is None else "yes" if ratio >= target_ratio else "**no**"
                target = f"≥ {target_ratio:g}x" if target_ratio else "—"
                print(f"| {label or op} | {o} | {peer_side} {peer.get('version', '')} | {p} | {ratio:.2f}x | {target} | {met} |")
            else:
                print(f"| {label or op} | {o} | — | — | — | — | — |")

        # Issue 16's targets (the first round's were 200x, 200x and 1x).
        row("torch_json.decode", "torch", "torch_json.decode", 600)
        row("torch_json.encode", "torch", "torch_json.encode", 800)
        row("proto.decode", "upb", "proto.decode", 1.5)
        row("proto.encode", "upb", "proto.encode", 5)
        for op in ("json.decode", "json.encode", "bincode.decode", "bincode.encode", "fbs.decode", "fbs.encode",
                   "fbs.verify", "fbs.verify_and_lookup", "fbs.lookup_by_name", "fbs.lookup_by_target",
                   "accessors.build", "accessors.lookup", "accessors.lookup_mutation", "pt2.read_tiny", "pt2.read_1gib"):
            row(op, "-", "-", None)

        print("\n| target | figures | value | met |")
        print("|---|---|---|---|")
        whole = t.get(("ours", "convert.whole_process", n))
        tdec, tenc = t.get(("torch", "torch_json.decode", n)), t.get(("torch", "torch_json.encode", n))
        if whole and tdec and tenc:
            torch_s = tdec["median_s"] + tenc["median_s"]
            r = torch_s / whole["median_s"]
            goal = 250 if targeted else None
            met = "—" if goal is None else "yes" if r >= goal else "**no**"
            print(f"| whole process `graphsig convert` torch-json → torch-json (min {ms(whole['min_s'])}) against "
                  f"torch's in-process decode + encode{' ≥ 250x' if goal else ''} | "
                  f"{ms(whole['median_s'])} / {ms(torch_s)} | {r:.0f}x | {met} |")
        look, dec = t.get(("ours", "fbs.lookup_by_name", n)), t.get(("ours", "fbs.decode", n))
        if look and dec:
            share = look["median_s"] / dec["median_s"] * 100
            print(f"| one FlatBuffers lookup by name on a verified buffer < 1% of a full decode | "
                  f"{ms(look['median_s'])} / {ms(dec['median_s'])} | {share:.4f}% | {'yes' if share < 1 else '**no**'} |")
        vl = t.get(("ours", "fbs.verify_and_lookup", n))
        if vl and dec:
            share = vl["median_s"] / dec["median_s"] * 100
            print(f"| (for information: verify + one lookup, against a full decode) | "
                  f"{ms(vl['median_s'])} / {ms(dec['median_s'])} | {share:.1f}% | — |")
        tiny, big = t.get(("ours", "pt2.read_tiny", n)), t.get(("ours", "pt2.read_1gib", n))
        if tiny and big:
            r = big["median_s"] / tiny["median_s"]
            print(f"| signature from a .pt2 with 1 GiB weights within 2x of tiny weights | "
                  f"{ms(big['median_s'])} / {ms(tiny['median_s'])} | {r:.2f}x | {'yes' if r <= 2 else '**no**'} |")
        for fmt in ("torch-json", "proto", "json", "bincode", "fbs"):
            p = t.get(("ours", f"{fmt}.decode_peak_heap", n))
            if p:
                print(f"| peak heap decoding {fmt} ≤ 2x the decoded model (heap it holds; its content) | "
                      f"{p['peak_bytes'] / 2**20:.1f} MiB / {p['model_bytes'] / 2**20:.1f} MiB; "
                      f"{p['model_content_bytes'] / 2**20:.1f} MiB | {p['ratio']:.2f}x; {p['ratio_to_content']:.2f}x | "
                      f"{'yes' if p['ratio_to_content'] <= 2 else '**no**'} |")

    scaling(t)


# The operations whose cost per spec the scaling table compares across sizes.
SCALED = ("torch_json.decode", "torch_json.encode", "proto.decode", "proto.encode", "json.decode", "json.encode",
          "bincode.decode", "bincode.encode", "fbs.decode", "fbs.encode", "pt2.read_tiny")


def scaling(t):
    """Time and peak heap per spec at every size measured, and the spread (largest over
    smallest per-spec figure): linear growth keeps it near 1x; the target is within 1.5x."""
    sizes = sorted({n for (side, _, n) in t if side == "ours"})
    if len(sizes) < 2:
        return
    print("\n### Scaling: per spec, at every size\n")
    print("| figure | " + " | ".join(f"{n:,}" for n in sizes) + " | spread (max / min) | within 1.5x |")
    print("|---|" + "---|" * len(sizes) + "---|---|")

    def line(label, values, unit):
        present = [v for v in values if v is not None]
        if len(present) < 2:
            return
        spread = max(present) / min(present)
        cells = " | ".join("—" if v is None else unit(v) for v in values)
        print(f"| {label} | {cells} | {spread:.2f}x | {'yes' if spread <= 1.5 else '**no**'} |")

    for op in SCALED:
        values = [t[("ours", op, n)]["median_s"] / n if ("ours", op, n) in t else None for n in sizes]
        line(f"{op} (median)", values, lambda v: f"{v * 1e9:.0f} ns")
    for fmt in ("torch-json", "proto", "json", "bincode", "fbs"):
        op = f"{fmt}.decode_peak_heap"
        values = [t[("ours", op, n)]["peak_bytes"] / n if ("ours", op, n) in t else None for n in sizes]
        line(f"peak heap decoding {fmt}", values, lambda v: f"{v:.0f} B")


if __name__ == "__main__":
    main()
