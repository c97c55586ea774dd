"""Fixtures shared by test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailsec.labs.frame import Lab


@pytest.fixture(scope="session")
def all_labs() -> Iterator[dict[str, Lab]]:
    """One of every lab the notebooks show, by name (the wire and OP25B labs' servers stop after)."""
    from mailsec.labs import hybrid, op25b, pgp, retrieval, retrieval_wire, smime, spf, start

    cast = hybrid.default_cast()
    pki = smime.default_pki()
    made: dict[str, Lab] = {
        "journey": start.journey_lab(),
        "devices": retrieval.devices_lab(),
        "wire": retrieval_wire.wire_lab(),
        "wire without quota": retrieval_wire.wire_lab(quota=None),
        "op25b": op25b.op25b_lab(),
        "spf": spf.spf_lab(),
        "spoofing": spf.spoofing_lab(),
        "lookup limit": spf.lookup_limit_lab(),
        "blind spots": spf.blind_spots_lab(),
        "live": spf.live_lab(),
        "pipeline": hybrid.pipeline_lab(cast),
        "signature": hybrid.signature_lab(cast),
        "size/speed": hybrid.size_speed_lab(),
        "smime message": smime.message_lab(pki),
        "certificate": smime.certificate_lab(pki),
        "efail": smime.efail_lab(pki),
        "trust": pgp.trust_lab(),
        "pgp message": pgp.message_lab(),
        "compare": pgp.compare_lab(),
    }
    yield made
    for name in ("wire", "wire without quota"):
        made[name].close()
    made["op25b"].close_servers()
