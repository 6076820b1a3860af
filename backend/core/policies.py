"""Who may do what: one policy function per action, in one place.

Every route declares its policy with `@require("<name>")` (see `backend.core.auth`). A policy gets
the actor (None when anonymous) and the route's keyword arguments and answers True or False;
object-level rules (may this worker see that case?) call the same functions from services via
`allowed()` / `authorize()`. `tests/test_policies.py` fails if any route has no declared policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from backend.core.errors import Forbidden, Unauthorized

Policy = Callable[..., bool]
POLICIES: dict[str, Policy] = {}

# Endpoints served by Flask or flask-smorest themselves; they are public by this declaration.
FRAMEWORK_PUBLIC_ENDPOINTS = {
    "static",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
}

STAFF_ROLES = ("grid_worker", "grid_leader", "committee", "street_admin", "district_admin")


@dataclass(frozen=True)
class Grant:
    """One role in one scope, e.g. committee of community 12."""

    role: str
    scope_type: str
    scope_id: int


@dataclass(frozen=True)
class Home:
    """A user's household, where it is, and since when the membership is verified."""

    household_id: int
    grid_id: int
    community_id: int
    building: str
    verified_at: datetime | None


@dataclass
class Actor:
    """The authenticated caller: a user id, the roles they hold and their household (loaded together)."""

    user_id: int
    grants: tuple[Grant, ...] = ()
    home: Home | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def verified(self) -> bool:
        """A verified member of a household (joined with a committee's invite)."""
        return self.home is not None and self.home.verified_at is not None

    @property
    def roles(self) -> set[str]:
        return {"resident", *(g.role for g in self.grants)}

    def scopes(self, role: str) -> set[int]:
        """Scope ids in which the actor holds `role`."""
        return {g.scope_id for g in self.grants if g.role == role}

    def is_staff(self) -> bool:
        return any(g.role in STAFF_ROLES for g in self.grants)

    def covers_grid(self, grid_id: int, roles: tuple[str, ...] = STAFF_ROLES) -> bool:
        """True when one of `roles` gives the actor authority over the grid."""
        chain = grid_chain(grid_id)
        if chain is None:
            return False
        wanted = {"grid": chain[0], "community": chain[1], "street": chain[2], "district": chain[3]}
        return any(g.role in roles and wanted.get(g.scope_type) == g.scope_id for g in self.grants)

    def covers_community(self, community_id: int,
                         roles: tuple[str, ...] = ("committee", "street_admin", "district_admin")) -> bool:
        """True when one of `roles` gives the actor authority over the community."""
        chain = community_chain(community_id)
        if chain is None:
            return False
        wanted = {"community": chain[0], "street": chain[1], "district": chain[2]}
        return any(g.role in roles and wanted.get(g.scope_type) == g.scope_id for g in self.grants)


def grid_chain(grid_id: int) -> tuple[int, int, int, int] | None:
    """(grid, community, street, district) ids for a grid, or None if it does not exist."""
    from backend.grids.service import hierarchy_of_grid

    return hierarchy_of_grid(grid_id)


def community_chain(community_id: int) -> tuple[int, int, int] | None:
    """(community, street, district) ids for a community, or None."""
    from backend.grids.service import hierarchy_of_community

    return hierarchy_of_community(community_id)


def policy(name: str, *, token_only: bool = False) -> Callable[[Policy], Policy]:
    """Register a policy function under an action name.

    `token_only`: at the route, a valid access token is enough and the actor is not loaded; the
    service checks the rest in its own statement (and loads the actor only to explain a refusal).
    For the hottest writes, where the authentication query would be a round trip of its own.
    The function itself still answers for an actor, like any policy, when a service asks.
    """
    def decorator(func: Policy) -> Policy:
        if name in POLICIES:
            raise ValueError(f"policy {name} declared twice")
        POLICIES[name] = func
        func.token_only = token_only
        return func
    return decorator


def allowed(name: str, actor: Actor | None, **context) -> bool:
    """Ask policy `name` whether `actor` may act with this context."""
    return bool(POLICIES[name](actor, **context))


def authorize(name: str, actor: Actor | None, **context) -> None:
    """Raise 401/403 unless policy `name` allows the actor."""
    if allowed(name, actor, **context):
        return
    if actor is None:
        raise Unauthorized()
    raise Forbidden()


# --- the policies -------------------------------------------------------------------------------

@policy("public")
def _public(actor, **_):
    """Anyone, logged in or not."""
    return True


@policy("authenticated")
def _authenticated(actor, **_):
    """Any logged-in user (every user is at least a resident)."""
    return actor is not None


@policy("staff")
def _staff(actor, **_):
    """Grid workers, leaders, committee members and admins."""
    return actor is not None and actor.is_staff()


@policy("district_admin")
def _district_admin(actor, **_):
    """District administrators only."""
    return actor is not None and "district_admin" in actor.roles


COMMUNITY_MANAGERS = ("committee", "street_admin", "district_admin")


def _manages_grid(actor, grid_id: int | None) -> bool:
    """A committee member (or street/district admin) over the grid; any such role when no grid is named yet."""
    if actor is None:
        return False
    if grid_id is None:
        return any(actor.scopes(role) for role in COMMUNITY_MANAGERS)
    return actor.covers_grid(grid_id, roles=COMMUNITY_MANAGERS)


@policy("household.create")
def _household_create(actor, grid_id: int | None = None, **_):
    """A committee (or street/district admin) over the household's grid."""
    return _manages_grid(actor, grid_id)


@policy("person.view_phone")
def _person_view_phone(actor, user_id: int | None = None, grid_id: int | None = None, **_):
    """The owner, or staff over the grid of the person's household."""
    if actor is None:
        return False
    if user_id is not None and actor.user_id == user_id:
        return True
    return grid_id is not None and actor.covers_grid(grid_id)


def _household_grid(household_id: int | None) -> int | None:
    from backend.accounts.models import Household
    from backend.extensions import db

    household = db.session.get(Household, household_id) if household_id is not None else None
    return household.grid_id if household else None


@policy("household.view")
def _household_view(actor, household_id: int | None = None, **_):
    """Members of the household, and staff over its grid."""
    if actor is None:
        return False
    from backend.accounts.models import HouseholdMember
    from backend.extensions import db
    import sqlalchemy as sa

    grid_id = _household_grid(household_id)
    if grid_id is None:
        return True  # let the service answer 404 for a household that does not exist
    is_member = db.session.scalar(sa.select(HouseholdMember.id).where(
        HouseholdMember.household_id == household_id, HouseholdMember.user_id == actor.user_id)) is not None
    return is_member or actor.covers_grid(grid_id)


@policy("household.issue_invite")
def _household_issue_invite(actor, household_id: int | None = None, **_):
    """The committee (or street/district admin) over the household's grid."""
    return _manages_grid(actor, _household_grid(household_id))

