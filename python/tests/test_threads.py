"""Objects shared between threads, and the interpreter released while the library reads."""

import threading
from concurrent.futures import ThreadPoolExecutor

import graph_signature as gs
from support import FIXTURES, every_fixture_signature, run_beside_a_ticker, torch_archives


def test_threads_load_every_archive_concurrently_with_the_same_results():
    archives = torch_archives()
    expected = [str(gs.load(a)) for a in archives]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            got = list(pool.map(lambda a: str(gs.load(a)), archives))
            assert got == expected


def test_one_signature_shared_by_readers_and_an_editor():
    sig = gs.load(FIXTURES / "archives" / "torch-2.15.0" / "mutation.pt2")
    names = [s.arg.name for s in sig.input_specs]
    stop = threading.Event()
    errors = []

    def read():
        while not stop.is_set():
            try:
                for fmt in ("proto", "fbs"):
                    assert gs.decode(sig.encode(fmt), fmt).input_specs[0].kind is not None
                str(sig)
                dict(sig.inputs_to_buffers)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for i in range(200):
        sig.replace_all_uses(names[0] if i % 2 == 0 else "renamed", "renamed" if i % 2 == 0 else names[0])
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors[:3]
    assert [s.arg.name for s in sig.input_specs] == names


def test_decoding_releases_the_interpreter():
    # While one thread decodes a large document, a Python thread keeps running throughout.
    # Were the interpreter held, it would stand still for the whole decode: one gap as
    # long as the decode itself.
    n = 1_000_000
    big = ('{"input_specs": [' + ", ".join(
        f'{{"parameter": {{"arg": {{"name": "p_{i}"}}, "parameter_name": "layer.{i}.weight"}}}}' for i in range(n)
    ) + '], "output_specs": []}').encode()
    sig, took, gap = run_beside_a_ticker(lambda: gs.decode(big, "torch-json"))
    assert len(sig.parameters) == n
    assert took > 0.05, f"decoding took only {took:.4f}s: too short to tell"
    assert gap < 0.5 * took, f"the other thread stood still {gap:.3f}s of {took:.3f}s"


def test_every_fixture_round_trips_in_parallel():
    sigs = [s for _, s in every_fixture_signature()]

    def round_trip(sig):
        return all(gs.decode(sig.encode(f), f) == sig for f in ("json", "proto", "fbs", "bincode"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(round_trip, sigs * 4))
