#!/bin/sh
# p2psipd --config with an invalid file: exit code 2, and stderr names the
# file, the line and the key. Usage: p2psipd_bad_config.sh PATH/TO/p2psipd
set -u
p2psipd=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*"; echo "stderr was:"; cat "$dir/err"; exit 1; }

cat >"$dir/bad.toml" <<'TOML'
[node]
overlay = "p2psip.test"

[sip]
listen = ["udp:127.0.0.1:0", "ucp:1.2.3.4:5060"]

[auth]
enabled = false
TOML
"$p2psipd" --config "$dir/bad.toml" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] || fail "bad listen: exit code $rc, expected 2"
grep -q 'bad.toml:5: \[sip\] listen\[1\] = "ucp:1.2.3.4:5060": expected' "$dir/err" || fail "bad listen: message"
[ ! -s "$dir/out" ] || fail "bad listen: something was printed on stdout (a socket opened?)"

printf '[limits]\nrate = "fast"\n' >"$dir/type.toml"
"$p2psipd" -c "$dir/type.toml" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] || fail "wrong type: exit code $rc, expected 2"
grep -q 'type.toml:2: \[limits\] rate = "fast": expected a number' "$dir/err" || fail "wrong type: message"

"$p2psipd" --config "$dir/missing.toml" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] || fail "missing file: exit code $rc, expected 2"
grep -q 'missing.toml' "$dir/err" || fail "missing file: message"
echo "ok"
