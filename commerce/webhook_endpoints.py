"""The webhooks an owner adds in the panel: where to send which events, signed with what.

`[[webhooks]]` in config.toml are the config's and never written here; these are the
database's, like the catalog after its first start, so every `vivo run` on one database
sends to the same ones. The sender (bots/runtime/webhooks.py) reads them at each event and
each delivery, so a change in the panel of any process counts at once everywhere. The
secret is made by the caller (the panel: server-side, random) and only ever read by the
sender; the panel shows it once, when it is made or rotated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from commerce.models import WEBHOOK_ENDPOINTS

__all__ = [
    "EndpointExists",
    "EndpointNotFound",
    "EndpointView",
    "create",
    "get",
    "list_all",
    "remove",
    "set_secret",
    "update_endpoint",
]


class EndpointExists(Exception):
    """Another panel webhook already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class EndpointNotFound(Exception):
    """No panel webhook has this name (deleted meanwhile, or a config one)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True, slots=True)
class EndpointView:
    name: str
    url: str
    events: frozenset[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secret: str = field(repr=False)


def _events(text: str) -> frozenset[str]:
    return frozenset(e for e in text.split(",") if e)


def _joined(events: Iterable[str]) -> str:
    return ",".join(sorted(set(events)))


def _view(row: object) -> EndpointView:
    m = row._mapping  # type: ignore[attr-defined]
    return EndpointView(
        name=m["name"],
        url=m["url"],
        events=_events(m["events"]),
        enabled=bool(m["enabled"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        secret=m["secret"],
    )


def list_all(s: Session) -> list[EndpointView]:
    """Every panel webhook, paused ones too, by name."""
    rows = s.execute(select(WEBHOOK_ENDPOINTS).order_by(WEBHOOK_ENDPOINTS.c.name))
    return [_view(r) for r in rows]


def get(s: Session, name: str) -> EndpointView:
    row = s.execute(select(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.name == name)).first()
    if row is None:
        raise EndpointNotFound(name)
    return _view(row)


def create(
    s: Session, name: str, url: str, events: Iterable[str], secret: str, at: datetime
) -> EndpointView:
    exists = s.scalar(select(WEBHOOK_ENDPOINTS.c.id).where(WEBHOOK_ENDPOINTS.c.name == name))
    if exists is not None:
        raise EndpointExists(name)
    s.execute(
        insert(WEBHOOK_ENDPOINTS).values(
            name=name,
            url=url,
            events=_joined(events),
            secret=secret,
            enabled=True,
            created_at=at,
            updated_at=at,
        )
    )
    return get(s, name)


def update_endpoint(
    s: Session, name: str, url: str, events: Iterable[str], enabled: bool, at: datetime
) -> EndpointView:
    """Change where it goes, what it gets, and whether it is paused (not its name or secret)."""
    done = s.execute(
        update(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.c.name == name)
        .values(url=url, events=_joined(events), enabled=enabled, updated_at=at)
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise EndpointNotFound(name)
    return get(s, name)


def set_secret(s: Session, name: str, secret: str, at: datetime) -> EndpointView:
    """A new secret: deliveries signed from now on use it (retries of old events too)."""
    done = s.execute(
        update(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.c.name == name)
        .values(secret=secret, updated_at=at)
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise EndpointNotFound(name)
    return get(s, name)


def remove(s: Session, name: str) -> None:
    """Delete it; its past deliveries stay in the log, what still waits is given up."""
    done = s.execute(delete(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.name == name))
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise EndpointNotFound(name)
