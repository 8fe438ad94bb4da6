"""`printreg dicom` and `printreg mesh`: inspect imaging and model files without storing them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from printreg.cli.common import (
    JsonOpt,
    RegistryOpt,
    console,
    err_console,
    operator,
    platform,
    print_json,
    registry_code,
    run,
)

if TYPE_CHECKING:
    from printreg.ingest.dicom import DicomSummary
    from printreg.settings import Settings

dicom_app = typer.Typer(
    help="DICOM headers: what a study holds, never who it is about.", no_args_is_help=True
)
mesh_app = typer.Typer(help="3D model files: measure what is printed.", no_args_is_help=True)


def uid_salt(settings: Settings) -> bytes:
    """Return the key that hashes Study/Series Instance UIDs (``dicom_uid_salt``, or derived)."""
    return settings.dicom_uid_key()


# -- dicom --------------------------------------------------------------------------------------


def _print_summary(summary: DicomSummary, targets: dict[str, str]) -> None:
    for study in summary.studies:
        images = f"{study.images} image{'s' if study.images != 1 else ''}"
        console.print(
            f"[bold]study {(study.uid_hash or 'without UID')[:12]}[/] "
            f"({', '.join(study.modalities) or 'no modality'}): {len(study.series)} series, {images}"
        )
        rows: dict[str, object] = {
            "slice thickness": None
            if study.slice_thickness_mm is None
            else f"{study.slice_thickness_mm:g} mm",
            "contrast": {True: "yes", False: "no", None: None}[study.contrast],
            "year": study.study_year,
            "scanner": " ".join((*study.manufacturers, *study.models)) or None,
            "transfer syntax": ", ".join(study.transfer_syntaxes) or None,
        }
        for label, value in rows.items():
            if value is not None:
                console.print(f"  {label:<16} {value}", highlight=False)
    prefill = summary.prefill(targets)
    for name, prefilled in prefill.items():
        shown = ", ".join(map(str, prefilled)) if isinstance(prefilled, list) else str(prefilled)
        console.print(f"pre-fill {name}: {shown}", highlight=False)
    if not prefill:
        console.print("nothing to pre-fill")
    for note in summary.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False)


@dicom_app.command("inspect")
def dicom_inspect(
    paths: Annotated[
        list[Path], typer.Argument(help="DICOM files, folders, zips of a series, or a DICOMDIR.")
    ],
    deidentify: Annotated[
        bool,
        typer.Option(
            "--deidentify",
            help="De-identify headers that hold identifiers (DICOM PS3.15 Basic Profile) "
            "instead of refusing them (the default when dicom_deidentify_on_receipt is set).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Summarise DICOM headers: modality, slice thickness, series, images, scanner, contrast.

    Reads headers only, in memory. Headers that still identify a patient or a site are refused
    with the tags listed, unless --deidentify.
    """
    from printreg.dictionary.loader import imaging_targets
    from printreg.ingest.dicom import DicomIdentifiersFound, DicomLimits, inspect_paths
    from printreg.settings import Settings

    def body() -> None:
        settings = Settings()
        # pre-filled as a case of the default registry would be (its imaging.yaml)
        targets = imaging_targets(settings.default_registry)
        try:
            summary = inspect_paths(
                paths,
                uid_salt=uid_salt(settings),
                deidentify=deidentify or settings.dicom_deidentify_on_receipt,
                limits=DicomLimits(max_files=settings.dicom_max_files),
            )
        except DicomIdentifiersFound as exc:
            if as_json:
                print_json(
                    {
                        "ok": False,
                        "error": exc.message,
                        "identifiers": [f.label for f in exc.findings],
                    }
                )
            raise
        if as_json:
            print_json({"ok": True, **summary.to_dict(targets)})
        else:
            _print_summary(summary, targets)

    run(body, as_json=as_json)


# -- mesh ---------------------------------------------------------------------------------------


