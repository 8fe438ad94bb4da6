"""`printreg demo`: a database with synthetic data, and a look at what the registry holds."""

from __future__ import annotations

from rich.progress import Progress
from rich.table import Table

from printreg.cases.service import CaseService
from printreg.cli.common import console, err_console, operator, platform
from printreg.cli.serve import serve_app
from printreg.demo.service import (
    DEMO_FACILITIES,
    DEMO_PASSWORD,
    DemoAccount,
    ensure_demo_accounts,
    load_demo,
)
from printreg.dictionary import Definition
from printreg.dictionary.analytics import shipped_spec
from printreg.dictionary.elements import CodeElement
from printreg.registries.service import RegistryService
from printreg.settings import Settings
from printreg.storage.maintenance import upgrade_database


def summary_elements(definition: Definition) -> tuple[str, ...]:
    """Return the single-code strata of the registry's analytics spec: the summary's tables."""
    strata = shipped_spec(definition).strata
    return tuple(n for n in strata if isinstance(definition.elements.get(n), CodeElement))


def run_demo(
    *,
    facilities: int,
    cases: int,
    seed: int,
    serve: bool = True,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Upgrade the database, load the demo data set once, print the summary, then serve the
    app."""
    settings = Settings()
    registry = settings.default_registry
    with platform(upgrading=True) as p:
        actor = operator()
        upgrade_database(p, actor)
        if sum(CaseService(p, actor).count(registry).values()) == 0:
            with Progress(console=err_console, transient=True) as bar:
                task = bar.add_task("adding synthetic cases", total=cases)
                loaded = load_demo(
                    p,
                    actor,
                    registry=registry,
                    seed=seed,
                    facilities=facilities,
                    cases=cases,
                    progress=lambda n: bar.advance(task, n),
                )
            console.print(
                f"added {loaded.synthetic.facilities} synthetic facilities, "
                f"{loaded.synthetic.cases} cases and {loaded.models} model files"
            )
            from printreg.quality.service import QualityService  # noqa: PLC0415 - polars

            # the data-quality pages read stored results: evaluate once, as the workers would
            QualityService(p, actor).evaluate(registry)
        # Roles are per registry: the demo people hold theirs in every hosted registry, so
        # that the second registry can be tried with the same sign-ins.
        hosted = [r.code for r in RegistryService(p, actor).registries()]
        accounts: list[DemoAccount] = []
        for code in hosted:
            accounts = ensure_demo_accounts(p, code, DEMO_FACILITIES)
        service = RegistryService(p, actor)
        summary = service.summary(registry, summary_elements(service.definition(registry)))
        info = RegistryService(p, actor).info(registry)
    console.print(
        f"[bold]{info.name}[/] ({info.code}, definition {info.current_version}) "
        f"on {settings.database_url}"
    )
    console.print(
        f"{summary.cases} cases from {summary.facilities} facilities: "
        + ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
    )
    for element, counts in summary.by_element.items():
        table = Table(element, "cases", "share", title=f"cases by {element}")
        for code, n in counts.items():
            table.add_row(code, str(n), f"{100 * n / max(summary.cases, 1):.1f}%")
        console.print(table)
    table = Table(
        "e-mail",
        "role",
        "facility",
        title=f"demo accounts (password: {DEMO_PASSWORD}), in registries {', '.join(hosted)}",
    )
    for account in accounts:
        table.add_row(account.email, account.role, account.facility or "(whole registry)")
    console.print(table)
    console.print(
        f"the committee decides after {settings.committee_quorum} votes "
        f"({settings.committee_rule}): sign in as each committee member in turn to vote"
    )
    console.print(
        f"{DEMO_FACILITIES[0]}'s benchmarks beside its peer group: sign in as one of its "
        f"accounts and open http://{host}:{port}/registries/{registry}/dashboard"
    )
    if serve:
        serve_app(host, port)
