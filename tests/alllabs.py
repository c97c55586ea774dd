"""One of every lab the notebooks show, made in one language, and their servers stopped after.

Used by the ``all_labs`` fixture (``tests/conftest.py``) and by the catalog tests, which make
every lab under the pseudo-locale and in Japanese (``tests/test_i18n_labs.py``).
"""

from __future__ import annotations

from mailsec.labs.frame import Lab


def make_all_labs(lang: str | None = None) -> dict[str, Lab]:
    """One of every lab the notebooks show, by name, in ``lang`` (None: the kernel's language);
    the caller stops their servers with :func:`close_all_labs`."""
    from mailsec.labs import (
        apop,
        capstone,
        dkim,
        dmarc,
        dmarc_reports,
        exam,
        hybrid,
        mtasts,
        op25b,
        pgp,
        relaycontrol,
        retrieval,
        retrieval_wire,
        smime,
        spf,
        start,
        wiretap,
    )

    cast = hybrid.default_cast()
    pki = smime.default_pki()
    made: dict[str, Lab] = {
        "journey": start.journey_lab(lang=lang),
        "devices": retrieval.devices_lab(lang=lang),
        "wire": retrieval_wire.wire_lab(lang=lang),
        "wire without quota": retrieval_wire.wire_lab(quota=None, lang=lang),
        "op25b": op25b.op25b_lab(lang=lang),
        "spf": spf.spf_lab(lang=lang),
        "spoofing": spf.spoofing_lab(lang=lang),
        "lookup limit": spf.lookup_limit_lab(lang=lang),
        "blind spots": spf.blind_spots_lab(lang=lang),
        "live": spf.live_lab(lang=lang),
        "pipeline": hybrid.pipeline_lab(cast, lang=lang),
        "signature": hybrid.signature_lab(cast, lang=lang),
        "size/speed": hybrid.size_speed_lab(lang=lang),
        "smime message": smime.message_lab(pki, lang=lang),
        "certificate": smime.certificate_lab(pki, lang=lang),
        "efail": smime.efail_lab(pki, lang=lang),
        "trust": pgp.trust_lab(lang=lang),
        "pgp message": pgp.message_lab(lang=lang),
        "compare": pgp.compare_lab(lang=lang),
        "canonicalization": dkim.canonicalization_lab(lang=lang),
        "key record": dkim.key_record_lab(lang=lang),
        "dmarc": dmarc.dmarc_lab(lang=lang),
        "reports": dmarc_reports.report_lab(lang=lang),
        "mta-sts": mtasts.mtasts_lab(lang=lang),
        "wiretap": wiretap.wiretap_lab(lang=lang),
        "relay": relaycontrol.relay_control_lab(lang=lang),
        "apop": apop.apop_lab(lang=lang),
        "defence": capstone.defence_lab(lang=lang),
        "scenario": capstone.scenario_lab(lang=lang),
        "exam": exam.exam_lab(seed=1, lang=lang),
    }
    return made


def close_all_labs(made: dict[str, Lab]) -> None:
    """Stop the servers of the labs :func:`make_all_labs` made."""
    for name in ("wire", "wire without quota", "wiretap", "relay", "apop", "defence", "scenario"):
        made[name].close()
    made["op25b"].close_servers()
