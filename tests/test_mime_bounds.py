"""Deep MIME nesting and huge header fields: a clear refusal in bounded time, at every boundary."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mailsec import mime
from mailsec.errors import InputError
from mailsec.labs.smime import message_lab
from mailsec.limits import MAX_HEADER_SECTION, MAX_LAB_SUBJECT, MAX_MIME_DEPTH
from mailsec.pki import course_pki
from mailsec.smime import sign_message
from mailsec.smime.inspect import mime_tree


def nested(depth: int) -> bytes:
    head, tail = [], []
    for i in range(depth):
        head.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
        tail.insert(0, b"\r\n--b%d--\r\n" % i)
    return (
        b"From: a@example.org\r\nSubject: deep\r\n"
        + b"".join(head)
        + b"Content-Type: text/plain\r\n\r\nhi"
        + b"".join(tail)
    )


def folded_subject(size: int) -> bytes:
    lines = b"\r\n ".join(b"x" * 60 for _ in range(size // 62))
    return b"From: a@example.org\r\nTo: b@example.net\r\nSubject: " + lines + b"\r\n\r\nHello\r\n"


@pytest.fixture(scope="module")
def pki():
    return course_pki()


@pytest.mark.parametrize("depth", [MAX_MIME_DEPTH + 1, 1500])
def test_deep_nesting_is_refused_with_a_sentence(depth: int) -> None:
    started = time.perf_counter()
    with pytest.raises(InputError, match="nests multiparts more than 100 deep"):
        mime_tree(nested(depth))
    assert time.perf_counter() - started < 10  # a last guard: about a second at most


def test_nesting_up_to_the_limit_is_read() -> None:
    assert mime.mime_depth(mime.parse(nested(MAX_MIME_DEPTH - 1))) == MAX_MIME_DEPTH


def test_a_huge_header_section_is_refused_before_it_is_parsed(pki) -> None:
    message = folded_subject(2 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(InputError, match="header fields before its first empty line"):
        sign_message(message, key=pki.alice.key, certificate=pki.alice.certificate)
    assert time.perf_counter() - started < 2


def test_many_continuation_lines_below_the_limit_are_joined_in_linear_time(pki) -> None:
    message = folded_subject(90 * 1024)  # about 1,500 continuation lines, below the limit
    assert len(message) < MAX_HEADER_SECTION
    started = time.perf_counter()
    signed = sign_message(message, key=pki.alice.key, certificate=pki.alice.certificate)
    assert time.perf_counter() - started < 5
    assert signed.count(b"x" * 60) >= 1400


def test_the_lab_refuses_a_two_megabyte_subject_at_once(pki) -> None:
    lab = message_lab(pki)
    started = time.perf_counter()
    lab.subject.value = "S" * (2 * 1024 * 1024)
    assert time.perf_counter() - started < 1
    assert f"at most {MAX_LAB_SUBJECT} characters" in lab.error.value
    assert lab.result.value == ""


def test_the_command_line_says_one_line_for_a_deep_message(tmp_path, pki) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca.certificate_pem())
    run = subprocess.run(
        [sys.executable, "-m", "mailsec", "smime", "verify", "--ca", str(ca)],
        input=nested(1500),
        capture_output=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert run.stderr.count(b"\n") == 1 and b"Traceback" not in run.stderr


def test_pgp_mime_reading_refuses_deep_nesting_with_a_sentence() -> None:
    from mailsec.openpgp.pgpmime import read_message

    with pytest.raises(InputError, match="nests multiparts more than 100 deep"):
        read_message(nested(1500), keys=[], certs=[])
