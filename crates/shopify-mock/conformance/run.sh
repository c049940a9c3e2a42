#!/usr/bin/env bash
# Conformance against Shopify's official Python library (ShopifyAPI, from PyPI):
# builds the mock, installs the library in a venv, starts `shopify-mock serve`
# on a free loopback port with the seed orders and a webhook receiver, runs
# conformance.py, and stops the mock with Ctrl-C (SIGINT).
#
# Needs: cargo, python3 with venv and pip, and PyPI. Exit status: the script's.
# The venv is kept in <cargo target dir>/shopify-conformance-venv (override with
# SHOPIFY_CONFORMANCE_VENV) so later runs skip the download.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# Cargo's target folder, wherever CARGO_TARGET_DIR or a config puts it.
target="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="${SHOPIFY_CONFORMANCE_VENV:-$target/shopify-conformance-venv}"
token="shpat_conformance_token"
secret="conformance-webhook-secret"

cargo build --quiet --manifest-path "$root/Cargo.toml" -p shopify-mock --bin shopify-mock
bin="$target/debug/shopify-mock"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "ShopifyAPI==12.7.0"

hook_port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
work="$(mktemp -d)"
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ] && kill -0 "$mock_pid" 2>/dev/null; then
    kill -INT "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The mock's stdout goes through a FIFO so that its "listening on" line is the
# signal to go on (no polling).
mkfifo "$work/out"
"$bin" serve --port 0 --orders "$here/orders.yaml" --access-token "$token" \
  --webhook-url "http://127.0.0.1:$hook_port/webhooks" --webhook-secret "$secret" \
  >"$work/out" 2>"$work/mock.err" &
mock_pid=$!
exec 3<"$work/out"

base=""
while IFS= read -r -t 60 line <&3; do
  case "$line" in
    "shopify-mock listening on "*) base="${line#shopify-mock listening on }"; break ;;
  esac
done
if [ -z "$base" ]; then
  echo "shopify-mock did not start:" >&2
  cat "$work/mock.err" >&2
  exit 1
fi
# Keep reading its output so that it never blocks on a full pipe.
cat <&3 >"$work/mock.out" &
echo "shopify-mock at $base"

status=0
"$venv/bin/python" "$here/conformance.py" --base-url "$base" --token "$token" \
  --webhook-port "$hook_port" --webhook-secret "$secret" || status=$?

kill -INT "$mock_pid"
if ! wait "$mock_pid"; then
  echo "shopify-mock did not shut down cleanly:" >&2
  cat "$work/mock.err" >&2
  status=1
fi
mock_pid=""
exit "$status"
