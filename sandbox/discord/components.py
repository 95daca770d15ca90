"""Message components as Discord validates them: action rows of buttons, within the limits.

`check_components` returns Discord's "Invalid Form Body" error (50035, with the path to the
offending field) for components a real Discord would refuse, or None when they are fine.
"""

from __future__ import annotations

from typing import Any

from sandbox.discord.constants import (
    ACTION_ROW,
    BUTTON,
    LABEL,
    LINK_STYLE,
    MAX_CUSTOM_ID,
    MAX_INPUT_LABEL,
    MAX_INPUT_LENGTH,
    MAX_LABEL,
    MAX_MODAL_COMPONENTS,
    MAX_MODAL_TITLE,
    MAX_ROW_BUTTONS,
    MAX_ROWS,
    PREMIUM_STYLE,
    TEXT_INPUT,
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


def check_modal(data: Any) -> dict[str, Any] | None:
    """None when `data` is a valid MODAL callback's data (Interactions › Receiving and
    Responding › Modal: `custom_id` ≤ 100, `title` ≤ 45, 1–5 components, each an action row
    holding one text input or a label (type 18) holding one); else Discord's error."""
    if not isinstance(data, dict):
        return form_error(("data",), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
    for key, limit in (("custom_id", MAX_CUSTOM_ID), ("title", MAX_MODAL_TITLE)):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            return form_error(("data", key), "BASE_TYPE_REQUIRED", "This field is required")
        if len(value) > limit:
            return _too_long(("data", key), limit)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= MAX_MODAL_COMPONENTS:
        return form_error(
            ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    seen: set[str] = set()
    for r, row in enumerate(components):
        where: Path = ("data", "components", r)
        if isinstance(row, dict) and row.get("type") == ACTION_ROW:
            inner = row.get("components")
            if not isinstance(inner, list) or len(inner) != 1:
                return form_error(
                    (*where, "components"), "BASE_TYPE_BAD_LENGTH", "Must be 1 in length."
                )
            error = _check_text_input(inner[0], (*where, "components", 0), seen, labelled=False)
        elif isinstance(row, dict) and row.get("type") == LABEL:
            label = row.get("label")
            if not isinstance(label, str) or not label:
                return form_error((*where, "label"), "BASE_TYPE_REQUIRED", "This field is required")
            if len(label) > MAX_INPUT_LABEL:
                return _too_long((*where, "label"), MAX_INPUT_LABEL)
            error = _check_text_input(row.get("component"), (*where, "component"), seen, True)
        else:
            return form_error(
                (*where, "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (1, 18).',
            )
        if error is not None:
            return error
    return None


def _check_text_input(
    item: Any, where: Path, seen: set[str], labelled: bool
) -> dict[str, Any] | None:
    if not isinstance(item, dict) or item.get("type") != TEXT_INPUT:
        return form_error(
            (*where, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (4,).'
        )
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return form_error((*where, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    if len(custom_id) > MAX_CUSTOM_ID:
        return _too_long((*where, "custom_id"), MAX_CUSTOM_ID)
    if custom_id in seen:
        return form_error(
            (*where, "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    seen.add(custom_id)
    if item.get("style") not in (1, 2):
        return form_error((*where, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
    label = item.get("label")
    if not labelled and (not isinstance(label, str) or not label):
        return form_error((*where, "label"), "BASE_TYPE_REQUIRED", "This field is required")
    if isinstance(label, str) and len(label) > MAX_INPUT_LABEL:
        return _too_long((*where, "label"), MAX_INPUT_LABEL)
    for key in ("min_length", "max_length"):
        value = item.get(key)
        if value is not None and (not isinstance(value, int) or not 0 <= value <= MAX_INPUT_LENGTH):
            return form_error(
                (*where, key), "NUMBER_TYPE_MAX", f"int value should be <= {MAX_INPUT_LENGTH}."
            )
    value = item.get("value")
    if value is not None and len(str(value)) > MAX_INPUT_LENGTH:
        return _too_long((*where, "value"), MAX_INPUT_LENGTH)
    return None


def text_inputs(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text inputs of a modal's components (in action rows or labels), in order."""
    found: list[dict[str, Any]] = []
    for row in components:
        inner = row.get("components") if row.get("type") == ACTION_ROW else [row.get("component")]
        found.extend(c for c in inner or [] if isinstance(c, dict) and c.get("type") == TEXT_INPUT)
    return found
