"""Chapter 05's labs driven headless (setting widget values), and their renderers."""

from __future__ import annotations

import html
import re

import pytest

from mailsec.labs.smime import certificate_lab, efail_lab, message_lab
from mailsec.pki import CertificateStatus, course_pki
from mailsec.render.smime import cms_tree_html, mime_tree_html, smime_diagram
from mailsec.smime import ContentCipher, SignatureStatus, sign_message
from mailsec.smime.demo import compose, deliver
from mailsec.smime.inspect import cms_outline, mime_tree, plain_client_view


@pytest.fixture(scope="module")
def pki():
    return course_pki()


def text(fragment: str) -> str:
    """The words of an HTML fragment, as a screen reader would get them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_message_lab_default_is_signed_and_encrypted(pki):
    lab = message_lab(pki)
    assert lab.error.value == ""
    shown = text(lab.result.value)
    assert "✓ encrypted, integrity checked" in shown
    assert "✓ signed by alice@example.org, verified" in shown
    assert "team leads +3%" in shown
    assert "RFC 5083 §2.1" in lab.explanation.value
    assert lab.delivery.verification.status is SignatureStatus.VALID


def test_flipped_byte_in_gcm_shows_nothing(pki):
    """RFC 5084: the changed message is refused and none of its text is shown."""
    lab = message_lab(pki)
    lab.transit.value = True
    shown = text(lab.result.value)
    assert "✗ cannot decrypt" in shown
    assert "team leads" not in shown
    assert "integrity check" in shown


def test_flipped_byte_in_signed_text_fails_the_signature(pki):
    lab = message_lab(pki)
    lab.encrypt.value = False
    lab.transit.value = True
    lab.byte.value = 3
    shown = text(lab.result.value)
    assert "✗ signature: the message was changed after it was signed" in shown
    assert lab.delivery.verification.status is SignatureStatus.TAMPERED


def test_cbc_change_goes_unnoticed_without_signature(pki):
    """The EFAIL weakness in the message lab: CBC decrypts changed ciphertext into garbage."""
    lab = message_lab(pki)
    lab.sign.value = False
    lab.cipher.value = ContentCipher.AES256_CBC
    lab.transit.value = True
    lab.byte.value = 100  # a ciphertext block inside the text, after the MIME header fields
    shown = text(lab.result.value)
    assert "! encrypted, not integrity checked (CBC)" in shown
    assert lab.delivery.refused is None
    assert lab.delivery.text is not None
    assert "the new salary table: team leads +3%" not in lab.delivery.text
    assert "Alice" in lab.delivery.text  # the rest decrypts normally: nothing warns Bob


@pytest.mark.parametrize(
    ("signer", "status"),
    [
        ("alice", SignatureStatus.VALID),
        ("expired", SignatureStatus.EXPIRED),
        ("wrong_address", SignatureStatus.WRONG_ADDRESS),
        ("unknown_ca", SignatureStatus.UNTRUSTED),
    ],
)
def test_message_lab_signers(pki, signer, status):
    lab = message_lab(pki)
    lab.signer.value = signer
    assert lab.delivery.verification.status is status
    words = (
        "signed by alice@example.org, verified"
        if status is SignatureStatus.VALID
        else (f"✗ signature: {status.description}")
    )
    assert words in text(lab.result.value)


def test_views(pki):
    lab = message_lab(pki)
    lab.view.value = "plain"
    plain = text(lab.result.value)
    assert "Subject Salary table for next year" in plain  # S/MIME does not hide the Subject
    assert "smime.p7m (application/pkcs7-mime" in plain
    assert "team leads" not in plain
    lab.view.value = "mime"
    assert "application/pkcs7-mime (smime.p7m)" in text(lab.result.value)
    lab.view.value = "cms"
    cms = text(lab.result.value)
    assert "ContentInfo: AuthEnvelopedData" in cms
    assert "KeyAgreeRecipientInfo (ECDH)" in cms and "KeyTransRecipientInfo (RSA)" in cms
    lab.view.value = "raw"
    assert "Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data" in text(
        lab.result.value
    )
    lab.encrypt.value = False
    lab.view.value = "plain"
    signed_plain = text(lab.result.value)
    assert "team leads +3%" in signed_plain and "smime.p7s" in signed_plain
    lab.view.value = "cms"
    assert "ContentInfo: SignedData" in text(lab.result.value)


def test_message_lab_bad_input_clears_the_stale_result(pki):
    lab = message_lab(pki)
    before = lab.result.value
    lab.body.value = "   "
    assert "The message text is empty" in lab.error.value
    assert lab.result.value == "" and lab.explanation.value == ""
    lab.body.value = "Hello again"
    assert lab.error.value == "" and lab.result.value not in ("", before)
    lab.sign.value = False
    lab.encrypt.value = False
    lab.view.value = "cms"
    assert "A plain message has no CMS structure" in lab.error.value
    lab.view.value = "smime"
    lab.transit.value = True
    assert "A plain message has no signature or encryption to break" in lab.error.value
    assert lab.last_exception is not None


def test_certificate_lab(pki):
    lab = certificate_lab(pki)
    assert lab.check.status is CertificateStatus.VALID
    assert "alice@example.org" in text(lab.result.value)
    expected = {
        "bob": CertificateStatus.WRONG_ADDRESS,
        "expired": CertificateStatus.EXPIRED,
        "wrong_address": CertificateStatus.WRONG_ADDRESS,
        "unknown_ca": CertificateStatus.UNTRUSTED,
        "ca": CertificateStatus.WRONG_PURPOSE,
    }
    for which, status in expected.items():
        lab.which.value = which
        assert lab.check.status is status, which
        assert status.description in text(lab.result.value)
    lab.which.value = "bob"
    lab.address.value = "bob@example.net"
    assert lab.check.status is CertificateStatus.VALID
    lab.trusts.value = False
    assert lab.check.status is CertificateStatus.UNTRUSTED
    lab.address.value = "not an address"
    assert "is not a mail address" in lab.error.value


def test_efail_lab(pki):
    lab = efail_lab(pki)
    shown = text(lab.result.value)
    assert "Change not detected" in shown
    assert lab.result_text.startswith("<img src='http:/")
    assert "tulip-42-river" in lab.result_text  # the secret that EFAIL would send away
    lab.cipher.value = ContentCipher.AES256_GCM
    assert "Change detected" in text(lab.result.value)
    assert lab.result_text is None
    lab.injected.value = "too short"
    assert "is 9 bytes" in lab.error.value


def test_static_view_shows_the_result(pki):
    lab = message_lab(pki)
    static = lab.static_html()
    assert "Bob&#x27;s mail program" in static or "Bob's mail program" in static
    assert "Run All Cells" in static


def test_deliver_without_protection_warns(pki):
    delivery = deliver(
        subject="Hi",
        body="plain text",
        sign=False,
        encrypt=False,
        signer=pki.alice,
        recipients=[pki.bob],
        reader=pki.bob,
        trusted=[pki.ca.certificate],
    )
    words = [w for _, w in delivery.marks]
    assert words == [
        "not encrypted: anyone on the way can read it",
        "not signed: the sender is not proven",
    ]
    assert delivery.text == "plain text\n"


def test_compose_rejects_multiline_subject():
    with pytest.raises(ValueError, match="has a line break"):
        compose(sender="a@b.c", to="d@e.f", subject="one\ntwo", body="x")


def test_renderers_carry_text_alternatives(pki):
    svg = str(smime_diagram())
    assert 'role="img"' in svg and "<title>" in svg and "aria-label=" in svg
    message = sign_message(
        compose(sender="alice@example.org", to="bob@example.net", subject="s", body="b"),
        key=pki.alice.key,
        certificate=pki.alice.certificate,
    )
    tree = str(mime_tree_html(mime_tree(message)))
    assert 'role="tree"' in tree and "multipart/signed" in tree
    assert "application/pkcs7-signature" in tree
    outline = str(cms_tree_html(cms_outline(message)))
    assert "SignerInfo" in outline and "[RFC 5652 §5.3]" in outline
    rows = dict(plain_client_view(message))
    assert rows["Attachments"].startswith("smime.p7s")
    assert rows["Shows as text"] == "text/plain"


def test_a_japanese_subject_is_shown_as_text_not_as_an_encoded_word(pki):
    lab = message_lab(pki)
    lab.subject.value = "来年度の給与表"
    assert "来年度の給与表" in lab.result.value
    assert "=?utf-8?" not in lab.result.value.lower()


def test_efail_counts_bytes_and_says_so_for_kanji(pki):
    lab = efail_lab(pki)
    lab.injected.value = "給与表の件について至急"  # 11 characters, 33 bytes
    assert "11 characters but 33 bytes in UTF-8" in html.unescape(lab.error.value)
    assert lab.result.value == ""
    lab.injected.value = "給与表の件X"  # 5 kanji (15 bytes) and 1 ASCII character: one block
    assert lab.error.value == "" and "給与表の件X" in lab.result.value
