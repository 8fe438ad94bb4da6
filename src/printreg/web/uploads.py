"""File uploads read chunk by chunk, up to a limit, by the route once it has checked who asks.

Starlette's own form parser spools files over 1 MB to a temporary file, which an upload of DICOM
headers that may still identify a patient must not do; FastAPI also reads the whole body before
the route (and its authorization) runs. Upload routes therefore take the ``Request``, check the
caller and the target first, then call ``read_upload``, which stops as soon as the files pass
the limit (413). DICOM and model files are kept in memory; an import file, which is stored
anyway, is streamed to an anonymous temporary file (``spool=True``) instead of memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qsl

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from printreg.domain.errors import InvalidRequest
from printreg.web.errors import PayloadTooLarge

TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "The upload passed its size or file-count limit"},
}
MAX_FIELD_BYTES = 4096  # a form field beside the files (the CSRF token, a row number)
MAX_FIELDS = 32
FORM_OVERHEAD = 64 * 1024  # boundaries and part headers allowed beyond the files' bytes


@dataclass
class Upload:
    """The files of an upload as (name, bytes), or (name, file at its start) when spooled, and
    its other form fields."""

    files: list[tuple[str, bytes]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    spooled: list[tuple[str, BinaryIO]] = field(default_factory=list)

    def close(self) -> None:
        """Close (and so delete) the spooled files."""
        for _, stream in self.spooled:
            stream.close()


def multipart_body(field: str, description: str, *, many: bool) -> dict[str, Any]:
    """Return the OpenAPI request body of a multipart upload (the route reads it itself)."""
    binary = {"type": "string", "format": "binary"}
    schema = {"type": "array", "items": binary, "minItems": 1} if many else binary
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [field],
                        "properties": {field: schema},
                    }
                }
            },
        }
    }


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
    spool: BinaryIO | None = None


class _Collector:
    """Callbacks of the streaming multipart parser, keeping every part in memory (or the files
    in temporary files, with ``spool``)."""

    def __init__(self, limits: _Limits, *, spool: bool = False) -> None:
        self.limits = limits
        self.spool = spool
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
            if self.spool:
                if self.part.spool is None:
                    self.part.spool = tempfile.TemporaryFile()  # noqa: SIM115 - Upload closes it
                self.part.spool.write(data[start:end])
                return
        self.part.data += data[start:end]

    def end(self) -> None:
        if self.part.filename is None:
            self.upload.fields[self.part.name] = self.part.data.decode("utf-8", "replace")
        elif self.part.spool is not None:
            self.part.spool.seek(0)
            self.upload.spooled.append((self.part.filename, self.part.spool))
        elif self.spool and self.part.filename:
            self.upload.spooled.append((self.part.filename, tempfile.TemporaryFile()))  # noqa: SIM115
        elif self.part.filename or self.part.data:
            self.upload.files.append((self.part.filename, bytes(self.part.data)))
        self.part = _Part()

    def finish(self) -> None:
        self.ended = True

    def discard(self) -> None:
        """Close every temporary file of a refused upload."""
        if self.part.spool is not None:
            self.part.spool.close()
        self.upload.close()


async def read_upload(
    request: Request,
    *,
    max_bytes: int,
    max_files: int,
    what: str,
    setting: str,
    files_setting: str = "",
    spool: bool = False,
) -> Upload:
    """Return the files and fields of a multipart/form-data request, read in memory (the files
    in temporary files with ``spool``; close the Upload then).

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
    collector = _Collector(limits, spool=spool)
    try:
        parser = MultipartParser(boundary, cast("Any", collector.callbacks()))
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        collector.discard()
        raise InvalidRequest("the upload is not a well-formed multipart/form-data body") from None
    except BaseException:
        collector.discard()
        raise
    if not collector.ended:
        collector.discard()
        raise InvalidRequest("the upload ended before its last part: send it again")
    return collector.upload
