"""Every fixture signature through every format and back; torch's JSON for older torch."""

import pickle

import pytest

import graph_signature as gs
from support import FIXTURES, every_fixture_signature, read_json

SIGNATURES = every_fixture_signature()
OURS = ["json", "proto", "fbs", "bincode"]


def test_formats_are_the_libraries():
    assert gs.FORMATS == ("json", "proto", "fbs", "bincode", "torch-json")


@pytest.mark.parametrize("fmt", OURS)
@pytest.mark.parametrize("name,sig", SIGNATURES, ids=[n for n, _ in SIGNATURES])
def test_our_formats_round_trip_every_fixture_exactly(name, sig, fmt):
    data = sig.encode(fmt)
    assert isinstance(data, bytes)
    back = gs.decode(data, fmt)
    assert back == sig
    assert str(back) == str(sig)
    # load() recognises the format by content, from bytes and from a file alike.
    assert gs.load(data) == sig


@pytest.mark.parametrize("name,sig", SIGNATURES, ids=[n for n, _ in SIGNATURES])
def test_torch_json_is_what_torch_wrote(name, sig):
    expected = FIXTURES / "torch-2.15" / name / "signature.json"
    try:
        data = sig.encode("torch-json")
    except gs.UnrepresentableError as e:
        assert e.format == "torch-json" and e.position.startswith(("inputs[", "outputs["))
        lossy = sig.encode("torch-json", lossy=True)
        assert gs.decode(lossy, "torch-json") == sig
        if e.reason_code == "writer-fails":
            # torch's own serializer failed on it too, and said so.
            assert not expected.exists(), f"{name}: torch wrote it, we refused: {e}"
            assert (expected.parent / "serialize_error.txt").exists()
        else:
            # torch writes it, but its reader would make something else of it: the lossy
            # form is what torch wrote.
            assert e.reason_code == "read-back-changes", e
            import json

            assert json.loads(lossy) == read_json(expected), name
        return
    if expected.exists():
        # Byte for byte torch's own JSON (its generator wrote it with json.dumps, ours as
        # torch's _to_json_bytes); compared as JSON values.
        import json

        assert json.loads(data) == read_json(expected), name
    back = gs.decode(data, "torch-json")
    assert (back.input_specs, len(back.output_specs)) == (sig.input_specs, len(sig.output_specs))


def test_torch_json_for_an_older_torch_refuses_what_it_cannot_hold():
    sig = gs.ExportGraphSignature(
        [gs.InputSpec(gs.InputKind.PARAMETER, gs.TensorArgument("p_w"), "w"),
         gs.InputSpec(gs.InputKind.USER_INPUT, gs.TensorArgument("x"))],
        [gs.OutputSpec(gs.OutputKind.PARAMETER_MUTATION, gs.TensorArgument("copy_"), "w"),
         gs.OutputSpec(gs.OutputKind.USER_OUTPUT, gs.TensorArgument("mm"))],
    )
    assert gs.decode(sig.encode("torch-json", target="2.9"), "torch-json") == sig
    with pytest.raises(gs.UnrepresentableError) as err:
        sig.encode("torch-json", target="2.8")
    assert err.value.position == "outputs[0]"
    assert err.value.reason_code == "needs-newer-version"
    assert str(err.value) == (
        "cannot write outputs[0] as torch-json: a PARAMETER_MUTATION output needs schema 8.14 "
        "(torch 2.9+); the target is schema 8.8 (torch 2.8)"
    )
    # A lossy write still refuses a version refusal.
    with pytest.raises(gs.UnrepresentableError):
        sig.encode("torch-json", target="8.8", lossy=True)
    with pytest.raises(gs.UnsupportedVersionError) as err:
        sig.encode("torch-json", target="2.1")
    assert err.value.found == "torch 2.1"
    with pytest.raises(ValueError, match="torch-json"):
        sig.encode("proto", target="2.8")


def test_lossy_torch_json_writes_the_closest_form():
    sig = gs.ExportGraphSignature(
        [gs.InputSpec(gs.InputKind.USER_INPUT, gs.SymBoolArgument("b"))],
        [gs.OutputSpec(gs.OutputKind.USER_OUTPUT, gs.TensorArgument("y"))],
    )
    with pytest.raises(gs.UnrepresentableError) as err:
        sig.encode("torch-json")
    assert err.value.reason_code == "writer-fails"
    assert err.value.position == "inputs[0]"
    assert gs.decode(sig.encode("torch-json", lossy=True), "torch-json") == sig


def test_an_unknown_format_name_is_a_value_error():
    sig = SIGNATURES[0][1]
    with pytest.raises(ValueError, match="unknown format"):
        sig.encode("yaml")
    with pytest.raises(ValueError, match="unknown format"):
        gs.decode(b"{}", "yaml")


@pytest.mark.parametrize("name,sig", SIGNATURES[:5], ids=[n for n, _ in SIGNATURES[:5]])
def test_pickle_and_copy_keep_the_signature(name, sig):
    import copy

    assert pickle.loads(pickle.dumps(sig)) == sig
    assert copy.copy(sig) == sig and copy.deepcopy(sig) == sig
