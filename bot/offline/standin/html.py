"""Telegram's ``parse_mode=HTML`` parser and text clean-up, as the Bot API server does them.

The parser follows tdlib's ``parse_html`` (the code the Bot API server runs): the same tags,
the same entity decoding, the same error wording (``Unsupported start tag "p" at byte offset
0`` ...), so a message the stand-in accepts is one Telegram accepts. After parsing, the text is
cleaned like tdlib's ``fix_formatted_text`` does: control characters become spaces, ``\\r`` and
some invisible characters vanish, and leading/trailing spaces and newlines are trimmed. Length
limits then apply to that rendered text, counted in UTF-16 code units.

One deliberate difference: with ``strict=True`` (the stand-in's default) a bare ``&`` that
does not start an entity is an error. Telegram shows it as it is, but in practice it means the
bot forgot to escape user input, which a ``<`` in the same input would turn into a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HtmlError", "Rendered", "clean_text", "parse_html", "utf16_len"]

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_ENTITY = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib's is_space; "\0" stands for "past the end", as the C string's terminator does there.
_SPACES = frozenset(" \t\r\n\0\v\f")
_SPECIAL = re.compile(r"[<&]")
# Characters fix_formatted_text replaces by a space or removes (see _clean_char).
_NEEDS_CLEANING = re.compile("[\x00-\x0c\x0e-\x1f\r\u2028-\u202e\u0333\u033f\u030a]")


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is tdlib's description."""


@dataclass(slots=True)
class Rendered:
    """Text as the user sees it, with the entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of every Telegram length and offset."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``source[pos] == '&'`` as tdlib does.

    Returns the character and the index after the entity, or None when it is not one.
    The ``;`` is optional, like in tdlib.
    """
    n = len(source)
    end = pos + 1
    if end < n and source[end] == "#":
        end += 1
        value = 0
        if end < n and source[end] == "x":
            end += 1
            while end < n and source[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(source[end], 16)
                end += 1
        else:
            while end < n and "0" <= source[end] <= "9":
                value = value * 10 + ord(source[end]) - 48
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < n and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and source[end] == ";":
        end += 1
    return char, end


def parse_html(source: str, *, strict: bool = True) -> Rendered:
    """Parse Telegram HTML into rendered text and entities.

    Raises:
        HtmlError: with tdlib's description (the Bot API answers
            ``Bad Request: can't parse entities: <description>``).
    """
    n = len(source)
    out: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    # (tag name, argument, utf16 offset at start, index in `out` at start)
    stack: list[tuple[str, str, int, int]] = []

    def at(k: int) -> str:
        return source[k] if k < n else "\0"

    i = 0
    while i < n:
        match = _SPECIAL.search(source, i)
        stop = match.start() if match else n
        if stop > i:
            chunk = source[i:stop]
            out.append(chunk)
            utf16 += utf16_len(chunk)
            i = stop
            if i >= n:
                break
        if source[i] == "&":
            decoded = _decode_entity(source, i)
            if decoded is None:
                if strict:
                    raise HtmlError(
                        f'Unescaped "&" at byte offset {_byte_offset(source, i)} '
                        "(the stand-in rejects what Telegram would show as is; "
                        "escape it as &amp;)"
                    )
                out.append("&")
                utf16 += 1
                i += 1
                continue
            char, i = decoded
            out.append(char)
            utf16 += 2 if ord(char) > 0xFFFF else 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            tag = source[begin + 1 : i].lower()
            if tag not in _ALLOWED_TAGS:
                raise HtmlError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
                )
            argument, i = _parse_attributes(source, i, tag, begin)
            if tag == "span" and argument != "spoiler":
                raise HtmlError(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            stack.append((tag, argument, utf16, len(out)))
            i += 1  # the ">"
            continue

        # An end tag.
        if not stack:
            raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_tag = source[begin + 2 : i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
        i += 1
        tag, argument, start, out_index = stack.pop()
        if end_tag and end_tag != tag:
            raise HtmlError(
                f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                f'expected "</{tag}>", found "</{end_tag}>"'
            )
        if utf16 > start:
            _add_entity(entities, tag, argument, start, utf16 - start, "".join(out[out_index:]))

    if stack:
        raise HtmlError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return clean_text("".join(out), entities)


def _parse_attributes(source: str, i: int, tag: str, begin: int) -> tuple[str, int]:
    """Read the attributes of a start tag from ``i``; return (argument, index of ``>``)."""
    n = len(source)

    def at(k: int) -> str:
        return source[k] if k < n else "\0"

    argument = ""
    while at(i) != ">":
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) == ">":
            break
        name_begin = i
        while at(i) not in _SPACES and at(i) not in "=>":
            i += 1
        name = source[name_begin:i]
        if not name:
            raise HtmlError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != "=":
            # Newer tdlib accepts a bare "expandable" on blockquote.
            if tag == "blockquote" and name == "expandable":
                argument = "expandable"
                continue
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(source, begin)}"
            )
        i += 1
        while i < n and at(i) in _SPACES:
            i += 1
        if i >= n:
            raise HtmlError(
                f'Unclosed start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
            )
        if at(i) not in "'\"":
            token_begin = i
            while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                i += 1
            value = source[token_begin:i].lower()
            if at(i) not in _SPACES and at(i) != ">":
                raise HtmlError(
                    "Unexpected end of name token at byte offset "
                    f"{_byte_offset(source, token_begin)}"
                )
        else:
            quote = source[i]
            i += 1
            parts: list[str] = []
            while i < n and source[i] != quote:
                if source[i] == "&":
                    decoded = _decode_entity(source, i)
                    if decoded is not None:
                        parts.append(decoded[0])
                        i = decoded[1]
                        continue
                parts.append(source[i])
                i += 1
            if i < n:
                i += 1
            value = "".join(parts)
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if (tag == "a" and name == "href") or (tag == "tg-emoji" and name == "emoji-id"):
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[9:]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[3:]
    return argument, i


