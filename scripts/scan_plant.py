#!/usr/bin/env python3
"""Plants a harmless call into copies of real torch archives, in every place a torch loader
unpickles, for `graphsig scan` and other scanners to find (scripts/scan-check.sh).

    scripts/scan_plant.py OUT_DIR MARKER_DIR [EXTRA.pt2 ...]

The planted prefix is a GLOBAL and a REDUCE calling a harmless function with a path under
MARKER_DIR, then a POP, then the original pickle: the loader runs the call and goes on
loading the model as if nothing happened. Two functions alternate:

- `builtins.open(MARKER_DIR/<case>, "w")`: creates an empty marker file;
- `os.mkdir(MARKER_DIR/<case>)`: creates a marker directory.

Nothing destructive; MARKER_DIR should be a fresh temporary directory.

Sources (copied, never modified): tests/fixtures/archives/torch-<release>/ (linear.pt2 in
every release; opaque.pt2 for opaque objects), and EXTRA archives given on the command line
(the TorchScript custom-object archives scripts/scan-check.sh makes with torch).

Writes OUT_DIR/<case>.<ext> and OUT_DIR/cases.json: one object per case with the file, the
release, the place planted, the global planted, the marker path, and how torch loads it
(`loader`: "export" for torch.export.load, "torch_load" for torch.load(weights_only=False)).
Only the standard library is used.
"""
import base64
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests/fixtures/archives"
RELEASES = [
    "2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.1", "2.6.0", "2.7.1", "2.8.0",
    "2.9.1", "2.10.0", "2.11.0", "2.12.1", "2.13.0", "2.14.1", "2.15.0",
]


