"""The one place where text becomes markup: every string from a report passes through `esc`.

`esc` masks personal data, then HTML-escapes (quotes included), so the result is safe in element
content and in quoted attributes alike. Pages are written as HTML tables rather than Markdown
tables, so a `|` in a title is just a character. Links are only ever built from our own page paths
(`rel`), never from report content, so a `javascript:` URL in a report can only appear as text.
"""

from __future__ import annotations

import functools
import hashlib
import html
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from baosong import vocab
from baosong.privacy import mask
from baosong.vocab import fmt_time as fmt_time
from baosong.vocab import local as local

_SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}\Z")
_TITLE_SUBST = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇", "`": "｀",
                              "\\": "＼", "{": "｛", "}": "｝", "#": "＃", "|": "｜", "*": "＊",
                              "[": "［", "]": "］", "_": "＿"})
_SPACE = re.compile(r"\s+")


def esc(value: object) -> str:
    """Masked, HTML-escaped text of any value (None → empty)."""
    if value is None:
        return ""
    return _esc(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=1 << 16)
def _esc(text: str) -> str:
    # Unit names, labels and times repeat across tens of thousands of rows.
    return html.escape(mask(text), quote=True)


def plain(value: object) -> str:
    """Masked plain text (for search text that the adapter escapes itself)."""
    return "" if value is None else mask(str(value))


def plain_title(value: object, limit: int = 80) -> str:
    """A title safe to hand to any template engine, escaped or not.

    Theme templates print page titles in <title>, the navigation and the search index, some of them
    unescaped or after `striptags` (which unescapes). Markup characters are swapped for their
    full-width look-alikes so no context can read them as markup or Markdown.
    """
    text = _SPACE.sub(" ", mask(str(value or ""))).strip().translate(_TITLE_SUBST)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slug(identifier: object) -> str:
    """A file-name-safe slug: valid ids are kept, anything else becomes a stable hash."""
    text = str(identifier or "")
    if _SAFE_SLUG.match(text):
        return text
    return "x-" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def page_url(path: str) -> str:
    """The site URL (relative to the site root) of a docs page path: `a/b.md` → `a/b.html`."""
    return path[:-3] + ".html" if path.endswith(".md") else path


def rel(from_page: str, target: str) -> str:
    """Relative link from one page (docs path) to a page or file (docs path)."""
    start = posixpath.dirname(page_url(from_page)) or "."
    return posixpath.relpath(page_url(target), start)


def link(from_page: str, target: str, text: object) -> str:
    return f'<a href="{html.escape(rel(from_page, target), quote=True)}">{esc(text)}</a>'


# ---- times and durations ---------------------------------------------------------------------------

def fmt_minutes(minutes: int | float | None) -> str:
    """`vocab.fmt_minutes` for table cells and notes: the two largest units (1501 → 1天1小时)."""
    return vocab.fmt_minutes(minutes, max_parts=2)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


# ---- tables ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: markup already made safe by this module, and an optional sort key."""

    html: str
    sort: str | None = None
    cls: str = ""


def cell(value: object, sort: object = None, cls: str = "") -> Cell:
    """A cell showing escaped text."""
    return Cell(esc(value), None if sort is None else str(sort), cls)


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, table_id: str = "",
          sortable: bool = True, filterable: bool = False, search: bool = True,
          caption: str = "", numeric: Sequence[int] = (), cards: bool = False,
          data: Mapping[str, object] | None = None) -> str:
    """An HTML table; the site script adds sorting (click a header) and a filter box.

    `search=False` keeps the rows out of the site search index (`data-search-exclude`). `cards=True`:
    on a phone each row is laid out as a card (the cell with class `bs-c-title` first), not as columns,
    each cell labelled with its column by its `data-label` attribute (written here, so the cards read
    the same without JavaScript).
    `data`: extra `data-*` attributes of the table element (escaped here).
    """
    classes = (["bs-table"] + (["bs-sortable"] if sortable else []) + (["bs-filterable"] if filterable else [])
               + (["bs-cards"] if cards else []))
    attrs = f' id="{esc(table_id)}"' if table_id else ""
    attrs += "" if search else " data-search-exclude"
    attrs += "".join(f' data-{esc(k)}="{esc(v)}"' for k, v in (data or {}).items())
    out = [f'<div class="bs-table-wrap"><table class="{" ".join(classes)}"{attrs}>']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    num = ' class="bs-num"'
    head = "".join(f"<th{num if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    out.append(f"<thead><tr>{head}</tr></thead>")
    out.append("<tbody>")
    labels = [f' data-label="{esc(h)}"' if cards and h else "" for h in headers]
    for row in rows:
        tds = []
        for i, c in enumerate(row):
            cls = " ".join(x for x in (c.cls, "bs-num" if i in numeric else "") if x)
            a = f' class="{cls}"' if cls else ""
            a += labels[i] if i < len(labels) else ""
            if c.sort is not None:
                a += f' data-sort="{esc(c.sort)}"'
            tds.append(f"<td{a}>{c.html}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def definition_list(items: Iterable[tuple[str, str]]) -> str:
    """Key/value facts; values are markup already made safe."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in items)
    return f'<div class="bs-facts"><table class="bs-table bs-facts-table"><tbody>{rows}</tbody></table></div>'


def paragraphs(text: object) -> str:
    """A report's free text as escaped paragraphs (line breaks kept)."""
    if text is None or text == "":
        return ""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text)) if b.strip()]
    return "".join("<p>" + esc(b).replace("\n", "<br>") + "</p>" for b in blocks)
