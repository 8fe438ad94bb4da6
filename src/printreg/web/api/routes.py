"""API routes: each parses input, calls one service, returns a public schema."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status

from printreg.accounts.service import AccountService
from printreg.cases.service import (
    CaseQuery,
    CaseService,
    CaseView,
    decode_cursor,
    parse_filters,
)
from printreg.domain.errors import NotFound
from printreg.facilities.service import FacilityProfile, FacilityService, PrinterInfo
from printreg.registries.service import RegistryService
from printreg.web.api import schemas as s
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": s.ProblemOut, "description": "No valid session or API token"},
    403: {"model": s.ProblemOut, "description": "Not allowed for this role or token scope"},
    404: {"model": s.ProblemOut, "description": "Unknown, or belonging to another facility"},
    409: {"model": s.ProblemOut, "description": "Conflicts with stored data"},
    422: {"model": s.ProblemOut, "description": "The input breaks the registry's rules"},
}
router = APIRouter(route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS)
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Numeric id")]
RecordBody = Annotated[dict[str, Any], Body(description="A case record (docs/record-shape.md)")]


def _case(view: CaseView) -> s.CasePublic:
    return s.CasePublic.model_validate(view)


# -- registries ---------------------------------------------------------------------------------


@router.get("/registries", tags=["registries"])
def list_registries(platform: PlatformDep, actor: ActorDep) -> list[s.RegistryOut]:
    """Return the hosted registries."""
    return [s.RegistryOut.model_validate(r) for r in RegistryService(platform, actor).registries()]


@router.get("/registries/{registry}", tags=["registries"])
def get_registry(registry: str, platform: PlatformDep, actor: ActorDep) -> s.RegistryOut:
    """Return one registry."""
    return s.RegistryOut.model_validate(RegistryService(platform, actor).info(registry))


@router.get("/registries/{registry}/definition", tags=["registries"])
def get_definition(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    version: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Return a definition version (the data dictionary) as JSON."""
    definition = RegistryService(platform, actor).definition(registry, version)
    return definition.model_dump(mode="json", by_alias=True, exclude_defaults=True)


# -- facilities and printers --------------------------------------------------------------------


@router.get("/facilities", tags=["facilities"])
def list_facilities(platform: PlatformDep, actor: ActorDep) -> list[s.FacilityPublic]:
    """Return the facilities the caller belongs to (registry administrators: all)."""
    rows = FacilityService(platform, actor).facilities()
    return [s.FacilityPublic.model_validate(f) for f, _ in rows]


@router.post("/facilities", tags=["facilities"], status_code=status.HTTP_201_CREATED)
def create_facility(
    body: s.FacilityCreate, platform: PlatformDep, actor: ActorDep
) -> s.FacilityPublic:
    """Add a facility (registry administrators)."""
    profile = FacilityService(platform, actor).add(FacilityProfile(**body.model_dump()))
    return s.FacilityPublic.model_validate(profile)


@router.get("/facilities/{facility}", tags=["facilities"])
def get_facility(facility: str, platform: PlatformDep, actor: ActorDep) -> s.FacilityPublic:
    """Return a facility the caller belongs to."""
    return s.FacilityPublic.model_validate(FacilityService(platform, actor).get(facility))


@router.get("/facilities/{facility}/printers", tags=["facilities"])
def list_printers(facility: str, platform: PlatformDep, actor: ActorDep) -> list[s.PrinterPublic]:
    """Return a facility's printer inventory."""
    service = FacilityService(platform, actor)
    service.get(facility)
    return [s.PrinterPublic.model_validate(p) for p in service.printers(facility)]


@router.post("/facilities/{facility}/printers", tags=["facilities"], status_code=201)
def create_printer(
    facility: str, body: s.PrinterCreate, platform: PlatformDep, actor: ActorDep
) -> s.PrinterPublic:
    """Add a printer (facility administrators)."""
    printer = FacilityService(platform, actor).add_printer(
        PrinterInfo(facility, **body.model_dump())
    )
    return s.PrinterPublic.model_validate(printer)


@router.get("/facilities/{facility}/users", tags=["users"])
def list_users(facility: str, platform: PlatformDep, actor: ActorDep) -> list[s.UserPublic]:
    """Return the people with a role at a facility (facility administrators)."""
    return [
        s.UserPublic.model_validate(u) for u in AccountService(platform).users_of(actor, facility)
    ]


# -- cases --------------------------------------------------------------------------------------


#: the query parameters of the case list; any other one is an ELEMENT=VALUE filter
CASE_LIST_PARAMS = frozenset(
    {"facility", "status", "where", "date_from", "date_to", "search", "deleted", "limit", "cursor"}
)