def unicode(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def planted_prefix(function: str, marker: Path) -> bytes:
    """PROTO 2, the call, POP: the loader calls `function` and drops what it returns."""
    module, name = function.rsplit(".", 1)
    args = unicode(str(marker)) + (unicode("w") if name == "open" else b"")
    return b"\x80\x02" + b"c" + module.encode() + b"\n" + name.encode() + b"\n" + b"(" + args + b"tR0"


def plant(pickle: bytes, function: str, marker: Path) -> bytes:
    # The original's own PROTO goes: the prefix declared the protocol already.
    body = pickle[2:] if pickle[:1] == b"\x80" else pickle
    return planted_prefix(function, marker) + body


def rewrite_zip(data: bytes, replace: dict, add: dict | None = None) -> bytes:
    """The zip `data` with the records of `replace` (name -> function of the old bytes) given
    new bytes, and the records of `add` (name -> bytes) added; every record STORED, in order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename in replace:
                body = replace[info.filename](body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), body)
        for name, body in (add or {}).items():
            dst.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), body)
    return out.getvalue()


def plant_torch_save(data: bytes, function: str, marker: Path) -> bytes:
    """A torch.save zip with its data.pkl planted."""
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    pkl = next(n for n in names if n.endswith("/data.pkl"))
    return rewrite_zip(data, {pkl: lambda b: plant(b, function, marker)})


class Planter:
    def __init__(self, out: Path, markers: Path):
        self.out, self.markers, self.cases, self.n = out, markers, [], 0

    def function(self) -> str:
        self.n += 1
        return "builtins.open" if self.n % 2 else "os.mkdir"

    def case(self, name, release, place, data, function, loader, ext="pt2", expect_run=True):
        path = self.out / f"{name}.{ext}"
        path.write_bytes(data)
        self.cases.append({
            "case": name, "file": path.name, "release": release, "place": place,
            "planted": function, "marker": str(self.markers / name), "loader": loader,
            "expect_run": expect_run,
        })

    def nested(self, release, archive: Path, record: str, place: str, name: str):
        """Plants into the torch.save zip stored as `record` of `archive`."""
        f = self.function()
        marker = self.markers / name
        data = rewrite_zip(archive.read_bytes(), {record: lambda b: plant_torch_save(b, f, marker)})
        self.case(name, release, place, data, f, "export")


def main() -> None:
    out, markers = Path(sys.argv[1]), Path(sys.argv[2])
    extras = [Path(p) for p in sys.argv[3:]]
    out.mkdir(parents=True, exist_ok=True)
    markers.mkdir(parents=True, exist_ok=True)
    p = Planter(out, markers)
    for release in RELEASES:
        base = FIXTURES / f"torch-{release}" / "linear.pt2"
        tag = release.replace(".", "_")
        z = zipfile.ZipFile(base)
        names = z.namelist()
        if "serialized_exported_program.json" in names:  # legacy zip, torch 2.1 to 2.7
            for record, place in [
                ("serialized_state_dict.json", "legacy state dict"),
                ("serialized_state_dict.pt", "legacy state dict"),
                ("serialized_constants.pt", "legacy constants"),
                ("serialized_example_inputs.pt", "legacy example inputs"),
            ]:
                if record in names:
                    p.nested(release, base, record, place, f"{tag}-{record.split('.')[0]}")
            if release == "2.1.2":
                # torch 2.1 reads the graph's constants: base64 torch.save zips in the JSON.
                f = p.function()
                name = f"{tag}-inline_constant"
                state = z.read("serialized_state_dict.json")
                planted = plant_torch_save(state, f, markers / name)

                def add_constant(b: bytes) -> bytes:
                    program = json.loads(b)
                    program["graph_module"]["graph"]["constants"] = {"planted": base64.b64encode(planted).decode()}
                    return json.dumps(program).encode()

                data = rewrite_zip(base.read_bytes(), {"serialized_exported_program.json": add_constant})
                p.case(name, release, "torch 2.1 inline constant (base64 in the program JSON)", data, f, "export")
            continue
        root = names[0].split("/", 1)[0]
        p.nested(release, base, f"{root}/data/sample_inputs/model.pt", "PT2 sample inputs", f"{tag}-sample_inputs")
        for record, place in [
            (f"{root}/data/weights/model.pt", "PT2 state dict (torch 2.8)"),
            (f"{root}/data/constants/model.pt", "PT2 constants (torch 2.8)"),
        ]:
            if record in names:
                p.nested(release, base, record, place, f"{tag}-{record.split('/')[-2]}_pt")
        weights_config = f"{root}/data/weights/model_weights_config.json"
        constants_config = f"{root}/data/constants/model_constants_config.json"
        if constants_config in names:
            # A tensor constant stored with use_pickle (torch 2.9+ writes these for tensors
            # it cannot store raw): torch.load(weights_only=False) of data/constants/tensor_0.
            f = p.function()
            name = f"{tag}-pickled_constant"
            payload = plant_torch_save(z.read(f"{root}/data/sample_inputs/model.pt"), f, markers / name)

            def add_entry(b: bytes) -> bytes:
                config = json.loads(b)
                config["config"]["planted"] = {"path_name": "tensor_0", "is_param": False, "use_pickle": True,
                                               "tensor_meta": None}
                return json.dumps(config).encode()

            data = rewrite_zip(base.read_bytes(), {constants_config: add_entry},
                               {f"{root}/data/constants/tensor_0": payload})
            p.case(name, release, "PT2 pickled constant (use_pickle)", data, f, "export")
        if weights_config in names:
            f = p.function()
            name = f"{tag}-pickled_weight"
            payload = plant_torch_save(z.read(f"{root}/data/sample_inputs/model.pt"), f, markers / name)
            config = json.loads(z.read(weights_config))
            fqn, meta = next(iter(config["config"].items()))
            meta["use_pickle"] = True
            data = rewrite_zip(base.read_bytes(), {
                weights_config: lambda b: json.dumps(config).encode(),
                f"{root}/data/weights/{meta['path_name']}": lambda b: payload,
            })
            p.case(name, release, "PT2 pickled weight (use_pickle)", data, f, "export")
        opaque = FIXTURES / f"torch-{release}" / "opaque.pt2"
        if opaque.exists():
            f = p.function()
            name = f"{tag}-opaque_object"
            oz = zipfile.ZipFile(opaque)
            record = next(n for n in oz.namelist() if "/data/constants/opaque_obj_" in n)
            data = rewrite_zip(opaque.read_bytes(), {record: lambda b: plant(b, f, markers / name)})
            p.case(name, release, "PT2 opaque object (pickle.loads)", data, f, "export")
    # Torch's own TorchScript custom-object archives, made by scan-check.sh.
    for extra in extras:
        if not zipfile.is_zipfile(extra):
            # torch.save(..., _use_new_zipfile_serialization=False): five pickles one after
            # another; torch.load unpickles the first (the magic number) first.
            f = p.function()
            p.case("torch_save_legacy", "any", "torch.save file (legacy format)",
                   plant(extra.read_bytes(), f, markers / "torch_save_legacy"), f, "torch_load", ext="pt")
            continue
        ez = zipfile.ZipFile(extra)
        names = ez.namelist()
        release = extra.stem.split("-")[-1]
        tag = release.replace(".", "_")
        if "serialized_constants.pt" in names:
            # torch 2.5 to 2.7 pickle custom objects as torch.ScriptObject in the constants.
            p.nested(release, extra, "serialized_constants.pt", "legacy constants holding a TorchScript object",
                     f"{tag}-torchbind_constants")
        else:
            record = next(n for n in names if "/data/constants/custom_obj_" in n)
            f = p.function()
            name = f"{tag}-custom_object"
            data = rewrite_zip(extra.read_bytes(), {record: lambda b: plant_torch_save(b, f, markers / name)})
            # The TorchScript unpickler resolves only torch's builtins and TorchScript classes:
            # it refuses the planted global rather than run it.
            p.case(name, release, "PT2 TorchScript custom object (TorchScript unpickler)", data, f, "export",
                   expect_run=False)
    # A torch.save file on its own, and a bare pickle.
    sample = zipfile.ZipFile(FIXTURES / "torch-2.15.0/linear.pt2").read("linear/data/sample_inputs/model.pt")
    f = p.function()
    p.case("torch_save_zip", "any", "torch.save file (zip)", plant_torch_save(sample, f, markers / "torch_save_zip"),
           f, "torch_load", ext="pt")
    f = p.function()
    # pickle.dumps({}) at protocol 2, planted.
    p.case("bare_pickle", "any", "bare pickle", plant(b"\x80\x02}q\x00.", f, markers / "bare_pickle"), f,
           "pickle_load", ext="pkl")
    (out / "cases.json").write_text(json.dumps(p.cases, indent=1) + "\n")
    print(f"scan_plant: {len(p.cases)} planted files in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
