//! Names the shared library for the loader: on Linux its soname is
//! `libgraph_signature.so.<ABI major>` (the file scripts/capi-install.sh installs), so
//! programs linked against it keep working across ABI minor versions and refuse another
//! major. The ABI major is read from `GSIG_ABI_VERSION_MAJOR` in src/lib.rs, its one home.

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    let lib = std::fs::read_to_string("src/lib.rs").expect("src/lib.rs");
    let major: u32 = lib
        .lines()
        .find_map(|l| l.strip_prefix("pub const GSIG_ABI_VERSION_MAJOR: u32 = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .and_then(|n| n.parse().ok())
        .expect("src/lib.rs declares `pub const GSIG_ABI_VERSION_MAJOR: u32 = N;`");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libgraph_signature.so.{major}");
    }
}
