"""The page providers `baosong build` calls, in order. A feature adds its pages by appending its
provider here ("module:function"); it needs no change anywhere else in the portal.

A provider is `provide(ctx: model.Context) -> Iterable[Page | StaticPage | DataFile | HomeBlock]`.
Navigation sections no provider fills (通报, 考核 until their feature lands) get a placeholder page,
and home-page blocks nobody supplies (最新通报) a placeholder block.
"""

from __future__ import annotations

PROVIDERS: list[str] = [
    "baosong.portal.registers:provide",
    "baosong.portal.incidents:provide",
    "baosong.portal.units:provide",
    "baosong.portal.reports:provide",
    "baosong.portal.charts:provide",
    "baosong.portal.downloads:provide",
    "baosong.portal.guide_pages:provide",
    "baosong.portal.score_pages:provide",
    "baosong.portal.bulletin_pages:provide",
    "baosong.portal.witness:provide",
    "baosong.portal.upward_pages:provide",
    "baosong.portal.federation_pages:provide",
    "baosong.portal.duty_pages:provide",
]
