#!/usr/bin/env python3
"""tests/lib/baresip_ctrl.py for phones in network namespaces of their own.

    RELAY_CTRL_NETNS="ADDR=NETNS ..." relay_call.py BARESIP_CTRL_PY ARGS...

Runs BARESIP_CTRL_PY's main() with ARGS (its own arguments: one call,
checked), with two changes:
- its ctrl_tcp connection to a phone at ADDR is made from inside the network
  namespace NETNS (/run/netns/NETNS): each home behind its NAT is its own
  namespace, and no single namespace reaches both phones' ctrl_tcp
  (ctrl_netns.py). Needs root.
- the first RTP (CALL_RTPESTAB) may take RTPESTAB_SECONDS instead of 5: with
  ICE, baresip 1.0 starts the audio only once its connectivity checks are
  over, and a check that gets no answer (the NATs drop it) is retransmitted
  for about 8 s before it counts as failed.
"""
import sys

from ctrl_netns import load_baresip_ctrl

RTPESTAB_SECONDS = 30

ctrl = load_baresip_ctrl(sys.argv[1])
plain_wait = ctrl.Phone.wait_event


def wait_event(self, kind, timeout):
    if kind == "CALL_RTPESTAB":
        timeout = max(timeout, RTPESTAB_SECONDS)
    return plain_wait(self, kind, timeout)


ctrl.Phone.wait_event = wait_event
sys.argv = sys.argv[1:]
try:
    sys.exit(ctrl.main())
except ctrl.Failure as e:
    ctrl.log(f"FAIL {e}")
    sys.exit(1)