def _read_limited(path: Path, limit: int) -> bytes:
    """Return the bytes of a model file; MeshError when it is larger than ``limit`` bytes,
    ValueError when it cannot be read."""
    from printreg.ingest.mesh import MeshError

    try:
        if path.stat().st_size > limit:
            raise MeshError(f"{path.name} is larger than the limit of {limit} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None


@mesh_app.command("inspect")
def mesh_inspect(
    path: Annotated[
        Path,
        typer.Argument(
            help="STL (ASCII or binary), 3MF, OBJ or PLY file, or an Encapsulated STL/OBJ DICOM "
            "object."
        ),
    ],
    parts: Annotated[
        int | None,
        typer.Option(
            "--parts", min=1, help="Parts declared for the print: warn when bodies differ."
        ),
    ] = None,
    thumbnail: Annotated[
        Path | None, typer.Option("--thumbnail", help="Also write a PNG thumbnail to this file.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure a model file: volume, surface area, bounding box, triangles, bodies, watertight.

    An Encapsulated STL/OBJ DICOM object is measured as the model it holds; its header is refused
    when it identifies someone, unless dicom_deidentify_on_receipt is set.
    """
    from printreg.ingest.dicom_model import is_dicom_file, unwrap_model
    from printreg.ingest.mesh import load_mesh, measure, parts_warning, thumbnail_png
    from printreg.settings import Settings

    def body() -> None:
        settings = Settings()
        limit = settings.mesh_max_bytes
        data = _read_limited(path, limit)
        name = path.name
        if is_dicom_file(data):
            unwrapped = unwrap_model(
                data, name, deidentify_on_receipt=settings.dicom_deidentify_on_receipt
            )
            name, data = unwrapped.filename, unwrapped.data
        loaded = load_mesh(data, name, max_bytes=limit, max_triangles=settings.mesh_max_triangles)
        measurement = measure(loaded)
        warning = parts_warning(measurement, parts)
        if thumbnail is not None:
            thumbnail.write_bytes(thumbnail_png(loaded.mesh))
        if as_json:
            print_json({"ok": True, **measurement.to_dict(), "parts_warning": warning})
            return
        m = measurement
        volume = "not measured" if m.volume_ml is None else f"{m.volume_ml:g} mL"
        x, y, z = m.extents_mm
        console.print(f"{path.name} ({m.file_format.upper()})")
        console.print(f"  volume          {volume}")
        console.print(f"  surface area    {m.surface_area_cm2:g} cm²")
        console.print(f"  bounding box    {x:g} × {y:g} × {z:g} mm")
        console.print(f"  triangles       {m.triangles:,} ({m.vertices:,} vertices)")
        console.print(f"  bodies          {m.bodies}")
        console.print(f"  watertight      {'yes' if m.watertight else 'no'}")
        console.print(f"  non-manifold    {m.non_manifold_edges:,} edge(s)")
        for note in (*m.notes, *filter(None, [warning])):
            err_console.print(f"[yellow]note:[/] {note}", highlight=False)
        if thumbnail is not None:
            console.print(f"thumbnail written to {thumbnail}")

    run(body, as_json=as_json)


def _case_study(case_id: uuid.UUID, registry: str | None) -> str | None:
    """Return the hash of the newest DICOM study kept with a case (None when it has none)."""
    from printreg.files.service import CaseFileService

    with platform() as p:
        studies = CaseFileService(p, operator()).imaging(registry_code(registry), case_id)
    return next((s.study_uid_hash for s in studies if s.study_uid_hash), None)


def _send_to_pacs(case_id: uuid.UUID, registry: str | None, data: bytes) -> None:
    """Store a DICOM object in the PACS of the case's facility (STOW-RS), as the operator."""
    from printreg.cases.service import locate_case
    from printreg.pacs.service import PacsService

    actor = operator()
    with platform() as p:
        runtime = p.registry(registry_code(registry))
        with p.sessions() as session:
            facility_id = locate_case(session, runtime, actor, case_id).facility_id
        PacsService(p, actor).send(facility_id, data)


@mesh_app.command("export-dicom")
def mesh_export_dicom(
    path: Annotated[Path, typer.Argument(help="The printed model, an STL file (ASCII or binary).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The DICOM file to write.")],
    study: Annotated[
        str | None,
        typer.Option(
            "--study",
            help="The case's study hash (64 hex digits, as `GET …/imaging` or `dicom inspect "
            "--json` show it): the object joins that de-identified study. A new study otherwise.",
        ),
    ] = None,
    case: Annotated[
        uuid.UUID | None,
        typer.Option(
            "--case",
            help="Join the newest DICOM study kept with this case (reads the database); "
            "a new study when the case has none.",
        ),
    ] = None,
    registry: RegistryOpt = None,
    send_to_pacs: Annotated[
        bool,
        typer.Option(
            "--send-to-pacs",
            help="Also store the object in the PACS of the case's facility over STOW-RS "
            "(needs --case and the facility's DICOMweb endpoint).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Wrap an STL model as an Encapsulated STL DICOM object (Supplement 205) for a PACS.

    The object carries no patient identifier; it is checked to load and measure first. The
    registry keeps no model file (only its measurement and a reduced viewer copy), so the STL is
    read from disk. With --case, the case's newest study is read from the database.
    """
    from printreg.ingest.dicom_model import encapsulated_stl, study_uid_from_hash
    from printreg.ingest.mesh import MeshError, load_mesh, measure
    from printreg.settings import Settings

    def body() -> None:
        settings = Settings()
        limit = settings.mesh_max_bytes
        if path.suffix.lower() != ".stl":
            raise MeshError(f"{path.name}: only an .stl file can be wrapped as Encapsulated STL")
        data = _read_limited(path, limit)
        measurement = measure(
            load_mesh(data, path.name, max_bytes=limit, max_triangles=settings.mesh_max_triangles)
        )
        if study and case:
            raise ValueError("give --study or --case, not both")
        if send_to_pacs and case is None:
            raise ValueError("--send-to-pacs needs --case: the object goes to its facility's PACS")
        study_hash = study or (_case_study(case, registry) if case else None)
        study_uid = study_uid_from_hash(study_hash) if study_hash else None
        wrapped = encapsulated_stl(data, study_uid=study_uid)
        try:
            out.write_bytes(wrapped)
        except OSError as exc:
            raise ValueError(f"cannot write {out}: {exc.strerror}") from None
        if send_to_pacs and case is not None:
            _send_to_pacs(case, registry, wrapped)
        if as_json:
            print_json(
                {
                    "ok": True,
                    "out": str(out),
                    "bytes": len(wrapped),
                    "study": "given" if study_hash else "new",
                    "volume_ml": measurement.volume_ml,
                    "sent_to_pacs": send_to_pacs,
                }
            )
            return
        console.print(f"{out} written: Encapsulated STL, {len(wrapped):,} bytes", highlight=False)
        if send_to_pacs:
            console.print("stored in the facility's PACS (STOW-RS)")

    run(body, as_json=as_json)
