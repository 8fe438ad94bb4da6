"""Read DICOM headers (files, folders, zips, DICOMDIRs) into a summary that pre-fills a case.

Only headers are read (``stop_before_pixels``), in memory; nothing is written. A header that still
identifies someone is refused with the offending tags listed (``DicomIdentifiersFound``), unless
the caller asks to de-identify on receipt, in which case the Basic Profile is applied to the
in-memory dataset at once. The summary holds no identifier: UIDs only as salted hashes, the study
date only as a year, free text passed through the identifier scanner.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import logging
import statistics
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pydicom
from pydicom import config as pydicom_config
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from printreg.domain.errors import RegistryError
from printreg.privacy.dicom import DicomFinding, deidentify, describe, find_identifiers
from printreg.privacy.identifiers import redact

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"

# DICOM Modality (0008,0060) → the 3dp definition's value set `modality`. Angiography (cta, mra)
# and cone-beam CT cannot be told from the header alone; the user confirms the pre-filled value.
MODALITY_CODES: dict[str, str] = {
    "CT": "ct", "MR": "mr", "US": "us", "PT": "pet", "XA": "rotational_angio",
    **dict.fromkeys(("NM", "MG", "DX", "CR", "RF", "IVUS", "OCT", "OPT", "IO", "PX"), "other"),
}  # fmt: skip
# Objects that are not source images (structures, plans, reports, presentation states, ...).
NON_IMAGE_MODALITIES = frozenset(
    ("SEG", "RTSTRUCT", "RTPLAN", "RTDOSE", "RTIMAGE", "RTRECORD", "SR", "PR", "KO", "REG",
     "DOC", "ECG", "HD", "OT", "AU", "PLAN", "FID", "RWV", "M3D")
)  # fmt: skip

SLICE_THICKNESS_RANGE = (0.1, 10.0)  # the 3dp definition's bounds for the slice thickness
#: what the headers may pre-fill: the registry's imaging.yaml names the element of each
PREFILL_FACTS = {
    "modalities": "the registry's codes of the source imaging modalities",
    "slice_thickness": "the slice thickness (mm) of the main series",
}


class DicomError(RegistryError):
    """A DICOM upload cannot be read; ``message`` says why and names the file, never a value."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DicomIdentifiersFound(DicomError):  # noqa: N818 - reads as the condition it names
    """Headers still identify someone; ``findings`` lists the tags (never their values)."""

    def __init__(self, findings: Sequence[DicomFinding], files: int) -> None:
        self.findings = tuple(sorted(set(findings)))
        self.files = files
        super().__init__(
            f"refused: {files} DICOM file(s) still hold patient or site identifiers "
            f"({describe(self.findings)}); de-identify them before upload, or ask the registry "
            "to de-identify on receipt"
        )


@dataclass(frozen=True, slots=True)
class DicomLimits:
    """Bounds on what one inspection reads; a bigger upload is refused with a message."""

    max_files: int = 5000
    max_file_bytes: int = 2 * 1024**3
    max_zip_members: int = 20_000
    max_zip_bytes: int = 16 * 1024**3
    max_zip_ratio: int = 1000


@dataclass(frozen=True, slots=True)
class DicomSeries:
    """One series: its salted UID hash, DICOM modality, images and slice thickness (mm)."""

    uid_hash: str | None
    modality: str | None
    images: int
    slice_thickness_mm: float | None


@dataclass(frozen=True, slots=True)
class DicomStudy:
    """One study's facts; nothing here identifies the patient."""

    uid_hash: str | None
    modalities: tuple[str, ...]
    registry_modalities: tuple[str, ...]
    series: tuple[DicomSeries, ...]
    images: int
    slice_thickness_mm: float | None
    manufacturers: tuple[str, ...]
    models: tuple[str, ...]
    contrast: bool | None
    study_year: int | None
    transfer_syntaxes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DicomSummary:
    """What an upload's headers say, by study (largest first), and what was done to read them."""

    studies: tuple[DicomStudy, ...]
    files: int
    deidentified: bool = False
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def main_series(self) -> DicomSeries | None:
        """Return the series with most images that has a slice thickness, or None."""
        return _main_series(self.studies)

    def facts(self) -> dict[str, object]:
        """Return what the headers tell for the case form, by :data:`PREFILL_FACTS` name; {}
        when they tell nothing."""
        values: dict[str, object] = {}
        codes = sorted({c for st in self.studies for c in st.registry_modalities})
        if codes:
            values["modalities"] = codes
        main = self.main_series()
        low, high = SLICE_THICKNESS_RANGE
        if main and main.slice_thickness_mm and low <= main.slice_thickness_mm <= high:
            values["slice_thickness"] = main.slice_thickness_mm
        return values

    def prefill(self, targets: Mapping[str, str]) -> dict[str, object]:
        """Return values for the case form by element name, ``targets`` naming the element of
        each fact (the registry's ``imaging.yaml``); {} when the headers give none."""
        return {targets[k]: v for k, v in self.facts().items() if k in targets}

    def to_dict(self, targets: Mapping[str, str]) -> dict[str, Any]:
        """Return the summary as JSON-ready data, with the pre-fill under "prefill"."""
        return {**asdict(self), "prefill": self.prefill(targets)}


