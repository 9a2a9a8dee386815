#!/usr/bin/env python3
"""One baresip call whose media may flow one way only, reported, not judged.

    RELAY_CTRL_NETNS="ADDR=NETNS ..." interwork_call.py BARESIP_CTRL_PY \
        CALLER_CTRL CALLEE_CTRL CALLER_LOG CALLEE_LOG --caller AOR --callee AOR

For nat_interwork_test.sh's outbound case (5.2), where baresip 1.0 at both
ends does not get RTP both ways (see that script). It drives the phones with
tests/lib/baresip_ctrl.py's Phone (ctrl_tcp, each connection made from the
phone's network namespace: ctrl_netns.py): both registered, the caller
dials, the callee answers by itself (answermode=auto), both see the call
established; then up to RTPESTAB_SECONDS for each phone's first RTP
(CALL_RTPESTAB), media for MEDIA_SECONDS, the caller hangs up, both see the
call closed. Prints, last, one line
    STATS CALLER_TX CALLER_RX CALLEE_TX CALLEE_RX CALLER_RTPESTAB CALLEE_RTPESTAB
(RTP packets from rtp_stats; yes or no for each phone's CALL_RTPESTAB) for
the test to judge. Exit status 0 when the call was set up and ended as
described, 1 otherwise.
"""
import sys
import time

from ctrl_netns import load_baresip_ctrl

# baresip 1.0 starts the audio once its ICE checks are over; here those the
# NAT drops time out within 5 s. Not longer: alice's SIP flow through her
# NAT must not idle past its UDP timeout (30 s) before her BYE.
RTPESTAB_SECONDS = 12
MEDIA_SECONDS = 3
ctrl = load_baresip_ctrl(sys.argv[1])


def has_event(phone, kind, seconds):
    try:
        phone.wait_event(kind, seconds)
        return True
    except ctrl.Failure:
        return False


def main():
    import argparse

    p = argparse.ArgumentParser()
    for arg in ("caller_ctrl", "callee_ctrl", "caller_log", "callee_log"):
        p.add_argument(arg)
    p.add_argument("--caller", required=True)
    p.add_argument("--callee", required=True)
    args = p.parse_args(sys.argv[2:])
    caller = ctrl.Phone(ctrl.user_of(args.caller), *ctrl.host_port(args.caller_ctrl))
    callee = ctrl.Phone(ctrl.user_of(args.callee), *ctrl.host_port(args.callee_ctrl))
    ctrl.wait_registered(caller, args.caller)
    ctrl.wait_registered(callee, args.callee)
    ctrl.log(f"{caller.name} dials {args.callee}")
    caller.command("dial", args.callee)
    incoming = callee.wait_event("CALL_ESTABLISHED", 10)
    if args.caller.split(":", 1)[1] not in incoming.get("peeruri", ""):
        raise ctrl.Failure(f"{callee.name}: call from {incoming.get('peeruri')!r}, not {args.caller}")
    caller.wait_event("CALL_ESTABLISHED", 10)
    # Both phones' first RTP, in whatever order, RTPESTAB_SECONDS at most.
    got = {caller.name: False, callee.name: False}
    end = time.monotonic() + RTPESTAB_SECONDS
    while not all(got.values()) and time.monotonic() < end:
        for phone in (caller, callee):
            if not got[phone.name]:
                got[phone.name] = has_event(phone, "CALL_RTPESTAB", 0.2)
    for name, yes in got.items():
        ctrl.log(f"{name}: {'RTP arrived' if yes else f'no RTP within {RTPESTAB_SECONDS}s'}")
    ctrl.log(f"media runs for {MEDIA_SECONDS}s")
    caller.drain(MEDIA_SECONDS / 2)
    callee.drain(MEDIA_SECONDS / 2)
    ctrl.log(f"{caller.name} hangs up")
    caller.command("hangup")
    caller.wait_event("CALL_CLOSED", 10)
    callee.wait_event("CALL_CLOSED", 10)
    stats = []
    for phone, path in ((caller, args.caller_log), (callee, args.callee_log)):
        tx, rx = ctrl.call_stats(phone.name, path)
        ctrl.log(f"{phone.name}: RTP packets sent {tx}, received {rx}")
        stats += [tx, rx]
    yes_no = ["yes" if got[n] else "no" for n in (caller.name, callee.name)]
    print("STATS", *stats, *yes_no, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ctrl.Failure as e:
        ctrl.log(f"FAIL {e}")
        sys.exit(1)
