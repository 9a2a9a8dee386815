#!/usr/bin/env python3
"""tests/lib/baresip_ctrl.py for phones in network namespaces of their own.

    RELAY_CTRL_NETNS="ADDR=NETNS ..." relay_call.py BARESIP_CTRL_PY ARGS...

Runs BARESIP_CTRL_PY's main() with ARGS (its own arguments: one call,
checked), with two changes:
- its ctrl_tcp connection to a phone at ADDR is made from inside the network
  namespace NETNS (/run/netns/NETNS): each home behind its NAT is its own
  namespace, and no single namespace reaches both phones' ctrl_tcp. A socket
  stays in the namespace it was made in, so the process switches in for the
  connect only, then back (setns(2); os.setns is Python 3.12 only). Needs root.
- the first RTP (CALL_RTPESTAB) may take RTPESTAB_SECONDS instead of 5: with
  ICE, baresip 1.0 starts the audio only once its connectivity checks are
  over, and a check that gets no answer (the NATs drop it) is retransmitted
  for about 8 s before it counts as failed.
"""
import ctypes
import importlib.util
import os
import socket
import sys

RTPESTAB_SECONDS = 30

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
netns = dict(pair.split("=", 1) for pair in os.environ.get("RELAY_CTRL_NETNS", "").split())
plain_connect = socket.create_connection


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def create_connection(address, *args, **kwargs):
    name = netns.get(address[0])
    if name is None:
        return plain_connect(address, *args, **kwargs)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            setns(target)
        finally:
            os.close(target)
        try:
            return plain_connect(address, *args, **kwargs)
        finally:
            setns(home)
    finally:
        os.close(home)


socket.create_connection = create_connection

spec = importlib.util.spec_from_file_location("baresip_ctrl", sys.argv[1])
ctrl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ctrl)
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
