"""Who a message pings, the way Discord decides it from its content and `allowed_mentions`.

As documented (Message resource, Allowed Mentions Object): mentions are parsed from the
content — `<@id>` and `<@!id>` users, `<@&id>` roles, `@everyone` and `@here`; channel
mentions `<#id>` link and never ping. Without `allowed_mentions` every mention parses,
except in interaction responses and followups, where only user mentions do. With it, only
the types in `parse` and the ids in `users` / `roles` (at most 100 each) ping, a reply pings
the replied-to author only when `replied_user` is true, and naming a type both in `parse`
and as a list is a 400. A ping still needs its mention in the content: no phantom pings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

USER = re.compile(r"<@!?(\d{15,21})>")
ROLE = re.compile(r"<@&(\d{15,21})>")
EVERYONE = re.compile(r"@(everyone|here)")
TYPES = ("users", "roles", "everyone")
MAX_IDS = 100


class MentionError(ValueError):
    """An `allowed_mentions` Discord refuses; `body` is its 400 answer."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.body = {
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {
                "allowed_mentions": {
                    field_name: {"_errors": [{"code": "MENTION_INVALID", "message": message}]}
                }
            },
        }


@dataclass
class Pings:
    """Who was notified: user ids, role ids, and whether @everyone / @here went off."""

    users: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    everyone: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"users": self.users, "roles": self.roles, "everyone": self.everyone}


def _ids(allowed: dict[str, Any], key: str) -> list[str] | None:
    value = allowed.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_IDS:
        raise MentionError(key, f"Must be a list of at most {MAX_IDS} snowflakes.")
    return [str(v) for v in value]


def pings(
    content: str,
    allowed: Any,
    *,
    replied_user: str | None = None,
    interaction: bool = False,
) -> Pings:
    """Who `content` pings under `allowed` (the request's `allowed_mentions`, or None)."""
    users = list(dict.fromkeys(USER.findall(content)))
    roles = list(dict.fromkeys(ROLE.findall(content)))
    everyone = EVERYONE.search(content) is not None
    if allowed is None:
        found = Pings(users, [] if interaction else roles, everyone and not interaction)
        if replied_user is not None and replied_user not in found.users:
            found.users.append(replied_user)
        return found
    if not isinstance(allowed, dict):
        raise MentionError("_errors", "Must be an object.")
    parse = allowed.get("parse", [])
    if not isinstance(parse, list) or any(p not in TYPES for p in parse):
        raise MentionError("parse", f"Values must be among {', '.join(TYPES)}.")
    allowed_users = _ids(allowed, "users")
    allowed_roles = _ids(allowed, "roles")
    for kind, listed in (("users", allowed_users), ("roles", allowed_roles)):
        if kind in parse and listed:
            raise MentionError(kind, f'"{kind}" is in parse and listed: they are exclusive.')
    found = Pings(
        users=[u for u in users if "users" in parse or u in (allowed_users or [])],
        roles=[r for r in roles if "roles" in parse or r in (allowed_roles or [])],
        everyone=everyone and "everyone" in parse,
    )
    reply_pings = allowed.get("replied_user") is True
    if replied_user is not None and reply_pings and replied_user not in found.users:
        found.users.append(replied_user)
    return found
