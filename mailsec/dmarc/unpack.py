"""Opening an aggregate report as it arrives: XML, gzip or zip, within bounds.

Aggregate reports come by mail from strangers, as XML, as gzip (``.xml.gz``) or as a zip archive
with one XML file in it (RFC 7489 §7.2.1.1). A compressed file is a promise about its size that
nothing enforces: 10 MB of zeros packs into 10 KB, and a "zip bomb" expands a few kilobytes into
gigabytes. So:

- compressed input larger than :data:`MAX_COMPRESSED` is refused before it is opened;
- the XML is decompressed in chunks of :data:`CHUNK` bytes and handed on chunk by chunk; the
  running total is checked after every chunk, and past :data:`MAX_XML` the input is refused, so a
  bomb costs at most that much work and never that much memory;
- a zip archive is checked before anything is decompressed: its member count (from the end of
  central directory record, before Python's zipfile reads the directory), exactly one file, its
  declared size; then the bytes actually read are counted too, as a declared size is the
  attacker's word.

:func:`report_chunks` yields the XML of a report; :mod:`~mailsec.dmarc.reportxml` parses it as it
comes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAX_REPORT_COMPRESSED as MAX_COMPRESSED
from mailsec.limits import MAX_REPORT_XML as MAX_XML
from mailsec.limits import MAX_REPORT_ZIP_MEMBERS as MAX_ZIP_MEMBERS

__all__ = ["CHUNK", "MAX_COMPRESSED", "MAX_XML", "MAX_ZIP_MEMBERS", "report_chunks"]

MIB = 1024 * 1024


#: Bytes decompressed at a time.
CHUNK = 64 * 1024

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_END_OF_DIRECTORY = b"PK\x05\x06"

MESSAGES = texts(
    {
        "not_bytes": "A report is read as bytes, not {kind}: open the file in binary mode ('rb').",
        "empty": "The report is empty.",
        "unknown": "The report is neither XML, gzip nor zip: it starts with {start}.",
        "compressed_too_large": "The compressed report is {size:,} bytes; the most read is {limit:,}.",
        "xml_too_large": "The report's XML is larger than {limit:,} bytes{how}; it is refused before "
        "reading on (a compression bomb expands a few kilobytes into gigabytes).",
        "decompressed": " once decompressed",
        "declared": " (the zip archive says {size:,})",
        "gzip_damaged": "The gzip data is damaged: {detail}.",
        "gzip_truncated": "The gzip data ends before the compressed stream does: the file is cut "
        "short.",
        "gzip_trailing": "The gzip data is followed by {size:,} bytes that are not gzip.",
        "zip_damaged": "The zip archive cannot be read: {detail}.",
        "zip_members": "The zip archive has {count:,} entries; a report archive holds one XML file.",
        "zip_no_file": "The zip archive holds no file.",
        "zip_files": "The zip archive holds {count} files ({names}); a report archive holds one.",
        "zip_encrypted": "The zip archive is encrypted; reports are sent unencrypted.",
    }
)


def report_chunks(data: bytes) -> Iterator[bytes]:
    """The XML of a report given as XML, gzip or zip, in chunks (see the module docstring).

    Raises :class:`~mailsec.errors.InputError` for what cannot be read or is too large; checks
    that need no decompression are done at once, the rest while the chunks are read.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputError(MESSAGES["not_bytes"].format(kind=type(data).__name__))
    data = bytes(data)
    if not data:
        raise InputError(MESSAGES["empty"])
    if data.startswith(GZIP_MAGIC):
        _check_compressed(data)
        return _gunzip(data)
    if data.startswith(ZIP_MAGICS):
        _check_compressed(data)
        return _unzip(data)
    if data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or data.startswith(
        (b"\xff\xfe", b"\xfe\xff")
    ):
        if len(data) > MAX_XML:
            raise InputError(MESSAGES["xml_too_large"].format(limit=MAX_XML, how=""))
        # In chunks too, so the parser hands over each record before it reads the next.
        return (data[at : at + CHUNK] for at in range(0, len(data), CHUNK))
    raise InputError(MESSAGES["unknown"].format(start=repr(data[:12])))


