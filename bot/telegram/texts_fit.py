"""Texts that fit Telegram's limits by construction, and the whole text in parts.

A message built from what people typed (a case card, a timeline, a notice, a list)
can grow past what Telegram takes: 4096 characters of text, 1024 of a caption,
counted after the HTML is rendered (tags left out, ``&lt;`` one character) in UTF-16
code units. :func:`fit` shortens such a text so it always fits: the longest lines are
cut first, each ending in "…", and only when even that is not enough are lines from
the middle left out (a line "…" stands for them). Whoever shows a shortened text
offers 📄 查看全文, which sends :func:`split` of the whole text: messages of at most
4096 characters, broken at line ends where possible.

Both work on the HTML as built by :func:`bot.i18n.t`, where user text is escaped
once already: they never cut inside a tag or an entity, never escape again, and
close at a cut every tag that is open there (and open it again in the next part).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TEXT_LIMIT = 4096  # a message's text, rendered, in UTF-16 code units
CAPTION_LIMIT = 1024  # a photo's caption
ELLIPSIS = "…"
# A line is never cut shorter than this while lines can be left out instead: a few
# words of each event say more than all of a few of them.
MIN_LINE = 80

# A tag, an entity, or one character: the atoms a text is cut between.
_ATOM = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z-]+)")


@dataclass(frozen=True)
class Fitted:
    """A text made to fit, and whether anything was shortened or left out."""

    text: str
    shortened: bool


def _units(rendered: str) -> int:
    """UTF-16 code units, as Telegram counts (counted by the codec, not char by char)."""
    return len(rendered.encode("utf-16-le", "surrogatepass")) // 2


def _atoms(text: str) -> list[tuple[str, int]]:
    """The text as (atom, rendered length) pairs; a tag renders as nothing."""
    out: list[tuple[str, int]] = []
    for match in _ATOM.finditer(text):
        atom = match.group()
        if atom.startswith("<") and len(atom) > 1:
            out.append((atom, 0))
        elif atom.startswith("&") and len(atom) > 1:
            out.append((atom, _units(html.unescape(atom))))
        else:
            out.append((atom, _units(atom)))
    return out


def rendered_length(text: str) -> int:
    """The length Telegram counts for an HTML text: tags left out, entities decoded."""
    return sum(units for _, units in _atoms(text))


def _track(stack: list[tuple[str, str]], tag: str) -> None:
    """Keep ``stack`` (name, opening tag) up to date with one tag."""
    found = _TAG_NAME.match(tag)
    if found is None:
        return
    name = found.group(1).lower()
    if tag.startswith("</"):
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == name:
                del stack[i:]
                break
    elif not tag.endswith("/>"):
        stack.append((name, tag))


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def shorten(text: str, limit: int) -> str:
    """``text`` itself if it fits in ``limit``; else its start and "…", within ``limit``."""
    if _units(text) <= limit:
        return text  # fits as written, so as rendered (see fit)
    atoms = _atoms(text)
    if sum(units for _, units in atoms) <= limit:
        return text
    budget = max(limit - _units(ELLIPSIS), 0)
    out: list[str] = []
    stack: list[tuple[str, str]] = []
    used = 0
    for atom, units in atoms:
        if units == 0:
            if used >= budget and not atom.startswith("</"):
                continue  # nothing of this tag's content would be left
            _track(stack, atom)
            out.append(atom)
            continue
        if used + units > budget:
            break
        out.append(atom)
        used += units
    body = "".join(out).rstrip(" \n")  # an ellipsis after a space looks like a new word
    return body + ELLIPSIS + _closing(stack)


def fit(text: str, limit: int = TEXT_LIMIT) -> Fitted:
    """``text`` shortened, if it must be, to at most ``limit`` rendered characters.

    The lines longer than a common cap are cut to it (the cap as high as the limit
    allows), so short lines such as a title stay whole; if the lines cannot fit even
    at :data:`MIN_LINE` each, lines from the middle are left out, the first and the
    last ones kept.
    """
    if _units(text) <= limit:
        # Never longer rendered than written (a tag shows as nothing, an entity as less
        # than itself): it fits, with no need to look at its atoms (the common case).
        return Fitted(text, False)
    lines = text.split("\n")
    lengths = [rendered_length(line) for line in lines]
    gaps = len(lines) - 1
    if sum(lengths) + gaps <= limit:
        return Fitted(text, False)

    def total(cap: int) -> int:
        return sum(min(n, cap) for n in lengths) + gaps

    floor = min(MIN_LINE, limit)
    if total(floor) <= limit:
        low, high = floor, max(lengths)  # total(low) fits, total(high) does not
        while high - low > 1:
            middle = (low + high) // 2
            if total(middle) <= limit:
                low = middle
            else:
                high = middle
        return Fitted("\n".join(shorten(line, low) for line in lines), True)
    cut = [shorten(line, floor) for line in lines]
    sizes = [min(n, floor) for n in lengths]
    # Keep lines from both ends, alternately, while they fit with a "…" line between.
    budget = limit - _units(ELLIPSIS) - 1
    head: list[str] = []
    tail: list[str] = []
    first, last = 0, len(cut) - 1
    take_head = True
    while first <= last:
        index = first if take_head else last
        need = sizes[index] + 1
        if need > budget:
            break
        budget -= need
        if take_head:
            head.append(cut[first])
            first += 1
        else:
            tail.append(cut[last])
            last -= 1
        take_head = not take_head
    if not head:  # not even one line fits: a single line cut to the limit
        return Fitted(shorten(lines[0], limit), True)
    return Fitted("\n".join([*head, ELLIPSIS, *reversed(tail)]), True)


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` whole, in parts of at most ``limit`` rendered characters each.

    A part ends at the last line end that fits, or inside a line too long for one
    part; tags open at a break are closed there and opened again in the next part.
    Parts with nothing to show are left out.
    """
    atoms = _atoms(text)
    parts: list[str] = []
    stack: list[tuple[str, str]] = []
    i = 0
    while i < len(atoms):
        out: list[str] = [_opening(stack)]
        used = 0
        visible = False
        # After the last line end taken: (atoms out, next atom, stack then, visible then)
        at_break: tuple[int, int, list[tuple[str, str]], bool] | None = None
        j = i
        while j < len(atoms):
            atom, units = atoms[j]
            if units == 0:
                _track(stack, atom)
                out.append(atom)
                j += 1
                continue
            if used + units > limit:
                break
            if atom == "\n":
                at_break = (len(out), j + 1, list(stack), visible)
            out.append(atom)
            used += units
            visible = visible or not atom.isspace()
            j += 1
        if j < len(atoms) and at_break is not None and at_break[3]:
            kept, j, stack, visible = at_break[0], at_break[1], at_break[2], at_break[3]
            out = out[:kept]
        if j == i:  # one atom wider than a part (limit under 2): skip it rather than loop
            j += 1
        if visible:
            parts.append("".join(out) + _closing(stack))
        i = j
    return parts
