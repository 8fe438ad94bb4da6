"""The demo: its data set (a mid-to-high volume home site with a peer group, a few model files)
and its accounts, one per role, for the embedded demo and the browser tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import AccountService, hash_password
from printreg.cases.service import CaseService
from printreg.demo.synth import SynthLoad, load_synthetic
from printreg.dictionary.analytics import PRINTS_GROUP
from printreg.domain.facility import CaseStatus, RegistryRoleName, Role
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.synthetic import FacilityPlan

DEMO_PASSWORD = "printreg-demo-2026"  # noqa: S105 - documented demo credential, demo data only
# The committee decides once `committee_quorum` members have voted: the demo has that many
# members (at most this many), so that a decision can be taken by signing in as each in turn.
MAX_DEMO_COMMITTEE = 5


#: the demo accounts' facility, and the facility of the other site's data manager
DEMO_FACILITIES = ("F0001", "F0002")
_PEERS = ("academic", "metropolitan", "northeast")
#: The demo registry's facilities; annual volumes weigh the draw of cases (about each site's
#: cases of the latest year). The home site (F0001) and five others share a peer group: type,
#: location, region and volume band, the band counting the complete cases of the last four
#: quarters (nine to ten months, by the day of the month), so each keeps 100-399 of them
#: ("high") whatever the day. The others vary the registry; the last is of the home site's kind
#: but in a lower band, hence no peer.
DEMO_PLANS = (
    FacilityPlan(*_PEERS, annual_volume=220),
    FacilityPlan(*_PEERS, annual_volume=170, lab_service_model="engineering_core"),
    FacilityPlan(*_PEERS, annual_volume=175),
    FacilityPlan(*_PEERS, annual_volume=165, lab_service_model="surgery"),
    FacilityPlan(*_PEERS, annual_volume=180),
    FacilityPlan(*_PEERS, annual_volume=195),
    FacilityPlan("childrens", "suburban", "midwest", annual_volume=30),
    FacilityPlan("community", "suburban", "south", annual_volume=20, lab_service_model="other"),
    FacilityPlan("community", "rural", "midwest", annual_volume=8),
    FacilityPlan(
        "freestanding", "metropolitan", "west", annual_volume=15, lab_service_model="surgery"
    ),
    FacilityPlan("other", "metropolitan", "south", annual_volume=7),
    FacilityPlan(*_PEERS, annual_volume=30),
)
#: three years of cases whose rate triples: the registry grows, and the last year holds enough
#: of them for the volume bands with 2,600 cases rather than the 3,600 an even spread would need
DEMO_CASES = 2600
DEMO_GROWTH = 3.0
#: the home site's cases that get a model file: enough for its model measures (min_cases 10)
DEMO_MODELS = 12


@dataclass(frozen=True)
class DemoLoad:
    """What the demo data set added."""

    synthetic: SynthLoad
    models: int


def load_demo(
    platform: Platform,
    actor: Actor,
    *,
    registry: str,
    seed: int,
    facilities: int = len(DEMO_PLANS),
    cases: int = DEMO_CASES,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoLoad:
    """Add the demo's facilities (DEMO_PLANS first, drawn ones after) and synthetic cases, then
    model files on DEMO_MODELS of the home site's complete anatomic-model cases; return counts."""
    loaded = load_synthetic(
        platform,
        actor,
        registry=registry,
        seed=seed,
        facilities=facilities,
        cases=cases,
        today=today,
        plans=DEMO_PLANS,
        growth=DEMO_GROWTH,
        progress=progress,
    )
    models = attach_demo_models(platform, actor, registry, DEMO_FACILITIES[0], DEMO_MODELS, seed)
    return DemoLoad(loaded, models)


