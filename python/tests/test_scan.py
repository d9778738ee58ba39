"""graph_signature.scan: the library's scan through the package (docs/scan.md)."""
import os
import pathlib

import graph_signature as gs

ARCHIVES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "archives"


def test_a_directory_of_real_archives_is_safe_or_needs_trust():
    report = gs.scan(ARCHIVES / "torch-2.15.0", jobs=2)
    assert (report["schema"], report["version"]) == ("graphsig-scan", "1.0")
    verdicts = {pathlib.Path(f["path"]).name: f["verdict"] for f in report["files"]}
    assert verdicts["opaque.pt2"] == "needs-trust"
    assert all(v == "safe" for name, v in verdicts.items() if name != "opaque.pt2")
    assert report["totals"]["files"] == len(verdicts) and report["errors"] == []
    pickle = next(f for f in report["files"] if f["path"].endswith("linear.pt2"))["pickles"][0]
    assert pickle["location"] == ["linear/data/sample_inputs/model.pt", "archive/data.pkl"]
    assert pickle["loader"]["mode"] == "full-pickle"
    assert "torch._utils._rebuild_tensor_v2" in [g["name"] for g in pickle["globals"]]


def test_a_planted_pickle_is_dangerous(tmp_path):
    evil = tmp_path / "evil.pkl"
    # GLOBAL os.system, REDUCE: never run, only read.
    evil.write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")
    report = gs.scan(os.fspath(evil))
    (f,) = report["files"]
    assert f["verdict"] == "dangerous"
    assert f["pickles"][0]["globals"][0]["name"] == "os.system"


def test_paths_that_cannot_be_read_are_errors_not_exceptions(tmp_path):
    report = gs.scan([tmp_path / "missing.pt2"])
    assert report["files"] == [] and len(report["errors"]) == 1