def _main_series(studies: Sequence[DicomStudy]) -> DicomSeries | None:
    candidates = [s for st in studies for s in st.series if s.slice_thickness_mm]
    return max(candidates, key=lambda s: s.images, default=None)


# -- reading -----------------------------------------------------------------------------------


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:  # noqa: ARG002 - drops every record
        return False


@contextlib.contextmanager
def _quiet_pydicom() -> Iterator[None]:
    """Silence pydicom while untrusted headers are parsed: its warnings may quote values."""
    logger = logging.getLogger("pydicom")
    dropper = _DropAll()
    logger.addFilter(dropper)
    try:
        with warnings.catch_warnings(), pydicom_config.disable_value_validation():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeFilter(dropper)


def _looks_like_bare_dataset(head: bytes) -> bool:
    """Return True if ``head`` starts like a DICOM dataset written without the preamble."""
    if len(head) < 8:
        return False
    little = int.from_bytes(head[:2], "little")
    big = int.from_bytes(head[:2], "big")
    return little in (0x0002, 0x0008) or big in (0x0002, 0x0008)


def _read_header(fp: IO[bytes], name: str) -> Dataset | None:
    """Return the header of ``fp``, or None when it is not DICOM at all."""
    try:
        return pydicom.dcmread(fp, stop_before_pixels=True)
    except InvalidDicomError:
        pass
    except Exception:  # noqa: BLE001 - pydicom raises many kinds on damaged input; each is one message
        raise DicomError(f"{name}: the DICOM header is damaged or truncated") from None
    fp.seek(0)
    if not _looks_like_bare_dataset(fp.read(8)):
        return None
    fp.seek(0)
    try:
        ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - as above
        raise DicomError(f"{name}: the DICOM header is damaged or truncated") from None
    known = ("SOPClassUID", "StudyInstanceUID", "Modality", "DirectoryRecordSequence")
    return ds if any(k in ds for k in known) else None


@dataclass(frozen=True)
class _Entry:
    name: str
    key: str  # upper-case POSIX path inside its container, for DICOMDIR look-ups
    open: Callable[[], IO[bytes]]
    explicit: bool = False


def _key(parts: Sequence[str]) -> str:
    return "/".join(p.upper() for p in parts if p not in ("", "."))