def attach_demo_models(
    platform: Platform, actor: Actor, registry: str, facility: str, count: int, seed: int
) -> int:
    """Upload a made-up model file (printreg.synthetic.models) to the first print of up to
    ``count`` complete cases of ``facility`` that can carry one, through the case-file service
    as a user would; return how many were attached (0 when the registry has no prints)."""
    # trimesh and pydicom: only when models are made, not for whoever needs a demo account
    from printreg.files.service import CaseFileService  # noqa: PLC0415
    from printreg.synthetic.models import model_for  # noqa: PLC0415

    runtime = platform.registry(registry)
    if PRINTS_GROUP not in runtime.current.groups:
        return 0
    main = runtime.tables.main
    with platform.sessions() as session:
        case_ids = session.scalars(
            select(main.c.id)
            .join(Facility, Facility.id == main.c.facility_id)
            .where(Facility.code == facility, main.c.status == CaseStatus.COMPLETE.value)
            .order_by(main.c.local_case_id)
        ).all()
    cases, files = CaseService(platform, actor), CaseFileService(platform, actor)
    attached = 0
    for number, case_id in enumerate(case_ids):
        if attached == count:
            break
        model = model_for(cases.get(registry, case_id).record, seed + number)
        if model is not None:
            files.attach_mesh(registry, case_id, 1, *model)
            attached += 1
    return attached


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in and what it may do."""

    email: str
    role: str
    facility: str | None


def demo_accounts(facilities: tuple[str, str], committee: int = 1) -> list[DemoAccount]:
    """Return the demo accounts: every role, at the first facility unless said otherwise, and
    ``committee`` committee members."""
    home, other = facilities
    members = [
        DemoAccount(f"committee.{n}@demo.printreg.org", RegistryRoleName.COMMITTEE, None)
        for n in range(1, committee + 1)
    ]
    return [
        DemoAccount("registry.admin@demo.printreg.org", RegistryRoleName.REGISTRY_ADMIN, None),
        DemoAccount("facility.admin@demo.printreg.org", Role.FACILITY_ADMIN, home),
        DemoAccount("data.manager@demo.printreg.org", Role.DATA_MANAGER, home),
        DemoAccount("viewer@demo.printreg.org", Role.VIEWER, home),
        DemoAccount("other.site@demo.printreg.org", Role.DATA_MANAGER, other),
        DemoAccount("researcher@demo.printreg.org", RegistryRoleName.RESEARCHER, None),
        DemoAccount("sponsor@demo.printreg.org", RegistryRoleName.SPONSOR, None),
        *members,
    ]


@cache
def _demo_hash() -> str:
    """Return one hash of the demo password, shared by every demo account (hashing is slow)."""
    return hash_password(DEMO_PASSWORD)


def ensure_demo_accounts(
    platform: Platform, registry: str, facilities: tuple[str, str]
) -> list[DemoAccount]:
    """Give each demo account its role in ``registry``, creating the accounts that do not exist
    yet (password DEMO_PASSWORD); return all. Run once per registry: roles are per registry."""
    committee = min(platform.settings.committee_quorum, MAX_DEMO_COMMITTEE)
    accounts = demo_accounts(facilities, committee)
    service = AccountService(platform)
    operator = Actor.operator("demo")
    with platform.sessions() as session:
        existing = dict(session.execute(select(User.email, User.id)).all())
    for account in accounts:
        user_id = existing.get(account.email)
        if user_id is None:
            name = account.email.split("@")[0].replace(".", " ").title()
            if account.facility is None:
                service.create_user(operator, account.email, name, None,
                                    registry_roles={registry: RegistryRoleName(account.role)},
                                    password_hash=_demo_hash())  # fmt: skip
            else:
                service.create_user(operator, account.email, name, None,
                                    {registry: {account.facility: Role(account.role)}},
                                    password_hash=_demo_hash())  # fmt: skip
        elif account.facility is None:
            service.set_registry_role(operator, user_id, registry, RegistryRoleName(account.role))
        elif service.get_user(operator, user_id).memberships.get(registry, {}).get(
            account.facility
        ) != Role(account.role):
            service.set_membership(
                operator, user_id, registry, account.facility, Role(account.role)
            )
    return accounts
