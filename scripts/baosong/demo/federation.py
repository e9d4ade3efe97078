"""`baosong demo --federation DIR`: three linked registries — a province, the city of 江州市 and its
county 南山县 — with reports flowing up the chain, made with the real commands.

- `DIR/city` is the ordinary city demo (`demo.generate_demo`, a small year up to `CITY_UNTIL`); its
  registry administrator then commits the links: `registry.id: jiangzhou`, the county's unit `nsx`
  gains `registry: {id: nanshan, keys: [the county's receipt key]}`, and `upstream` names the province.
- `DIR/county` and `DIR/province` are new registries (own units.yaml, policy, registry key, receipts).
  The county's office staff are the city's `nsx` staff (same people, same keys); the province lists
  江州市 (unit `jzs`, with the city's receipt key and the city office's staff) and a second city 清河市
  that files directly (no registry of its own).
- From `CITY_UNTIL` to `now` every step is the real thing, in time order across the three
  repositories: officers commit signed on a branch, the administrator merges signed, `baosong receive`
  writes the receipts (times set with `--now`), the registry office runs `baosong forward` into the
  upper checkout and commits the forward signed, the upper registry runs `baosong check --base main`
  on the pull request, merges and receipts it; finally each lower registry runs `baosong upstream fetch`.

The scenario is fixed (what goes up late, missed, lowered is planted, see `SCENARIO`), so the demo is
the same every run except for the throwaway keys. The commands' own functions run in-process (`receive.receive`,
`prcheck.check_pr`, `forward.read_origin` + `build_forward`, `upstream.fetch_upstream`: a process per
step would cost more than the steps); each step is noted in the returned log as the command an office
would type; an unexpected verdict stops the demo with a `DemoError`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from baosong import newreport as nr
from baosong.config import load_config
from baosong.demo import generate_demo
from baosong.demo.files import tool_root
from baosong.demo.world import KEY_DIR, TZ, DemoError
from baosong.forward import ForwardError, build_forward, read_origin
from baosong.gitrepo import GitTree
from baosong.prcheck import PRResult, check_pr
from baosong.receive import receive
from baosong.sshsig import SshKey
from baosong.timeutil import iso
from baosong.upstream import fetch_upstream, upstreams

CITY_UNTIL = datetime(2026, 11, 10, 12, 0, tzinfo=TZ)  # the city's ordinary demo year ends here
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
CITY_REPORTS = 60
LEVELS = ("county", "city", "province")
IDS = {"county": "nanshan", "city": "jiangzhou", "province": "province"}
# Where each portal is published: the demo serves the three side by side on one site (`DIR/portals/<level>/`),
# so each links to the others by path; a real deployment writes each portal's own address.
PORTALS = {name: f"/{name}/" for name in LEVELS}

COUNTY_UNITS = [
    ("xxs", "南山县委办公室信息调研室", "city", [("tanglin", "唐琳", ["officer", "admin"]), ("fengbo", "冯波", ["reviewer"]),
                                         ("dengzhiyuan", "邓志远", ["head", "admin"])]),
    ("xgaj", "南山县公安局", "department", [("luhai", "陆海", ["officer"]), ("jiangwen", "江文", ["head"])]),
    ("xyjj", "南山县应急管理局", "department", [("xiemin", "谢敏", ["officer"]), ("yuehua", "岳华", ["head"])]),
    ("cgz", "南山县城关镇", "district", [("qianli", "钱莉", ["officer"]), ("shiwei", "施伟", ["head"])]),
    ("qsz", "南山县青石镇", "district", [("zouping", "邹平", ["officer"]), ("liaoyong", "廖勇", ["head"])]),
]
PROVINCE_UNITS = [
    ("sxxc", "江东省委办公厅信息处", "city", [("zhengyuan", "郑远", ["officer", "admin"]), ("qiaoyun", "乔云", ["reviewer"]),
                                        ("linfeng", "林峰", ["head", "admin"])]),
    ("jzs", "江州市", "district", [("liuyang", "刘洋", ["officer"]), ("zhoujianhua", "周建华", ["head"])]),
    ("qhs", "清河市", "district", [("hejun", "贺军", ["officer"]), ("xuming", "许明", ["head"])]),
]
# The county's office staff in the city's registry (unit nsx) and the city's office staff in the
# province's (unit jzs) are the same people: their keys come from the city demo's key directory.
SHARED = {"tanglin", "fengbo", "dengzhiyuan", "liuyang", "zhoujianhua"}


@dataclass
class Incident:
    """One planted incident of the scenario."""

    key: str
    level: str            # where it is first reported: county or city (or province: 清河市 files directly)
    unit: str
    author: str
    signer: str
    title: str
    category: str
    place: str
    occurred: datetime
    filed_after: int      # minutes from occurrence to the unit's merged report
    casualties: tuple[int, int, int, int]
    grade: str
    sensitive: bool = False
    loss: float | None = None
    up: list[int | None] = field(default_factory=list)  # minutes after occurrence each level forwards (None: never)
    reasons: list[str] = field(default_factory=list)    # delay reasons for the late forwards, per level
    lowered: bool = False  # the city first forwards it with deaths lowered (refused), then declares the change
    followup: tuple[int, tuple[int, int, int, int], str] | None = None  # (minutes, casualties, text), forwarded too


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


LATE_COUNTY = "事发地青石镇山区通信中断，镇信息员徒步到有信号处才报告县委办，县委办核实后转报已超时限。"
LATE_CROWD = "聚集人数变化快，镇信息员反复清点人数后才报告县委办，县委办转报已超时限。"
LATE_CITY = "县里报来的信息事实不清，市委办向现场反复核实伤亡和涉事人数后才报省，延误了报送时间。"
LATE_CITY_MISSED = "值班人员误判事件等级，未及时报省；次日复核伤情发现重伤人数达到较大等级后补报，已对值班人员批评教育。"
LOWERED_REASON = "经医院复核，一名伤者系送医途中自行离院，后确认生还，不计入死亡人数。"

SCENARIO = [
    Incident("mine", "county", "qsz", "zouping", "liaoyong", "青石镇一采石场发生塌方事故", "accident", "南山县青石镇石门村采石场",
             _at(11, 9, 10), 40, (3, 2, 4, 0), "III", loss=320.0, up=[55, 200], followup=(
                 90, (4, 2, 3, 0), "一名重伤人员经抢救无效死亡，救援工作已结束。")),
    Incident("crowd", "county", "cgz", "qianli", "shiwei", "城关镇部分群众因征地补偿问题聚集", "social_security",
             "南山县城关镇政府门前", _at(12, 8, 30), 50, (0, 0, 0, 0), "IV", sensitive=True, up=[190, 310],
             reasons=[LATE_CROWD, LATE_CITY]),
    Incident("fire", "county", "xgaj", "luhai", "jiangwen", "县城一商铺发生火灾", "fire", "南山县城关镇解放街",
             _at(13, 14, 5), 35, (0, 0, 1, 0), "IV", up=[80]),
    Incident("flood", "county", "xyjj", "xiemin", "yuehua", "青石镇突降暴雨引发山洪", "natural_disaster", "南山县青石镇沿河村",
             _at(14, 3, 20), 70, (0, 0, 0, 1), "IV", up=[260], reasons=[LATE_COUNTY]),
    Incident("road", "county", "xgaj", "luhai", "jiangwen", "县道发生一起两车相撞事故", "traffic", "南山县X012县道",
             _at(15, 17, 40), 45, (0, 1, 2, 0), "IV", up=[None]),
    Incident("gas", "county", "cgz", "qianli", "shiwei", "城关镇一居民楼燃气泄漏", "other", "南山县城关镇幸福小区",
             _at(17, 10, 0), 30, (0, 0, 0, 0), "IV", up=[60]),
    Incident("bus", "city", "gaj", "wanghao", "liuzhenhua", "滨江大道一辆公交车与货车相撞", "traffic", "江州市东城区滨江大道",
             _at(16, 7, 50), 45, (3, 5, 9, 0), "III", up=[150], lowered=True),
    Incident("plant", "city", "yjj", "zhengli", "songqiang", "化工园区一企业发生中毒事故", "accident", "江州市江口区化工园区",
             _at(18, 13, 15), 50, (0, 12, 6, 0), "III", up=[1560], reasons=[LATE_CITY_MISSED]),
    Incident("qh1", "province", "qhs", "hejun", "xuming", "清河市一桥梁施工发生坍塌", "accident", "清河市城南区",
             _at(12, 10, 0), 150, (3, 1, 2, 0), "III"),
    Incident("qh2", "province", "qhs", "hejun", "xuming", "清河市一景区发生游客踩踏", "social_security", "清河市青峰山景区",
             _at(15, 15, 30), 420, (0, 4, 11, 0), "IV", sensitive=True,
             reasons=["节假日景区信号拥堵，现场情况反复变化，核实后报告已超时限。"]),
    Incident("qh3", "province", "qhs", "hejun", "xuming", "清河市一化工厂发生爆炸", "accident", "清河市开发区",
             _at(19, 2, 0), 1700, (4, 3, 5, 0), "III",
             reasons=["夜间值班人员未按规定报告，次日才补报，已启动问责。"]),
]
INFO = [  # (level, unit, author, signer, day, hour, title, body)
    ("county", "xxs", "tanglin", "dengzhiyuan", 11, 16, "南山县推进乡村振兴示范村建设",
     "南山县今年建成乡村振兴示范村12个，完成农村道路硬化80公里，农民人均可支配收入同比增长7.2%。"),
    ("county", "cgz", "qianli", "shiwei", 13, 10, "城关镇开展安全生产大排查", "城关镇组织力量对辖区企业开展安全生产大排查，发现隐患46处，已整改41处。"),
    ("county", "qsz", "zouping", "liaoyong", 14, 15, "青石镇做好汛期地质灾害防范", "青石镇排查地质灾害隐患点23处，落实监测人员，组织转移演练3次。"),
    ("county", "xyjj", "xiemin", "yuehua", 16, 9, "县应急局开展应急救援演练", "县应急管理局联合消防、卫健等部门开展综合应急救援演练，参演人员200余人。"),
    ("county", "xgaj", "luhai", "jiangwen", 18, 11, "县公安局开展夜间巡逻防控", "县公安局在城区重点部位增设夜间巡逻点位8个，接处警效率明显提升。"),
    ("county", "xxs", "tanglin", "dengzhiyuan", 19, 10, "南山县优化营商环境工作动态", "南山县推行企业开办一日办结，本年度新设市场主体同比增长15%。"),
    ("province", "qhs", "hejun", "xuming", 14, 10, "清河市推进城市更新", "清河市今年启动老旧小区改造56个，惠及居民2.1万户。"),
]
# One item of information a day at each level (20:12, when no other step of the scenario runs there),
# so that each registry holds a few dozen reports.
_DAILY = {"county": [("cgz", "qianli", "shiwei", "城关镇"), ("qsz", "zouping", "liaoyong", "青石镇"),
                     ("xgaj", "luhai", "jiangwen", "县公安局"), ("xyjj", "xiemin", "yuehua", "县应急管理局")],
          "city": [("dcq", "lijing", "sunweidong", "东城区"), ("gaj", "wanghao", "liuzhenhua", "市公安局"),
                   ("wjw", "yuhong", "yuanming", "市卫生健康委")],
          "province": [("qhs", "hejun", "xuming", "清河市")]}
_TOPICS = ["优化营商环境", "乡村振兴", "基层治理", "安全生产专项整治", "民生实事", "城市更新", "防汛抗旱", "文明创建", "招商引资"]
INFO += [(level, unit, author, signer, day, 20, f"{place}推进{_TOPICS[(day + n) % len(_TOPICS)]}工作",
          f"{place}围绕{_TOPICS[(day + n) % len(_TOPICS)]}，本周召开专题会议1次，推动解决具体问题{day % 5 + 3}个。")
         for n, (level, units) in enumerate(_DAILY.items()) for day in range(11, 20)
         for unit, author, signer, place in [units[day % len(units)]]]


@dataclass
class Level:
    """One registry of the federation: its checkout, registry key and staff keys."""

    name: str
    root: Path
    admin: str
    keys: dict[str, Path]
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, principal)
    count: int = 0

    @property
    def registry_key(self) -> Path:
        return self.root / KEY_DIR / "registry"


@dataclass
class FederationResult:
    out: Path
    reports: dict[str, int]                      # level -> report files on main
    forwards: list[tuple[str, str, str]]         # (from level, origin id, upstairs id)
    refused: list[tuple[str, str]]               # (upstairs id, rule): the lowered forward the upper check refused
    log: list[str]


Progress = Callable[[str], None]


class _Federation:
    def __init__(self, out: Path, now: datetime, progress: Progress | None) -> None:
        self.out = out
        self.now = now
        self.progress = progress or (lambda _msg: None)
        self.levels: dict[str, Level] = {}
        self.log: list[str] = []
        self.forwards: list[tuple[str, str, str]] = []
        self.refused: list[tuple[str, str]] = []
        self.upstairs: dict[tuple[str, str], str] = {}  # (level, report id there) -> id one level up
        self.schema: dict = {}

    # --- commands and git --------------------------------------------------------------------

    def note(self, when: datetime, level: Level, command: str) -> None:
        self.log.append(f"{iso(when)}  {level.name:8}  {command}")

    def git(self, level: Level, *args: str, who: str | None = None, when: datetime | None = None) -> str:
        # Not the caller's GIT_DIR, GIT_INDEX_FILE …: each command works in its own repository.
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        pre: list[str] = ["-c", "core.quotepath=false"]
        if who is not None:
            name, principal = level.staff[who]
            stamp = f"{int(when.timestamp())} +0800" if when else ""
            env.update({"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": principal, "GIT_AUTHOR_DATE": stamp,
                        "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": principal, "GIT_COMMITTER_DATE": stamp})
            pre += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={level.keys[who]}", "-c", "commit.gpgsign=true"]
        proc = subprocess.run(["git", *pre, *args], cwd=level.root, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise DemoError(f"git {' '.join(args[:2])}（{level.name}）失败：{proc.stderr.strip()[-400:]}")
        return proc.stdout

    def receive(self, level: Level, when: datetime) -> None:
        result = receive(level.root, level.registry_key, when, use_cache=False)
        self.note(when, level, f"baosong receive --key {KEY_DIR}/registry --now {iso(when)}")
        if result.problems:
            raise DemoError(f"baosong receive（{level.name}）：" + "；".join(p.render() for p in result.problems[:3]))

    def check_pr(self, level: Level, when: datetime) -> PRResult:
        result = check_pr(level.root, "main", when, use_cache=False)
        self.note(when, level, f"baosong check --base main  → {'退回' if result.errors else '通过'}")
        return result

    def submit(self, level: Level, path: str, author: str, committed: datetime, merged: datetime,
               check: bool = False) -> None:
        """A pull request: the officer's signed commit on a branch, the administrator's signed merge, the receipt."""
        rid = Path(path).stem
        self.git(level, "checkout", "-q", "-b", f"report/{rid}", "main")
        self.git(level, "add", path)
        self.git(level, "commit", "-q", "-m", f"报送：{rid}\n\n{path}\n", who=author, when=committed)
        if check and self.check_pr(level, committed).errors:
            raise DemoError(f"{path} 未通过 {level.name} 登记库的合并请求检查。")
        self.merge(level, rid, merged)

    def merge(self, level: Level, rid: str, merged: datetime) -> None:
        self.git(level, "checkout", "-q", "main")
        self.git(level, "merge", "-q", "--no-ff", "-m", f"合并报送：{rid}\n\nreport/{rid} → main\n", f"report/{rid}",
                 who=level.admin, when=merged)
        self.git(level, "branch", "-q", "-D", f"report/{rid}")
        level.count += 1
        self.receive(level, merged + timedelta(seconds=25))

    def write(self, level: Level, doc: dict) -> str:
        path = nr.report_path(doc["id"])
        target = level.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nr.document_text(doc, self.schema), encoding="utf-8")
        return path

    # --- the registries ----------------------------------------------------------------------

    def build(self) -> None:
        self.progress("江州市登记库（一年的演示活动）")
        city_root = self.out / "city"
        generate_demo(city_root, CITY_REPORTS, 1, CITY_UNTIL)
        city_cfg = yaml.safe_load((city_root / "config" / "units.yaml").read_text(encoding="utf-8"))
        city_keys = {p.name: p for p in (city_root / KEY_DIR).iterdir() if p.suffix == "" and p.is_file()}
        city = Level("city", city_root, "wangli", city_keys)
        for unit in city_cfg["units"]:
            for s in unit["staff"]:
                city.staff[s["id"]] = (s["name"], s["principal"])
        self.levels["city"] = city
        self.schema = _report_schema(city_root)
        self.progress("南山县、江东省登记库")
        self.levels["county"] = self.new_registry("county", "南山县", COUNTY_UNITS, "xxs", city)
        self.levels["province"] = self.new_registry("province", "江东省", PROVINCE_UNITS, "sxxc", city)
        self.link_city()
        self.link_lower("county", "jiangzhou", "江州市委办公室信息科", "city", "nsx")

    def new_registry(self, name: str, title: str, units: list, office: str, city: Level) -> Level:
        root = self.out / name
        root.mkdir(parents=True)
        tool = tool_root()
        shutil.copytree(tool / "schema", root / "schema")
        (root / "config").mkdir()
        if (tool / "mkdocs.yml").is_file():
            shutil.copy2(tool / "mkdocs.yml", root / "mkdocs.yml")
        (root / ".gitignore").write_text(f"{KEY_DIR}/\n.baosong-cache/\nsite/\n")
        key_dir = root / KEY_DIR
        key_dir.mkdir()
        level = Level(name, root, "", {})
        registry = SshKey(f"registry@{office}")
        registry.save(key_dir, "registry")
        doc_units = []
        for code, uname, ulevel, staff in units:
            entries = []
            for sid, sname, roles in staff:
                if sid in SHARED:
                    level.keys[sid] = city.keys[sid]
                    public = (city.root / KEY_DIR / f"{sid}.pub").read_text().strip()
                else:
                    level.keys[sid] = SshKey(f"{sid}@{code}").save(key_dir, sid)
                    public = (key_dir / f"{sid}.pub").read_text().strip()
                level.staff[sid] = (sname, f"{sid}@{code}")
                if "admin" in roles and not level.admin:
                    level.admin = sid
                entries.append({"id": sid, "name": sname, "roles": roles, "principal": f"{sid}@{code}", "keys": [public]})
            doc_units.append({"code": code, "name": uname, "level": ulevel, "parent": None, "staff": entries})
        if name == "province":  # 江州市 is a lower registry: its receipt key is the trust root of its forwards
            city_pub = (city.root / KEY_DIR / "registry.pub").read_text().strip()
            doc_units[1]["registry"] = {"id": IDS["city"], "keys": [city_pub], "portal": PORTALS["city"]}
        units_doc = {"city": title, "registry_office": office,
                     "registry": {"id": IDS[name], "principal": f"registry@{office}",
                                  "keys": [(key_dir / "registry.pub").read_text().strip()]},
                     "revoked_keys": [], "units": doc_units}
        _write_yaml(root / "config" / "units.yaml", units_doc, "units",
                    f"{title}信息报送登记库：单位与人员（联动演示，虚构）。")
        _write_yaml(root / "config" / "policy.yaml", _policy(name, units), "policy",
                    f"{title}信息报送政策（联动演示，虚构）：由工具自带的政策改写。")
        self.git(level, "init", "-q", "-b", "main")
        self.git(level, "add", "-A")
        self.git(level, "commit", "-q", "-m", f"建立{title}信息报送登记库\n\n初始化 schema/ 与 config/（联动演示）。\n",
                 who=level.admin, when=_at(1, 9))
        return level

    def link_city(self) -> None:
        """The city's administrator links the city's registry: its id, the county's key, the province upstairs."""
        city, county, province = self.levels["city"], self.levels["county"], self.levels["province"]
        path = city.root / "config" / "units.yaml"
        text = path.read_text(encoding="utf-8")
        county_pub = (county.root / KEY_DIR / "registry.pub").read_text().strip()
        province_pub = (province.root / KEY_DIR / "registry.pub").read_text().strip()
        n1 = 1  # the shipped config may already carry the id
        if not re.search(rf"(?m)^registry:\n(?:  .*\n)*?  id: {IDS['city']}\b", text):
            text, n1 = re.subn(r"(?m)^registry:\n", f"registry:\n  id: {IDS['city']}\n", text, count=1)
        text, n2 = re.subn(r"(?m)^(  - code: nsx\n(?:    .*\n)*?    parent: null\n)",
                           rf'\1    registry: {{id: {IDS["county"]}, keys: ["{county_pub}"], portal: {PORTALS["county"]}}}\n', text, count=1)
        text, n3 = re.subn(r"(?m)^units:\n", _upstream_text("province", "江东省委办公厅信息处", "province", "jzs",
                                                            province.root, province_pub) + "units:\n", text, count=1)
        if (n1, n2, n3) != (1, 1, 1):
            raise DemoError("无法在江州市登记库的 config/units.yaml 中写入联动配置（registry.id、南山县的 registry、upstream）。")
        path.write_text(text, encoding="utf-8")
        self.git(city, "add", "config/units.yaml")
        self.git(city, "commit", "-q", "-m", "登记库联动：登记库标识 jiangzhou，南山县登记库回执公钥，上级江东省登记库\n",
                 who=city.admin, when=CITY_UNTIL + timedelta(hours=3))

    def link_lower(self, name: str, up_id: str, up_name: str, up_level: str, unit: str) -> None:
        level, upper = self.levels[name], self.levels[up_level]
        path = level.root / "config" / "units.yaml"
        pub = (upper.root / KEY_DIR / "registry.pub").read_text().strip()
        text = path.read_text(encoding="utf-8").replace(
            "\nunits:\n", "\n" + _upstream_text(up_id, up_name, "city", unit, upper.root, pub) + "units:\n", 1)
        path.write_text(text, encoding="utf-8")
        self.git(level, "add", "config/units.yaml")
        self.git(level, "commit", "-q", "-m", f"登记库联动：上级{up_name}登记库\n", who=level.admin,
                 when=CITY_UNTIL + timedelta(hours=3))

    # --- the flow ----------------------------------------------------------------------------

    def run(self) -> None:
        events: list[tuple[datetime, int, Callable[[], None]]] = []

        def at(when: datetime, action: Callable[[], None]) -> None:
            events.append((when, len(events), action))

        for inc in SCENARIO:
            self.plan_incident(inc, at)
        for item in INFO:
            self.plan_info(item, at)
        self.progress("报送、转报、回执")
        for _, _, action in sorted(events, key=lambda e: (e[0], e[1])):
            action()
        self.progress("下级登记库获取上级回执（baosong upstream fetch）")
        for name in ("county", "city"):
            level = self.levels[name]
            cfg = load_config(GitTree(level.root, "HEAD"))
            for up in upstreams(cfg):
                _, refused = fetch_upstream(level.root, up)
                self.note(self.now, level, f"baosong upstream fetch --id {up.id}")
                if refused:
                    raise DemoError(f"upstream fetch（{name}）：" + "；".join(p.render() for p in refused[:3]))

    def plan_info(self, item: tuple, at: Callable) -> None:
        name, unit, author, signer, day, hour, title, body = item
        level = self.levels[name]
        when = _at(day, hour, 12)

        def file() -> None:
            rid = nr.next_id(level.root, unit, author, when.strftime("%Y%m%d"))
            doc = {"id": rid, "kind": "info", "unit": unit, "title": title, "created_at": iso(when),
                   "author": author, "signer": signer, "info_type": "dynamic", "body": body}
            self.submit(level, self.write(level, doc), author, when + timedelta(minutes=5), when + timedelta(minutes=40))
            if name == "county" and unit == "xxs" and day == 11:  # the county forwards one item of information
                at_fw = when + timedelta(hours=2)
                self.forward("county", rid, at_fw)
        at(when, file)

    def plan_incident(self, inc: Incident, at: Callable) -> None:
        level = self.levels[inc.level]
        filed = inc.occurred + timedelta(minutes=inc.filed_after)
        ids: dict[str, str] = {}

        def first() -> None:
            created = filed - timedelta(minutes=12)
            rid = nr.next_id(level.root, inc.unit, inc.author, created.strftime("%Y%m%d"))
            ids["first"] = rid
            deaths, serious, injuries, missing = inc.casualties
            doc: dict[str, Any] = {
                   "id": rid, "kind": "emergency", "unit": inc.unit, "title": inc.title, "created_at": iso(created),
                   "author": inc.author, "signer": inc.signer, "stage": "first", "category": inc.category,
                   "grade": inc.grade, "occurred_at": iso(inc.occurred),
                   "discovered_at": iso(inc.occurred + timedelta(minutes=8)),
                   "phoned_at": iso(inc.occurred + timedelta(minutes=15)), "place": inc.place,
                   "description": f"{inc.occurred.strftime('%H:%M')}许，{inc.place}：{inc.title}。目前已造成死亡{deaths}人、"
                                  f"重伤{serious}人、轻伤{injuries}人、失踪{missing}人。",
                   "casualties": {"deaths": deaths, "serious_injuries": serious, "injuries": injuries, "missing": missing},
                   "trend": "现场处置工作正在进行中，事态趋于稳定。", "measures": "接报后，有关负责同志第一时间赶赴现场指挥处置。"}
            if inc.sensitive:
                doc["sensitive"] = True
                doc["sensitive_reason"] = "涉及群众切身利益，现场人员较多，网上已有传播。"
            if inc.loss is not None:
                doc["economic_loss"] = inc.loss
            if inc.level == "province" and inc.reasons:
                doc["delay_reason"] = inc.reasons[0]
            self.submit(level, self.write(level, doc), inc.author, filed - timedelta(minutes=3), filed)

        at(filed, first)
        if inc.followup is not None:
            minutes, cas, text = inc.followup
            when = inc.occurred + timedelta(minutes=minutes)

            def followup(when: datetime = when) -> None:  # bound now: `when` is reused below
                rid = nr.next_id(level.root, inc.unit, inc.author, when.strftime("%Y%m%d"))
                ids["followup"] = rid
                doc = {"id": rid, "kind": "emergency", "unit": inc.unit, "title": f"续报（1）：{inc.title}",
                       "created_at": iso(when - timedelta(minutes=10)), "author": inc.author, "signer": inc.signer,
                       "stage": "followup", "incident": ids["first"], "sequence": 1, "grade": inc.grade,
                       "description": f"最新进展：{text}",
                       "casualties": dict(zip(("deaths", "serious_injuries", "injuries", "missing"), cas, strict=True))}
                self.submit(level, self.write(level, doc), inc.author, when - timedelta(minutes=3), when)
            at(when, followup)
        chain = [inc.level] if inc.level != "province" else []
        for n, delay in enumerate(inc.up):
            if delay is None or not chain:
                break
            minutes = delay
            lower = chain[-1]
            upper = LEVELS[LEVELS.index(lower) + 1]
            chain.append(upper)
            when = inc.occurred + timedelta(minutes=minutes)
            reason = inc.reasons[n] if n < len(inc.reasons) else None

            def forward(lower: str = lower, when: datetime = when, reason: str | None = reason, depth: int = n) -> None:
                rid = ids["first"] if depth == 0 else self.upstairs[(LEVELS[LEVELS.index(lower) - 1], ids["first"])]
                up = self.forward(lower, rid, when, reason=reason, lowered=inc.lowered)
                self.upstairs[(lower, ids["first"])] = up
                ids[f"up{depth}"] = up
            at(when, forward)
            if inc.followup is not None:
                fwhen = max(when, inc.occurred + timedelta(minutes=inc.followup[0])) + timedelta(minutes=20)

                def forward_followup(lower: str = lower, when: datetime = fwhen, depth: int = n) -> None:
                    rid = ids["followup"] if depth == 0 else self.upstairs[(LEVELS[LEVELS.index(lower) - 1], ids["followup"])]
                    self.upstairs[(lower, ids["followup"])] = self.forward(lower, rid, when)
                at(fwhen, forward_followup)

    def forward(self, lower_name: str, rid: str, when: datetime, *, reason: str | None = None,
                lowered: bool = False) -> str:
        """`baosong forward` by the lower registry office, then the pull request upstairs."""
        lower = self.levels[lower_name]
        upper_name = LEVELS[LEVELS.index(lower_name) + 1]
        upper = self.levels[upper_name]
        try:
            fw = build_forward(read_origin(lower.root, rid), upper.root, now=when)
        except ForwardError as exc:
            raise DemoError(f"baosong forward {rid}：{exc}") from None
        if any(p.is_error for p in fw.problems):
            raise DemoError(f"baosong forward {rid}：" + "；".join(p.render() for p in fw.problems[:3]))
        up_id, path = fw.doc["id"], fw.path
        (upper.root / path).parent.mkdir(parents=True, exist_ok=True)
        (upper.root / path).write_text(fw.text, encoding="utf-8")
        self.note(when, lower, f"baosong forward {rid} --to ../{upper.name}  → {path}")
        doc = yaml.safe_load(fw.text)
        author = doc["author"]
        if reason:  # late upstairs: the office states why, like any late report there
            doc["delay_reason"] = reason
            self.write(upper, doc)
        committed = when + timedelta(minutes=4)
        merged = when + timedelta(minutes=10)
        if lowered:  # the office lowers the deaths without saying so: the upper check refuses the pull request
            true_deaths = doc["casualties"]["deaths"]
            doc["casualties"]["deaths"] = true_deaths - 1
            self.write(upper, doc)
            self.git(upper, "checkout", "-q", "-b", f"report/{up_id}", "main")
            self.git(upper, "add", path)
            self.git(upper, "commit", "-q", "-m", f"转报 {rid}\n\n{path}\n", who=author, when=committed)
            refused = self.check_pr(upper, committed)
            rules = sorted({p.rule for p in refused.problems if p.is_error})
            if rules != ["forward-figure-lowered"]:
                raise DemoError(f"调低数字的转报 {up_id} 应被拒收（forward-figure-lowered），检查结果却是：{rules}")
            self.refused.append((up_id, rules[0]))
            doc["forwarded_from"]["changes"] = [{"field": "casualties.deaths", "from": true_deaths,
                                                 "to": true_deaths - 1, "reason": LOWERED_REASON}]
            self.write(upper, doc)
            committed += timedelta(minutes=20)
            merged += timedelta(minutes=25)
            self.git(upper, "add", path)
            self.git(upper, "commit", "-q", "-m", f"转报 {rid}：写明死亡人数的改动和理由\n", who=author, when=committed)
            if self.check_pr(upper, committed).errors:
                raise DemoError(f"写明改动理由后，{up_id} 仍未通过合并请求检查。")
            self.merge(upper, up_id, merged)
        else:
            self.submit(upper, path, author, committed, merged, check=True)
        self.forwards.append((lower_name, rid, up_id))
        return up_id


