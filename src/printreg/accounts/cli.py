"""`printreg user …`: people and their roles. Facility roles are per registry (``--registry``).
The command line acts as the operator, so it can create the first registry administrator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from printreg.cli.common import JsonOpt, RegistryOpt, console, operator, platform, print_json, run
from printreg.cli.common import registry_code as _registry
from printreg.domain.facility import RegistryRoleName, Role

if TYPE_CHECKING:
    from printreg.accounts.schemas import UserPublic

user_app = typer.Typer(help="People and their roles (per registry).", no_args_is_help=True)
EmailArg = Annotated[str, typer.Argument(help="The person's e-mail address.")]
NO_ROLE = "none"


def _show(info: UserPublic, as_json: bool) -> None:
    if as_json:
        print_json(info)
        return
    table = Table("registry", "facility", "role", title=f"{info.display_name} <{info.email}>")
    for registry, roles in info.memberships.items():
        for facility, role in roles.items():
            table.add_row(registry, facility, role)
    for registry, names in info.registry_roles.items():
        for name in names:
            table.add_row(registry, "(whole registry)", name)
    console.print(table)


def _facility_roles(values: list[str]) -> dict[str, Role]:
    """Return FACILITY=ROLE options as facility code → role; ValueError naming a bad one."""
    out: dict[str, Role] = {}
    for value in values:
        code, _, role = value.partition("=")
        if not code or role not in {r.value for r in Role}:
            choices = ", ".join(r.value for r in Role)
            raise ValueError(f"--role {value!r}: give FACILITY=ROLE with a role among {choices}")
        out[code.strip()] = Role(role)
    return out


@user_app.command("add")
def user_add(
    email: EmailArg,
    name: Annotated[str, typer.Option("--name", help="The person's name as shown to others.")],
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="FACILITY=ROLE in the registry (repeat the option)."),
    ] = None,
    registry_role: Annotated[
        list[RegistryRoleName] | None,
        typer.Option("--registry-role", help="A role in the whole registry (repeat)."),
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a person with roles in one registry; the password is asked for twice, hidden."""
    from printreg.accounts.service import AccountService

    def body() -> None:
        roles = _facility_roles(role or [])
        code = _registry(registry)
        whole = list(registry_role or [])
        with platform() as p:
            # the database is checked first: on one not yet upgraded nobody types a password
            # twice only to be told to run `printreg db upgrade`
            password = typer.prompt("Password (at least 12 characters)", hide_input=True,
                                    confirmation_prompt=True, err=True)  # fmt: skip
            accounts = AccountService(p)
            info = accounts.create_user(
                operator(),
                email,
                name,
                password,
                {code: roles} if roles else None,
                {code: whole[0]} if whole else None,
            )
            for extra in whole[1:]:
                info = accounts.set_registry_role(operator(), info.id, code, extra)
        _show(info, as_json)

    run(body, as_json=as_json)


@user_app.command("role")
def user_role(
    email: EmailArg,
    facility: Annotated[str, typer.Argument(help="Facility code, e.g. F0001.")],
    role: Annotated[
        str, typer.Argument(help="facility_admin, data_manager, viewer, or none to remove it.")
    ],
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a person a role at a facility in one registry, change it, or (none) remove it."""
    from printreg.accounts.service import AccountService

    def body() -> None:
        if role != NO_ROLE and role not in {r.value for r in Role}:
            raise ValueError(f"choose a role among {', '.join(r.value for r in Role)}, or none")
        with platform() as p:
            accounts = AccountService(p)
            person = accounts.user_by_email(operator(), email)
            info = accounts.set_membership(
                operator(), person.id, _registry(registry), facility,
                None if role == NO_ROLE else Role(role),
            )  # fmt: skip
        _show(info, as_json)

    run(body, as_json=as_json)


@user_app.command("deactivate")
def user_deactivate(
    email: EmailArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (required; kept in the audit log).")],
    as_json: JsonOpt = False,
) -> None:
    """Deactivate a person: they can no longer sign in, their sessions end and their API tokens
    stop working; their roles stay for a reactivation."""
    _set_active(email, active=False, reason=reason, as_json=as_json)


@user_app.command("reactivate")
def user_reactivate(
    email: EmailArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Let a deactivated person sign in again, with the roles they had."""
    _set_active(email, active=True, reason=reason, as_json=as_json)


def _set_active(email: str, *, active: bool, reason: str, as_json: bool) -> None:
    from printreg.accounts.activation import ActivationService
    from printreg.accounts.service import AccountService

    def body() -> None:
        with platform() as p:
            person = AccountService(p).user_by_email(operator(), email)
            info = ActivationService(p, operator()).set_active(
                person.id, active=active, reason=reason
            )
        if as_json:
            print_json(info)
        else:
            console.print(f"{info.email} is {'active' if info.active else 'deactivated'}")

    run(body, as_json=as_json)


@user_app.command("show")
def user_show(email: EmailArg, as_json: JsonOpt = False) -> None:
    """Show a person's roles: at facilities, by registry, and in whole registries."""
    from printreg.accounts.service import AccountService

    def body() -> None:
        with platform() as p:
            info = AccountService(p).user_by_email(operator(), email)
        _show(info, as_json)

    run(body, as_json=as_json)


@user_app.command("reset-2fa")
def user_reset_2fa(email: EmailArg, as_json: JsonOpt = False) -> None:
    """Remove a person's second factor and recovery codes, after a lost device.

    They then sign in with their password and, if their roles require it, set up a new one."""

    def body() -> None:
        from printreg.accounts.second_factor import SecondFactorService

        with platform() as p:
            had = SecondFactorService(p).reset(operator(), email)
        if as_json:
            print_json({"email": email.strip().lower(), "had_second_factor": had})
        elif had:
            console.print(f"Second factor of {email} removed.")
        else:
            console.print(f"{email} had no second factor; nothing to remove.")

    run(body, as_json=as_json)
