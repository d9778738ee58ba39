#!/usr/bin/env python3
"""Builds the seed corpus of every fuzz target (fuzz/seeds/<target>/) from the repository's
fixtures: the golden files of our formats, torch's JSON of every schema version, the .pt2
archives torch wrote (both layouts, torch 2.1 to 2.15), the records inside them (program
JSON, payload configs, torch.save pickles), the pickle and safetensors fixtures.

Each seed is named by the SHA-1 of its bytes, as libFuzzer names corpus files, so a seed
found twice is kept once and a merge with a fuzzing corpus is idempotent.

    python3 scripts/fuzz_seeds.py          # rewrite fuzz/seeds/ (what is committed)
    python3 scripts/fuzz_seeds.py --check  # exit 1 if fuzz/seeds/ differs from the fixtures

Standard library only. The fixtures are selected by name, so the output does not depend on
the order a file system lists them in.
"""

import hashlib
import io
import os
import shutil
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")

# torch releases whose archives the fixtures hold, oldest first.
TORCH = ["2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.1", "2.6.0", "2.7.1", "2.8.0", "2.9.1",
         "2.10.0", "2.11.0", "2.12.1", "2.13.0", "2.14.1", "2.15.0"]
# The programs of each release whose archives seed the archive targets: a plain one, a
# symbolic one (range constraints, SymInt metadata), one with constants, one with mutations.
ARCHIVE_MODELS = ["mlp", "dynamic", "constant_tensor", "mutation"]


def path(*parts):
    return os.path.join(ROOT, *parts)


def read(*parts):
    with open(path(*parts), "rb") as f:
        return f.read()


def listed(folder, suffix):
    """The files of a folder ending in suffix, sorted by name."""
    return sorted(n for n in os.listdir(path(folder)) if n.endswith(suffix))


def golden(suffix):
    return [read("tests/golden", v, n) for v in ("v1.0", "v1.1") for n in listed(f"tests/golden/{v}", suffix)]


def archives():
    """The .pt2 fixtures the archive targets start from."""
    found = []
    for version in TORCH:
        for model in ARCHIVE_MODELS:
            p = f"tests/fixtures/archives/torch-{version}/{model}.pt2"
            if os.path.exists(path(p)):
                found.append(read(p))
    found += [read("tests/fixtures/pt2", n) for n in listed("tests/fixtures/pt2", ".pt2")]
    found.append(read("examples/tinynet.pt2"))
    return found


def records(archive, keep):
    """The records of a zip whose names keep() accepts, in central-directory order."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return [z.read(i) for i in z.infolist() if keep(i.filename)]


def is_program(name):
    return name == "serialized_exported_program.json" or ("/models/" in name and name.endswith(".json"))


def is_config(name):
    return name.endswith("_config.json")


def torch_save_zips(archive):
    """The torch.save archives stored inside a .pt2 (state dicts, constants, sample inputs)."""
    return records(archive, lambda n: n.endswith(".pt"))


def pickles():
    found = []
    for sub in ("synthetic", "torch"):
        found += [read("tests/fixtures/pickle", sub, n) for n in listed(f"tests/fixtures/pickle/{sub}", ".pkl")]
    for archive in archives():
        for inner in torch_save_zips(archive):
            found += records(inner, lambda n: n.endswith("data.pkl"))
    return found


def torch_json():
    found = []
    for case in sorted(os.listdir(path("tests/fixtures/torch-2.15"))):
        for name in ("signature.json", "model.json"):
            p = f"tests/fixtures/torch-2.15/{case}/{name}"
            if os.path.exists(path(p)):
                found.append(read(p))
    for archive in archives():
        found += records(archive, is_program)
    return found


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def frames():
    pbs = golden(".pbs")
    single = [varint(len(b)) + b for b in golden(".pb")]
    return pbs + single + [b"".join(single)]


def safetensors():
    return [read("tests/fixtures/safetensors", n) for n in listed("tests/fixtures/safetensors", ".safetensors")]


def corpora():
    ours = golden(".json") + golden(".pb") + golden(".gsig") + golden(".bincode") + golden(".pbs")
    programs = [r for a in archives() for r in records(a, is_program)]
    configs = [r for a in archives() for r in records(a, is_config)]
    return {
        "decode_any": ours + [read("tests/fixtures/torch-2.15/mutations/signature.json")],
        "codec_json": golden(".json"),
        "codec_fbs": golden(".gsig"),
        "codec_bincode": golden(".bincode"),
        "proto": golden(".pb"),
        "framed": frames(),
        "torch_json": torch_json(),
        "map_json": programs + configs,
        "pickle": pickles(),
        "pt2": archives(),
        "archive_map": archives(),
        "safetensors": safetensors(),
        "scan": archives() + pickles(),
        "embed": [read("tests/fixtures/archives", f"torch-{v}", "mlp.pt2") for v in TORCH] + safetensors(),
    }


def named(seeds):
    return {hashlib.sha1(s).hexdigest(): s for s in seeds}


def main():
    check = sys.argv[1:] == ["--check"]
    wanted = {target: named(seeds) for target, seeds in corpora().items()}
    if check:
        stale = []
        for target, seeds in wanted.items():
            folder = os.path.join(SEEDS, target)
            have = set(os.listdir(folder)) if os.path.isdir(folder) else set()
            if have != set(seeds):
                stale.append(f"{target}: {len(set(seeds) - have)} missing, {len(have - set(seeds))} extra")
        for line in stale:
            print(f"fuzz/seeds/{line}", file=sys.stderr)
        if stale:
            print("fuzz/seeds/ is stale: run python3 scripts/fuzz_seeds.py", file=sys.stderr)
            return 1
        return 0
    for target, seeds in wanted.items():
        folder = os.path.join(SEEDS, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        size = sum(len(d) for d in seeds.values())
        print(f"{target:14} {len(seeds):4} seeds {size:9,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