def _report_schema(root: Path) -> dict:
    from baosong.sources import WorkTree

    cfg = load_config(WorkTree(root))
    if cfg.report_schema is None:
        raise DemoError("无法读取 schema/report.schema.json。")
    return cfg.report_schema.schema


def _upstream_text(up_id: str, name: str, to: str, unit: str, root: Path, key: str) -> str:
    return ("# 上级登记库（联动演示）：本机关向它转报，baosong upstream fetch 从它获取回执。\n"
            f"upstream:\n  - id: {up_id}\n    name: {name}\n    to: {to}\n    unit: {unit}\n"
            f"    url: {root.resolve()}\n    keys: [\"{key}\"]\n"
            f"    portal: {PORTALS[root.name]}\n")


def _write_yaml(path: Path, doc: dict, schema: str, comment: str) -> None:
    head = f"# yaml-language-server: $schema=../schema/{schema}.schema.json\n# {comment}\n"
    path.write_text(head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")


def _policy(name: str, units: list) -> dict:
    """The shipped policy, rewritten for the county (it reports to the city within 2 h) or the province
    (the cities report to it within 4 h, the seeds' rule; its own duty goes to the centre)."""
    policy = yaml.safe_load((tool_root() / "config" / "policy.yaml").read_text(encoding="utf-8"))
    rules = [r for r in policy["deadline_rules"] if "units" not in r and not r["id"].startswith("province-")]
    if name == "county":
        for r in policy["deadline_rules"]:
            if r["id"].startswith("county-"):
                rules.append({k: v for k, v in r.items() if k != "units"})
        rules = [r for r in rules if not r["id"].startswith("city-")]
        policy["upward_rules"] = [{
            "id": "to-city", "title": "向市报送：突发事件事发后2小时内",
            "source": "全市紧急信息报送工作会议讲话：“书面报送最迟不得晚于事件发生后2小时”（县委办向市委办转报适用同一时限），超过24小时即视为漏报",
            "to": "city", "clock": "occurred", "minutes": 120, "missed_after_minutes": 1440}]
        policy["scoring"]["scheme"] = "nanshan-2026"
        policy["scoring"]["title"] = "南山县2026年度信息报送工作考核计分办法"
    else:
        rules = [{"id": "province-written", "title": "省级规定：事发后4小时内书面报告省委办公厅",
                  "source": "全市紧急信息报送工作会议讲话：“紧急信息向省和中央报送分别最迟不得晚于事件发生后的4小时和6小时，超过即视为迟报，超过24小时即视为漏报”",
                  "report": "written", "stages": ["first"], "clock": "occurred", "minutes": 240}]
        policy["upward_rules"] = [r for r in policy["upward_rules"] if r["to"] == "national"]
        policy["scoring"]["scheme"] = "jiangdong-2026"
        policy["scoring"]["title"] = "江东省2026年度信息报送工作考核计分办法"
    policy["deadline_rules"] = rules
    return policy


def generate_federation(out: Path, now: datetime = DEFAULT_NOW, progress: Progress | None = None) -> FederationResult:
    """Write the three linked registries into `out/county`, `out/city`, `out/province`."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise DemoError(f"目标目录 {out} 已存在且不为空，请指定新目录或先删除。")
    if now < _at(20, 0):
        raise DemoError("联动演示的 --now 须不早于 2026-11-20T00:00:00+08:00（演示活动截至 11 月 19 日）。")
    out.mkdir(parents=True, exist_ok=True)
    fed = _Federation(out, now, progress)
    fed.build()
    fed.run()
    counts = {name: level.count for name, level in fed.levels.items()}
    counts["city"] += CITY_REPORTS
    return FederationResult(out, counts, fed.forwards, fed.refused, fed.log)


__all__ = ["DEFAULT_NOW", "FederationResult", "SCENARIO", "generate_federation"]
