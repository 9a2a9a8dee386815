#!/bin/sh
# End-to-end test of `p2psip ca`: init, issue-user, issue-node, show, and the
# failures an operator is most likely to hit. Usage: cli_test.sh PATH/TO/p2psip
set -u
p2psip=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/p2psip-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# ok DESCRIPTION COMMAND...: the command must exit 0.
ok() {
  what=$1
  shift
  "$@" >"$work/out" 2>"$work/err" || { fail "$what (exit $?)"; cat "$work/out" "$work/err" >&2; }
}

# refused DESCRIPTION COMMAND...: the command must exit 1 with one line on stderr.
refused() {
  what=$1
  shift
  "$@" >"$work/out" 2>"$work/err"
  rc=$?
  [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1"
  [ "$(wc -l <"$work/err")" -eq 1 ] || { fail "$what: expected one line on stderr"; cat "$work/err" >&2; }
}

contains() {
  grep -qF -- "$2" "$1" || { fail "$(basename "$1") lacks \"$2\""; cat "$1" >&2; }
}

mode_of() { stat -c %a "$1"; }

ok "ca init" "$p2psip" ca init --dir "$work/ca" --overlay p2psip.test
contains "$work/out" "$work/ca/ca.key"
contains "$work/out" "$work/ca/ca.crt"
[ "$(mode_of "$work/ca/ca.key")" = 600 ] || fail "ca.key mode is $(mode_of "$work/ca/ca.key")"

refused "second ca init" "$p2psip" ca init --dir "$work/ca" --overlay p2psip.test
contains "$work/err" "already exists"

ok "ca issue-user" "$p2psip" ca issue-user --dir "$work/ca" --aor sip:alice@p2psip.test \
  --out "$work/alice"
[ "$(mode_of "$work/alice.key")" = 600 ] || fail "alice.key mode is $(mode_of "$work/alice.key")"

ok "ca show user" "$p2psip" ca show "$work/alice.crt"
contains "$work/out" "SAN URI:     sip:alice@p2psip.test"
contains "$work/out" "CA:          no"
contains "$work/out" "notAfter:"
contains "$work/out" "SHA-256:"

ok "ca show CA" "$p2psip" ca show "$work/ca/ca.crt"
contains "$work/out" "CN:          p2psip.test overlay CA"
contains "$work/out" "CA:          yes"

ok "ca issue-node" "$p2psip" ca issue-node --dir "$work/ca" --node-id n1 --domain-authority \
  --out "$work/n1"
ok "ca show node" "$p2psip" ca show "$work/n1.crt"
contains "$work/out" "SAN URI:     urn:p2psip:node:n1"
contains "$work/out" "SAN DNS:     p2psip.test"

# From a CSR made with the openssl tool: the CA keeps no key and ignores the CN asked for.
if command -v openssl >/dev/null 2>&1; then
  openssl genpkey -algorithm ed25519 -out "$work/bob-own.key" 2>/dev/null
  openssl req -new -key "$work/bob-own.key" -subj "/CN=sip:root@p2psip.test" -out "$work/bob.csr"
  ok "ca issue-user --csr" "$p2psip" ca issue-user --dir "$work/ca" --aor sip:bob@p2psip.test \
    --csr "$work/bob.csr" --out "$work/bob"
  [ -e "$work/bob.crt" ] && [ ! -e "$work/bob.key" ] || fail "expected bob.crt and no bob.key"
  ok "ca show csr cert" "$p2psip" ca show "$work/bob.crt"
  contains "$work/out" "SAN URI:     sip:bob@p2psip.test"
  grep -q "root" "$work/out" && fail "the CSR's CN reached the certificate"
fi

refused "AOR of another domain" "$p2psip" ca issue-user --dir "$work/ca" \
  --aor sip:eve@example.com --out "$work/eve"
contains "$work/err" "example.com"
[ ! -e "$work/eve.key" ] || fail "eve.key written for a refused AOR"
refused "key file exists" "$p2psip" ca issue-user --dir "$work/ca" --aor sip:alice@p2psip.test \
  --out "$work/alice"
refused "no CA" "$p2psip" ca issue-user --dir "$work/none" --aor sip:a@p2psip.test --out "$work/a"
refused "bad CSR" "$p2psip" ca issue-node --dir "$work/ca" --node-id n2 --csr "$work/alice.crt" \
  --out "$work/n2"
refused "show a key" "$p2psip" ca show "$work/alice.key"
# A CA key that group or others may read is refused, naming the file and the fix.
chmod 644 "$work/ca/ca.key"
refused "readable CA key" "$p2psip" ca issue-user --dir "$work/ca" --aor sip:c@p2psip.test \
  --out "$work/c"
contains "$work/err" "$work/ca/ca.key"
contains "$work/err" "chmod 600 $work/ca/ca.key"
[ ! -e "$work/c.key" ] || fail "c.key written with an exposed CA key"
chmod 600 "$work/ca/ca.key"
refused "missing option" "$p2psip" ca issue-user --dir "$work/ca" --out "$work/x"
refused "no subcommand" "$p2psip"

[ "$failures" -eq 0 ] && echo "cli_test: all checks passed"
exit "$failures"
