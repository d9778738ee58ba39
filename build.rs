//! Generates the protobuf types (prost) and their proto3 JSON mapping (pbjson) from
//! proto/graph_signature/v1/graph_signature.proto, with protox as the parser: no system
//! `protoc` is needed. Nothing else happens here.

use std::path::PathBuf;

use prost::Message;

const PROTO_ROOT: &str = "proto";
const PROTO_FILE: &str = "graph_signature/v1/graph_signature.proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // prost-build prints no rerun-if-changed lines of its own.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={PROTO_ROOT}/{PROTO_FILE}");

    let fds = protox::compile([PROTO_FILE], [PROTO_ROOT])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptors = fds.encode_to_vec();
    // The descriptor set is kept for tools (the schema checker reads it).
    std::fs::write(out.join("graph_signature_v1.fds.bin"), &descriptors)?;

    prost_build::Config::new()
        // Deterministic code and encoding (no HashMap anywhere).
        .btree_map(["."])
        .compile_fds(fds)?;
    pbjson_build::Builder::new().register_descriptors(&descriptors)?.build(&[".graph_signature.v1"])?;
    // A second, lenient copy (unknown JSON fields skipped) for documents of a newer minor
    // version, whose additions a strict reader would refuse (src/codec/json.rs).
    let lenient = out.join("lenient");
    std::fs::create_dir_all(&lenient)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptors)?
        .out_dir(&lenient)
        .ignore_unknown_fields()
        .build(&[".graph_signature.v1"])?;
    Ok(())
}
