#!/usr/bin/env bash
# The public SIP network of tests/interwork/public_network.sh (BIND9 for
# example.test and the overlay's zone p2psip.test, Kamailio as example.test's
# registrar and proxy) on the public segment of tests/relay's namespaces:
#
#   ip netns exec PUBLIC_NS bash interwork_public.sh DIR NET KAMAILIO_ADDR
#
# run inside the public namespace, with P2PSIP_PUBLIC_NET=NET (203.0.113):
# BIND9 on NET.53 (public_network.sh adds it to the namespace's lo),
# Kamailio on KAMAILIO_ADDR:5060 with its own resolv.conf naming NET.53.
# Both are left running when this script exits (each leads a process group
# of its own): the caller ends them with the namespace (nat_teardown kills
# every process in it). The TSIG keys and the logs are in DIR
# (public_network.sh's pn_dir): DIR/pp1.key for the proxy peer,
# DIR/named/named.log, DIR/kamailio-ADDR/log. Exit status 0 once both
# answer.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
dir=${1:?usage: interwork_public.sh DIR NET KAMAILIO_ADDR}
P2PSIP_PUBLIC_NET=${2:?}
kamailio_addr=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interwork/public_network.sh
source "$here/../interwork/public_network.sh"
pn_init "$dir"
start_named
start_kamailio "$kamailio_addr"
