#!/usr/bin/env python3
"""The detection table of docs/scan.md: graphsig scan, picklescan and modelscan on the files
scripts/scan_plant.py planted (run by scripts/scan-check.sh).

    scan_peers.py PLANTED_DIR GRAPHSIG_JSON PEERS_BIN TORCH_LOADS_TSV > detection.md

A tool *caught* a file when it reports the planted global (module and name) for it; it
*missed* it when it reports nothing of it; an *error* is a file it says it could not scan
(modelscan's "does not support nested zip files") without reporting the global.
"""
import json
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path


def picklescan(bin_dir: Path, path: Path, planted: str) -> str:
    p = subprocess.run([str(bin_dir / "picklescan"), "--path", str(path)], capture_output=True, text=True)
    module, name = planted.rsplit(".", 1)
    text = p.stdout + p.stderr
    modules = {module, "posix"} if module == "os" else {module}
    if any(f"'{m} {name}'" in text for m in modules):
        return "caught"
    if p.returncode == 2 or "ERROR" in text:
        return "error"
    return "missed"


def modelscan(bin_dir: Path, path: Path, planted: str, scratch: Path) -> str:
    out = scratch / "modelscan.json"
    out.unlink(missing_ok=True)
    subprocess.run([str(bin_dir / "modelscan"), "-p", str(path), "-r", "json", "-o", str(out)],
                   capture_output=True, text=True)
    if not out.exists():
        return "error"
    report = json.loads(out.read_text())
    module, name = planted.rsplit(".", 1)
    modules = {module, "posix"} if module == "os" else {module}
    if any(i.get("operator") == name and i.get("module") in modules for i in report.get("issues", [])):
        return "caught"
    return "error" if report.get("errors") else "missed"


def main() -> None:
    planted_dir, ours_json, bin_dir, loads_tsv = (Path(a) for a in sys.argv[1:5])
    cases = json.loads((planted_dir / "cases.json").read_text())
    ours = {Path(f["path"]).name: f for f in json.loads(ours_json.read_text())["files"]}
    loads = {}
    for line in loads_tsv.read_text().splitlines():
        case, release, ran, _expect, said = line.split("\t", 4)
        loads[case] = (release, ran == "True")
    scratch = planted_dir / ".peers"
    scratch.mkdir(exist_ok=True)
    rows = OrderedDict()
    totals = {t: {"caught": 0, "missed": 0, "error": 0} for t in ("graphsig", "picklescan", "modelscan")}
    for c in cases:
        path = planted_dir / c["file"]
        f = ours[c["file"]]
        named = any(g["name"] == c["planted"] and g["standing"] == "not-allowed" for p in f["pickles"] for g in p["globals"])
        results = {
            "graphsig": "caught" if f["verdict"] == "dangerous" and named else ("error" if f["verdict"] == "malformed" else "missed"),
            "picklescan": picklescan(bin_dir, path, c["planted"]),
            "modelscan": modelscan(bin_dir, path, c["planted"], scratch),
        }
        for tool, r in results.items():
            totals[tool][r] += 1
        release, ran = loads.get(c["case"], (c["release"], None))
        row = rows.setdefault(c["place"], {"releases": [], "ran": [], **{t: {"caught": 0, "missed": 0, "error": 0} for t in results}})
        row["releases"].append(c["release"])
        row["ran"].append(ran)
        for tool, r in results.items():
            row[tool][r] += 1

    def cell(d):
        parts = [f"{d['caught']} caught"]
        if d["missed"]:
            parts.append(f"{d['missed']} missed")
        if d["error"]:
            parts.append(f"{d['error']} error")
        return ", ".join(parts)

    def releases(rs):
        rs = sorted(set(rs), key=lambda r: [int(x) for x in r.split(".")] if r != "any" else [99])
        return rs[0] if len(rs) == 1 else f"{rs[0]} – {rs[-1]} ({len(rs)})"

    print("| place planted | torch releases | torch ran the call | graphsig scan | picklescan 1.0.5 | modelscan 0.8.8 |")
    print("|---|---|---|---|---|---|")
    for place, row in rows.items():
        ran = row["ran"]
        ran_text = "not run" if any(r is None for r in ran) else f"{sum(ran)} of {len(ran)}"
        print(f"| {place} | {releases(row['releases'])} | {ran_text} | {cell(row['graphsig'])} | "
              f"{cell(row['picklescan'])} | {cell(row['modelscan'])} |")
    n = len(cases)
    ran_total = sum(1 for c in cases if loads.get(c["case"], (None, False))[1])
    print(f"| **all {n} files** | | **{ran_total} of {n}** | **{cell(totals['graphsig'])}** | "
          f"**{cell(totals['picklescan'])}** | **{cell(totals['modelscan'])}** |")


if __name__ == "__main__":
    main()
