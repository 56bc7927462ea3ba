"""The loopback collector the real-data tests run nfcapd with."""

import os
import socket

import pytest

from tests.support import flowtools
from tests.support.flowtools import (
    holds_udp_port,
    missing_programs,
    nfcapd_collector,
    udp_port_holders,
)


def test_the_holder_of_a_port_is_seen_without_binding_it():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        assert holds_udp_port(os.getpid(), port)
        assert len(udp_port_holders(port)) == 1
    assert not udp_port_holders(port)


@pytest.mark.skipif(bool(missing_programs("nfcapd")), reason="needs nfcapd")
def test_a_port_taken_before_nfcapd_binds_it_is_replaced(tmp_path, monkeypatch):
    """Regression: a port taken between choosing and binding it made nfcapd exit
    ("Address already in use") and failed the test that needed the collector."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taker:
        taker.bind(("127.0.0.1", 0))
        taken = taker.getsockname()[1]
        ports = iter([taken])
        choose_free = flowtools.free_udp_port
        monkeypatch.setattr(flowtools, "free_udp_port", lambda: next(ports, None) or choose_free())
        with nfcapd_collector(tmp_path / "nfcapd") as port:
            assert port != taken and udp_port_holders(port)
        assert next(ports, None) is None, "the taken port was never offered"
