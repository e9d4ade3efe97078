"""The demo's fixed frame: its dates, the enumerations it draws from, and the organisation as the
simulation needs it (who writes, reviews and signs for each unit, read from the shipped config)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from baosong.config import Config
from baosong.demo.texts import DISTRICT_PLACES, UNIT_CATEGORIES

TZ = timezone(timedelta(hours=8))
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
DEFAULT_START = datetime(2026, 1, 1, 0, 0, tzinfo=TZ)
DEFAULT_REPORTS = 1500
KEY_DIR = ".demo-keys"
CATEGORIES = ("accident", "traffic", "fire", "natural_disaster", "environment", "public_health",
              "social_security", "other")
INFO_TYPES = ("dynamic", "experience", "problem", "suggestion", "research")
LEVELS = ("own", "city", "prefecture", "province", "national")

Progress = Callable[[Iterable, str], Iterable]


class DemoError(Exception):
    """A demo that cannot be generated (bad target directory, broken configuration); message in Chinese."""


class World:
    """The organisation as the simulation needs it: who writes, reviews and signs for each unit."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.policy = cfg.policy
        self.office = cfg.registry_office
        self.units = {c: u for c, u in cfg.units.items()}
        self.officers = {c: [s["id"] for s in u.get("staff", []) if "officer" in s.get("roles", [])]
                         for c, u in self.units.items()}
        self.reviewers = {c: [s["id"] for s in u.get("staff", []) if "reviewer" in s.get("roles", [])]
                          for c, u in self.units.items()}
        self.heads = {c: [s["id"] for s in u.get("staff", []) if "head" in s.get("roles", [])]
                      for c, u in self.units.items()}
        reporting = [c for c in self.units if c != self.office and self.officers[c] and self.heads[c]]
        self.districts = [c for c in reporting if c in DISTRICT_PLACES] or reporting
        self.reporting = reporting
        self.emergency_units = [c for c in reporting if c in DISTRICT_PLACES or c in UNIT_CATEGORIES]
        self.opinion_units = [c for c in reporting if c in ("wxb", "gaj")] + self.districts
        admins = [s["id"] for s in cfg.units[self.office].get("staff", []) if "admin" in s.get("roles", [])]
        if not admins or not self.officers.get(self.office) or not self.heads.get(self.office):
            raise DemoError("config/units.yaml 中登记机关缺少信息员、主要负责人或登记管理员，无法生成演示库。")
        self.admin = admins[-1]
