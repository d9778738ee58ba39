# Sourced by before_after.sh and instructions.sh: an earlier commit checked out in a git
# worktree under target/ (reused between runs), built --release beside this checkout, and
# the inputs written.
#
#   build_before_and_after REV EXAMPLE DIR N   # sets WT (the worktree) and sha (REV's commit)

build_before_and_after() {
  local rev=$1 example=$2 dir=$3 n=$4
  WT=target/before-worktree
  sha=$(git rev-parse --verify "$rev^{commit}")
  if [ -e "$WT/.git" ]; then
    git -C "$WT" checkout -q --detach "$sha"
  else
    git worktree add -q --detach "$WT" "$sha"
  fi
  echo "== building $sha (before) and this checkout (after), --release" >&2
  (cd "$WT" && cargo build -q --release --example "$example" && cargo build -q --release -p graphsig)
  cargo build -q --release --example gen_signatures --example "$example"
  cargo build -q --release -p graphsig
  target/release/examples/gen_signatures --out "$dir" --specs "$n" >&2
}
