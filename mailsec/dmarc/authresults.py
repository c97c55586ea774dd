"""The Authentication-Results header field (RFC 8601): writing DMARC's verdict, and reading it.

A receiving server records what it checked in one header field, so that mail programs and filters
further on need not check again::

    Authentication-Results: mx.example.net;
        spf=pass smtp.mailfrom=bounces.example.com;
        dkim=pass header.d=example.com header.s=mail;
        dmarc=pass (p=reject dis=none) header.from=example.com

The value starts with the *authserv-id* (the name of the server that checked), then one
*resinfo* per check: ``method=result``, an optional ``reason=``, and properties
``ptype.property=value`` that say what was checked (``smtp.mailfrom`` is the SMTP envelope
sender, ``header.d`` a DKIM signature's ``d=`` tag, ``header.from`` the From: domain). DKIM gives
one resinfo per signature. Comments in parentheses are for people; the DMARC one here follows the
common ``(p=... dis=...)`` form.

Values are tokens or quoted strings (RFC 8601 §2.2, RFC 2045 §5.1): a domain is written as it is,
anything with a space, a quote or another special character is quoted. Only the field's value is
returned, without ``Authentication-Results:``. A header field should only be trusted when the
authserv-id is the receiver's own: anyone can add one to a message they send (RFC 8601 §5).

:func:`parse_authentication_results` reads such a value back (it is strict: it refuses what is not
RFC 8601 syntax, which is what a filter must do with a field it cannot read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailsec.authres import comment, value
from mailsec.dmarc.alignment import SpfScope
from mailsec.dmarc.discovery import record_name
from mailsec.dmarc.result import DmarcEvaluation
from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import MAX_AUTH_RESULTS_FIELD as MAX_FIELD
from mailsec.limits import MAX_COMMENT_DEPTH

__all__ = [
    "MAX_FIELD",
    "AuthenticationResults",
    "ResultInfo",
    "authentication_results",
    "parse_authentication_results",
]


MESSAGES = texts(
    {
        "authserv_id": "The authserv-id must name the receiving server, such as mx.example.net; "
        "{value} is empty.",
        "too_long": "The Authentication-Results value is {length:,} characters long; the most read "
        "is {limit:,}.",
        "expected": "Expected {what} at character {character} of the Authentication-Results value, "
        "found {found}.",
        "unclosed": "The {what} that opens at character {character} of the Authentication-Results "
        "value is never closed.",
        "deep": "The Authentication-Results value nests comments more than {limit} deep.",
        "end": "the end of the value",
    }
)

#: The reason= of a DMARC temperror or permerror: short, ASCII and untranslated, since the field
#: is read by programs and travels in 7-bit mail (the evaluation's own reason is for people).
REASONS = {
    "author": "no single From: domain",
    "temperror": "DNS lookup of {name} failed",
    "permerror": "unusable DMARC record at {name}",
}

#: RFC 2045 §5.1 token: printable ASCII except space and the tspecials ()<>@,;:\"/[]?=
_TOKEN_CHAR = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]")
#: A pvalue may also be an address: [local-part] "@" domain-name (RFC 8601 §2.2).
_PVALUE_CHAR = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~@/=]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_-]")


@dataclass(frozen=True)
class ResultInfo:
    """One ``method=result`` with its reason, properties and comments."""

    method: str
    """``spf``, ``dkim``, ``dmarc`` ... in lower case."""
    result: str
    """The result as written, in lower case (``pass``, ``fail`` ...)."""
    reason: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    """``("header.d", "example.com")`` pairs in the order written; the ``ptype.property`` name in
    lower case."""
    comments: tuple[str, ...] = ()
    version: int | None = None
    """The method version (``dkim/1=pass``), when written."""

    def get(self, name: str) -> str | None:
        """The value of property ``name`` (``"header.from"``), or None."""
        name = name.lower()
        return next((value for key, value in self.properties if key == name), None)


@dataclass(frozen=True)
class AuthenticationResults:
    """An Authentication-Results field value, read."""

    authserv_id: str
    results: tuple[ResultInfo, ...] = ()
    version: int | None = None

    def find(self, method: str) -> tuple[ResultInfo, ...]:
        """Every resinfo of ``method`` (DKIM has one per signature)."""
        method = method.lower()
        return tuple(info for info in self.results if info.method == method)


# -- writing --------------------------------------------------------------------------------------


def authentication_results(evaluation: DmarcEvaluation, *, authserv_id: str) -> str:
    """The Authentication-Results value for an evaluation: spf, one dkim per signature, dmarc.

    ``authserv_id`` names the receiving server that did the checks (RFC 8601 §2.5).
    """
    if not authserv_id.strip():
        raise InputError(MESSAGES["authserv_id"].format(value=quoted(authserv_id)))
    parts = [value(authserv_id.strip())]
    spf = evaluation.spf
    if spf is None:
        parts.append("spf=none")
    else:
        ptype = "smtp.helo" if spf.scope is SpfScope.HELO else "smtp.mailfrom"
        shown = f" {ptype}={value(spf.domain)}" if spf.domain else ""
        parts.append(f"spf={spf.result.value}{shown}")
    if not evaluation.dkim:
        parts.append("dkim=none")
    for signature in evaluation.dkim:
        props = ""
        if signature.domain:
            props += f" header.d={value(signature.domain)}"
        if signature.selector:
            props += f" header.s={value(signature.selector)}"
        parts.append(f"dkim={signature.result.value}{props}")
    parts.append(_dmarc(evaluation))
    return "; ".join(parts)


def _dmarc(evaluation: DmarcEvaluation) -> str:
    text = f"dmarc={evaluation.result.value}"
    record = evaluation.record
    if record is not None:
        policies = f"p={record.policy} sp={record.effective_subdomain_policy}"
        text += " " + comment(f"{policies} dis={evaluation.disposition}")
    reason = _reason(evaluation)
    if reason:
        text += f" reason={value(reason)}"
    if evaluation.from_domain:
        text += f" header.from={value(evaluation.from_domain)}"
    return text


def _reason(evaluation: DmarcEvaluation) -> str | None:
    result = evaluation.result.value
    if result not in ("temperror", "permerror"):
        return None
    if evaluation.from_domain is None:
        return REASONS["author"]
    name = record_name(evaluation.record_domain or evaluation.from_domain)
    return REASONS[result].format(name=name)


# -- reading --------------------------------------------------------------------------------------


def parse_authentication_results(text: str) -> AuthenticationResults:
    """Read an Authentication-Results value (or the whole field, ``Authentication-Results:``
    first); raise :class:`~mailsec.errors.InputError` for what is not RFC 8601 syntax."""
    name, colon, rest = text.partition(":")
    if colon and name.strip().lower() == "authentication-results":
        text = rest
    if len(text) > MAX_FIELD:
        raise InputError(MESSAGES["too_long"].format(length=len(text), limit=MAX_FIELD))
    return _Reader(re.sub(r"\r?\n(?=[ \t])", "", text)).field()


class _Reader:
    """A cursor over the value, one grammar rule of RFC 8601 §2.2 per method."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.comments: list[str] = []

    def field(self) -> AuthenticationResults:
        self.cfws()
        authserv_id = self.value("the authserv-id")
        self.cfws()
        version = None
        if self.peek().isdigit():
            version = int(self.run(re.compile(r"[0-9]"), "a version number"))
            self.cfws()
        results: list[ResultInfo] = []
        self.expect(";")
        self.cfws()
        if self.text.startswith("none", self.at) and self.after_word("none"):
            self.at += 4
            self.cfws()
        else:
            results.append(self.resinfo())
            while self.peek() == ";":
                self.at += 1
                results.append(self.resinfo())
        if self.at < len(self.text):
            self.fail("';' or the end of the value")
        return AuthenticationResults(authserv_id, tuple(results), version)

    def resinfo(self) -> ResultInfo:
        self.comments = []
        self.cfws()
        method = self.run(_NAME_CHAR, "a method name such as dkim").lower()
        version = None
        if self.peek() == "/":
            self.at += 1
            version = int(self.run(re.compile(r"[0-9]"), "a method version"))
        self.cfws()
        self.expect("=")
        self.cfws()
        result = self.run(_NAME_CHAR, "a result such as pass").lower()
        self.cfws()
        reason = None
        properties: list[tuple[str, str]] = []
        while self.at < len(self.text) and self.peek() != ";":
            name = self.run(_NAME_CHAR, "'reason=' or a property such as header.d=").lower()
            self.cfws()
            if name == "reason" and not properties and self.peek() == "=":
                self.at += 1
                self.cfws()
                reason = self.value("the reason")
            else:
                self.expect(".")
                self.cfws()
                prop = self.run(_NAME_CHAR, "a property name").lower()
                self.cfws()
                self.expect("=")
                self.cfws()
                properties.append((f"{name}.{prop}", self.pvalue()))
            self.cfws()
        return ResultInfo(method, result, reason, tuple(properties), tuple(self.comments), version)

    # -- lexical pieces --

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def after_word(self, word: str) -> bool:
        end = self.at + len(word)
        return end >= len(self.text) or not _NAME_CHAR.match(self.text[end])

    def fail(self, what: str) -> None:
        found = quoted(self.text[self.at : self.at + 20]) if self.at < len(self.text) else None
        raise InputError(
            MESSAGES["expected"].format(
                what=what, character=self.at + 1, found=found or MESSAGES["end"]
            )
        )

    def expect(self, char: str) -> None:
        if self.peek() != char:
            self.fail(repr(char))
        self.at += 1

    def run(self, pattern: re.Pattern[str], what: str) -> str:
        start = self.at
        while self.at < len(self.text) and pattern.match(self.text[self.at]):
            self.at += 1
        if self.at == start:
            self.fail(what)
        return self.text[start : self.at]

    def value(self, what: str) -> str:
        """A token or a quoted-string, unquoted."""
        if self.peek() == '"':
            return self.quoted_string()
        return self.run(_TOKEN_CHAR, what)

    def pvalue(self) -> str:
        if self.peek() == '"':
            return self.quoted_string()
        return self.run(_PVALUE_CHAR, "a property value")

    def quoted_string(self) -> str:
        start, self.at = self.at, self.at + 1
        out = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                out.append(self.text[self.at + 1])
                self.at += 2
            elif char == '"':
                self.at += 1
                return "".join(out)
            else:
                out.append(char)
                self.at += 1
        raise InputError(MESSAGES["unclosed"].format(what="quoted string", character=start + 1))

    def cfws(self) -> None:
        """Skip white space and comments, keeping the comments' text."""
        while self.at < len(self.text):
            if self.text[self.at] in " \t\r\n":
                self.at += 1
            elif self.text[self.at] == "(":
                self.comments.append(self.comment())
            else:
                return

    def comment(self) -> str:
        start, depth, out = self.at, 0, []
        while self.at < len(self.text):
            char = self.text[self.at]
            self.at += 1
            if char == "\\" and self.at < len(self.text):
                out.append(self.text[self.at])
                self.at += 1
                continue
            if char == "(":
                depth += 1
                if depth > MAX_COMMENT_DEPTH:
                    raise InputError(MESSAGES["deep"].format(limit=MAX_COMMENT_DEPTH))
                if depth == 1:
                    continue
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(char)
        raise InputError(MESSAGES["unclosed"].format(what="comment", character=start + 1))