def _add_entity(
    entities: list[dict[str, Any]], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    simple = _SIMPLE_ENTITY.get(tag)
    if simple is not None or (tag == "span" and argument == "spoiler"):
        entities.append({"type": simple or "spoiler", "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        url = argument or inner
        user_id = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if user_id:
            entities.append(
                {
                    "type": "text_mention",
                    "offset": offset,
                    "length": length,
                    "user": {"id": int(user_id[1]), "is_bot": False, "first_name": inner},
                }
            )
        elif re.match(r"(?i)(https?|tg|ftp)://\S", url) or re.match(r"[\w.-]+\.\w{2,}(/|$)", url):
            # tdlib silently drops links it cannot check; it never fails the message for that.
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "pre":
        last = entities[-1] if entities else None
        if last and last["type"] == "code" and last["offset"] == offset and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if last and last["type"] == "pre" and last["offset"] == offset and argument:
            last["language"] = argument
        elif argument:
            # Becomes "pre" with a language if a <pre> closes right around it, else plain code.
            entities.append(
                {"type": "code", "offset": offset, "length": length, "language": argument}
            )
        else:
            entities.append({"type": "code", "offset": offset, "length": length})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def _clean_char(char: str) -> str:
    if char == "\r" or char in "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a":
        return ""
    if char == "\n":
        return char
    if ord(char) < 32:
        return " "
    return char


def clean_text(text: str, entities: list[dict[str, Any]] | None = None) -> Rendered:
    """Clean and trim text (and shift its entities) as Telegram does before storing it."""
    ents = [dict(e) for e in entities] if entities else []
    for ent in ents:
        if ent.get("type") == "code":
            ent.pop("language", None)  # an inline code entity has no language
    if _NEEDS_CLEANING.search(text):
        # Map every UTF-16 position of the old text to the new one to move the entities.
        new_parts: list[str] = []
        mapping: list[int] = []
        pos = 0
        for char in text:
            mapping.append(pos)
            if char > "\uffff":
                mapping.append(pos)
            cleaned = _clean_char(char)
            new_parts.append(cleaned)
            pos += len(cleaned) + (1 if cleaned > "\uffff" else 0)
        mapping.append(pos)
        text = "".join(new_parts)
        for ent in ents:
            start, end = ent["offset"], ent["offset"] + ent["length"]
            ent["offset"] = mapping[min(start, len(mapping) - 1)]
            ent["length"] = mapping[min(end, len(mapping) - 1)] - ent["offset"]
        ents = [e for e in ents if e["length"] > 0]

    stripped = text.rstrip(" \n")
    if len(stripped) != len(text):
        limit = utf16_len(stripped)
        for ent in ents:
            ent["length"] = min(ent["offset"] + ent["length"], limit) - ent["offset"]
        ents = [e for e in ents if e["length"] > 0]
        text = stripped
    first_entity = min((e["offset"] for e in ents), default=None)
    lead = len(text) - len(text.lstrip(" \n"))
    if first_entity is not None:
        # Leading whitespace is only trimmed up to the first entity, like tdlib does;
        # whitespace is ASCII here, so code points equal UTF-16 units.
        lead = min(lead, first_entity)
    if lead:
        text = text[lead:]
        for ent in ents:
            ent["offset"] -= lead
    return Rendered(text, ents)
