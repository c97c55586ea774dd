"""Chapter 07's DKIM pictures: a signature's verdict, the four canonicalizations side by side,
what was hashed, and the tags of a signature or a key record.

Every function takes results of :mod:`mailsec.dkim` and returns a :class:`Fragment` (HTML that
Jupyter displays). Meaning is never in colour alone: each result is a symbol and a word.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from mailsec.dkim.demo import Trial
from mailsec.dkim.result import DkimResult, Verification
from mailsec.dkim.tags import parse_tag_list
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.render.html import FONT, Fragment, badge, callout, code_block, escape, table
from mailsec.trace import Outcome

__all__ = [
    "canonical_html",
    "matrix_html",
    "result_badge",
    "tags_html",
    "verdict_html",
]

#: What each tag of a DKIM-Signature or a key record means (RFC 6376 §3.5, §3.6.1).
TAG_MEANINGS = texts(
    {
        "v": "version",
        "a": "algorithm: how the hash was signed",
        "c": "canonicalization of header/body",
        "d": "the signing domain (looked up in DNS, and checked by DMARC)",
        "s": "the selector: the key is at s._domainkey.d",
        "t": "signing time (seconds since 1970) · in a key record: flags, y = testing, s = strict",
        "x": "expiry time: after it, the signature fails",
        "h": "the header fields signed, in order · in a key record: hashes allowed",
        "bh": "the hash of the canonicalized body",
        "b": "the signature itself (over the signed header fields and this field with b= empty)",
        "l": "how many bytes of the body are signed (what comes after is not!)",
        "i": "the identity (user or agent) the domain signs for",
        "q": "how to get the key (dns/txt)",
        "k": "key type (rsa or ed25519)",
        "p": "the public key (empty: revoked)",
        "n": "notes for people",
    }
)

TEXT = texts(
    {
        "verdict": "DKIM result:",
        "signed_by": "Signed by <strong>{domain}</strong> with selector <code>{selector}</code> "
        "({algorithm}); key looked up at <code>{selector}._domainkey.{domain}</code>.",
        "testing": "The key record says <code>t=y</code>: the domain is only testing DKIM, and "
        "receivers should not treat a failure differently from an unsigned message.",
        "weak": "rsa-sha1 is weak (RFC 8301): a verifier may refuse it; sign with rsa-sha256.",
        "unsigned": "{count} bytes of the body come after the signed length (l=): nobody signed "
        "them, yet the signature passes.",
        "matrix_caption": "The same message signed four ways (c=header/body), then changed on the way",
        "matrix_headers": ("c= (header/body)", "result at the receiver", "why"),
        "hash_caption": "Body hash",
        "bh_signed": "bh= in the signature (made by the sender)",
        "bh_computed": "hash of the body the receiver got",
        "header_data": "The header data that was hashed and signed (c=header canonicalization)",
        "body_data": "The body as canonicalized (what bh= is the hash of)",
        "tags_caption": "The tags of {what}",
        "tag_headers": ("tag", "value", "meaning"),
        "same": "same",
        "different": "different",
        "base64": "base64",
        "testing_title": "t=y",
        "weak_title": "rsa-sha1",
        "length_title": "l=",
        # A protocol token (an RFC 8601 result, a tag value) shown as it is written, in every
        # language: the message only marks it as seen by the translation.
        "token": "{token}",
    }
)


def result_badge(result: DkimResult) -> Fragment:
    """``✓ pass``, ``✗ fail``, ``✗ permerror`` ... (a symbol and a word, never colour alone)."""
    return badge(result.outcome, TEXT["token"].format(token=result.value))


def verdict_html(check: Verification) -> Fragment:
    """The result and its reason, who signed, and the flags a learner should notice."""
    parts = [
        f'<div class="mailsec-dkim-verdict" data-result="{check.result.value}" '
        f'style="{FONT}font-size:16px;margin:4px 0" aria-live="polite">'
        f"{escape(TEXT['verdict'])} {result_badge(check.result)} "
        f'<span style="color:#333">{escape(check.reason)}</span></div>'
    ]
    if check.domain and check.selector:
        parts.append(
            f'<div style="{FONT}color:#333">'
            + TEXT["signed_by"].format(
                domain=escape(check.domain),
                selector=escape(check.selector),
                algorithm=escape(check.algorithm or "?"),
            )
            + "</div>"
        )
    if check.testing:
        parts.append(callout(TEXT["testing"], outcome=Outcome.WARN, title=TEXT["testing_title"]))
    if check.weak:
        parts.append(callout(escape(TEXT["weak"]), outcome=Outcome.WARN, title=TEXT["weak_title"]))
    if check.unsigned_body and check.passed:
        parts.append(
            callout(
                escape(TEXT["unsigned"].format(count=f"{check.unsigned_body:,}")),
                outcome=Outcome.WARN,
                title=TEXT["length_title"],
            )
        )
    return Fragment("".join(parts))


def matrix_html(trials: Sequence[Trial], chosen: str) -> Fragment:
    """The four canonicalizations under one change: which survived, and why not."""
    rows = []
    for trial in trials:
        check = trial.verification
        code = f"<code>{escape(trial.name)}</code>"
        name = f"<strong>{code}</strong>" if trial.name == chosen else code
        why = "" if check.passed else escape(check.reason)
        rows.append((name, str(result_badge(check.result)), why))
    return table(TEXT["matrix_headers"], rows, caption=TEXT["matrix_caption"], html_cells=True)


def canonical_html(check: Verification) -> Fragment:
    """What the verifier hashed: the body hash two ways, the header data, the body."""
    signed = base64.b64encode(check.signed_body_hash).decode() if check.signed_body_hash else "—"
    computed = base64.b64encode(check.body_hash).decode() if check.body_hash else "—"
    same = check.body_hash and check.signed_body_hash == check.body_hash
    mark = badge(Outcome.OK, TEXT["same"]) if same else badge(Outcome.FAIL, TEXT["different"])
    hashes = table(
        ("", TEXT["base64"]),
        [(escape(TEXT["bh_signed"]), f"<code>{escape(signed)}</code>"),
         (escape(TEXT["bh_computed"]), f"<code>{escape(computed)}</code> {mark}")],
        caption=TEXT["hash_caption"],
        html_cells=True,
    )  # fmt: skip
    header = _visible(check.header_data)
    body = _visible(check.canonical_body)
    return Fragment(
        hashes
        + f'<div style="{FONT}font-weight:600;margin-top:6px">{escape(TEXT["header_data"])}</div>'
        + code_block(header, label=TEXT["header_data"], max_lines=30)
        + f'<div style="{FONT}font-weight:600;margin-top:6px">{escape(TEXT["body_data"])}</div>'
        + code_block(body, label=TEXT["body_data"], max_lines=30)
    )


def _visible(data: bytes) -> str:
    """Bytes as text with line ends, tabs and trailing spaces made visible (↵, →, ·)."""
    text = data.decode("utf-8", "replace").replace("\t", "→")
    lines = text.split("\r\n")
    shown = [
        line[: len(line.rstrip(" "))] + "·" * (len(line) - len(line.rstrip(" "))) + "↵"
        for line in lines[:-1]
    ]
    if lines[-1]:
        shown.append(lines[-1])
    return "\n".join(shown)


def tags_html(text: str, what: str) -> Fragment:
    """A tag list (a DKIM-Signature's value or a key record) as a table of tag, value, meaning."""
    try:
        tags = parse_tag_list(text)
    except InputError as exc:
        return callout(escape(exc.message), outcome=Outcome.FAIL, title=what)
    rows = []
    for name in tags.names:
        value = tags.get(name) or ""
        shown = value if len(value) <= 60 else value[:28] + " … " + value[-28:]
        meaning = TAG_MEANINGS.get(name, "")
        rows.append(
            (f"<code>{escape(name)}</code>", f"<code>{escape(shown)}</code>", escape(meaning))
        )
    return table(
        TEXT["tag_headers"],
        rows,
        caption=TEXT["tags_caption"].format(what=what),
        html_cells=True,
    )
