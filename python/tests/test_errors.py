"""Bad input raises the documented exception, carrying the library's position, rule code
and file; nothing panics into Python."""

import errno

import pytest

import graph_signature as gs
from support import FIXTURES, TORCH_215


def test_every_error_derives_from_the_base_and_the_expected_builtin():
    value_errors = [gs.DecodeError, gs.UnrecognizedInputError, gs.ValidationError, gs.ClassifyError,
                    gs.UnsupportedVersionError, gs.LimitError, gs.UnrepresentableError, gs.MismatchError]
    for cls in value_errors:
        assert issubclass(cls, gs.GraphSignatureError) and issubclass(cls, ValueError), cls
    for cls in (gs.ModelSelectionError, gs.NoSignatureError):
        assert issubclass(cls, gs.GraphSignatureError) and issubclass(cls, LookupError), cls
    for cls in (gs.RefusedWriteError, gs.InternalError, gs.GraphSignatureOSError):
        assert issubclass(cls, gs.GraphSignatureError), cls
    assert issubclass(gs.GraphSignatureOSError, OSError)


def test_a_decode_error_names_the_field_path():
    doc = b'{"input_specs": [{"parameter": {"arg": {"name": "p"}, "parameter_name": 5}}], "output_specs": []}'
    with pytest.raises(gs.DecodeError) as err:
        gs.decode(doc, "torch-json")
    e = err.value
    assert e.format == "torch-json"
    assert e.position == "input_specs[0].parameter.parameter_name"
    assert str(e).startswith("invalid torch-json at input_specs[0].parameter.parameter_name: ")
    assert e.filename is None


def test_an_unknown_union_tag_is_named(tmp_path):
    path = tmp_path / "sig.json"
    path.write_bytes(b'{"input_specs": [{"weights": {}}], "output_specs": []}')
    with pytest.raises(gs.DecodeError) as err:
        gs.load(path)
    assert err.value.position == "input_specs[0].weights"
    assert "unknown" in err.value.reason
    assert err.value.filename == str(path)
    assert str(err.value).startswith(f"{path}: invalid torch-json at input_specs[0].weights: ")


@pytest.mark.parametrize("data,found", [
    (b"", "an empty file"),
    (b"hello world", "it starts with hello world"),
])
def test_unrecognized_input_says_what_it_is(data, found):
    with pytest.raises(gs.UnrecognizedInputError) as err:
        gs.load(data)
    assert err.value.found == found
    assert ".pt2" in err.value.accepted


def test_a_zip_that_is_not_a_program_is_named(tmp_path):
    import zipfile

    path = tmp_path / "ckpt.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/version", b"3\n")
    with pytest.raises(gs.UnrecognizedInputError) as err:
        gs.load(path)
    assert "torch.save checkpoint" in err.value.found


def test_truncated_archives_are_decode_or_io_errors():
    data = (FIXTURES / "archives" / "torch-2.15.0" / "linear.pt2").read_bytes()
    for cut in (4, 100, len(data) // 2, len(data) - 30, len(data) - 1):
        with pytest.raises((gs.DecodeError, gs.GraphSignatureOSError)):
            gs.load(data[:cut])


def test_validation_error_carries_every_violation_with_position_and_rule_code():
    specs = [
        gs.InputSpec(gs.InputKind.BUFFER, gs.TensorArgument("b"), None, None),
        gs.InputSpec(gs.InputKind.PARAMETER, gs.SymIntArgument("s"), "w"),
    ]
    with pytest.raises(gs.ValidationError) as err:
        gs.ExportGraphSignature(specs, [])
    got = [(v.position, v.side, v.index, v.code) for v in err.value.violations]
    assert got == [
        ("inputs[0]", "input", 0, "target-required"),
        ("inputs[0]", "input", 0, "persistent-required"),
        ("inputs[1]", "input", 1, "argument-not-allowed"),
    ]
    v = err.value.violations[2]
    assert v.message == "a PARAMETER spec cannot take a SymIntArgument"
    assert v.hint == "a PARAMETER spec takes TensorArgument"
    assert str(v) == "inputs[1]: a PARAMETER spec cannot take a SymIntArgument"
    assert str(err.value).startswith("invalid signature: inputs[0]: a BUFFER spec needs a target; ")


def test_validate_reports_the_graph_rules_torch_records_break():
    # Two inputs share a node name: torch held it (its accessors keep the last entry).
    sig = gs.load(TORCH_215 / "synthetic_duplicate_names" / "signature.json")
    lint = sig.lint()
    assert [v.code for v in lint if v.position == "inputs[2]"] == ["duplicate-input-name"]
    with pytest.raises(gs.ValidationError) as err:
        sig.validate()
    assert list(err.value.violations) == lint
    # A real export passes.
    assert gs.load(TORCH_215 / "mutations" / "signature.json").validate() is None


def test_an_unsupported_schema_version_is_named():
    doc = b'{"graph_module": {"signature": {"input_specs": [], "output_specs": []}}, "schema_version": {"major": 99, "minor": 0}}'
    with pytest.raises(gs.UnsupportedVersionError) as err:
        gs.load(doc)
    assert (err.value.format, err.value.found) == ("torch-json", "99.0")


def _proto_of_empty_specs(n):
    """A protobuf SignatureDocument (version 1.0) whose signature holds ``n`` empty input
    specs, two bytes each (as tests/support/hostile.rs builds it)."""
    body = b"\x52\x00" * n
    out = bytearray(b"\x52\x02\x50\x01\xa2\x01")
    length = len(body)
    while length >= 0x80:
        out.append((length & 0x7F) | 0x80)
        length >>= 7
    out.append(length)
    return bytes(out) + body


def test_a_document_of_millions_of_empty_specs_is_a_limit_error():
    n = 4_000_001
    data = _proto_of_empty_specs(n)
    for call in (lambda: gs.decode(data, "proto"), lambda: gs.load(data)):
        with pytest.raises(gs.LimitError) as err:
            call()
        assert (err.value.size, err.value.limit) == (n, 4_000_000)
        assert "specs" in err.value.what


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    path = tmp_path / "missing.pt2"
    with pytest.raises(FileNotFoundError) as err:
        gs.load(path)
    assert isinstance(err.value, gs.GraphSignatureOSError)
    assert err.value.errno == errno.ENOENT
    assert err.value.filename == str(path)


def test_a_folder_is_an_os_error(tmp_path):
    with pytest.raises(gs.GraphSignatureOSError) as err:
        gs.load(tmp_path)
    assert err.value.filename == str(tmp_path)


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError):
        gs.load(42)
    with pytest.raises(TypeError):
        gs.decode("text", "json")
    with pytest.raises(TypeError):
        gs.InputSpec(gs.InputKind.PARAMETER, "p_w", "w")
    with pytest.raises(TypeError):
        gs.InputSpec(gs.OutputKind.USER_OUTPUT, gs.TensorArgument("x"))
    with pytest.raises(ValueError):
        gs.InputSpec("WEIGHT", gs.TensorArgument("x"))
    with pytest.raises(OverflowError):
        gs.ConstantArgument("c", 2**64)
    with pytest.raises(TypeError):
        gs.ConstantArgument("c", [1])


def test_a_panic_becomes_an_internal_error():
    from graph_signature import _native

    with pytest.raises(gs.InternalError, match="a panic raised on purpose"):
        _native._panic_for_tests()


def test_a_model_for_a_document_is_refused():
    with pytest.raises(gs.ModelSelectionError) as err:
        gs.load(TORCH_215 / "mutations" / "signature.json", model="m")
    assert err.value.wanted == "m"
