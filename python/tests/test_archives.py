"""embed() and extract() on real archives, keeping the user's file as graphsig does."""

import os
import shutil
import stat

import pytest

import graph_signature as gs
from support import FIXTURES

PT2 = FIXTURES / "archives" / "torch-2.15.0"


def copy(src, dst_dir, mode=None):
    dst = dst_dir / src.name
    shutil.copyfile(src, dst)
    if mode is not None:
        dst.chmod(mode)
    return dst


def test_embed_the_archives_own_signature_in_place_and_extract_it(tmp_path):
    archive = copy(PT2 / "linear.pt2", tmp_path, 0o640)
    original = archive.read_bytes()
    with pytest.raises(gs.NoSignatureError) as err:
        gs.extract(archive)
    assert "embed" in err.value.hint
    assert gs.embed(archive) == "model"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o640
    embedded = archive.read_bytes()
    assert embedded[: len(original) - 22] != b"" and len(embedded) > len(original)
    assert gs.extract(archive) == gs.load(PT2 / "linear.pt2")
    assert gs.load(archive) == gs.extract(archive)


def test_embed_another_signature_needs_force_and_load_prefers_it(tmp_path):
    archive = copy(PT2 / "linear.pt2", tmp_path)
    other = gs.load(PT2 / "buffers.pt2")
    out = tmp_path / "out.pt2"
    with pytest.raises(gs.MismatchError) as err:
        gs.embed(archive, other, output=out)
    assert err.value.reason.startswith("graph inputs")
    assert not out.exists()
    assert gs.embed(archive, PT2 / "buffers.pt2", output=out, force=True) == "model"
    assert gs.load(out) == other
    assert gs.extract(out) == other
    assert archive.read_bytes() == (PT2 / "linear.pt2").read_bytes()


def test_embed_into_safetensors_needs_a_signature(tmp_path):
    st = copy(FIXTURES / "safetensors" / "no_metadata.safetensors", tmp_path)
    with pytest.raises(gs.NoSignatureError):
        gs.embed(st)
    sig = gs.load(PT2 / "linear.pt2")
    assert gs.embed(st, sig) is None
    assert gs.load(st) == sig and gs.extract(st) == sig
    with pytest.raises(gs.ModelSelectionError):
        gs.embed(st, sig, model="m")


def test_a_read_only_archive_is_refused_without_force(tmp_path):
    archive = copy(PT2 / "linear.pt2", tmp_path, 0o444)
    before = archive.read_bytes()
    if os.access(archive, os.W_OK) and os.geteuid() != 0:
        pytest.fail("the file should be read-only")
    with pytest.raises(gs.RefusedWriteError) as err:
        gs.embed(archive)
    assert err.value.reason_code == "read-only"
    assert err.value.filename == str(archive)
    assert archive.read_bytes() == before
    assert gs.embed(archive, force=True) == "model"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o444
    assert gs.extract(archive) == gs.load(PT2 / "linear.pt2")


def test_embed_writes_through_a_symlink(tmp_path):
    archive = copy(PT2 / "linear.pt2", tmp_path)
    link = tmp_path / "link.pt2"
    link.symlink_to(archive)
    gs.embed(link)
    assert link.is_symlink()
    assert gs.extract(archive) == gs.load(PT2 / "linear.pt2")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_multi_program_archive_needs_a_model(tmp_path):
    archive = copy(FIXTURES / "pt2" / "multi_model.pt2", tmp_path)
    with pytest.raises(gs.ModelSelectionError):
        gs.embed(archive)
    assert gs.embed(archive, model="encoder") == "encoder"
    assert gs.extract(archive, model="encoder") == gs.load(archive, model="encoder")
    with pytest.raises(gs.ModelSelectionError):
        gs.extract(archive, model="decoder")


def test_a_document_cannot_be_embedded_into(tmp_path):
    doc = tmp_path / "sig.json"
    doc.write_bytes(gs.load(PT2 / "linear.pt2").encode("json"))
    with pytest.raises(gs.UnrecognizedInputError):
        gs.embed(doc)
    with pytest.raises(gs.UnrecognizedInputError):
        gs.extract(doc)
