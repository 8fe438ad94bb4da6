"""Case pages: the case form (new and edit), the detail with history, delete/restore (the list
is in ``case_list.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.assessment_links.service import AssessmentLinkService
from printreg.cases.history import history_lines
from printreg.cases.schemas import CaseSaved
from printreg.cases.service import CaseService
from printreg.dictionary import Definition, GroupElement
from printreg.domain.errors import Forbidden, NotFound, RegistryError, ValidationFailed
from printreg.domain.facility import CaseStatus
from printreg.domain.issues import Issue
from printreg.domain.reasons import required_reason
from printreg.facilities.service import FacilityService
from printreg.files.service import CaseFileService, StudyView
from printreg.pacs.service import PacsService
from printreg.queries import views as query_views
from printreg.queries.schemas import QueryDetail
from printreg.registries.service import RegistryService
from printreg.web import forms
from printreg.web.confirm import Confirmation, confirm_page, is_confirmed
from printreg.web.pages.common import Field, LongField, Page, PageContext
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)


async def posted(request: Request) -> dict[str, list[str]]:
    """Return the posted form as name → list of text values."""
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


Posted = Annotated[dict[str, list[str]], Depends(posted)]


def _case_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound.no_such("case") from None


# -- the case form ------------------------------------------------------------------------------


def _printers(page: PageContext, facility: str) -> list[str]:
    """Return the labels the case form offers: printers in use (a retired one a case already
    has stays on it: ``forms`` keeps a value that is not offered)."""
    service = FacilityService(page.platform, page.actor)
    return [p.label for p in service.printers(facility, active_only=True)]


def _form_page(
    page: PageContext,
    definition: Definition,
    form: forms.CaseForm,
    *,
    facility: str,
    title: str,
    row_version: int | None = None,
    status_code: int = 200,
    notice: str | None = None,
    status: str | None = None,
    confirm_draft: bool = False,
    unsaved: bool = False,
    queries: list[QueryDetail] | None = None,
) -> HTMLResponse:
    """Render the case form; ``status`` is the stored case's (None for a new case), which
    decides its buttons; ``confirm_draft`` asks whether a complete case is to become a draft;
    ``unsaved`` marks a form that shows values not stored yet (leaving it warns); ``queries``
    (open and answered) are shown beside their fields, with their answer controls."""
    place = place_of(page, definition.registry.code, facility)
    registry = definition.registry.code
    return page.render(
        "case_form.html",
        status_code=status_code,
        place=place,
        form=form,
        facility=facility,
        title=title,
        row_version=row_version,
        definition=definition,
        notice=notice,
        status=status,
        confirm_draft=confirm_draft,
        unsaved=unsaved or confirm_draft or status_code != 200,
        **query_views.form_context(page.actor, registry, place.facility_ids.get(facility), queries),
    )


@router.get("/registries/{registry}/cases/new", response_class=HTMLResponse)
def new_case(
    page: Page, registry: str, facility: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    """Show an empty case form for a facility (the person's first one by default)."""
    definition = RegistryService(page.platform, page.actor).definition(registry)
    code = facility or _default_facility(page, registry)
    place = place_of(page, registry, code)
    if not place.writes(code):
        if code not in place.roles:  # a role in another registry only: as if unknown
            raise NotFound.no_such("facility")
        raise Forbidden("your role at this facility may read cases but not enter them")
    form = forms.build_form(definition, {}, _printers(page, code))
    return _form_page(page, definition, form, facility=code, title="New case")


def _default_facility(page: PageContext, registry: str) -> str:
    place = place_of(page, registry)
    if place.facility is None:
        raise NotFound("choose a facility first (from the home page)")
    return place.facility.code


def _saved(registry: str, saved: CaseSaved, outcome: str = "1") -> Response:
    """Redirect to the case page, which says what the save did (``outcome``) and shows the
    case's real warnings."""
    return RedirectResponse(
        f"/registries/{registry}/cases/{saved.id}?saved={outcome}#outcome", status_code=303
    )


# The form's actions: "save" (also Enter in a field) keeps the case's status; "complete" submits
# it as complete; "draft" saves a draft, and of a complete case only once confirmed.
SAVE, COMPLETE, DRAFT, DRAFT_CONFIRMED = "save", "complete", "draft", "draft-confirmed"


def _status(action: str, current: str | None) -> str:
    """Return the status to save: the one the action asks for, else the stored case's (a new
    case: draft)."""
    if action == COMPLETE:
        return CaseStatus.COMPLETE.value
    if action in (DRAFT, DRAFT_CONFIRMED) or current is None:
        return CaseStatus.DRAFT.value
    return current


def _row_action_page(
    page: PageContext,
    definition: Definition,
    row: forms.RowAction,
    record: dict[str, object],
    *,
    facility: str,
    title: str,
    row_version: int | None = None,
    status: str | None = None,
) -> HTMLResponse:
    """Return the form after an add or remove button, with what a removal did to references
    shown beside the rows it was taken from."""
    form = forms.build_form(definition, record, _printers(page, facility), extra_rows=row.extra)
    if row.notes:
        for section in form.sections:
            for item in section.items:
                if isinstance(item, forms.GroupSpec) and item.name == row.removed_from:
                    item.notes.extend(row.notes)
    return _form_page(
        page,
        definition,
        form,
        facility=facility,
        title=title,
        row_version=row_version,
        status=status,
        unsaved=True,
    )


@router.post("/registries/{registry}/cases/new", response_class=HTMLResponse)
def create_case(
    page: Page,
    registry: str,
    data: Posted,
    facility: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Store a new case from the form; on problems show the form again with every issue."""
    action = (data.get("action") or [SAVE])[0]
    definition = RegistryService(page.platform, page.actor).definition(registry)
    code = facility or (data.get("facility") or [""])[0] or _default_facility(page, registry)
    row = forms.apply_row_action(definition, data, action)
    record = forms.record_from_form(definition, row.data)
    if row.extra or action.startswith("remove-"):
        return _row_action_page(page, definition, row, record, facility=code, title="New case")
    try:
        saved = CaseService(page.platform, page.actor).create(
            registry, code, {**record, "status": _status(action, None)}
        )
    except ValidationFailed as exc:
        return _invalid(page, definition, record, exc.issues, code, "New case", None)
    return _saved(registry, saved)


def _invalid(
    page: PageContext,
    definition: Definition,
    record: dict[str, object],
    issues: list[Issue],
    facility: str,
    title: str,
    row_version: int | None,
    status: str | None = None,
    queries: list[QueryDetail] | None = None,
) -> HTMLResponse:
    form = forms.build_form(definition, record, _printers(page, facility), issues)
    return _form_page(
        page,
        definition,
        form,
        facility=facility,
        title=title,
        row_version=row_version,
        status_code=422,
        status=status,
        queries=queries,
    )


@router.get("/registries/{registry}/cases/{case_id}/edit", response_class=HTMLResponse)
def edit_case(
    page: Page,
    registry: str,
    case_id: str,
    prefill: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """Show the case form filled with a stored case; with ``prefill=dicom``, the values the
    case's latest DICOM upload gives replace the stored ones, for the person to check and save."""
    notice = None
    view = CaseService(page.platform, page.actor).get(registry, _case_id(case_id))
    definition = RegistryService(page.platform, page.actor).definition(registry)
    if not place_of(page, registry, view.facility).writes(view.facility):
        raise Forbidden("your role at this facility may read cases but not change them")
    record = view.record
    if prefill == "dicom":
        studies = CaseFileService(page.platform, page.actor).imaging(registry, view.id)
        values = studies[0].prefill if studies else {}
        record = {**record, **values}
        notice = (
            "Filled in from the DICOM headers: "
            + ", ".join(_label(definition, name) for name in values)
            + ". Check them, then save the case."
            if values
            else "The DICOM headers of this case give no value to fill in."
        )
    form = forms.build_form(definition, record, _printers(page, view.facility))
    title = f"Edit case {view.record.get('local_case_id', '')}"
    return _form_page(
        page,
        definition,
        form,
        facility=view.facility,
        title=title,
        row_version=view.row_version,
        notice=notice,
        status=view.status,
        unsaved=prefill == "dicom",
        queries=query_views.form_queries(page.platform, page.actor, registry, view.id),
    )


def _label(definition: Definition, name: str) -> str:
    element = definition.elements.get(name)
    return element.label if element is not None else name


@router.post("/registries/{registry}/cases/{case_id}/edit", response_class=HTMLResponse)
def update_case(page: Page, registry: str, case_id: str, data: Posted) -> Response:
    """Replace a case's record from the form; on problems show the form again.

    The default action (the "Save" button, Enter in a field) keeps the case's status; a complete
    case becomes a draft only after the person confirms it (a second step, without JavaScript
    too), and the audit names that move."""
    action = (data.get("action") or [SAVE])[0]
    version_text = (data.get("row_version") or [""])[0]
    version = int(version_text) if version_text.isdigit() else None
    cases = CaseService(page.platform, page.actor)
    view = cases.get(registry, _case_id(case_id))
    definition = RegistryService(page.platform, page.actor).definition(registry)
    title = f"Edit case {view.record.get('local_case_id', '')}"
    row = forms.apply_row_action(definition, data, action)
    record = forms.record_from_form(definition, row.data)
    if row.extra or action.startswith("remove-"):
        return _row_action_page(
            page,
            definition,
            row,
            record,
            facility=view.facility,
            title=title,
            row_version=version,
            status=view.status,
        )
    status = _status(action, view.status)
    if view.status == CaseStatus.COMPLETE and action == DRAFT:
        form = forms.build_form(definition, record, _printers(page, view.facility))
        return _form_page(
            page,
            definition,
            form,
            facility=view.facility,
            title=title,
            row_version=version,
            status=view.status,
            confirm_draft=True,
        )
    try:
        saved = cases.update(
            registry, view.id, {**record, "status": status}, expected_version=version
        )
    except ValidationFailed as exc:
        return _invalid(page, definition, record, exc.issues, view.facility, title, version,
                        view.status,
                        query_views.form_queries(page.platform, page.actor, registry, view.id))  # fmt: skip
    if saved.row_version == view.row_version:
        return _saved(registry, saved, "unchanged")
    moved = view.status == CaseStatus.COMPLETE and saved.status == CaseStatus.DRAFT
    return _saved(registry, saved, "to-draft" if moved else "1")


# -- detail -------------------------------------------------------------------------------------


@router.get("/registries/{registry}/cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    page: Page,
    registry: str,
    case_id: str,
    saved: Annotated[str, Query(max_length=16)] = "",
    attached: Annotated[str, Query(max_length=8)] = "",
    assessment: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """Show a case: its values by section, derived values, files, status and history; after a
    save (``saved``: what it did) one message says so, with the case's real warnings."""
    return render_case(page, registry, case_id, saved=saved, attached=attached,
                       assessment_sent=assessment == "sent")  # fmt: skip


@dataclass(frozen=True)
class PrefillRow:
    """A value the DICOM headers give, beside the case's own."""

    label: str
    from_dicom: str
    in_case: str

    @property
    def differs(self) -> bool:
        """Return whether confirming the value would change the case."""
        return self.from_dicom != self.in_case


def _prefill_rows(
    definition: Definition, studies: list[StudyView], record: dict[str, Any]
) -> list[PrefillRow]:
    rows = []
    for name, value in (studies[0].prefill if studies else {}).items():
        element = definition.elements.get(name)
        if element is None or isinstance(element, GroupElement):
            continue
        rows.append(
            PrefillRow(
                element.label,
                forms.display_value(definition, element, value),
                forms.display_value(definition, element, record.get(name)),
            )
        )
    return rows


# What the case page says after a save, by what the save did (``?saved=``).
SAVED_MESSAGES = {
    "to-draft": "Case saved and moved back to draft: it no longer counts as complete.",
    "unchanged": "Nothing was changed: the case is as it was.",
}


def _saved_message(saved: str, status: str) -> str:
    """Return the one message of a save's outcome ('' when the page does not follow a save)."""
    if not saved:
        return ""
    as_what = "a draft" if status == CaseStatus.DRAFT else status
    return SAVED_MESSAGES.get(saved, f"Case saved as {as_what}.")


def render_case(
    page: PageContext,
    registry: str,
    case_id: str,
    *,
    status_code: int = 200,
    saved: str = "",
    attached: str = "",
    file_problem: str | None = None,
    file_issues: list[str] | None = None,
    problem_at: str = "",
    query_problem: str | None = None,
    assessment_sent: bool = False,
    assessment_problem: str | None = None,
    assessment_email: str = "",
) -> Response:
    """Return the case page; ``file_problem`` shows why an upload was refused beside its form
    (``problem_at``: "dicom" or "print-<row>"), ``query_problem`` why a query was refused,
    ``assessment_problem`` why an assessment link was not sent."""
    cases = CaseService(page.platform, page.actor)
    view = cases.get(registry, _case_id(case_id))
    registries = RegistryService(page.platform, page.actor)
    definition = registries.definition(registry, view.definition_version)
    history = history_lines(
        cases.history(registry, view.id),
        lambda version: registries.definition(registry, version or view.definition_version),
    )
    warnings = (
        [forms.issue_text(definition, w) for w in cases.warnings(registry, view.id)]
        if saved
        else []
    )
    place = place_of(page, registry, view.facility)
    files = CaseFileService(page.platform, page.actor)
    studies = files.imaging(registry, view.id)
    meshes = {m.print_row: m for m in files.meshes(registry, view.id)}
    may_write = place.writes(view.facility) and view.status != CaseStatus.LOCKED
    prints = view.record.get("prints") if "prints" in definition.groups else None
    links = AssessmentLinkService(page.platform, page.actor)
    return page.render(
        "case_detail.html",
        status_code=status_code,
        place=place,
        case=view,
        sections=forms.display_record(definition, view.record),
        derived=forms.display_derived(definition, view.derived),
        history=history,
        may_write=may_write,
        saved=_saved_message(saved, view.status),
        warnings=warnings,
        attached=attached,
        studies=studies,
        prefill=_prefill_rows(definition, studies, view.record),
        has_prints="prints" in definition.groups,
        prints=prints or [],
        meshes=meshes,
        file_problem=file_problem,
        file_issues=file_issues or [],
        problem_at=problem_at,
        deidentify_on_receipt=page.platform.settings.dicom_deidentify_on_receipt,
        pacs_available=may_write and PacsService(page.platform, page.actor).available(registry, view.id),
        assessment_section=links.section_label(registry),
        assessment_links=links.links(registry, case_id=view.id),
        assessment_sent=assessment_sent,
        assessment_problem=assessment_problem,
        assessment_email=assessment_email,
        **query_views.case_context(page.platform, page.actor, definition, view,
                                   place.facility_ids.get(view.facility), query_problem),
    )  # fmt: skip


@router.post("/registries/{registry}/cases/{case_id}/delete", response_class=HTMLResponse)
def delete_case(
    page: Page, registry: str, case_id: str, reason: LongField = "", confirmed: Field = ""
) -> Response:
    """Soft-delete a case (restorable, audited with its reason) once the confirmation page has
    said what it means."""
    cases = CaseService(page.platform, page.actor)
    ident = _case_id(case_id)
    view = cases.check_delete(registry, ident)  # a refusal is the error page (web/errors.py)
    base = f"/registries/{registry}/cases/{view.id}"
    label = view.record.get("local_case_id") or "this case"
    confirmation = Confirmation(
        title=f"Delete case {label}?",
        consequence=(
            f"Case {label} leaves the case list, the dashboard, reports and exports at once. "
            "It is kept, and someone who may change the facility's cases can restore it from "
            "its page."
        ),
        action=f"{base}/delete",
        button="Delete the case",
        cancel=base,
    )
    if not is_confirmed(confirmed):
        return confirm_page(page, confirmation, reason=reason)
    try:
        cases.delete(registry, ident, required_reason(reason, "delete the case"))
    except RegistryError as exc:
        return confirm_page(page, confirmation, reason=reason, error=exc)
    return RedirectResponse(base, status_code=303)


@router.post("/registries/{registry}/cases/{case_id}/restore")
def restore_case(page: Page, registry: str, case_id: str) -> Response:
    """Bring a soft-deleted case back."""
    view = CaseService(page.platform, page.actor).restore(registry, _case_id(case_id))
    return RedirectResponse(f"/registries/{registry}/cases/{view.id}", status_code=303)
