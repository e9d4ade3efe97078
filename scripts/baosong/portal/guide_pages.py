"""报送指南: the officers' guide (`baosong.guide.pages`), generated from the same schema and policy
that CI applies, as pages of the portal."""

from __future__ import annotations

from collections.abc import Iterator

from baosong import guide
from baosong.portal.model import Context, Item, Page

ORDER = ("index", "fields", "deadlines", "examples", "signing", "scoring")


def provide(ctx: Context) -> Iterator[Item]:
    if ctx.config is None:
        return
    for path, markdown in guide.pages(ctx.config).items():
        first = markdown.lstrip().splitlines()[0] if markdown.strip() else ""
        title = first[2:].strip() if first.startswith("# ") else path
        stem = path.rsplit("/", 1)[-1][:-3]
        yield Page(path, title, markdown, "guide", nav_title="指南首页" if stem == "index" else title,
                   order=(ORDER.index(stem) if stem in ORDER else len(ORDER), stem))
