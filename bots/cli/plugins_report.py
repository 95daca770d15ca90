"""`vivo plugins list`: what is installed, what the config enables, what each one adds.

It reads only `[plugins] enabled` from the config, so it works before the rest of the file
is right (and without MercadoPago's token in the environment); `vivo check` validates it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from bots.runtime.plugins import installed, registered


def enabled_names(path: Path) -> list[str] | None:
    """`[plugins] enabled` in the file at `path`, or None when there is no readable file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = raw.get("plugins", {})
    names = section.get("enabled", []) if isinstance(section, dict) else []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def report(config_path: Path) -> str:
    enabled = enabled_names(config_path)
    found = installed()
    lines: list[str] = []
    if not found:
        lines.append("No plugins installed (packages with a `vivo.plugins` entry point).")
    for name, item in sorted(found.items()):
        if enabled is None:
            state = f"not enabled (no {config_path})"
        else:
            state = "enabled" if name in enabled else "installed, not enabled"
        lines.append(f"{name} {item.version} ({item.distribution}): {state}")
        if item.plugin is None:
            lines.append(f"  cannot be loaded: {item.error}")
            continue
        if item.plugin.description:
            lines.append(f"  {item.plugin.description}")
        adds = registered(item.plugin)
        commands = [", ".join(f"!{n}" for n in c.names) for c in adds.commands]
        listeners = [
            f"{', '.join(e.__name__ for e in events) or 'every event'} → "
            f"{getattr(listener, '__name__', repr(listener))}"
            for events, listener in adds.listeners
        ]
        lines.append(f"  commands:  {'; '.join(commands) or '-'}")
        lines.append(f"  listeners: {'; '.join(listeners) or '-'}")
        lines.append(f"  adapters:  {', '.join(adds.adapters) or '-'}")
        lines.append(f"  providers: {', '.join(adds.providers) or '-'}")
    for name in enabled or []:
        if name not in found:
            lines.append(f"{name}: enabled in {config_path} but not installed (pip install it)")
    return "\n".join(lines)
