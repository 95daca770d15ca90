"""Message components as Discord validates them: action rows of buttons, within the limits.

`check_components` returns Discord's "Invalid Form Body" error (50035, with the path to the
offending field) for components a real Discord would refuse, or None when they are fine.
"""

from __future__ import annotations

from typing import Any

from sandbox.discord.constants import (
    ACTION_ROW,
    BUTTON,
    LINK_STYLE,
    MAX_CUSTOM_ID,
    MAX_LABEL,
    MAX_ROW_BUTTONS,
    MAX_ROWS,
    PREMIUM_STYLE,
)

Path = tuple[str | int, ...]


def form_error(path: Path, code: str, message: str) -> dict[str, Any]:
    """Discord's error body for one bad field, nested along its path."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


def _too_long(path: Path, limit: int) -> dict[str, Any]:
    return form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def check_components(components: Any) -> dict[str, Any] | None:
    """None when `components` is a valid list of action rows of buttons; else the error."""
    if components is None:
        return None
    if not isinstance(components, list):
        return form_error(("components",), "BASE_TYPE_ARRAY", "Must be an array.")
    if len(components) > MAX_ROWS:
        return _too_long(("components",), MAX_ROWS)
    seen: set[str] = set()
    for r, row in enumerate(components):
        where: Path = ("components", r)
        if not isinstance(row, dict) or row.get("type") != ACTION_ROW:
            return form_error(
                (*where, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'
            )
        buttons = row.get("components")
        if not isinstance(buttons, list) or not buttons:
            return form_error(
                (*where, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        if len(buttons) > MAX_ROW_BUTTONS:
            return _too_long((*where, "components"), MAX_ROW_BUTTONS)
        for b, button in enumerate(buttons):
            error = _check_button(button, (*where, "components", b), seen)
            if error is not None:
                return error
    return None


def _check_button(button: Any, where: Path, seen: set[str]) -> dict[str, Any] | None:
    if not isinstance(button, dict) or button.get("type") != BUTTON:
        return form_error(
            (*where, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (2,).'
        )
    style = button.get("style")
    if not isinstance(style, int) or not 1 <= style <= PREMIUM_STYLE:
        return form_error(
            (*where, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}."
        )
    label = button.get("label")
    if label is not None and len(str(label)) > MAX_LABEL:
        return _too_long((*where, "label"), MAX_LABEL)
    custom_id = button.get("custom_id")
    if style == LINK_STYLE:
        if not button.get("url") or custom_id is not None:
            return form_error(
                (*where, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required."
            )
        return None
    if style == PREMIUM_STYLE:
        return None
    if not isinstance(custom_id, str) or not custom_id:
        return form_error(
            (*where, "custom_id"),
            "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
            "A custom id is required.",
        )
    if len(custom_id) > MAX_CUSTOM_ID:
        return _too_long((*where, "custom_id"), MAX_CUSTOM_ID)
    if custom_id in seen:
        return form_error(
            (*where, "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    seen.add(custom_id)
    if label is None and button.get("emoji") is None:
        return form_error(
            (*where, "label"), "BUTTON_COMPONENT_LABEL_REQUIRED", "A label or emoji is required."
        )
    return None


def buttons_of(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons of a message's action rows, in order."""
    return [c for row in components for c in row.get("components", []) if c.get("type") == BUTTON]
