"""File uploads read in memory, chunk by chunk, up to a limit: an upload never touches the disk.

Starlette's own form parser spools files over 1 MB to a temporary file, which an upload of DICOM
headers that may still identify a patient must not do; it also reads the whole body before the
route sees it. This reader stops as soon as the files pass the limit (413).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qsl

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from printreg.domain.errors import InvalidRequest
from printreg.web.errors import PayloadTooLarge

MAX_FIELD_BYTES = 4096  # a form field beside the files (the CSRF token, a row number)
MAX_FIELDS = 32
FORM_OVERHEAD = 64 * 1024  # boundaries and part headers allowed beyond the files' bytes


@dataclass
class Upload:
    """The files of an upload as (name, bytes), and its other form fields."""

    files: list[tuple[str, bytes]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def _size(limit: int) -> str:
    return f"{limit / 1024**2:.1f} MB" if limit >= 1024**2 else f"{limit:,} bytes"


@dataclass
class _Limits:
    max_bytes: int
    max_files: int
    what: str
    setting: str
    files_setting: str

    def too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the {self.what} is larger than the limit of {_size(self.max_bytes)} "
            f"(setting {self.setting}): the upload was stopped"
        )


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _Collector:
    """Callbacks of the streaming multipart parser, keeping every part in memory."""

    def __init__(self, limits: _Limits) -> None:
        self.limits = limits
        self.upload = Upload()
        self.part = _Part()
        self.file_bytes = 0
        self.ended = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.data,
            "on_part_end": self.end,
            "on_end": self.finish,
        }

    def begin(self) -> None:
        self.part = _Part()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def header_end(self) -> None:
        self.part.headers[bytes(self.part.header_name).lower()] = bytes(self.part.header_value)
        self.part.header_name.clear()
        self.part.header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self.part.filename = options[b"filename"].decode("utf-8", "replace")
            if len(self.upload.files) >= self.limits.max_files:
                if not self.limits.files_setting:
                    raise InvalidRequest(f"send one {self.limits.what} only")
                raise PayloadTooLarge(
                    f"more than {self.limits.max_files:,} files in one upload "
                    f"(setting {self.limits.files_setting})"
                )
        elif len(self.upload.fields) >= MAX_FIELDS:
            raise InvalidRequest("too many form fields")

    def data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self.part.filename is None:
            if len(self.part.data) + size > MAX_FIELD_BYTES:
                raise InvalidRequest(f"the form field {self.part.name[:40]!r} is too long")
        else:
            self.file_bytes += size
            if self.file_bytes > self.limits.max_bytes:
                raise self.limits.too_large()
        self.part.data += data[start:end]

    def end(self) -> None:
        if self.part.filename is None:
            self.upload.fields[self.part.name] = self.part.data.decode("utf-8", "replace")
        elif self.part.filename or self.part.data:
            self.upload.files.append((self.part.filename, bytes(self.part.data)))
        self.part = _Part()

    def finish(self) -> None:
        self.ended = True


async def read_upload(
    request: Request,
    *,
    max_bytes: int,
    max_files: int,
    what: str,
    setting: str,
    files_setting: str = "",
) -> Upload:
    """Return the files and fields of a multipart/form-data request, read in memory.

    A URL-encoded form gives fields and no files (a page post without a file). Raises
    PayloadTooLarge (413) as soon as the files pass ``max_bytes`` or ``max_files`` (the names of
    the settings go in the message; without ``files_setting`` more files are a 400), and
    InvalidRequest (400) for anything that is not a well-formed form.
    """
    limits = _Limits(max_bytes, max_files, what, setting, files_setting)
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes + FORM_OVERHEAD:
        raise limits.too_large()
    if kind == b"application/x-www-form-urlencoded":
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > FORM_OVERHEAD:
                raise InvalidRequest("the form is too long")
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return Upload(fields=dict(pairs[:MAX_FIELDS]))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidRequest("send the files as multipart/form-data")
    collector = _Collector(limits)
    try:
        parser = MultipartParser(boundary, cast("Any", collector.callbacks()))
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise InvalidRequest("the upload is not a well-formed multipart/form-data body") from None
    if not collector.ended:
        raise InvalidRequest("the upload ended before its last part: send it again")
    return collector.upload
