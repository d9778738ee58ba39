#!/usr/bin/env bash
# Every live check against real torch, for every torch release: the one command.
#
#   scripts/torch-matrix.sh [VERSION ...]     default: every release below
#
# Per release (its pinned venv from scripts/torch-venvs.sh, made when missing) it runs
#   - interop:    scripts/torch_interop.py (graphsig reads what torch wrote, torch loads
#                 what graphsig embedded, safetensors checks), and
#   - json:       scripts/check_torch_json_roundtrip.py (torch reads what our torch-JSON
#                 writer wrote for that release),
# then prints one row per release with the checks run and passed, and a last line
# 'N passed, M failed' counting releases. Exits non-zero when any release fails: an
# install or import that fails, a check that fails, or a check that ran nothing although
# it should have. Full logs: target/torch-matrix/.
set -uo pipefail
cd "$(dirname "$0")/.."

ALL=(2.1.2 2.2.2 2.3.1 2.4.1 2.5.1 2.6.0 2.7.1 2.8.0 2.9.1 2.10.0 2.11.0 2.12.1 2.13.0 2.14.1 2.15.0)
VERSIONS=("${@:-${ALL[@]}}")
LOGS=target/torch-matrix
mkdir -p "$LOGS"

# Install every venv first, so a release that cannot be installed is named plainly.
declare -A install_ok
for v in "${VERSIONS[@]}"; do
    if scripts/torch-venvs.sh "$v" >/dev/null 2>"$LOGS/install-$v.log"; then
        install_ok[$v]=1
    else
        install_ok[$v]=0
        echo "torch $v: install FAILED (see $LOGS/install-$v.log)" >&2
    fi
done

if ! cargo build -q --locked --bin graphsig; then
    echo "torch matrix: FAILED: graphsig does not build"
    exit 1
fi

failed_releases=0
passed_releases=0
rows=()
for v in "${VERSIONS[@]}"; do
    if [ "${install_ok[$v]}" != 1 ]; then
        rows+=("$(printf '%-8s %-28s %-28s %s' "$v" "not run" "not run" "FAIL: torch $v cannot be installed")")
        failed_releases=$((failed_releases + 1))
        continue
    fi
    bash scripts/torch_interop.sh "$v" >"$LOGS/interop-$v.log" 2>&1
    interop_rc=$?
    python3 scripts/check_torch_json_roundtrip.py "$v" >"$LOGS/json-$v.log" 2>&1
    json_rc=$?

    # 'torch interop (2.15.0+cu132): N passed, M failed'
    line=$(grep -E '^torch interop \(.*\): [0-9]+ passed, [0-9]+ failed$' "$LOGS/interop-$v.log" | tail -n 1)
    if [ -n "$line" ]; then
        ip=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$line")
        if_=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$line")
        interop="interop $ip/$((ip + if_)) passed"
    else
        interop="interop: no result line"
        interop_rc=1
    fi
    # 'json round trip torch 2.15.0: N checks, P passed, F failed'
    line=$(grep -E "^json round trip torch $v: " "$LOGS/json-$v.log" | tail -n 1)
    if [[ "$line" =~ :\ ([0-9]+)\ checks,\ ([0-9]+)\ passed ]]; then
        jc=${BASH_REMATCH[1]}
        jp=${BASH_REMATCH[2]}
        json="json $jp/$jc passed"
        if [ "$jc" = 0 ]; then json="json 0 checks (predates 2.3)"; fi
    else
        json="json: ${line:-no result line}"
        json_rc=1
    fi

    verdict=ok
    if [ "$interop_rc" != 0 ] || [ "$json_rc" != 0 ]; then
        verdict="FAIL"
        [ "$interop_rc" != 0 ] && verdict+=" (interop, see $LOGS/interop-$v.log)"
        [ "$json_rc" != 0 ] && verdict+=" (json, see $LOGS/json-$v.log)"
        failed_releases=$((failed_releases + 1))
    else
        passed_releases=$((passed_releases + 1))
    fi
    rows+=("$(printf '%-8s %-28s %-28s %s' "$v" "$interop" "$json" "$verdict")")
    echo "${rows[-1]}" >&2
done

echo
printf '%-8s %-28s %-28s %s\n' torch interop json verdict
for row in "${rows[@]}"; do echo "$row"; done
echo "torch matrix: $passed_releases passed, $failed_releases failed"
[ "$failed_releases" = 0 ]
