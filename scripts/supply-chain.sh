#!/usr/bin/env bash
# CI's supply-chain gates, offline: cargo-deny's licenses, bans and sources over the
# workspace (every member, every feature) and over fuzz/, with deny.toml; and the
# acknowledged advisories the same in deny.toml and .cargo/audit.toml.
#
# The advisory checks need the RustSec database from the network, which CI does not have;
# run them where there is one (docs/formats.md, "Supply chain"):
#   cargo deny check advisories
#   cargo audit            # cargo install cargo-audit --locked
#
# cargo-deny is installed pinned (--locked) under $GRAPHSIG_CACHE/tools (default
# ~/.cache/graph-signature/tools).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2
cache=${GRAPHSIG_CACHE:-$HOME/.cache/graph-signature}
tools=$cache/tools
export PATH="$tools/bin:$PATH"

if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
    echo "== installing cargo-deny $CARGO_DENY_VERSION into $tools"
    cargo install --locked --quiet --version "$CARGO_DENY_VERSION" --root "$tools" cargo-deny
fi
cargo deny --version

echo "== acknowledged advisories: deny.toml and .cargo/audit.toml list the same ids"
python3 - <<'PY'
import tomllib
with open("deny.toml", "rb") as f:
    deny = {e["id"] if isinstance(e, dict) else e for e in tomllib.load(f)["advisories"]["ignore"]}
with open(".cargo/audit.toml", "rb") as f:
    audit = set(tomllib.load(f)["advisories"]["ignore"])
if deny != audit:
    raise SystemExit(f"deny.toml ignores {sorted(deny)}, .cargo/audit.toml {sorted(audit)}")
print(", ".join(sorted(deny)) or "none")
PY

# The crates' manifests of every platform (cargo metadata reads them); from crates.io, which
# CI reaches. Nothing else is fetched: --offline keeps cargo-deny off the advisory database.
cargo fetch --locked --quiet
cargo fetch --locked --quiet --manifest-path fuzz/Cargo.toml

echo "== cargo deny: licenses, bans, sources (the workspace)"
cargo deny --locked --offline --workspace check licenses bans sources
echo "== cargo deny: licenses, bans, sources (fuzz/)"
cargo deny --locked --offline --manifest-path fuzz/Cargo.toml check licenses bans sources
