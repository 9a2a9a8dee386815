"""tests/lib/baresip_ctrl.py, loaded for phones in network namespaces of their own.

Shared by relay_call.py and interwork_call.py:

    from ctrl_netns import load_baresip_ctrl
    ctrl = load_baresip_ctrl(BARESIP_CTRL_PY)

RELAY_CTRL_NETNS="ADDR=NETNS ..." names, for each phone's ctrl_tcp address,
the network namespace (/run/netns/NETNS) to connect to it from: each home
behind its NAT is its own namespace, and no single namespace reaches both
phones' ctrl_tcp. A socket stays in the namespace it was made in, so the
process switches in for the connect only, then back (setns(2); os.setns is
Python 3.12 only). Needs root.
"""
import ctypes
import importlib.util
import os
import socket

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
netns = dict(pair.split("=", 1) for pair in os.environ.get("RELAY_CTRL_NETNS", "").split())
plain_connect = socket.create_connection


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def create_connection(address, *args, **kwargs):
    """A connection to a phone made inside its namespace (the socket stays there)."""
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


def load_baresip_ctrl(path):
    """baresip_ctrl.py at PATH as a module, its connections made as above."""
    socket.create_connection = create_connection
    spec = importlib.util.spec_from_file_location("baresip_ctrl", path)
    ctrl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ctrl)
    return ctrl