def _check_compressed(data: bytes) -> None:
    if len(data) > MAX_COMPRESSED:
        raise InputError(
            MESSAGES["compressed_too_large"].format(size=len(data), limit=MAX_COMPRESSED)
        )


class _Budget:
    """Counts the bytes handed on, and refuses past :data:`MAX_XML`."""

    def __init__(self) -> None:
        self.total = 0

    def spend(self, size: int) -> None:
        self.total += size
        if self.total > MAX_XML:
            how = MESSAGES["decompressed"]
            raise InputError(MESSAGES["xml_too_large"].format(limit=MAX_XML, how=how))


def _gunzip(data: bytes) -> Iterator[bytes]:
    """Decompress gzip members one after another (RFC 1952 §2.2 allows several). Input is given
    to zlib :data:`CHUNK` bytes at a time, so nothing of the input is copied whole."""
    budget = _Budget()
    view = memoryview(data)
    at = 0  # the first input byte not yet given to zlib
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    tail = b""  # input given to zlib that it has not used yet
    while True:
        if not tail and at < len(data):
            tail = view[at : at + CHUNK].tobytes()
            at += len(tail)
        out = _inflate(inflater, tail)
        tail = inflater.unconsumed_tail
        if out:
            budget.spend(len(out))
            yield out
        if inflater.eof:
            at -= len(inflater.unused_data)
            if view[at : at + 2] == GZIP_MAGIC:
                inflater, tail = zlib.decompressobj(16 + zlib.MAX_WBITS), b""
                continue
            if data.count(b"\x00", at) != len(data) - at:  # zero padding after the end is usual
                raise InputError(MESSAGES["gzip_trailing"].format(size=len(data) - at))
            return
        elif not out and not tail and at >= len(data):
            raise InputError(MESSAGES["gzip_truncated"])


def _inflate(inflater: zlib._Decompress, data: bytes) -> bytes:
    try:
        return inflater.decompress(data, CHUNK)
    except zlib.error as exc:
        detail = str(exc).removeprefix("Error -3 while decompressing data: ")
        raise InputError(MESSAGES["gzip_damaged"].format(detail=detail)) from None


def _zip_entry_count(data: bytes) -> int | None:
    """The entry count from the end of central directory record (APPNOTE 4.3.16), or None when
    there is none to read."""
    at = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None
    (total,) = struct.unpack_from("<H", data, at + 10)
    return int(total)


def _unzip(data: bytes) -> Iterator[bytes]:
    count = _zip_entry_count(data)
    if count is not None and count > MAX_ZIP_MEMBERS:  # 0xFFFF: a ZIP64 count, also refused
        raise InputError(MESSAGES["zip_members"].format(count=count))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError) as exc:
        raise InputError(MESSAGES["zip_damaged"].format(detail=str(exc).rstrip("."))) from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputError(MESSAGES["zip_members"].format(count=len(infos)))
    files = [info for info in infos if not info.is_dir()]
    if not files:
        raise InputError(MESSAGES["zip_no_file"])
    if len(files) > 1:
        names = ", ".join(repr(info.filename[:40]) for info in files[:4])
        raise InputError(MESSAGES["zip_files"].format(count=len(files), names=names))
    info = files[0]
    if info.flag_bits & 0x1:
        raise InputError(MESSAGES["zip_encrypted"])
    if info.file_size > MAX_XML:
        how = MESSAGES["declared"].format(size=info.file_size)
        raise InputError(MESSAGES["xml_too_large"].format(limit=MAX_XML, how=how))
    return _read_member(archive, info)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    budget = _Budget()
    with archive:
        try:
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    budget.spend(len(chunk))
                    yield chunk
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as exc:
            detail = str(exc).rstrip(".") or type(exc).__name__
            raise InputError(MESSAGES["zip_damaged"].format(detail=detail)) from None
