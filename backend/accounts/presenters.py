"""Shape accounts objects for responses, applying who-may-see-what (phone masking)."""
from __future__ import annotations

from backend.accounts.models import Household, User
from backend.accounts.service import TokenPair, mask_phone, membership
from backend.core.policies import Actor, allowed
from backend.grids.service import scope_label


def me(user: User) -> dict:
    """The owner's own view: full phone, roles with scope labels, household."""
    member = membership(user.id)
    household = None
    if member is not None:
        h = member.household
        household = {"id": h.id, "address": h.address, "building": h.building, "grid_id": h.grid_id,
                     "grid_code": h.grid.code, "grid_name": h.grid.name, "community_id": h.grid.community_id,
                     "community_name": h.grid.community.name}
    roles = [{"role": "resident", "scope_type": "self", "scope_id": user.id, "scope_code": "", "scope_name": ""}]
    for r in user.roles:
        code, name = scope_label(r.scope_type, r.scope_id)
        roles.append({"role": r.role, "scope_type": r.scope_type, "scope_id": r.scope_id,
                      "scope_code": code, "scope_name": name})
    return {"id": user.id, "nickname": user.nickname, "avatar_url": user.avatar_url, "real_name": user.real_name,
            "phone": user.phone, "birth_date": user.birth_date, "roles": roles, "household": household,
            "verified": bool(member and member.verified_at), "created_at": user.created_at}


def token_pair(pair: TokenPair) -> dict:
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token, "token_type": pair.token_type,
            "expires_in": pair.expires_in, "refresh_expires_in": pair.refresh_expires_in, "user": me(pair.user)}


def household(h: Household, viewer: Actor | None) -> dict:
    """A household; each member's phone is full only for the member or staff over the grid."""
    members = []
    for m in h.members:
        may_see = allowed("person.view_phone", viewer, user_id=m.user_id, grid_id=h.grid_id)
        members.append({"user_id": m.user_id, "nickname": m.user.nickname,
                        "phone": m.user.phone if may_see else mask_phone(m.user.phone),
                        "verified": m.verified_at is not None, "joined_at": m.joined_at})
    return {"id": h.id, "address": h.address, "building": h.building, "grid_id": h.grid_id,
            "grid_code": h.grid.code, "grid_name": h.grid.name, "members": members, "created_at": h.created_at}
