"""DKIM key records in DNS (RFC 6376 §3.6).

A signing domain publishes each public key as a TXT record at ``<selector>._domainkey.<domain>``;
the selector lets it have several keys at once (one per mail service, or an old and a new one
while keys are changed). The record is a tag list::

    v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=

``v``
    ``DKIM1``; optional, but when present it must be the first tag.
``k``
    The key type, ``rsa`` (the default) or ``ed25519``.
``p``
    The public key in base64. **Empty means the key was revoked**: signatures made with it fail.
``h``
    The hash algorithms the key may be used with (``sha256``); all when absent.
``s``
    The services the key is for: ``email`` or ``*`` (the default).
``t``
    Flags: ``y`` says the domain is testing DKIM (receivers should not treat failures harder
    than unsigned mail); ``s`` forbids the ``i=`` domain to be a subdomain of ``d=``.

:func:`fetch_key` asks DNS (any ``resolver=`` that :func:`mailsec.spf.lookup.as_source` accepts)
and turns what came back into a :class:`KeyLookup`: a usable record, or the DKIM result that the
lookup decided (§6.1.2: no record or a broken one is permerror; a DNS failure is temperror).
:func:`key_record` writes the record for a public key, and :func:`zone_entry` the line for a zone
file, with the record cut into DNS's 255-byte strings.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from mailsec.dkim.crypto import PrivateKey, PublicKey, key_type, public_key_bytes
from mailsec.dkim.result import DkimResult
from mailsec.dkim.tags import DkimSyntaxError, decode_base64, parse_tag_list, split_colon_list
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_KEY_RECORDS
from mailsec.spf.lookup import DnsAnswer, DnsSource, DnsStatus

__all__ = ["KeyLookup", "KeyRecord", "fetch_key", "key_name", "key_record", "parse_key_record"]

MESSAGES = texts(
    {
        "version_first": "v= must be the first tag of a key record (RFC 6376 §3.6.1).",
        "version": "v={value} is not DKIM1, so this is not a DKIM key record (RFC 6376 §3.6.1).",
        "no_key": "The record has no p= tag; every key record must have one (RFC 6376 §3.6.1).",
        "no_record": "There is no key record at {name} ({answer}).",
        "dns_failure": "The key record at {name} could not be fetched: {answer}.",
        "not_a_record": "The TXT record at {name} is not a usable key record: {problem}",
        "several": "{count} TXT records at {name}; the first valid key record was used.",
        "not_a_key": "key_record() needs an RSA or Ed25519 public or private key, not {kind}.",
        "bad_option": "{option} must be a list of plain words such as {example}.",
    }
)


@dataclass(frozen=True)
class KeyRecord:
    """A DKIM key record that follows the syntax of RFC 6376 §3.6.1."""

    text: str
    key_type: str = "rsa"
    """``k=``, in lower case."""
    public_key: bytes = b""
    """``p=``, decoded; empty when the key is revoked."""
    hashes: tuple[str, ...] | None = None
    """``h=``, in lower case, or None when every hash algorithm is allowed."""
    services: tuple[str, ...] = ("*",)
    flags: tuple[str, ...] = ()
    """``t=``, in lower case."""

    @property
    def revoked(self) -> bool:
        return not self.public_key

    @property
    def testing(self) -> bool:
        return "y" in self.flags

    @property
    def strict(self) -> bool:
        """``t=s``: the ``i=`` domain must equal ``d=``."""
        return "s" in self.flags

    @property
    def for_email(self) -> bool:
        return "*" in self.services or "email" in self.services

    def allows_hash(self, hash_name: str) -> bool:
        return self.hashes is None or hash_name in self.hashes


def parse_key_record(text: str) -> KeyRecord:
    """Read a key record (RFC 6376 §3.6.1); raise :class:`DkimSyntaxError` with the reason."""
    tags = parse_tag_list(text)
    if "v" in tags:
        if tags.names[0] != "v":
            raise DkimSyntaxError(MESSAGES["version_first"])
        if tags.get("v") != "DKIM1":
            raise DkimSyntaxError(MESSAGES["version"].format(value=quoted(tags.get("v") or "")))
    key = tags.get("p")
    if key is None:
        raise DkimSyntaxError(MESSAGES["no_key"])
    hashes = tags.get("h")
    return KeyRecord(
        text=text,
        key_type=(tags.get("k") or "rsa").lower(),
        public_key=decode_base64("p", key),
        hashes=None if hashes is None else _lower_list("h", hashes),
        services=_lower_list("s", tags.get("s") or "*"),
        flags=_lower_list("t", tags.get("t")) if tags.get("t") else (),
    )


def _lower_list(name: str, value: str | None) -> tuple[str, ...]:
    return tuple(item.lower() for item in split_colon_list(name, value or ""))


def key_name(selector: str, domain: str) -> str:
    """Where the key of ``selector`` for ``domain`` is published (RFC 6376 §3.6.2.1)."""
    return f"{selector}._domainkey.{domain}"


def key_record(
    public_key: PublicKey | PrivateKey,
    *,
    testing: bool = False,
    strict: bool = False,
    hashes: tuple[str, ...] | None = None,
    services: tuple[str, ...] | None = None,
) -> str:
    """The key record that publishes ``public_key`` (a private key gives its public half).

    ``testing`` adds ``t=y`` and ``strict`` adds ``t=s``; ``hashes`` writes ``h=`` (such as
    ``("sha256",)``) and ``services`` writes ``s=`` (such as ``("email",)``).
    """
    if hasattr(public_key, "public_key"):
        public_key = public_key.public_key()
    try:
        data = public_key_bytes(public_key)
    except (AttributeError, TypeError, ValueError):
        raise InputError(MESSAGES["not_a_key"].format(kind=type(public_key).__name__)) from None
    tags = [("v", "DKIM1"), ("k", key_type(public_key))]
    if hashes:
        tags.append(("h", _words("hashes", hashes, "('sha256',)")))
    if services:
        tags.append(("s", _words("services", services, "('email',)")))
    flags = [flag for flag, on in (("y", testing), ("s", strict)) if on]
    if flags:
        tags.append(("t", ":".join(flags)))
    tags.append(("p", base64.b64encode(data).decode("ascii")))
    return "; ".join(f"{name}={value}" for name, value in tags)


def _words(option: str, words: tuple[str, ...], example: str) -> str:
    if isinstance(words, str) or not all(w.isascii() and w.isalnum() for w in words):
        raise InputError(MESSAGES["bad_option"].format(option=option, example=example))
    return ":".join(words)


def zone_entry(selector: str, domain: str, record: str) -> str:
    """A zone-file line publishing ``record``, cut into strings of at most 255 bytes (a TXT
    string's limit, RFC 1035 §3.3.14; RFC 6376 §3.6.2.2 joins them back)."""
    strings = " ".join(f'"{record[i : i + 255]}"' for i in range(0, len(record), 255)) or '""'
    return f"{key_name(selector, domain)}. TXT {strings}"


@dataclass(frozen=True)
class KeyLookup:
    """What the key query found: a record to use, or the result that ends the verification."""

    name: str
    answer: DnsAnswer
    record: KeyRecord | None = None
    result: DkimResult | None = None
    """temperror or permerror when there is no usable record, else None."""
    problem: str = ""
    """Why there is no usable record, or a remark about the records found."""


def fetch_key(selector: str, domain: str, source: DnsSource) -> KeyLookup:
    """Ask ``source`` for the key record of ``selector`` and ``domain`` (RFC 6376 §6.1.2)."""
    name = key_name(selector, domain)
    answer = source.lookup(name, "TXT")
    shown = quoted(name, 80)
    if answer.status.is_failure:
        problem = MESSAGES["dns_failure"].format(name=shown, answer=answer.describe())
        return KeyLookup(name, answer, result=DkimResult.TEMPERROR, problem=problem)
    if answer.status is not DnsStatus.ANSWER:
        problem = MESSAGES["no_record"].format(name=shown, answer=answer.describe())
        return KeyLookup(name, answer, result=DkimResult.PERMERROR, problem=problem)
    first_problem = ""
    for strings in answer.txt_records()[:MAX_KEY_RECORDS]:
        # A TXT record may be several strings: they are joined with nothing between (§3.6.2.2).
        text = b"".join(strings).decode("latin-1")
        try:
            record = parse_key_record(text)
        except DkimSyntaxError as exc:
            first_problem = first_problem or exc.message
            continue
        count = len(answer.records)
        remark = MESSAGES["several"].format(count=count, name=shown) if count > 1 else ""
        return KeyLookup(name, answer, record=record, problem=remark)
    problem = MESSAGES["not_a_record"].format(name=shown, problem=first_problem)
    return KeyLookup(name, answer, result=DkimResult.PERMERROR, problem=problem)
