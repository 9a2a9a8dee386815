#!/usr/bin/env bash
# The Debian package as an operator meets it. From BUILD_DIR (configured and
# built): `cpack -G DEB`; its control data checked (dependencies from
# dpkg-shlibdeps, the conffile, the unit, the man pages); then installed with
# dpkg -i in a throwaway root, an overlay of this machine's root inside
# private mount and network namespaces, so nothing it does stays and its
# ports are its own. There the node is enrolled as /etc/p2psip/p2psipd.toml
# says, the unit is checked by systemd-analyze, the daemon started as the
# unit starts it (user p2psip, the installed configuration), a phone
# registers with sipp, and SIGTERM stops it cleanly. Needs root.
#   packaging/test_package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "package test FAILED: $*"; exit 1; }
say() { echo "[$(date +%T)] $*"; }

say "cpack -G DEB in $build"
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/p2psip_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
say "$(basename "$deb"): Depends: $depends"
for lib in libopendht libc-ares libldns libsystemd0 libssl adduser; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/p2psip/p2psipd.toml ||
  fail "/etc/p2psip/p2psipd.toml is not a conffile"
dpkg-deb -c "$deb" >"$work/contents"
for f in ./usr/bin/p2psipd ./usr/bin/p2psip ./lib/systemd/system/p2psipd.service \
  ./etc/p2psip/p2psipd.toml ./usr/share/man/man8/p2psipd.8.gz ./usr/share/man/man1/p2psip.1.gz; do
  grep -q " $f\$" "$work/contents" || fail "the package lacks $f"
done

mkdir -p "$work/layer" "$work/root"
cp "$deb" "$work/p2psip.deb"
cp "$here/../tests/interop/scenarios/register.xml" "$work/register.xml"

# Inside the namespaces: the overlay root, then everything in a chroot.
unshare --mount --net --fork bash -s "$work" <<'INSIDE' || fail "inside the throwaway root (above)"
set -euo pipefail
work=$1
mount --make-rprivate /
# The writable layer on a tmpfs: overlayfs takes no upper layer on an
# overlayfs, which / may itself be (a container, a throwaway root).
mount -t tmpfs tmpfs "$work/layer"
mkdir "$work/layer/upper" "$work/layer/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/layer/upper,workdir=$work/layer/work" \
  "$work/root"
mount -t proc proc "$work/root/proc"
mount --rbind /dev "$work/root/dev"
mount -t tmpfs tmpfs "$work/root/tmp"
mount -t tmpfs tmpfs "$work/root/run"
ip link set lo up
cp "$work/p2psip.deb" "$work/register.xml" "$work/root/tmp/"
in_root() { chroot "$work/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

echo "dpkg -i:"
in_root dpkg -i /tmp/p2psip.deb
in_root getent passwd p2psip >/dev/null || { echo "postinst made no user p2psip"; exit 1; }
# --man=no: the man page is checked in the package above; man-db need not be here.
in_root systemd-analyze verify --man=no /lib/systemd/system/p2psipd.service

# Enrollment as the configuration's comment says.
in_root p2psip ca init --dir /root/ca --overlay p2psip.test >/dev/null
in_root p2psip ca issue-node --dir /root/ca --node-id pkg1 --domain-authority \
  --out /var/lib/p2psip/node >/dev/null
in_root cp /root/ca/ca.crt /var/lib/p2psip/ca.crt
printf 'alice alice-secret\n' >"$work/root/var/lib/p2psip/users"
in_root chown -R p2psip:p2psip /var/lib/p2psip
in_root chmod 600 /var/lib/p2psip/users
# sipp answers only the first challenge, which is SHA-256 by default (RFC 8760
# order); an operator whose phones know MD5 alone says so.
sed -i 's|^users = "/var/lib/p2psip/users"$|&\ndigest = "MD5"|' "$work/root/etc/p2psip/p2psipd.toml"
grep -q '^digest = "MD5"' "$work/root/etc/p2psip/p2psipd.toml" || { echo "cannot set [auth] digest"; exit 1; }

# ExecStart, as User=p2psip (each command execs the next: $! is p2psipd).
chroot "$work/root" /usr/bin/env -i PATH=/usr/bin:/bin \
  setpriv --reuid p2psip --regid p2psip --init-groups \
  /usr/bin/p2psipd --config /etc/p2psip/p2psipd.toml >"$work/p2psipd.log" 2>&1 &
node=$!
for _ in $(seq 100); do
  [ -n "$(ss -Hlnu 'sport = :5060')" ] && break
  kill -0 "$node" 2>/dev/null || { cat "$work/p2psipd.log"; echo "p2psipd exited"; exit 1; }
  sleep 0.1
done
in_root timeout 30 sipp -nostdin -timeout 20 -timeout_error -sf /tmp/register.xml \
  -inf /dev/stdin -au alice -ap alice-secret -s p2psip.test -auth_uri p2psip.test \
  -i 127.0.0.1 -p 5999 -t u1 -m 1 -trace_msg -message_file /tmp/register.msg \
  127.0.0.1:5060 <<<"$(printf 'SEQUENTIAL\nalice;\n')" >/dev/null 2>&1 ||
  { cat "$work/p2psipd.log"; cat "$work/root/tmp/register.msg" 2>/dev/null | tail -30; echo "REGISTER failed"; exit 1; }
grep -q "^SIP/2.0 200" "$work/root/tmp/register.msg" || { echo "no 200 to the REGISTER"; exit 1; }
in_root p2psip bindings | grep -q "sip:alice@p2psip.test" || { echo "the node holds no binding of alice"; exit 1; }
kill -TERM "$node"
wait "$node" || { cat "$work/p2psipd.log"; echo "p2psipd did not exit 0 on SIGTERM"; exit 1; }
echo "installed p2psipd took alice's REGISTER (200) and stopped cleanly"
INSIDE
say "package test passed"
