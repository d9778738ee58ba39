//! The pickle reader (`graph_signature::map::pickle`) against independent references:
//! pickles real torch wrote into the committed `.pt2` fixtures and synthetic pickles written
//! by Python's `pickle` (`tests/fixtures/pickle/extract.py`, `synth.py`), each with what
//! Python's `pickletools.dis` says of it, and hostile bytes.

use std::path::{Path, PathBuf};

use graph_signature::map::pickle::{
    ops, read_pickle, read_state_dict, scan_globals, Callee, Dtype, Op, StorageRef, Target, TensorRef, Value,
    MAX_DEPTH, MAX_STACK,
};
use graph_signature::Error;

fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pickle").join(sub)
}

fn pickles(sub: &str) -> Vec<PathBuf> {
    let mut all: Vec<_> = std::fs::read_dir(dir(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkl"))
        .collect();
    all.sort();
    assert!(!all.is_empty(), "no pickles in {sub}");
    all
}

fn all_pickles() -> Vec<PathBuf> {
    let mut all = pickles("torch");
    all.extend(pickles("synthetic"));
    all
}

fn bytes(sub: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(sub).join(format!("{name}.pkl"))).unwrap()
}

/// One line of `pickletools.dis`: offset, opcode name, the argument as printed.
#[derive(Debug, PartialEq)]
struct DisLine {
    offset: usize,
    name: String,
    arg: String,
}

fn dis(pkl: &Path) -> Vec<DisLine> {
    let text = std::fs::read_to_string(pkl.with_extension("dis.txt")).unwrap();
    text.lines()
        .take_while(|l| !l.starts_with("highest protocol"))
        .map(|l| {
            let (offset, rest) = l.split_once(':').unwrap();
            // "<repr of the opcode byte> <indent><NAME> <arg>"
            let mut words = rest.split_whitespace();
            words.next().unwrap();
            let name = words.next().unwrap().to_owned();
            let arg = words.collect::<Vec<_>>().join(" ");
            // INST prints where its mark was after its argument.
            let arg = arg.split(" (MARK at").next().unwrap().to_owned();
            DisLine { offset: offset.trim().parse().unwrap(), name, arg }
        })
        .collect()
}

fn decoded(bytes: &[u8]) -> Vec<(usize, Op<'_>)> {
    ops(bytes).collect::<Result<_, _>>().unwrap()
}

/// The argument as `pickletools.dis` prints it, for the opcodes whose argument is a number
/// or a global.
fn printed_arg(op: &Op<'_>) -> Option<String> {
    Some(match *op {
        Op::Proto(v) | Op::BinInt1(v) | Op::BinGet(v) | Op::BinPut(v) | Op::Ext1(v) => v.to_string(),
        Op::BinInt2(v) | Op::Ext2(v) => v.to_string(),
        Op::BinInt(v) | Op::Ext4(v) => v.to_string(),
        Op::LongBinGet(v) | Op::LongBinPut(v) => v.to_string(),
        Op::Get(v) | Op::Put(v) | Op::Frame(v) => v.to_string(),
        Op::Global { module, name } | Op::Inst { module, name } => {
            format!("'{} {}'", String::from_utf8_lossy(module), String::from_utf8_lossy(name))
        }
        _ => return None,
    })
}

#[test]
fn decoder_gives_pickletools_opcodes_and_offsets_on_every_fixture() {
    let mut compared = 0;
    for pkl in all_pickles() {
        let b = std::fs::read(&pkl).unwrap();
        let ours = decoded(&b);
        let theirs = dis(&pkl);
        assert_eq!(ours.len(), theirs.len(), "{}: opcode count", pkl.display());
        for ((at, op), line) in ours.iter().zip(&theirs) {
            assert_eq!((*at, op.name()), (line.offset, line.name.as_str()), "{}", pkl.display());
            if let Some(arg) = printed_arg(op) {
                assert_eq!(arg, line.arg, "{} at {at}: {}", pkl.display(), line.name);
            }
            compared += 1;
        }
    }
    assert!(compared > 10_000, "compared {compared} opcodes");
}

#[test]
fn decoder_covers_every_opcode_of_protocols_0_to_5() {
    let names: std::collections::BTreeSet<_> =
        (0..=255u8).filter_map(graph_signature::map::pickle::opcode_name).collect();
    assert_eq!(names.len(), 68, "pickletools has 68 opcodes");
}

fn storage(key: &str, dtype: Dtype, class: &'static str, location: &str, numel: u64) -> StorageRef {
    StorageRef { key: key.into(), class, dtype, location: location.into(), numel }
}

fn float_storage(key: &str, numel: u64) -> StorageRef {
    storage(key, Dtype::Float32, "FloatStorage", "cpu", numel)
}

fn tensor(storage: StorageRef, offset: u64, size: &[u64], stride: &[u64]) -> TensorRef {
    TensorRef {
        dtype: storage.dtype,
        storage,
        storage_offset: offset,
        size: size.to_vec(),
        stride: stride.to_vec(),
        requires_grad: false,
        is_parameter: false,
        metadata: None,
        state: None,
    }
}

fn parameter(t: TensorRef) -> TensorRef {
    TensorRef { requires_grad: true, is_parameter: true, ..t }
}

fn version_dict(ordered: bool) -> Value {
    Value::Dict(graph_signature::map::pickle::Dict {
        ordered,
        items: vec![(Value::Str("version".into()), Value::Int(1))],
        attributes: vec![],
    })
}

/// Checked by hand against `2.3.1-dynamic-state_dict.dis.txt`: an `OrderedDict` (byte 2)
/// of `lin.weight` (`_rebuild_parameter` of `_rebuild_tensor_v2` on `('storage',
/// torch.FloatStorage, '0', 'cpu', 16)`, offset 0, size (4, 4), stride (4, 1),
/// requires_grad True) and `lin.bias` (storage '1', 4 elements, size (4,), stride (1,)),
/// then BUILD (byte 378) with `{'_metadata': OrderedDict({'': {'version': 1}, 'lin':
/// {'version': 1}})}`.
#[test]
fn reads_torch_2_3_state_dict_of_a_linear_layer() {
    let sd = read_state_dict(&bytes("torch", "2.3.1-dynamic-state_dict"), "archive/data.pkl").unwrap();
    assert!(sd.ordered);
    let tensors: Vec<_> = sd.tensors().collect();
    assert_eq!(
        tensors,
        [
            ("lin.weight", &parameter(tensor(float_storage("0", 16), 0, &[4, 4], &[4, 1]))),
            ("lin.bias", &parameter(tensor(float_storage("1", 4), 0, &[4], &[1]))),
        ]
    );
    let Some(Value::Dict(meta)) = sd.metadata() else { panic!("no _metadata: {:?}", sd.attributes) };
    assert!(meta.ordered);
    assert_eq!(
        meta.items,
        [(Value::Str("".into()), version_dict(false)), (Value::Str("lin".into()), version_dict(false))]
    );
}

/// torch 2.2 saved a plain dict (`EMPTY_DICT` at byte 2) without `_metadata`.
#[test]
fn reads_torch_2_2_state_dicts_saved_as_plain_dicts() {
    let sd = read_state_dict(&bytes("torch", "2.2.2-dynamic-state_dict"), "").unwrap();
    assert!(!sd.ordered);
    assert!(sd.attributes.is_empty());
    let names: Vec<_> = sd.tensors().map(|(n, t)| (n, t.storage.key.as_str(), t.size.clone())).collect();
    assert_eq!(names, [("lin.weight", "0", vec![4, 4]), ("lin.bias", "1", vec![4])]);

    // Checked by hand against 2.2.2-buffers-state_dict.dis.txt: two buffers, not parameters.
    let sd = read_state_dict(&bytes("torch", "2.2.2-buffers-state_dict"), "").unwrap();
    let tensors: Vec<_> = sd.tensors().collect();
    assert_eq!(
        tensors,
        [
            ("inner.running", &tensor(float_storage("0", 4), 0, &[4], &[1])),
            ("scratch", &tensor(float_storage("1", 4), 0, &[4], &[1])),
        ]
    );
}

#[test]
fn reads_empty_state_dicts() {
    let sd = read_state_dict(&bytes("torch", "2.2.2-buffers-constants"), "").unwrap();
    assert!(sd.entries.is_empty() && !sd.ordered);
    let sd = read_state_dict(&bytes("torch", "2.3.1-constant_tensor-state_dict"), "").unwrap();
    assert!(sd.entries.is_empty() && sd.ordered);
    assert!(sd.metadata().is_some());
}

/// The sample inputs of a `.pt2` are `(args, kwargs)`; checked by hand against
/// `2.15.0-consts_io-sample_inputs.dis.txt`.
#[test]
fn reads_sample_inputs_of_tensors_and_constants() {
    let b = bytes("torch", "2.15.0-consts_io-sample_inputs");
    let v = read_pickle(&b, "").unwrap();
    let t = tensor(float_storage("0", 8), 0, &[2, 4], &[4, 1]);
    assert_eq!(
        v,
        Value::Tuple(vec![
            Value::Tuple(vec![
                Value::Tensor(Box::new(t.clone())),
                Value::Int(3),
                Value::Float(1.5),
                Value::Bool(true),
                Value::Str("add".into()),
                Value::None,
            ]),
            Value::Dict(graph_signature::map::pickle::Dict { ordered: false, items: vec![], attributes: vec![] }),
        ])
    );
    assert_eq!(v.tensors(), [("[0][0]".to_owned(), &t)]);
    let err = read_state_dict(&b, "archive/data.pkl").unwrap_err();
    assert_decode(&err, "archive/data.pkl, byte 183 (", "holds a tuple, not a state dict");
}

#[derive(serde::Deserialize)]
struct Manifest {
    file: String,
    storages: std::collections::BTreeMap<String, u64>,
}

/// Every tensor of every real pickle names a storage record of its zip, whose length is
/// `numel` × the element size, and lies inside it.
#[test]
fn every_real_tensor_lies_inside_a_storage_record_of_its_zip() {
    let manifest: Vec<Manifest> =
        serde_json::from_str(&std::fs::read_to_string(dir("torch").join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(manifest.len(), pickles("torch").len());
    let mut seen = 0;
    for m in manifest {
        let b = std::fs::read(dir("torch").join(&m.file)).unwrap();
        let v = read_pickle(&b, &m.file).unwrap();
        let mut keys = std::collections::BTreeSet::new();
        for (path, t) in v.tensors() {
            let record =
                m.storages.get(&t.storage.key).unwrap_or_else(|| panic!("{}{path}: no data/{}", m.file, t.storage.key));
            assert_eq!(t.storage.nbytes(), Some(*record), "{}{path}", m.file);
            let extent = t.size.iter().zip(&t.stride).map(|(n, s)| n.saturating_sub(1) * s).sum::<u64>();
            let needed = if t.size.contains(&0) { 0 } else { t.storage_offset + extent + 1 };
            assert!(needed <= t.storage.numel, "{}{path}: {t:?}", m.file);
            keys.insert(t.storage.key.clone());
            seen += 1;
        }
        assert_eq!(keys, m.storages.keys().cloned().collect(), "{}: storages used", m.file);
    }
    assert!(seen >= 15, "{seen} tensors");
}

/// Python's `canon` in `synth.py`, on what we read.
fn canon(v: &Value) -> String {
    let join = |items: &[Value]| items.iter().map(canon).collect::<Vec<_>>().join(",");
    let sorted = |items: &[Value]| {
        let mut c: Vec<_> = items.iter().map(canon).collect();
        c.sort();
        c.join(",")
    };
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => {
            let i = i128::from(*i);
            if i < 0 {
                format!("int:-{:#x}", -i)
            } else {
                format!("int:{i:#x}")
            }
        }
        Value::BigInt(le) => {
            let negative = le.last().is_some_and(|b| b & 0x80 != 0);
            let mut mag = le.to_vec();
            if negative {
                let mut carry = true;
                for b in &mut mag {
                    let (v, c) = (!*b).overflowing_add(u8::from(carry));
                    *b = v;
                    carry = c;
                }
            }
            let hex: String = mag.iter().rev().map(|b| format!("{b:02x}")).collect();
            let hex = hex.trim_start_matches('0');
            format!("int:{}0x{hex}", if negative { "-" } else { "" })
        }
        Value::Float(f) => format!("float:{:016x}", f.to_bits()),
        Value::Str(s) => format!("str:{}", s.bytes().map(|b| format!("{b:02x}")).collect::<String>()),
        Value::Bytes(b) => format!("bytes:{}", b.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        Value::Tuple(items) => format!("({})", join(items)),
        Value::List(items) => format!("[{}]", join(items)),
        Value::Dict(d) => {
            format!(
                "{{{}}}",
                d.items.iter().map(|(k, v)| format!("{}:{}", canon(k), canon(v))).collect::<Vec<_>>().join(",")
            )
        }
        Value::Set(items) => format!("set{{{}}}", sorted(items)),
        Value::FrozenSet(items) => format!("frozenset{{{}}}", sorted(items)),
        other => panic!("no plain value: {other:?}"),
    }
}

#[test]
fn reads_plain_values_at_every_protocol_as_python_wrote_them() {
    let expected = std::fs::read_to_string(dir("synthetic").join("values.expected.txt")).unwrap();
    for proto in 0..=5 {
        let v = read_pickle(&bytes("synthetic", &format!("values-p{proto}")), "").unwrap();
        assert_eq!(canon(&v), expected.trim_end(), "protocol {proto}");
        // The same list referenced twice is read twice, equal.
        let Value::Dict(d) = &v else { panic!() };
        let get = |k: &str| d.items.iter().find(|(key, _)| *key == Value::Str(k.into())).map(|(_, v)| v);
        assert_eq!(get("shared1"), get("shared2"));
        assert!(get("shared1").is_some());
    }
}

/// `state_dict-p{2,4}.pkl`: what `synth.py` builds, written by `pickle` as torch writes it.
#[test]
fn reads_every_tensor_form_torch_save_writes() {
    for proto in [2, 4] {
        let sd = read_state_dict(&bytes("synthetic", &format!("state_dict-p{proto}")), "").unwrap();
        let t = |name: &str| match &sd.entries[name] {
            Value::Tensor(t) => (**t).clone(),
            other => panic!("{name}: {other:?}"),
        };
        let f0 = float_storage("0", 24);
        assert_eq!(t("layer.weight"), parameter(tensor(f0.clone(), 0, &[4, 3], &[3, 1])));
        assert_eq!(t("layer.bias"), tensor(f0.clone(), 12, &[3], &[1]));
        assert_eq!(t("layer.weight_t"), tensor(f0.clone(), 0, &[3, 4], &[1, 3]));
        assert_eq!(
            t("emb"),
            tensor(storage("1", Dtype::BFloat16, "BFloat16Storage", "cuda:0", 6), 0, &[2, 3], &[3, 1])
        );
        assert_eq!(t("scalar"), tensor(storage("2", Dtype::Float16, "HalfStorage", "cpu", 1), 0, &[], &[]));
        assert_eq!(t("steps"), tensor(storage("3", Dtype::Int64, "LongStorage", "cpu", 3), 0, &[3], &[1]));
        assert_eq!(t("mask"), tensor(storage("4", Dtype::Bool, "BoolStorage", "cpu", 2), 0, &[2], &[1]));
        let z = storage("5", Dtype::Complex128, "ComplexDoubleStorage", "cpu", 2);
        assert_eq!(z.nbytes(), Some(32));
        assert_eq!(t("z"), tensor(z, 0, &[2], &[1]));
        assert_eq!(t("q"), tensor(storage("6", Dtype::QInt8, "QInt8Storage", "cpu", 4), 0, &[4], &[1]));
        let meta = Value::Dict(graph_signature::map::pickle::Dict {
            ordered: false,
            items: vec![(Value::Str("k".into()), Value::Bool(true))],
            attributes: vec![],
        });
        assert_eq!(t("with_meta"), TensorRef { metadata: Some(Box::new(meta)), ..tensor(f0.clone(), 0, &[2], &[1]) });
        let f8 = t("f8");
        assert_eq!(
            (f8.dtype, f8.dtype.name(), f8.dtype.element_size()),
            (Dtype::Float8E4M3Fn, "torch.float8_e4m3fn", 1)
        );
        assert_eq!(f8.storage, storage("7", Dtype::UInt8, "UntypedStorage", "cpu", 8));
        assert_eq!((f8.size.as_slice(), f8.stride.as_slice()), (&[2, 4][..], &[4, 1][..]));
        let state = Value::Dict(graph_signature::map::pickle::Dict {
            ordered: false,
            items: vec![(Value::Str("tag".into()), Value::Str("x".into()))],
            attributes: vec![],
        });
        assert_eq!(
            t("stateful"),
            TensorRef { is_parameter: true, state: Some(Box::new(state)), ..tensor(f0.clone(), 20, &[4], &[1]) }
        );
        assert_eq!(sd.entries["device"], Value::Device("cuda:1".into()));
        assert_eq!(sd.entries["shape"], Value::Size(vec![2, 5]));
        assert_eq!(sd.entries["count"], Value::Int(3));
        assert_eq!(sd.tensors().count(), 12);
        let Some(Value::Dict(meta)) = sd.metadata() else { panic!("{:?}", sd.attributes) };
        assert_eq!(meta.items.len(), 2);
    }
}

fn assert_decode(err: &Error, path_starts: &str, reason_has: &str) {
    match err {
        Error::Decode { format: "pickle", path, reason } => {
            assert!(path.starts_with(path_starts), "path {path:?}, expected {path_starts:?}… ({reason})");
            assert!(reason.contains(reason_has), "reason {reason:?}, expected …{reason_has:?}… (at {path})");
        }
        other => panic!("not a pickle decode error: {other:?}"),
    }
}

fn global(module: &str, name: &str) -> Target {
    Target::Global { module: module.into(), name: name.into() }
}

/// The offset of the only line named `name` in the listing.
fn only(listing: &[DisLine], name: &str) -> usize {
    let found: Vec<_> = listing.iter().filter(|l| l.name == name).collect();
    assert_eq!(found.len(), 1, "{name} in {listing:?}");
    found[0].offset
}

#[test]
fn lists_and_refuses_planted_calls_at_every_protocol() {
    for proto in 0..=5 {
        for (file, module, name) in [
            ("os_system", "posix", "system"),
            ("builtins_open", if proto < 3 { "__builtin__" } else { "builtins" }, "open"),
        ] {
            let stem = format!("{file}-p{proto}");
            let b = bytes("synthetic", &stem);
            let listing = dis(&dir("synthetic").join(format!("{stem}.pkl")));
            let opcode = if proto < 4 { "GLOBAL" } else { "STACK_GLOBAL" };
            let import_at = only(&listing, opcode);
            let reduce_at = only(&listing, "REDUCE");

            let scan = scan_globals(&b, "");
            assert!(scan.error.is_none(), "{stem}: {:?}", scan.error);
            assert_eq!(scan.end, Some(b.len()));
            assert_eq!(scan.imports.len(), 1, "{stem}");
            assert_eq!((scan.imports[0].offset, scan.imports[0].opcode), (import_at, opcode), "{stem}");
            assert_eq!(scan.imports[0].target, global(module, name), "{stem}");
            assert_eq!(scan.calls.len(), 1, "{stem}");
            assert_eq!((scan.calls[0].offset, scan.calls[0].opcode), (reduce_at, "REDUCE"), "{stem}");
            assert_eq!(scan.calls[0].callee, Callee::Import { offset: import_at, target: global(module, name) });

            let err = read_pickle(&b, "evil/data.pkl").unwrap_err();
            assert_decode(&err, &format!("evil/data.pkl, byte {import_at} ({opcode})"), &format!("{module}.{name}"));
            assert!(read_state_dict(&b, "").is_err());
        }
    }
    // Concrete: protocol 0 writes GLOBAL 'posix system' at 0 and REDUCE at 37; protocol 4
    // STACK_GLOBAL at 28 (the strings at 11 and 19) and REDUCE at 45.
    let p0 = scan_globals(&bytes("synthetic", "os_system-p0"), "");
    assert_eq!((p0.imports[0].offset, p0.calls[0].offset), (0, 37));
    let p4 = scan_globals(&bytes("synthetic", "os_system-p4"), "");
    assert_eq!((p4.imports[0].offset, p4.calls[0].offset, p4.protocol), (28, 45, Some(4)));
}

#[test]
fn lists_and_refuses_hand_made_imports() {
    struct Case {
        file: &'static str,
        imports: Vec<(usize, &'static str, Target)>,
        calls: Vec<(usize, &'static str, Callee)>,
        refused_at: &'static str,
        refused: &'static str,
    }
    let os_system = || global("os", "system");
    let cases = [
        Case {
            file: "os_system-global",
            imports: vec![(0, "GLOBAL", os_system())],
            calls: vec![(27, "REDUCE", Callee::Import { offset: 0, target: os_system() })],
            refused_at: "byte 0 (GLOBAL)",
            refused: "the global os.system",
        },
        Case {
            file: "os_system-inst",
            imports: vec![(15, "INST", os_system())],
            calls: vec![(15, "INST", Callee::Import { offset: 15, target: os_system() })],
            refused_at: "byte 15 (INST)",
            refused: "INST of the global os.system",
        },
        Case {
            file: "os_system-obj",
            imports: vec![(1, "GLOBAL", os_system())],
            calls: vec![(26, "OBJ", Callee::Import { offset: 1, target: os_system() })],
            refused_at: "byte 1 (GLOBAL)",
            refused: "the global os.system",
        },
        Case {
            file: "ext1",
            imports: vec![(2, "EXT1", Target::Extension(1))],
            calls: vec![(5, "REDUCE", Callee::Import { offset: 2, target: Target::Extension(1) })],
            refused_at: "byte 2 (EXT1)",
            refused: "extension code 1",
        },
        Case {
            file: "stack_global-memo",
            imports: vec![(31, "STACK_GLOBAL", os_system())],
            calls: vec![(45, "REDUCE", Callee::Import { offset: 31, target: os_system() })],
            refused_at: "byte 31 (STACK_GLOBAL)",
            refused: "the global os.system",
        },
        Case {
            file: "plain_object-p2",
            imports: vec![(2, "GLOBAL", global("__main__", "Plain"))],
            calls: vec![
                (21, "NEWOBJ", Callee::Import { offset: 2, target: global("__main__", "Plain") }),
                (55, "BUILD", Callee::Import { offset: 2, target: global("__main__", "Plain") }),
            ],
            refused_at: "byte 2 (GLOBAL)",
            refused: "__main__.Plain",
        },
        Case {
            file: "newobj_ex-p4",
            imports: vec![(38, "STACK_GLOBAL", global("__main__", "WithNewArgsEx"))],
            calls: vec![
                (53, "NEWOBJ_EX", Callee::Import { offset: 38, target: global("__main__", "WithNewArgsEx") }),
                (70, "BUILD", Callee::Import { offset: 38, target: global("__main__", "WithNewArgsEx") }),
            ],
            refused_at: "byte 38 (STACK_GLOBAL)",
            refused: "__main__.WithNewArgsEx",
        },
    ];
    for c in cases {
        let b = bytes("synthetic", c.file);
        let scan = scan_globals(&b, "");
        assert!(scan.error.is_none(), "{}: {:?}", c.file, scan.error);
        let imports: Vec<_> = scan.imports.iter().map(|i| (i.offset, i.opcode, i.target.clone())).collect();
        assert_eq!(imports, c.imports, "{}", c.file);
        let calls: Vec<_> = scan.calls.iter().map(|c| (c.offset, c.opcode, c.callee.clone())).collect();
        assert_eq!(calls, c.calls, "{}", c.file);
        let err = read_pickle(&b, "").unwrap_err();
        assert_decode(&err, c.refused_at, c.refused);
    }
}

#[test]
fn scan_of_torch_pickles_lists_only_what_torch_writes() {
    let expected = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage",
    ];
    for pkl in pickles("torch") {
        let b = std::fs::read(&pkl).unwrap();
        let scan = scan_globals(&b, "");
        assert!(scan.error.is_none(), "{}: {:?}", pkl.display(), scan.error);
        assert_eq!((scan.protocol, scan.end), (Some(2), Some(b.len())));
        for i in &scan.imports {
            assert_eq!(i.opcode, "GLOBAL");
            assert!(expected.contains(&i.target.to_string().as_str()), "{}: {i:?}", pkl.display());
        }
        for c in &scan.calls {
            assert!(matches!(c.opcode, "REDUCE" | "BUILD"), "{}: {c:?}", pkl.display());
            assert!(matches!(c.callee, Callee::Import { .. }), "{}: {c:?}", pkl.display());
        }
    }
}

#[test]
fn truncated_at_every_byte_is_a_typed_error() {
    let mut files = pickles("torch");
    files.extend(
        ["state_dict-p2", "state_dict-p4", "os_system-p4", "stack_global-memo"]
            .map(|f| dir("synthetic").join(format!("{f}.pkl"))),
    );
    for pkl in files {
        let b = std::fs::read(&pkl).unwrap();
        for n in 0..b.len() {
            let cut = &b[..n];
            let what = format!("{} cut at {n}", pkl.display());
            let err = read_pickle(cut, "cut").expect_err(&what);
            assert!(matches!(err, Error::Decode { format: "pickle", .. }), "{what}: {err:?}");
            let scan = scan_globals(cut, "cut");
            assert!(scan.error.is_some() && scan.end.is_none(), "{what}: {scan:?}");
            let last = ops(cut).last().expect("at least one item");
            assert!(last.is_err(), "{what}");
        }
    }
    assert_decode(&read_pickle(b"", "").unwrap_err(), "byte 0", "ends without STOP");
    assert_decode(&read_pickle(b"\x80\x02X\x05\x00\x00\x00ab", "").unwrap_err(), "byte 2 (BINUNICODE)", "truncated");
}

#[test]
fn huge_declared_lengths_are_refused_before_allocating() {
    let two_60 = (1u64 << 60).to_le_bytes();
    for (code, name) in [(0x8d, "BINUNICODE8"), (0x8e, "BINBYTES8"), (0x96, "BYTEARRAY8"), (0x95, "FRAME")] {
        let mut b = vec![0x80, 0x05, code];
        b.extend_from_slice(&two_60);
        b.extend_from_slice(b"abc.");
        let at = format!("byte 2 ({name})");
        assert_decode(&read_pickle(&b, "").unwrap_err(), &at, &format!("{}", 1u64 << 60));
        assert!(scan_globals(&b, "").error.is_some());
    }
    for (code, name) in [(b'T', "BINSTRING"), (0x8b, "LONG4")] {
        let mut b = vec![code];
        b.extend_from_slice(&(-5i32).to_le_bytes());
        assert_decode(&read_pickle(&b, "").unwrap_err(), &format!("byte 0 ({name})"), "negative length");
    }
    // A 5,000-byte int is refused even though the bytes are there.
    let mut b = vec![0x8b];
    b.extend_from_slice(&5000u32.to_le_bytes());
    b.extend(std::iter::repeat_n(1u8, 5000));
    b.push(b'.');
    assert_decode(&read_pickle(&b, "").unwrap_err(), "byte 0 (LONG4)", "4096-byte limit");
    assert!(scan_globals(&b, "").error.is_none());
}

#[test]
fn deep_stacks_and_nesting_are_refused() {
    let marks = vec![b'('; 100_000];
    let err = read_pickle(&marks, "").unwrap_err();
    assert_decode(&err, &format!("byte {MAX_STACK} (MARK)"), "items on the stack");
    assert!(scan_globals(&marks, "").error.is_some());

    let lists = vec![b']'; 100_000];
    assert_decode(
        &read_pickle(&lists, "").unwrap_err(),
        &format!("byte {MAX_STACK} (EMPTY_LIST)"),
        "items on the stack",
    );

    // 1,000 nested lists: within the stack limit, past the depth limit.
    let mut nested = vec![b']'; 1000];
    nested.extend(vec![b'a'; 999]);
    nested.push(b'.');
    assert_decode(&read_pickle(&nested, "").unwrap_err(), "byte ", &format!("deeper than {MAX_DEPTH}"));
    let scan = scan_globals(&nested, "");
    assert!(scan.error.is_none() && scan.calls.is_empty());

    // A list that holds itself.
    assert_decode(&read_pickle(b"]q\x00h\x00a.", "").unwrap_err(), "byte 0", "holds itself");
}

/// 40 levels of lists each holding the previous one twice: 2^40 values if copied.
#[test]
fn shared_references_cannot_blow_up_the_result() {
    let mut b = vec![0x80, 0x02, b']', b'q', 0];
    for i in 1..=40u8 {
        b.extend_from_slice(&[b'0', b'(', b'h', i - 1, b'h', i - 1, b'l', b'q', i]);
    }
    b.push(b'.');
    let started = std::time::Instant::now();
    assert_decode(&read_pickle(&b, "").unwrap_err(), "byte ", "objects");
    assert!(started.elapsed().as_secs() < 30);
    assert!(scan_globals(&b, "").error.is_none());
}

#[test]
fn random_bytes_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let opcodes: Vec<u8> = (0..=255u8).filter(|&c| graph_signature::map::pickle::opcode_name(c).is_some()).collect();
    for round in 0..3000 {
        let len = (next() % 300) as usize;
        let b: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                // Mostly opcodes, to get past the first byte.
                if round % 2 == 0 && r % 4 != 0 {
                    opcodes[(r >> 8) as usize % opcodes.len()]
                } else {
                    (r >> 8) as u8
                }
            })
            .collect();
        let _ = read_pickle(&b, "");
        let _ = read_state_dict(&b, "");
        let _ = scan_globals(&b, "");
        for op in ops(&b) {
            let _ = op;
        }
    }
}

#[test]
fn refuses_what_torch_save_does_not_write() {
    let cases: &[(&[u8], &str, &str)] = &[
        (b"\x80\x06N.", "byte 0 (PROTO)", "protocol 6"),
        (b"N.x", "byte 1 (STOP)", "1 bytes after STOP"),
        (b"NN.", "byte 2 (STOP)", "1 items left"),
        (b"\xff", "byte 0 (0xff, no opcode)", "not an opcode"),
        (b"\x97.", "byte 0 (NEXT_BUFFER)", "out-of-band"),
        (b"Pfoo\n.", "byte 0 (PERSID)", "text persistent id"),
        (b"ctorch\nload\n.", "byte 0 (GLOBAL)", "the global torch.load"),
        (b"ctorch._utils\n_rebuild_qtensor\n.", "byte 0 (GLOBAL)", "torch._utils._rebuild_qtensor"),
        (b"ctorch\nFloatStorage\n)R.", "byte 21 (REDUCE)", "calling torch.FloatStorage"),
        (b"ccollections\nOrderedDict\n.", "byte 0 (GLOBAL)", "the global collections.OrderedDict as a value"),
        (b"})R.", "byte 2 (REDUCE)", "calling a dict"),
        (b"}}b.", "byte 2 (BUILD)", "BUILD on a dict"),
        (b"N]a.", "byte 2 (APPEND)", "appending to a None"),
        (b"(K\x01K\x02tK\x01K\x02s.", "byte 10 (SETITEM)", "setting items of a tuple"),
        (b"h\x00.", "byte 0 (BINGET)", "memo entry 0 is not set"),
        (b"0", "byte 0 (POP)", "stack is empty"),
        (b"(R.", "byte 1 (REDUCE)", "MARK where a value"),
        (b"(K\x01d.", "byte 3 (DICT)", "odd number"),
        (
            b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00utf-8\x86R.",
            "byte 35 (REDUCE)",
            "encoding text as \"utf-8\"",
        ),
    ];
    for (b, at, reason) in cases {
        assert_decode(&read_pickle(b, "").unwrap_err(), at, reason);
    }
    // Still listed by the scan, which refuses nothing.
    let scan = scan_globals(b"ctorch\nload\n(S'/tmp/x'\ntR.", "");
    assert!(scan.error.is_none());
    assert_eq!(scan.imports[0].target, global("torch", "load"));
}

#[test]
fn a_key_set_twice_keeps_its_place_and_its_last_value() {
    // {'a': 1, 'b': 2, 'a': 3} as SETITEMS writes it.
    let b = b"}(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bK\x02X\x01\x00\x00\x00aK\x03u.";
    let sd = read_state_dict(b, "").unwrap();
    let entries: Vec<_> = sd.entries.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    assert_eq!(entries, [("a", Value::Int(3)), ("b", Value::Int(2))]);
    let Value::Dict(d) = read_pickle(b, "").unwrap() else { panic!() };
    assert_eq!(d.items, [(Value::Str("a".into()), Value::Int(3)), (Value::Str("b".into()), Value::Int(2))]);
}

#[test]
fn scan_resolves_calls_of_call_results_and_stops_at_faults() {
    // getattr(builtins, 'eval')('1'): the callee of the second REDUCE is the first's result.
    let b = b"\x80\x04\x8c\x08builtins\x8c\x07getattr\x93\x8c\x08builtins\x8c\x08__main__\x93\x8c\x04eval\x86R\x8c\x011\x85R.";
    let scan = scan_globals(b, "");
    assert!(scan.error.is_none(), "{:?}", scan.error);
    assert_eq!(scan.imports.len(), 2);
    assert_eq!(scan.calls.len(), 2);
    let first = scan.calls[0].offset;
    assert_eq!(scan.calls[1].callee, Callee::ResultOf { offset: first });

    // The listing so far, then the fault.
    let b = b"cos\nsystem\n)R0h\x05";
    let scan = scan_globals(b, "x.pkl");
    assert_eq!(scan.imports.len(), 1);
    assert_eq!(scan.calls.len(), 1);
    let err = scan.error.expect("a fault");
    assert_decode(&err, "x.pkl, byte 14 (BINGET)", "memo entry 5");
}

/// Found by the fuzz target (`[0x91]`, a harness assertion that was wrong): an opcode with
/// nothing after it decodes, then the missing STOP is an error at the end.
#[test]
fn an_opcode_without_stop_decodes_then_fails_at_the_end() {
    let all: Vec<_> = ops(&[0x91]).collect();
    assert_eq!(all.len(), 2);
    assert!(matches!(all[0], Ok((0, Op::FrozenSet))));
    assert_decode(all[1].as_ref().unwrap_err(), "byte 1", "ends without STOP");
    assert_decode(&read_pickle(&[0x91], "").unwrap_err(), "byte 0 (FROZENSET)", "no MARK");
}
