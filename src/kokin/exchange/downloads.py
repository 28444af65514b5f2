"""What an operator takes away: the original file, a CSV of its data records, an Excel workbook, or an AES-256
password ZIP for the USB hand-off. Each is produced from the vault as a stream, never whole in memory.

The CSV and Excel files have the columns of ``kokin convert --to csv|xlsx`` (:mod:`kokin.formats.tabular`:
Japanese headers with bank names, code meanings and 和暦 beside the codes, or the field IDs) but are
written record by record, so a file's size does not matter; text that a spreadsheet would run as a
formula is guarded (:mod:`kokin.formats.cells`). It goes to an unnamed temporary file
under ``KOKIN_HOME/tmp`` (gone when closed), which lets its SHA-256 be known before it is sent.

The web page and the API send each of them the same way (:func:`file_response`, :func:`csv_response`).
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from django.conf import settings
from django.http import FileResponse

from kokin.exchange.errors import Quarantined
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats import FORMATS, tabular
from kokin.formats.tabular import EXCEL_MAX_ROWS, Column, Headers
from kokin.vault.export import ExportPackage, export_zip
from kokin.vault.services import BlobReader, open_blob

CSV_ENCODINGS = {"cp932": "Shift_JIS (cp932)", "utf-8-sig": "UTF-8 (BOM付き)"}
#: the header rows a CSV or Excel download may have (:mod:`kokin.formats.tabular`)
HEADER_CHOICES = {"ja": "日本語 (コードの内容・和暦付き)", "en": "項目ID (英語、従来の形式)"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUFFER = 1 << 20
#: how much of a download is handed to the server at a time
STREAM_BLOCK = 1 << 20


def _tmp() -> Path:
    folder = Path(settings.HOME) / "tmp" / "downloads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def open_original(file: ExchangeFile) -> BlobReader:
    """The file as received, decrypted while it is read (integrity checked to the last byte); never a
    quarantined one (every download, CSV and package reads through here)."""
    if file.state == State.QUARANTINED:
        raise Quarantined
    return open_blob(file.blob_id)


def _stem(file: ExchangeFile) -> str:
    return file.original_name.rsplit(".", 1)[0] if "." in file.original_name else file.original_name


def csv_name(file: ExchangeFile) -> str:
    return f"{_stem(file)}.csv"


def xlsx_name(file: ExchangeFile) -> str:
    return f"{_stem(file)}.xlsx"


def package_name(file: ExchangeFile) -> str:
    return f"{_stem(file)}.zip"


def file_response(source: Any, *, name: str, size: int, sha256: str, content_type: str | None = None) -> FileResponse:
    """A download: ``source`` streamed as the attachment ``name``, with its length and SHA-256
    (``X-Kokin-SHA256``), never cached."""
    response = FileResponse(source, as_attachment=True, filename=name, content_type=content_type)
    response.block_size = STREAM_BLOCK
    response["Content-Length"] = str(size)
    response["X-Kokin-SHA256"] = sha256
    response["Cache-Control"] = "no-store"
    return response


def csv_response(file: ExchangeFile, spool: BinaryIO, *, encoding: str, size: int, sha256: str) -> FileResponse:
    """The CSV of ``file`` made by :func:`csv_export`, as a download."""
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return file_response(
        spool, name=csv_name(file), size=size, sha256=sha256, content_type=f"text/csv; charset={charset}"
    )


class _Hashing(io.RawIOBase):
    """Writes through to ``inner`` and keeps the SHA-256 and size of what passed."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self.inner = inner
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.inner.write(chunk)
        return len(chunk)


def data_columns(fmt: str) -> list[str]:
    kind = FORMATS[fmt].LAYOUT.kind("data")
    return ["batch", *(f.name for f in kind.fields if not f.dummy), "record_number"]


def export_columns(file: ExchangeFile, headers: Headers = "ja") -> list[Column]:
    """The columns of the CSV and Excel of a file's data records: as ``kokin convert`` writes them."""
    layout = FORMATS[file.format].LAYOUT
    plain = tabular.undecoded(layout, file.mode)
    return tabular.record_columns(layout.kind("data"), data_columns(file.format), headers, plain=plain)


def data_records(file: ExchangeFile) -> Iterator[dict[str, Any]]:
    """The data records of ``file`` in file order, each with its batch number, read from the vault."""
    module = FORMATS[file.format]
    header_kind = module.LAYOUT.kind("header").name
    data_kind = module.LAYOUT.kind("data").name
    batch = 0
    with open_original(file) as reader:
        buffered = io.BufferedReader(reader, BUFFER)
        for rec in module.iter_records(buffered):
            kind = rec["record_kind"]
            if kind == header_kind:
                batch += 1
            elif kind == data_kind:
                rec["batch"] = batch
                yield rec


def write_csv(file: ExchangeFile, out: IO[bytes], *, encoding: str, headers: Headers = "ja") -> None:
    """The data records of ``file`` as CSV (one row each, with the batch number) into ``out``."""
    if encoding not in CSV_ENCODINGS:
        raise ValueError(f"unknown CSV encoding {encoding!r}")
    tabular.write_csv(out, export_columns(file, headers), data_records(file), encoding=encoding)


def write_xlsx(file: ExchangeFile, out: IO[bytes], *, headers: Headers = "ja", max_rows: int = EXCEL_MAX_ROWS) -> None:
    """The data records of ``file`` as an Excel workbook (typed cells, header row frozen; past Excel's
    row limit the records go on over further sheets) into ``out``."""
    name = FORMATS[file.format].LAYOUT.kind("data").ja if headers == "ja" else "data"
    tabular.write_xlsx(out, [(name, export_columns(file, headers), data_records(file))], max_rows=max_rows)


def _spooled(write: Callable[[IO[bytes]], None]) -> tuple[BinaryIO, str, int]:
    """What ``write`` writes, in an unnamed temporary file (read from the start; closing it removes
    it), with its SHA-256 and size."""
    spool = tempfile.TemporaryFile(dir=_tmp())  # noqa: SIM115 - the response closes it
    try:
        hashing = _Hashing(spool)
        buffered = io.BufferedWriter(hashing, BUFFER)
        write(buffered)
        buffered.flush()
        buffered.detach()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool, hashing.digest.hexdigest(), hashing.size


def csv_export(file: ExchangeFile, *, encoding: str, headers: Headers = "ja") -> tuple[BinaryIO, str, int]:
    """The CSV in an unnamed temporary file (read from the start; closing it removes it), its SHA-256
    and size."""
    return _spooled(lambda out: write_csv(file, out, encoding=encoding, headers=headers))


def xlsx_export(file: ExchangeFile, *, headers: Headers = "ja") -> tuple[BinaryIO, str, int]:
    """The Excel workbook in an unnamed temporary file, its SHA-256 and size (as :func:`csv_export`)."""
    return _spooled(lambda out: write_xlsx(file, out, headers=headers))


def package(file: ExchangeFile, *, password: str | None) -> ExportPackage:
    """An AES-256 ZIP with the original file and a ``.sha256`` line to check it by
    (``password=None``: a generated one)."""
    checksum = f"{file.sha256}  {file.original_name}\n".encode()
    with open_original(file) as reader:
        return export_zip(
            [(file.original_name, cast(IO[bytes], reader)), (f"{file.original_name}.sha256", io.BytesIO(checksum))],
            password,
        )