def _safe_parts(name: str) -> list[str] | None:
    """Return the path components of a member name, or None if it climbs out or is absolute."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return None
    parts = [p for p in PurePosixPath(text).parts if p not in ("", ".")]
    return None if ".." in parts else parts


def _zip_entries(archive: zipfile.ZipFile, label: str, limits: DicomLimits) -> list[_Entry]:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    entries: list[_Entry] = []
    if len(infos) > limits.max_zip_members:
        raise DicomError(f"{label}: more than {limits.max_zip_members} files in the zip")
    total = 0
    for info in infos:
        parts = _safe_parts(info.filename)
        if parts is None:
            raise DicomError(f"{label}: the zip holds an unsafe path ({info.filename!r})")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024**2 and ratio > limits.max_zip_ratio:
            raise DicomError(f"{label}: {info.filename} expands {ratio:.0f} times: refused")
        if info.file_size > limits.max_file_bytes:
            raise DicomError(f"{label}: {info.filename} is larger than the limit")
        entries.append(
            _Entry(
                f"{label}:{'/'.join(parts)}",
                _key(parts),
                lambda info=info: _seekable(archive.open(info)),  # type: ignore[misc]
            )
        )
    if total > limits.max_zip_bytes:
        raise DicomError(f"{label}: the zip expands beyond {limits.max_zip_bytes} bytes: refused")
    return entries


def _seekable(fp: IO[bytes]) -> IO[bytes]:
    return fp if fp.seekable() else io.BytesIO(fp.read())


def _dir_entries(root: Path, limits: DicomLimits) -> list[_Entry]:
    entries: list[_Entry] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if len(entries) >= limits.max_files:
            raise DicomError(f"{root}: more than {limits.max_files} files")
        parts = path.relative_to(root).parts
        entries.append(_Entry(str(path), _key(parts), lambda path=path: path.open("rb")))  # type: ignore[misc]
    return entries


@dataclass
class _Container:
    """Files that a DICOMDIR inside them may refer to."""

    label: str
    entries: list[_Entry]
    root: Path | None = None  # for a lone DICOMDIR named on the command line
    _index: dict[str, _Entry] = field(default_factory=dict)

    def find(self, base: str, parts: Sequence[str]) -> _Entry | None:
        key = _key([*base.split("/"), *parts])
        if len(self._index) != len(self.entries):
            self._index = {e.key: e for e in self.entries}
        if key in self._index or self.root is None:
            return self._index.get(key)
        path = self.root.joinpath(*parts)
        if not path.is_file():
            return None
        path = path.resolve()
        if not path.is_relative_to(self.root.resolve()):
            return None
        return _Entry(str(path), key, lambda: path.open("rb"))


@dataclass
class _Instance:
    study: str | None
    series: str | None
    modality: str | None
    frames: int
    thickness: float | None
    manufacturer: str | None
    model: str | None
    contrast: bool | None
    year: int | None
    syntax: str | None


@dataclass
class _Reading:
    salt: bytes
    deidentify: bool
    limits: DicomLimits
    instances: list[_Instance] = field(default_factory=list)
    findings: set[DicomFinding] = field(default_factory=set)
    refused_files: int = 0
    removed: set[str] = field(default_factory=set)
    skipped: int = 0
    unreferenced: int = 0
    files: int = 0

    def hash_uid(self, uid: object) -> str | None:
        text = str(uid or "").strip()
        if not text:
            return None
        return hmac.new(self.salt, text.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def screen(self, ds: Dataset) -> bool:
        """Apply the identifier policy to ``ds``; return False when it is refused."""
        findings = find_identifiers(ds)
        if not findings:
            return True
        if not self.deidentify:
            self.findings.update(findings)
            self.refused_files += 1
            return False
        return True

    def scrub(self, ds: Dataset) -> None:
        if self.deidentify:
            changed = deidentify(ds, uid_salt=self.salt)
            self.removed.update(f.keyword or "private attributes" for f in changed)

    def read(self, entry: _Entry) -> Dataset | None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise DicomError(f"more than {self.limits.max_files} DICOM files: refused")
        with entry.open() as fp:
            ds = _read_header(fp, entry.name)
        if ds is None:
            if entry.explicit:
                raise DicomError(f"{entry.name} is not a DICOM file")
            self.files -= 1
            self.skipped += 1
        return ds

    def take(self, ds: Dataset, name: str, instances: int = 1) -> None:
        """Screen, read and scrub one header; ``instances`` is how many images of its series
        it stands for (a PACS's series summary: one header read for the whole series)."""
        if not any(k in ds for k in ("SOPClassUID", "StudyInstanceUID", "Modality")):
            raise DicomError(f"{name}: the DICOM header is damaged or truncated")
        try:
            if not self.screen(ds):
                return
            instance = self.facts(ds)
            instance.frames *= max(1, instances)
            self.scrub(ds)
        except Exception:  # noqa: BLE001 - a malformed value of any kind is one message
            raise DicomError(f"{name}: a header value cannot be read") from None
        self.instances.append(instance)

    def facts(self, ds: Dataset) -> _Instance:
        meta = getattr(ds, "file_meta", None)
        syntax = meta.get("TransferSyntaxUID") if meta is not None else None
        agent = ds.get("ContrastBolusAgent")
        return _Instance(
            study=self.hash_uid(ds.get("StudyInstanceUID")),
            series=self.hash_uid(ds.get("SeriesInstanceUID")),
            modality=(str(ds.get("Modality") or "").strip().upper() or None),
            frames=max(1, _int(ds.get("NumberOfFrames")) or 1),
            thickness=_thickness(ds),
            manufacturer=_text(ds.get("Manufacturer")),
            model=_text(ds.get("ManufacturerModelName")),
            contrast=None if "ContrastBolusAgent" not in ds else bool(str(agent or "").strip()),
            year=_year(ds.get("StudyDate")),
            syntax=(syntax.name if syntax else None),
        )


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def _float(value: object) -> float | None:
    try:
        number = float(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 1e6 else None


def _thickness(ds: Dataset) -> float | None:
    value = _float(ds.get("SliceThickness"))
    if value is None and ds.get("SharedFunctionalGroupsSequence"):
        measures = ds.SharedFunctionalGroupsSequence[0].get("PixelMeasuresSequence")
        if measures:
            value = _float(measures[0].get("SliceThickness"))
    return round(value, 3) if value is not None else None


def _text(value: object) -> str | None:
    text = " ".join(str(value or "").split())[:64]
    return redact(text) if text else None


def _year(value: object) -> int | None:
    digits = str(value or "").strip()[:4]
    year = int(digits) if digits.isdigit() else None
    return year if year is not None and 1900 <= year <= 2200 else None


# -- following DICOMDIRs and containers ---------------------------------------------------------


def _is_dicomdir(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    sop = meta.get("MediaStorageSOPClassUID") if meta is not None else None
    return sop == DICOMDIR_SOP_CLASS or "DirectoryRecordSequence" in ds


def _references(ds: Dataset, name: str) -> list[list[str]]:
    """Return the file IDs a DICOMDIR lists, as path components; refuse unsafe ones."""
    found = []
    for record in ds.get("DirectoryRecordSequence") or []:
        value = record.get("ReferencedFileID")
        if value is None:
            continue
        parts = [str(value)] if isinstance(value, str) else [str(v) for v in value]
        if any(not p or p in (".", "..") or "/" in p or "\\" in p for p in parts):
            raise DicomError(f"{name}: the DICOMDIR refers to a file outside its folder: refused")
        found.append(parts)
    return found


def _follow(reading: _Reading, container: _Container, dicomdir: _Entry, ds: Dataset) -> set[str]:
    """Read every file ``ds`` (a DICOMDIR) lists; return their keys."""
    try:
        refs = _references(ds, dicomdir.name)
        reading.screen(ds)
        reading.scrub(ds)
    except DicomError:
        raise
    except Exception:  # noqa: BLE001 - a malformed record of any kind is one message
        raise DicomError(f"{dicomdir.name}: a DICOMDIR record cannot be read") from None
    base = dicomdir.key.rpartition("/")[0]
    keys = set()
    for parts in refs:
        entry = container.find(base, parts)
        if entry is None:
            raise DicomError(f"{dicomdir.name} lists {'/'.join(parts)}, which is missing")
        listed = reading.read(entry)
        if listed is None:
            raise DicomError(f"{entry.name}, listed in the DICOMDIR, is not a DICOM file")
        reading.take(listed, entry.name)
        keys.add(entry.key)
    return keys


def _read_container(reading: _Reading, container: _Container) -> None:
    dicomdirs = [e for e in container.entries if e.key.rpartition("/")[2] == "DICOMDIR"]
    listed: set[str] = set()
    for entry in dicomdirs:
        ds = reading.read(entry)
        if ds is None or not _is_dicomdir(ds):
            raise DicomError(f"{entry.name} is not a DICOMDIR")
        listed |= _follow(reading, container, entry, ds)
    if dicomdirs:
        reading.unreferenced += sum(
            e.key not in listed and e not in dicomdirs for e in container.entries
        )
        return
    for entry in container.entries:
        ds = reading.read(entry)
        if ds is None:
            continue
        if _is_dicomdir(ds):
            _follow(reading, container, entry, ds)
        else:
            reading.take(ds, entry.name)


def _is_zip(head: bytes) -> bool:
    # A DICOM file may carry a zip signature in its preamble; "DICM" at 128 settles it.
    return head[:4] == b"PK\x03\x04" and head[128:132] != b"DICM"


def _read_path(reading: _Reading, path: Path, stack: contextlib.ExitStack) -> None:
    if path.is_dir():
        _read_container(reading, _Container(str(path), _dir_entries(path, reading.limits)))
        return
    if not path.is_file():
        raise DicomError(f"{path}: no such file or folder")
    if path.stat().st_size > reading.limits.max_file_bytes:
        raise DicomError(
            f"{path} is larger than the limit of {reading.limits.max_file_bytes} bytes"
        )
    with path.open("rb") as fp:
        head = fp.read(132)
    if _is_zip(head):
        try:
            archive = stack.enter_context(zipfile.ZipFile(path))
        except zipfile.BadZipFile:
            raise DicomError(f"{path} is not a readable zip file") from None
        _read_container(
            reading, _Container(str(path), _zip_entries(archive, str(path), reading.limits))
        )
        return
    entry = _Entry(str(path), _key([path.name]), lambda: path.open("rb"), explicit=True)
    ds = reading.read(entry)
    if ds is not None and _is_dicomdir(ds):
        _follow(reading, _Container(str(path), [], root=path.parent), entry, ds)
    elif ds is not None:
        reading.take(ds, entry.name)


def _read_uploads(
    reading: _Reading, files: Sequence[tuple[str, bytes]], stack: contextlib.ExitStack
) -> None:
    loose = _Container("upload", [])
    for name, data in files:
        if _is_zip(data[:132]):
            try:
                archive = stack.enter_context(zipfile.ZipFile(io.BytesIO(data)))
            except zipfile.BadZipFile:
                raise DicomError(f"{name} is not a readable zip file") from None
            _read_container(reading, _Container(name, _zip_entries(archive, name, reading.limits)))
            continue
        parts = _safe_parts(name) or [PurePosixPath(name.replace("\\", "/")).name or "upload"]
        loose.entries.append(
            _Entry(name, _key(parts), lambda data=data: io.BytesIO(data), explicit=True)  # type: ignore[misc]
        )
    _read_container(reading, loose)


# -- the summary --------------------------------------------------------------------------------


def _series(uid: str | None, items: list[_Instance]) -> DicomSeries:
    thicknesses = [i.thickness for i in items if i.thickness is not None]
    modalities = [i.modality for i in items if i.modality]
    return DicomSeries(
        uid,
        statistics.mode(modalities) if modalities else None,
        sum(i.frames for i in items),
        round(statistics.median(thicknesses), 3) if thicknesses else None,
    )


def _study(uid: str | None, items: list[_Instance]) -> DicomStudy:
    by_series: dict[str | None, list[_Instance]] = {}
    for item in items:
        by_series.setdefault(item.series, []).append(item)
    series = sorted((_series(k, v) for k, v in by_series.items()), key=lambda s: -s.images)
    main = max((s for s in series if s.slice_thickness_mm), key=lambda s: s.images, default=None)
    modalities = sorted({i.modality for i in items if i.modality})
    contrasts = {i.contrast for i in items} - {None}
    years = [i.year for i in items if i.year is not None]
    return DicomStudy(
        uid_hash=uid,
        modalities=tuple(modalities),
        registry_modalities=tuple(
            sorted({MODALITY_CODES[m] for m in modalities if m in MODALITY_CODES})
        ),
        series=tuple(series),
        images=sum(s.images for s in series),
        slice_thickness_mm=main.slice_thickness_mm if main else None,
        manufacturers=tuple(sorted({i.manufacturer for i in items if i.manufacturer})),
        models=tuple(sorted({i.model for i in items if i.model})),
        contrast=(True in contrasts) if contrasts else None,
        study_year=min(years) if years else None,
        transfer_syntaxes=tuple(sorted({i.syntax for i in items if i.syntax})),
    )


def _notes(reading: _Reading, studies: Sequence[DicomStudy]) -> list[str]:
    notes = []
    modalities = sorted({m for s in studies for m in s.modalities})
    for m in modalities:
        if m in NON_IMAGE_MODALITIES:
            notes.append(f"{m} objects are not source images: not pre-filled")
        elif m not in MODALITY_CODES:
            notes.append(f"modality {m} has no registry code: not pre-filled")
        elif m == "XA":
            notes.append("XA is pre-filled as rotational angiography: check it")
        elif MODALITY_CODES[m] == "other":
            notes.append(f"modality {m} is pre-filled as 'other'")
    if any(s.contrast for s in studies if {"CT", "MR"} & set(s.modalities)):
        notes.append("contrast was given: if this was CT or MR angiography, change the modality")
    main = _main_series(studies)
    low, high = SLICE_THICKNESS_RANGE
    if main and main.slice_thickness_mm and not low <= main.slice_thickness_mm <= high:
        notes.append(
            f"slice thickness {main.slice_thickness_mm} mm is outside {low}–{high} mm: not pre-filled"
        )
    if len(studies) > 1:
        notes.append(f"{len(studies)} studies: the pre-filled values combine them")
    if any(s.uid_hash is None for s in studies):
        notes.append("some files have no Study Instance UID")
    if reading.skipped:
        notes.append(f"{reading.skipped} file(s) that are not DICOM were skipped")
    if reading.unreferenced:
        notes.append(f"{reading.unreferenced} file(s) not listed in the DICOMDIR were ignored")
    if reading.removed:
        notes.append("identifiers were removed on receipt (DICOM PS3.15 Basic Profile)")
    return notes


def _finish(reading: _Reading) -> DicomSummary:
    if reading.findings:
        raise DicomIdentifiersFound(sorted(reading.findings), reading.refused_files)
    if not reading.instances:
        raise DicomError("no DICOM image headers were found")
    by_study: dict[str | None, list[_Instance]] = {}
    for item in reading.instances:
        by_study.setdefault(item.study, []).append(item)
    studies = sorted((_study(k, v) for k, v in by_study.items()), key=lambda s: -s.images)
    return DicomSummary(
        tuple(studies), len(reading.instances), reading.deidentify,
        tuple(sorted(reading.removed)), tuple(_notes(reading, studies)),
    )  # fmt: skip


def _run(read: Callable[[_Reading, contextlib.ExitStack], None], reading: _Reading) -> DicomSummary:
    if not reading.salt:
        raise ValueError("a non-empty salt is needed to hash UIDs")
    with _quiet_pydicom(), contextlib.ExitStack() as stack:
        try:
            read(reading, stack)
        except OSError as exc:
            raise DicomError(f"cannot read {exc.filename or 'a file'}: {exc.strerror}") from None
        except zipfile.BadZipFile:
            raise DicomError("a zip member is damaged") from None
        return _finish(reading)


def inspect_paths(
    paths: Sequence[Path],
    *,
    uid_salt: bytes,
    deidentify: bool = False,
    limits: DicomLimits | None = None,
) -> DicomSummary:
    """Return the summary of DICOM files, folders, zips or DICOMDIRs on disk.

    Raises ``DicomIdentifiersFound`` when a header identifies someone (unless ``deidentify``) and
    ``DicomError`` when nothing readable is found or a file is not DICOM.
    """
    reading = _Reading(uid_salt, deidentify, limits or DicomLimits())

    def read(r: _Reading, stack: contextlib.ExitStack[bool | None]) -> None:
        for path in paths:
            _read_path(r, Path(path), stack)

    return _run(read, reading)


def inspect_upload(
    files: Sequence[tuple[str, bytes]],
    *,
    uid_salt: bytes,
    deidentify: bool = False,
    limits: DicomLimits | None = None,
) -> DicomSummary:
    """Return the summary of uploaded files (name, bytes), read in memory and never written.

    Each upload is a DICOM file, a zip of files, or a DICOMDIR uploaded with the files it lists
    (names as relative paths). Raises like ``inspect_paths``.
    """
    reading = _Reading(uid_salt, deidentify, limits or DicomLimits())
    return _run(lambda r, stack: _read_uploads(r, files, stack), reading)


def deidentified_header(data: bytes, *, uid_salt: bytes, name: str = "upload") -> bytes:
    """Return a DICOM file's header, de-identified in memory, as a header-only DICOM file.

    Raises ``DicomError`` when ``data`` is not DICOM.
    """
    with _quiet_pydicom():
        ds = _read_header(io.BytesIO(data), name)
        if ds is None:
            raise DicomError(f"{name} is not a DICOM file")
        deidentify(ds, uid_salt=uid_salt)
        out = io.BytesIO()
        try:
            ds.save_as(out)
        except Exception:  # noqa: BLE001 - a header pydicom read but cannot write back is one message
            raise DicomError(f"{name}: the de-identified header cannot be written") from None
        return out.getvalue()


def inspect_datasets(
    headers: Sequence[tuple[str, Dataset, int]], *, uid_salt: bytes, deidentify: bool = False
) -> DicomSummary:
    """Return the summary of headers already parsed (a PACS's metadata), read like uploads.

    Each item is (name for messages, header, images of its series it stands for). The same
    identifier policy applies as to uploads: refused (``DicomIdentifiersFound``) unless
    ``deidentify``, which scrubs each header in memory with the Basic Profile.
    """
    reading = _Reading(uid_salt, deidentify, DicomLimits())

    def read(r: _Reading, stack: contextlib.ExitStack[bool | None]) -> None:  # noqa: ARG001
        for name, ds, count in headers:
            r.files += 1
            r.take(ds, name, count)

    return _run(read, reading)
