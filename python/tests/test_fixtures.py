"""Every torch fixture of the repository through the package: ``str()`` and every accessor
equal what torch itself printed and answered (its recorded files)."""

import json

import pytest

import graph_signature as gs
from support import (
    FIXTURES,
    TORCH_REFUSES,
    assert_accessors_equal,
    fixture_dirs,
    read_json,
    sibling,
    specs,
    torch_archives,
)


def _torch_str(d):
    return (d / "str.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("d", fixture_dirs(), ids=lambda d: d.name)
def test_torch_215_fixture_loads_to_what_torch_printed_and_answered(d):
    accessors = read_json(d / "accessors.json")
    if d.name in TORCH_REFUSES:
        # torch raised in an accessor or its serializer: the model refuses to build it.
        with pytest.raises(gs.ValidationError) as err:
            gs.ExportGraphSignature(*specs(read_json(d / "specs.json")))
        assert err.value.violations, d.name
        raised = any(isinstance(v, dict) and "$error" in v for v in accessors.values())
        assert raised or (d / "serialize_error.txt").exists(), f"{d.name}: torch raised nowhere"
        if (d / "signature.json").exists():
            with pytest.raises(gs.ValidationError):
                gs.load(d / "signature.json")
        return
    raw = read_json(d / "specs.json")
    # Built from the specs torch held in memory (the constructor path).
    read = [("specs.json", gs.ExportGraphSignature(*specs(raw)))]
    for doc in ("signature.json", "model.json"):
        if not (d / doc).exists():
            continue
        sig = gs.load(d / doc)
        assert sig == gs.load((d / doc).read_bytes()), f"{d.name}: {doc} read from bytes differs"
        kept = _kept_by_torch_json(raw)
        if kept != raw:
            # torch's own JSON does not keep everything torch printed (a constant output's
            # name): what it keeps is read.
            assert (sig.input_specs, sig.output_specs) == specs(kept), f"{d.name} ({doc})"
        else:
            read.append((doc, sig))
    if not (d / "signature.json").exists():
        assert (d / "serialize_error.txt").exists(), f"{d.name}: torch wrote no JSON and said nothing"
    for what, sig in read:
        assert str(sig) == _torch_str(d), f"{d.name} ({what})"
        assert_accessors_equal(sig, accessors, f"{d.name} ({what})")


def test_every_torch_215_fixture_with_torch_json_is_read_from_it():
    with_json = [d for d in fixture_dirs() if (d / "signature.json").exists()]
    assert len(with_json) >= 20, len(with_json)


def _kept_by_torch_json(raw, is_22=False):
    """The in-memory specs torch recorded, as torch's own JSON keeps them (the rules of
    tests/archives.rs, facts of torch's format): torch 2.2 has no ``persistent`` and stores
    every lifted buffer (read as persistent); only BUFFER has a ``persistent`` slot; a
    constant user output is written without its name."""
    raw = json.loads(json.dumps(raw))
    for s in raw["input_specs"]:
        if s["kind"] == "BUFFER":
            if is_22 and s.get("persistent") is None:
                s["persistent"] = True
        else:
            s["persistent"] = None
    for s in raw["output_specs"]:
        if s["kind"] == "USER_OUTPUT" and s["arg"]["type"] == "ConstantArgument":
            s["arg"]["name"] = ""
    return raw


def _is_torch_21(archive):
    return archive.parent.name.startswith("torch-2.1.")


@pytest.mark.parametrize("archive", torch_archives(), ids=lambda a: f"{a.parent.name}/{a.name}")
def test_torch_archive_loads_to_the_signature_torch_had(archive):
    sig = gs.load(archive)
    if _is_torch_21(archive):
        # torch 2.1 kept no specs: <m>.specs_by_torch_2.2.json is torch 2.2.2's own
        # _sig_to_specs on what torch 2.1 recorded (as tests/archives.rs compares it). torch
        # 2.2 has no persistent flag; every buffer is persistent (2.1's state dict holds all).
        expected_inputs, expected_outputs = specs(read_json(sibling(archive, "specs_by_torch_2.2.json")))
        assert [s.persistent for s in sig.input_specs] == [
            True if s.kind == gs.InputKind.BUFFER else None for s in sig.input_specs]
        assert [gs.InputSpec(s.kind, s.arg, s.target) for s in sig.input_specs] == expected_inputs
        assert sig.output_specs == expected_outputs
        return
    raw = read_json(sibling(archive, "specs.json"))
    kept = _kept_by_torch_json(raw, archive.parent.name.startswith("torch-2.2."))
    expected_inputs, expected_outputs = specs(kept)
    assert sig.input_specs == expected_inputs
    assert sig.output_specs == expected_outputs
    if raw == kept:
        # What torch 2.15 prints for the program torch exported.
        assert str(sig) == sibling(archive, "str_2.15.txt").read_text(encoding="utf-8")
        minor = int(archive.parent.name.split(".")[1])
        if minor >= 9:
            # From torch 2.9 the recorded accessors are those of 2.15.
            assert_accessors_equal(sig, read_json(sibling(archive, "accessors.json")), archive.name)


def test_most_archives_are_compared_with_what_torch_215_printed():
    same = []
    for a in torch_archives():
        if _is_torch_21(a):
            continue
        raw = read_json(sibling(a, "specs.json"))
        if raw == _kept_by_torch_json(raw, a.parent.name.startswith("torch-2.2.")):
            same.append(a)
    assert len(same) >= 40, len(same)


def test_multi_program_archive_reads_each_program_and_refuses_to_guess():
    archive = FIXTURES / "pt2" / "multi_model.pt2"
    for name in ("decoder", "encoder"):
        sig = gs.load(archive, model=name)
        assert str(sig) == (FIXTURES / "pt2" / f"multi_model.{name}.str.txt").read_text(encoding="utf-8")
    with pytest.raises(gs.ModelSelectionError) as err:
        gs.load(archive)
    assert err.value.wanted is None
    assert err.value.available == ["decoder", "encoder"]
    assert isinstance(err.value, LookupError)
    with pytest.raises(gs.ModelSelectionError) as err:
        gs.load(archive, model="nope")
    assert err.value.wanted == "nope"
    assert str(err.value) == f'{archive}: no model named "nope"; the archive holds decoder, encoder'


def test_a_program_torch_215_saves_but_cannot_load_is_read():
    d = FIXTURES / "pt2"
    assert "Unable to deserialize output node" in (d / "str_output.load_error.txt").read_text()
    sig = gs.load(d / "str_output.pt2")
    assert str(sig) == (d / "str_output.str.txt").read_text(encoding="utf-8")
    assert sig.user_outputs[1] == "done"


def test_shipped_example_prints_what_torch_printed():
    examples = FIXTURES.parent.parent / "examples"
    assert str(gs.load(examples / "tinynet.pt2")) == (examples / "tinynet.str.txt").read_text(encoding="utf-8")
