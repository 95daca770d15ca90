"""Finding installed plugins, reading their settings, and running their listeners apart.

`vivo check` and `vivo run` go through `load`: an enabled plugin that is not installed,
or whose `[plugins.<name>]` table does not fit its settings dataclass, is a config
problem naming the key and the fix, like any other. Listeners run in tasks of their own
with a timeout, so a plugin that raises or hangs is logged and never holds up a sale,
its thank-you, or another listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import metadata
from typing import Any

from bots.chat.i18n import flatten
from bots.plugin import Listener, Plugin, Registry

log = logging.getLogger(__name__)

GROUP = "vivo.plugins"
LISTENER_TIMEOUT = 5.0  # seconds; [plugins] listener_timeout_seconds
LOCALES = ("es", "en", "pt")


@dataclass(frozen=True, slots=True)
class Issue:
    """A config problem (bots.config turns these into its `Problem`s)."""

    key: str
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class Installed:
    """One entry point in group `vivo.plugins`, loaded or with why it could not be."""

    name: str
    distribution: str
    version: str
    plugin: Plugin[Any] | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Loaded:
    """An enabled plugin with its settings read and what it registered."""

    plugin: Plugin[Any]
    registry: Registry[Any]


def installed(only: Iterable[str] | None = None) -> dict[str, Installed]:
    """Installed plugins by entry-point name (`only` those, when given: nothing else is
    imported); one that fails to import says why."""
    found: dict[str, Installed] = {}
    wanted = None if only is None else set(only)
    for entry in metadata.entry_points(group=GROUP):
        if wanted is not None and entry.name not in wanted:
            continue
        dist = entry.dist
        name = dist.metadata["Name"] if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        try:
            plugin = entry.load()
        except Exception as exc:
            found[entry.name] = Installed(entry.name, name, version, None, f"{exc!r}")
            continue
        if not isinstance(plugin, Plugin):
            error = f"{entry.value} is a {type(plugin).__name__}, not a bots.plugin.Plugin"
            found[entry.name] = Installed(entry.name, name, version, None, error)
            continue
        found[entry.name] = Installed(entry.name, name, version, plugin)
    return found


def registered(plugin: Plugin[Any], settings: object = None) -> Registry[Any]:
    """What `plugin` adds, with `settings` (None: not read, as in `vivo plugins list`)."""
    registry: Registry[Any] = Registry(plugin.name, settings)
    plugin.register(registry)
    return registry


def load(enabled: Sequence[str], tables: Mapping[str, Any]) -> tuple[list[Loaded], list[Issue]]:
    """The enabled plugins, each with its `[plugins.<name>]` read into its settings."""
    issues: list[Issue] = []
    loaded: list[Loaded] = []
    available = installed(enabled) if enabled else {}
    for name in enabled:
        found = available.get(name)
        if found is None:
            issues.append(
                Issue(
                    "plugins.enabled",
                    f"{name!r} is not installed",
                    f"pip install {name.replace('_', '-')} (or remove it from enabled)",
                )
            )
            continue
        if found.plugin is None:
            issues.append(
                Issue(
                    "plugins.enabled",
                    f"{name!r} cannot be loaded ({found.error})",
                    f"reinstall {found.distribution}, or remove it from enabled",
                )
            )
            continue
        table = tables.get(name, {})
        if not isinstance(table, Mapping):
            issues.append(Issue(f"plugins.{name}", "must be a table", f"write [plugins.{name}]"))
            table = {}
        settings, problems = read_settings(found.plugin, table, f"plugins.{name}")
        issues += problems
        if problems:
            continue
        try:
            loaded.append(Loaded(found.plugin, registered(found.plugin, settings)))
        except Exception as exc:
            log.exception("plugin %s failed to register", name)
            issues.append(
                Issue("plugins.enabled", f"{name!r} failed to start ({exc!r})", "see the log")
            )
    return loaded, issues


def read_settings(
    plugin: Plugin[Any], table: Mapping[str, Any], where: str
) -> tuple[object, list[Issue]]:
    """`table` read into the plugin's settings dataclass, by its fields' types."""
    schema = plugin.settings
    if schema is None:
        unknown = [
            Issue(f"{where}.{k}", "is not a setting of this plugin", "remove it") for k in table
        ]
        return None, unknown
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = typing.get_type_hints(schema)
    issues: list[Issue] = []
    for key in table:
        if key not in fields:
            close = [n for n in fields if n.startswith(key[:3])] or list(fields)
            issues.append(
                Issue(
                    f"{where}.{key}",
                    "is not a setting of this plugin",
                    f"use one of: {', '.join(close)}",
                )
            )
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        example = spec.metadata.get("example", "")
        fix = f"write {name} = {example}" if example else f"see {plugin.name}'s documentation"
        if name not in table:
            required = (
                spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            )
            if required:
                issues.append(Issue(f"{where}.{name}", "is missing", fix))
            continue
        try:
            values[name] = _convert(hints[name], table[name])
        except (TypeError, ValueError, InvalidOperation) as exc:
            issues.append(Issue(f"{where}.{name}", f"{table[name]!r} {exc}", fix))
    if issues:
        return None, issues
    return schema(**values), []


def _convert(kind: Any, value: Any) -> Any:
    """`value` as `kind`, or TypeError/ValueError saying what it should be."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value)
    if origin in (dict, Mapping) or kind is dict:
        if not isinstance(value, Mapping):
            raise TypeError("must be a table")
        item = args[1] if args else str
        return {str(k): _convert(item, v) for k, v in value.items()}
    if origin in (list, tuple) or kind in (list, tuple):
        if not isinstance(value, list):
            raise TypeError("must be a list")
        item = args[0] if args else str
        converted = [_convert(item, v) for v in value]
        return tuple(converted) if origin is tuple or kind is tuple else converted
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError("must be true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("must be a whole number")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("must be a number")
        return float(value)
    if kind is Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError("must be an amount")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError('must be an amount, like 1500 or "1500.50"') from None
        if not amount.is_finite():
            raise ValueError("must be an amount, like 1500")
        return amount
    if kind is str:
        if not isinstance(value, str):
            raise TypeError("must be text in quotes")
        return value
    raise TypeError(f"has a type this version cannot read ({kind!r})")


def templates(loaded: Iterable[Loaded]) -> dict[str, dict[str, str]]:
    """Every enabled plugin's reply templates, by locale, under `<plugin>.<key>`."""
    merged: dict[str, dict[str, str]] = {loc: {} for loc in LOCALES}
    for item in loaded:
        folder = item.plugin.locales
        if folder is None:
            continue
        for loc in LOCALES:
            path = folder / f"{loc}.toml"
            if path.is_file():
                given = flatten(tomllib.loads(path.read_text(encoding="utf-8")))
                merged[loc].update({f"{item.plugin.name}.{k}": v for k, v in given.items()})
    return merged


class IsolatedListener:
    """A plugin's listener as an EventBus subscriber that returns at once.

    The call runs in its own task under `timeout`; an exception or a timeout is logged
    with the plugin's name. `publish` never waits for it, so the announcer's thank-you
    and the other listeners go out whatever the plugin does.
    """

    def __init__(
        self, plugin: str, listener: Listener, events: tuple[type[Any], ...], timeout: float
    ) -> None:
        self.plugin = plugin
        self.listener = listener
        self.events = events
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, event: object) -> None:
        if self.events and not isinstance(event, self.events):
            return
        task = asyncio.get_running_loop().create_task(self._run(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, event: object) -> None:
        name = getattr(self.listener, "__qualname__", repr(self.listener))
        try:
            async with asyncio.timeout(self.timeout):
                await self.listener(event)
        except TimeoutError:
            log.error(
                "plugin %s: listener %s took over %gs on %s; cancelled",
                self.plugin,
                name,
                self.timeout,
                type(event).__name__,
            )
        except Exception:
            log.exception(
                "plugin %s: listener %s failed on %s", self.plugin, name, type(event).__name__
            )

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
