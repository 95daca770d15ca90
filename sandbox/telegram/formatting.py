"""`parse_mode=HTML`: the Bot API's "HTML style" formatting, turned into text and entities.

As "Formatting options" documents it: only the listed tags are supported, `&lt;` `&gt;`
`&amp;` `&quot;` and numeric entities are decoded, and the message keeps plain text plus
`MessageEntity` objects whose offsets and lengths count UTF-16 code units. Anything else is
refused with "can't parse entities". MarkdownV2 and Markdown are not parsed (see
docs/sandbox/telegram.md): their text is kept as sent.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from sandbox.telegram.errors import ApiError, _bad

# tag → entity type, for the tags that need no attribute.
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
OTHER_TAGS = ("a", "span", "blockquote", "tg-emoji")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0  # UTF-16 code units so far
        self.open: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += _units(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs}
        entity: dict[str, Any]
        if tag in SIMPLE_TAGS:
            entity = {"type": SIMPLE_TAGS[tag]}
        elif tag == "a" and values.get("href"):
            entity = {"type": "text_link", "url": values["href"]}
        elif tag == "span" and values.get("class") == "tg-spoiler":
            entity = {"type": "spoiler"}
        elif tag == "blockquote":
            expandable = "expandable" in values
            entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
        elif tag == "tg-emoji" and values.get("emoji-id"):
            entity = {"type": "custom_emoji", "custom_emoji_id": values["emoji-id"]}
        else:
            raise _refuse(f'Unsupported start tag "{tag}"')
        if tag == "code" and self.open and self.open[-1][0] == "pre":
            language = (values.get("class") or "").removeprefix("language-")
            if language:
                self.open[-1][2]["language"] = language
            entity = {}  # <pre><code class="language-…"> is one pre entity
        self.open.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise _refuse(f'Unmatched end tag "{tag}"')
        _, start, entity = self.open.pop()
        if entity and self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})


def _refuse(reason: str) -> ApiError:
    return _bad(f"can't parse entities: {reason}")


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The text a message shows and its entities, ordered as Telegram orders them."""
    parser = _Parser()
    parser.feed(source)
    parser.close()
    if parser.open:
        tag = parser.open[-1][0]
        raise _refuse(f'Can\'t find end tag corresponding to start tag "{tag}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def formatted(
    text: str, parse_mode: str | None, entities: Any
) -> tuple[str, list[dict[str, Any]] | None]:
    """Apply `parse_mode` unless explicit `entities` were given (they win, as documented)."""
    if entities or not parse_mode or parse_mode.lower() != "html":
        return text, entities or None
    plain, found = parse_html(text)
    return plain, found or None