@router.get(
    "/registries/{registry}/cases",
    tags=["cases"],
    description="Any other query parameter ELEMENT=VALUE filters by a single-code element of "
    "the registry, as where=ELEMENT=VALUE does; a name that is not one answers 400.",
)
def list_cases(
    request: Request,
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str | None, Query(max_length=32)] = None,
    case_status: Annotated[
        str | None, Query(alias="status", pattern="^(draft|complete|locked)$")
    ] = None,
    where: Annotated[
        list[str] | None,
        Query(
            max_length=20,
            description="ELEMENT=VALUE: only cases with this code or label of a coded element "
            "of the registry (repeat for several)",
        ),
    ] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    search: Annotated[str | None, Query(max_length=64)] = None,
    deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> s.CasesPage:
    """Return one page of the cases the caller may read, newest change first."""
    filters = parse_filters(where or [])
    for name, value in request.query_params.items():
        if name not in CASE_LIST_PARAMS and value.strip():  # empty: no filter, as on the page
            filters[name] = value[:100]
    query = CaseQuery(
        status=case_status,
        where=filters,
        date_from=date_from,
        date_to=date_to,
        search=search,
        only_deleted=deleted,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    page = CaseService(platform, actor).list_cases(registry, query, facility)
    return s.CasesPage(
        items=[s.CaseSummaryOut.model_validate(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.post("/registries/{registry}/cases", tags=["cases"], status_code=201)
def create_case(
    registry: str,
    record: RecordBody,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str, Query(min_length=1, max_length=32)],
) -> s.CaseSaved:
    """Validate and store a new case; 422 lists every issue."""
    return s.CaseSaved.model_validate(
        CaseService(platform, actor).create(registry, facility, record)
    )


@router.get("/registries/{registry}/cases/{case_id}", tags=["cases"])
def get_case(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> s.CasePublic:
    """Return a case; 404 for unknown ids and for other facilities' cases alike."""
    return _case(CaseService(platform, actor).get(registry, case_id))


@router.put("/registries/{registry}/cases/{case_id}", tags=["cases"])
def update_case(
    registry: str,
    case_id: uuid.UUID,
    record: RecordBody,
    platform: PlatformDep,
    actor: ActorDep,
    if_match: Annotated[
        str | None, Header(description="row_version last read", max_length=12)
    ] = None,
) -> s.CaseSaved:
    """Replace a case's record; with If-Match, 409 when someone changed it meanwhile."""
    expected = int(if_match.strip('"')) if if_match and if_match.strip('"').isdigit() else None
    saved = CaseService(platform, actor).update(registry, case_id, record, expected)
    return s.CaseSaved.model_validate(saved)


@router.delete("/registries/{registry}/cases/{case_id}", tags=["cases"])
def delete_case(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> s.CasePublic:
    """Soft-delete a case (restorable, audited)."""
    return _case(CaseService(platform, actor).delete(registry, case_id))


@router.post("/registries/{registry}/cases/{case_id}/restore", tags=["cases"])
def restore_case(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> s.CasePublic:
    """Restore a soft-deleted case."""
    return _case(CaseService(platform, actor).restore(registry, case_id))


@router.get("/registries/{registry}/cases/{case_id}/history", tags=["cases"])
def case_history(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> list[s.HistoryOut]:
    """Return who changed a case, when, and what before and after."""
    return [
        s.HistoryOut.model_validate(h)
        for h in CaseService(platform, actor).history(registry, case_id)
    ]


# -- people and tokens --------------------------------------------------------------------------


@router.get("/users/me", tags=["users"])
def me(platform: PlatformDep, actor: ActorDep) -> s.UserPublic:
    """Return the signed-in person (or the token's owner)."""
    if actor.user_id is None:
        raise NotFound("the operator has no account")
    return s.UserPublic.model_validate(AccountService(platform).get_user(actor, actor.user_id))


@router.post("/users", tags=["users"], status_code=201)
def create_user(body: s.UserCreate, platform: PlatformDep, actor: ActorDep) -> s.UserPublic:
    """Add a person with roles (facility administrators for their facility)."""
    user = AccountService(platform).create_user(
        actor,
        body.email,
        body.display_name,
        body.password,
        body.memberships,
        body.registry_roles,
    )
    return s.UserPublic.model_validate(user)


@router.get("/users/{user_id}", tags=["users"])
def get_user(user_id: IdPath, platform: PlatformDep, actor: ActorDep) -> s.UserPublic:
    """Return a person the caller may see."""
    return s.UserPublic.model_validate(AccountService(platform).get_user(actor, user_id))


@router.put("/users/{user_id}/memberships/{registry}/{facility}", tags=["users"])
def set_membership(
    user_id: IdPath,
    registry: str,
    facility: str,
    body: s.MembershipSet,
    platform: PlatformDep,
    actor: ActorDep,
) -> s.UserPublic:
    """Give, change or (role null) remove a person's role at a facility in one registry."""
    role = body.role
    return s.UserPublic.model_validate(
        AccountService(platform).set_membership(actor, user_id, registry, facility, role)
    )


@router.get("/tokens", tags=["tokens"])
def list_tokens(platform: PlatformDep, actor: ActorDep) -> list[s.TokenPublic]:
    """Return the caller's API tokens (never their secrets)."""
    return [s.TokenPublic.model_validate(t) for t in AccountService(platform).tokens(actor)]


@router.post("/tokens", tags=["tokens"], status_code=201)
def create_token(body: s.TokenCreate, platform: PlatformDep, actor: ActorDep) -> s.TokenCreated:
    """Create a scoped, expiring token for one of the caller's facilities; shown once."""
    secret, info = AccountService(platform).create_token(
        actor, body.facility, body.name, body.scopes, body.days
    )
    return s.TokenCreated(**s.TokenPublic.model_validate(info).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", tags=["tokens"])
def revoke_token(token_id: IdPath, platform: PlatformDep, actor: ActorDep) -> s.TokenPublic:
    """Revoke one of the caller's tokens."""
    return s.TokenPublic.model_validate(AccountService(platform).revoke_token(actor, token_id))


@router.get("/health", tags=["meta"], include_in_schema=False)
def health(response: Response) -> dict[str, str]:
    """Return ok (for load balancers)."""
    response.headers["Cache-Control"] = "no-store"
    return {"status": "ok"}
