"""`baosong demo`: a complete registry repository for the fictional city, with a year of activity.

Made the way it happens in life: each report is committed on a branch by its unit's officer (an
SSH-signed commit) and pushed; the registry server's hook receipts the pushed blob at once (a push
receipt, 收文登记: the report's arrival); the registry administrator merges it into main later (a
signed merge commit) — within minutes in office hours, next morning or after the weekend otherwise
(the duty officer merges emergencies at night, more slowly). One two-day outage of the receipt
service leaves its reports with main-line times and catch-up receipts. The simulation is seeded: the
same seed gives the same reports, the same trees and the same commit dates; only the throwaway keys
(and so the signatures and commit ids) differ between runs.

Speed (`--reports 50000` in minutes): git is never forked per report. Every object goes into one
pack written here and indexed by one `git index-pack`: blobs whole, trees as deltas of their
previous version (a report adds one entry to a directory of up to thousands, so a full copy per
commit would cost gigabytes; chains are capped at 50 like git's own), commits whole. Commits are
signed in-process (SSHSIG over the exact payload, ed25519, `baosong.sshsig`, ~0.1 ms each): one
`ssh-keygen -Y sign` per commit costs ~5 ms and cannot be batched, because each merge's payload
names the previous merge's id, signature included. git 2.39's fast-import cannot carry `gpgsig`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import baosong
from baosong.config import Config, load_config
from baosong.deadlines import deadline_for
from baosong.demo_duties import plant_duties
from baosong.grading import GRADES, computed_grade, severity
from baosong.sources import WorkTree
from baosong.sshsig import SshKey
from baosong.timeutil import iso

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


# --------------------------------------------------------------------------------------------------
# SSH signatures: the throwaway keys sign in-process with the registry's own SSHSIG code (sshsig.py)
# --------------------------------------------------------------------------------------------------


def signed_commit(tree: str, parents: list[str], author: str, committer: str, message: str,
                  key: SshKey) -> bytes:
    """A commit object carrying an SSH signature over its own payload in a `gpgsig` header."""
    head = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents) + \
        f"author {author}\ncommitter {committer}\n"
    signature = key.sign((head + "\n" + message).encode())
    gpgsig = "gpgsig " + signature.rstrip("\n").replace("\n", "\n ") + "\n"
    return (head + gpgsig + "\n" + message).encode()


def _object_id(kind: bytes, data: bytes) -> str:
    return hashlib.sha1(kind + b" %d\0" % len(data) + data).hexdigest()


OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_OFS_DELTA = 1, 2, 3, 6
MAX_DELTA_DEPTH = 50  # as git's own packing: bounded chains keep reading HEAD's trees fast


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _copy_op(offset: int, size: int) -> bytes:
    op, args = 0x80, bytearray()
    for i in range(4):
        if (offset >> (8 * i)) & 0xFF:
            op |= 1 << i
            args.append((offset >> (8 * i)) & 0xFF)
    for i in range(3):
        if (size >> (8 * i)) & 0xFF:
            op |= 1 << (4 + i)
            args.append((size >> (8 * i)) & 0xFF)
    return bytes([op]) + bytes(args)


def _delta(old_len: int, new: bytes, prefix: int, suffix: int) -> bytes:
    """A git delta from a base that shares `prefix` leading and `suffix` trailing bytes with `new`."""
    ops = [_varint(old_len), _varint(len(new))]
    if prefix:
        ops.append(_copy_op(0, prefix))
    middle = new[prefix:len(new) - suffix]
    for i in range(0, len(middle), 127):
        chunk = middle[i:i + 127]
        ops.append(bytes([len(chunk)]) + chunk)
    if suffix:
        ops.append(_copy_op(old_len - suffix, suffix))
    return b"".join(ops)


def _deflate(data: bytes) -> bytes:
    """zlib with a window sized to the object: most objects are ~1 KB, and zlib.compress sets up a
    32 KB window and a 256 KB hash per call, which cost several times the compression itself."""
    wbits = min(15, max(9, len(data).bit_length()))
    c = zlib.compressobj(1, zlib.DEFLATED, wbits, 1 if wbits < 13 else 8)
    return c.compress(data) + c.flush()


class _Pack:
    """Objects appended to one pack (trees as deltas of their previous version), indexed by `git index-pack`."""

    def __init__(self) -> None:
        self.body = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        self.offset = 12  # after the header, written at the end when the count is known
        self.count = 0

    def _put(self, kind: int, size: int, payload: bytes, extra: bytes = b"") -> int:
        header = bytearray([(kind << 4) | (size & 0x0F)])
        size >>= 4
        while size:
            header[-1] |= 0x80
            header.append(size & 0x7F)
            size >>= 7
        start = self.offset
        data = bytes(header) + extra + _deflate(payload)
        self.body.write(data)
        self.offset += len(data)
        self.count += 1
        return start

    def add(self, kind: int, data: bytes) -> tuple[str, int]:
        """(object id, pack offset) of a whole object."""
        name = {OBJ_COMMIT: b"commit", OBJ_TREE: b"tree", OBJ_BLOB: b"blob"}[kind]
        return _object_id(name, data), self._put(kind, len(data), data)

    def add_delta(self, base_offset: int, delta: bytes) -> int:
        distance = self.offset - base_offset
        enc = bytearray([distance & 0x7F])
        distance >>= 7
        while distance:
            distance -= 1
            enc.insert(0, 0x80 | (distance & 0x7F))
            distance >>= 7
        return self._put(OBJ_OFS_DELTA, len(delta), delta, bytes(enc))

    def finish(self, repo: Path) -> None:
        digest = hashlib.sha1()
        proc = subprocess.Popen(["git", "index-pack", "--stdin"], cwd=repo, stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        head = b"PACK" + struct.pack(">II", 2, self.count)
        digest.update(head)
        proc.stdin.write(head)
        self.body.seek(0)
        while chunk := self.body.read(1 << 20):
            digest.update(chunk)
            proc.stdin.write(chunk)
        proc.stdin.write(digest.digest())
        proc.stdin.close()
        err = proc.stderr.read() if proc.stderr else b""
        self.body.close()
        if proc.wait() != 0:
            raise DemoError(f"写入 git 对象失败（git index-pack）：{err.decode('utf-8', 'replace')[-300:]}")


class _Trees:
    """A tree kept sorted in memory; each flush writes the changed directories, as deltas of their last version."""

    def __init__(self, pack: _Pack) -> None:
        self.pack = pack
        self.names: dict[str, list[bytes]] = {"": []}  # dir -> sort keys (git order: a directory sorts as "name/")
        self.entries: dict[str, list[bytes]] = {"": []}
        self.last: dict[str, tuple[int, int, int]] = {}  # dir -> (length, pack offset, delta depth)
        self.pending: dict[str, dict[bytes, bytes]] = defaultdict(dict)
        self.data: dict[str, bytes] = {}  # dir -> its current tree object

    def set(self, path: str, oid: str, mode: bytes = b"100644") -> None:
        parent, _, name = path.rpartition("/")
        self.pending[parent][name.encode()] = mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid)
        while parent not in self.names:
            self.names[parent], self.entries[parent] = [], []
            parent = parent.rpartition("/")[0]

    def flush(self) -> str:
        """Write every changed directory, deepest first (a parent takes its children's new ids); the root's id."""
        while True:
            d = max(self.pending, key=lambda x: x.count("/") + 1 if x else 0)
            changes = self.pending.pop(d)
            names, entries = self.names[d], self.entries[d]
            i, j = bisect.bisect_left(names, min(changes)), bisect.bisect_right(names, max(changes))
            # Where the unchanged head and tail lie in the previous bytes (an entry holds an object
            # id, so it occurs once): a memory search instead of summing thousands of lengths.
            old = self.data.get(d, b"")
            prefix = old.find(entries[i]) if i < len(entries) else len(old)
            suffix = len(old) - old.find(entries[j]) if j < len(entries) else 0
            for key, entry in changes.items():
                self._put(names, entries, key, entry)
            self.data[d] = data = b"".join(entries)
            oid = self._write(d, data, prefix, suffix)
            if not d:
                return oid
            parent, _, dname = d.rpartition("/")
            self.pending[parent][dname.encode() + b"/"] = b"40000 " + dname.encode() + b"\0" + bytes.fromhex(oid)

    @staticmethod
    def _put(names: list[bytes], entries: list[bytes], key: bytes, entry: bytes) -> None:
        k = bisect.bisect_left(names, key)
        if k < len(names) and names[k] == key:
            entries[k] = entry
        else:
            names.insert(k, key)
            entries.insert(k, entry)

    def _write(self, d: str, data: bytes, prefix: int, suffix: int) -> str:
        last = self.last.get(d)
        if last is None or last[2] >= MAX_DELTA_DEPTH:
            oid, offset = self.pack.add(OBJ_TREE, data)
            self.last[d] = (len(data), offset, 0)
            return oid
        old_len, base, depth = last
        offset = self.pack.add_delta(base, _delta(old_len, data, prefix, min(suffix, len(data) - prefix)))
        self.last[d] = (len(data), offset, depth + 1)
        return _object_id(b"tree", data)


# --------------------------------------------------------------------------------------------------
# The simulated year
# --------------------------------------------------------------------------------------------------

@dataclass
class Submission:
    """One report file and how it came in: committed on a branch, pushed (= arrival, the push receipt's
    time), merged into main by the office (`merged`, set by `_office_merges`)."""

    doc: dict
    unit: str
    author: str
    created: datetime
    committed: datetime
    arrival: datetime
    thread: int
    planted: bool = False
    refs: dict[str, Submission] = field(default_factory=dict)  # field -> submission, resolved to ids
    merge_delay: timedelta | None = None  # a planted office delay instead of the office's habits
    merged: datetime | None = None

    @property
    def id(self) -> str:
        return self.doc["id"]

    @property
    def path(self) -> str:
        return f"reports/{self.id[len(self.unit) + 1:][:4]}/{self.unit}/{self.id}.yaml"


DISTRICT_PLACES = {
    "dcq": ("东城区", ["新华街道", "东关街道", "望江街道", "朝阳街道"]),
    "xhq": ("西湖区", ["湖滨街道", "河西街道", "西山街道", "翠屏街道"]),
    "jkq": ("江口区", ["江口街道", "白沙镇", "港城街道", "沙洲镇"]),
    "nsx": ("南山县", ["城关镇", "青石镇", "柳湾乡", "南岭镇"]),
    "blx": ("北岭县", ["北岭镇", "石门乡", "杨庄镇", "双河镇"]),
}
ROADS = ["人民路", "建设路", "滨江大道", "解放路", "工业园区纬三路", "S216省道", "G320国道", "沿江快速路",
         "迎宾大道", "学府路"]
UNIT_CATEGORIES = {
    "gaj": ["social_security", "traffic"], "jjzd": ["traffic"], "yjj": ["accident", "natural_disaster"],
    "xfzd": ["fire"], "wjw": ["public_health"], "jkzx": ["public_health"], "sthj": ["environment"],
    "slj": ["natural_disaster"], "zrzy": ["natural_disaster"], "zjj": ["accident"],
    "scj": ["public_health", "other"], "jtj": ["traffic", "accident"], "jyj": ["public_health", "social_security"],
}
INVOLVED = {"accident": ["yjj", "zjj"], "traffic": ["jjzd", "jtj"], "fire": ["xfzd"],
            "natural_disaster": ["slj", "zrzy", "yjj"], "environment": ["sthj"],
            "public_health": ["wjw", "jkzx"], "social_security": ["gaj"], "other": ["zjj", "scj"]}
EVENTS = {
    "accident": [("{place}一建筑工地发生高处坠落事故", "一名作业人员在脚手架作业时坠落"),
                 ("{place}一化工企业发生有限空间中毒窒息事故", "两名工人进入储罐清洗时中毒窒息"),
                 ("{place}一机械加工厂发生机械伤害事故", "一名工人操作冲压设备时被卷入"),
                 ("{place}一在建厂房发生局部坍塌事故", "在建厂房钢结构屋面局部坍塌")],
    "traffic": [("{road}{place}路段发生一起货车与客车相撞的道路交通事故", "一辆重型半挂货车与一辆中型客车追尾相撞"),
                ("{road}{place}路段发生一起多车连环相撞事故", "雨天路滑，五辆小型汽车连环相撞"),
                ("{place}{road}发生一起校车侧翻事故", "一辆接送学生的校车避让行人时侧翻")],
    "fire": [("{place}一居民楼发生火灾", "一栋六层居民楼三楼住户起火，浓烟蔓延至楼道"),
             ("{place}一家具厂仓库发生火灾", "家具厂成品仓库起火，过火面积约800平方米"),
             ("{place}一农贸市场发生火灾", "农贸市场二层商铺起火")],
    "natural_disaster": [("{place}遭受强降雨袭击引发内涝", "短时强降雨导致城区多处积水，部分低洼地段受淹"),
                         ("{place}发生山体滑坡", "连续降雨后村后山体滑坡，掩埋部分农房"),
                         ("{place}遭受冰雹大风灾害", "冰雹伴随8级大风，农作物和大棚受损")],
    "environment": [("{place}境内河段发现死鱼和水体异色", "河段约2公里水面出现死鱼，水体呈黄褐色"),
                    ("{place}一企业发生危险化学品泄漏", "企业储罐阀门破裂，约3吨液碱泄漏"),
                    ("{place}出现异味气体扰民", "居民反映夜间有刺激性气味")],
    "public_health": [("{place}一学校发生疑似食物中毒事件", "学生午餐后陆续出现腹痛、呕吐症状"),
                      ("{place}报告一起流感样病例聚集性疫情", "一所小学一个班级出现多名发热学生"),
                      ("{place}一餐馆发生疑似食物中毒事件", "多名就餐人员出现恶心、腹泻症状")],
    "social_security": [("{place}发生一起群众聚集讨要工程款事件", "约40名务工人员在项目部门前聚集讨要工程款"),
                        ("{place}发生一起持刀伤人案件", "一男子在街头持刀伤人后被当场控制"),
                        ("{place}发生一起涉众型经济案件引发的聚集", "部分投资人聚集反映理财公司无法兑付")],
    "other": [("{place}发生燃气管道泄漏", "施工挖断中压燃气管道，造成燃气泄漏"),
              ("{place}大面积停电", "变电站设备故障导致片区停电"),
              ("{place}一商场电梯发生故障致人受伤", "商场自动扶梯突然逆行")],
}
TRENDS = ["事态已得到控制，未发现次生灾害。", "现场处置工作正在进行中，事态趋于稳定。",
          "伤员救治和善后工作正在进行，社会面总体平稳。", "仍有降雨，存在发生次生灾害的可能，正在密切监测。"]
MEASURES = ["接报后，区领导第一时间赶赴现场指挥处置，公安、消防、卫健等部门联动处置，伤员已送医救治。",
            "已启动应急预案，组织人员转移疏散，设置警戒区域，做好现场秩序维护。",
            "已成立工作专班，开展调查核实、舆情引导和善后工作。",
            "已组织专家研判，对周边区域开展隐患排查。"]
CAUSES = ["初步查明系违规作业所致，具体原因正在进一步调查。", "初步判断为设备老化引发，详细原因待调查组认定。",
          "经现场勘查，系驾驶人操作不当所致。", "系短时强降雨超过排水能力所致。"]
DELAY_REASONS = ["事发地处偏远山区，通信信号中断，信息员无法及时上报，已加强应急通信保障。",
                 "值班人员对事件性质研判不准，未及时启动报送程序，已对相关人员批评教育并完善值班制度。",
                 "事发于夜间，基层报告链条过长，延误了报送时间，已建立直报机制。",
                 "首报材料核实伤亡人数耗时较长，未能按时书面报告，今后将坚持边核实边报告。"]
INFO_TOPICS = ["优化营商环境", "乡村振兴", "基层治理", "安全生产专项整治", "防汛抗旱", "民生实事", "城市更新",
               "生态环境保护", "食品安全", "信访矛盾化解", "数字政府建设", "就业创业", "养老服务", "教育“双减”"]
INFO_TITLES = {
    "dynamic": "{unit}扎实推进{topic}工作", "experience": "{unit}“三个坚持”推动{topic}见实效",
    "problem": "当前{topic}工作中需要关注的几个问题", "suggestion": "关于进一步做好{topic}工作的建议",
    "research": "关于{topic}情况的调研报告",
}
INFO_SENTENCES = [
    "今年以来，{unit}坚持以人民为中心，聚焦{topic}，细化任务清单，压实工作责任。",
    "建立“周调度、月通报”工作机制，累计召开专题会议{n}次，协调解决难点问题{m}个。",
    "组织开展走访调研，深入企业和社区{n}家（个），收集意见建议{m}条，已办结率达{p}%。",
    "部分基层单位存在思想认识不到位、工作落实不平衡等问题，个别领域风险隐患依然存在。",
    "下一步，将进一步完善长效机制，强化督查考核，推动各项措施落地见效。",
    "群众满意度明显提升，相关做法被{n}家媒体报道。",
    "建议市级层面加强统筹协调，加大资金和政策支持力度，建立跨部门信息共享机制。",
]
PLATFORMS = [("微博", "https://weibo.com/{n}/{m}"), ("抖音", "https://www.douyin.com/video/{n}{m}"),
             ("微信公众号", "https://mp.weixin.qq.com/s/{n}x{m}"), ("今日头条", "https://www.toutiao.com/article/{n}{m}/"),
             ("江州论坛", "https://bbs.jiangzhou.example/thread-{n}-{m}-1.html")]
OPINION_TOPICS = ["有网民发帖反映{place}小区停水多日无人处理", "网传{place}一学校食堂饭菜变质",
                  "有视频称{place}城管执法人员与摊贩发生冲突", "网民反映{place}某楼盘延期交房",
                  "网传{place}发生化工厂爆炸（经核实为谣言）"]
OUTLETS = {"own": ["江州市委办公室门户网站", "江州政务信息网"], "city": ["《江州信息》", "《江州每日要情》"],
           "prefecture": ["《江州要情专报》"], "province": ["《省委信息》", "《省政府办公厅信息专报》"],
           "national": ["《国务院办公厅信息》", "中办《每日汇报》"]}
LEVEL_WEIGHTS = {"own": 10, "city": 55, "prefecture": 8, "province": 22, "national": 5}
LEADERS = {"city": ["市委书记", "市长", "常务副市长", "分管副市长"], "province": ["省委副书记", "副省长"],
           "own": ["区委书记"], "prefecture": ["市委副书记"], "national": ["国务院有关领导同志"]}


class _World:
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


class _Simulation:
    def __init__(self, world: _World, rng: random.Random, start: datetime, now: datetime) -> None:
        self.w = world
        self.rng = rng
        self.start = start
        self.now = now
        self.subs: list[Submission] = []
        self.thread = 0
        self.outage = outage_window(start, now)

    # ---- helpers ------------------------------------------------------------------------------
    def minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=round(self.rng.uniform(lo, hi) * 60))

    def place(self, unit: str) -> tuple[str, str]:
        district = unit if unit in DISTRICT_PLACES else self.rng.choice(list(DISTRICT_PLACES))
        name, towns = DISTRICT_PLACES[district]
        return name + self.rng.choice(towns), district

    def people(self, unit: str) -> dict:
        doc = {"author": self.rng.choice(self.w.officers[unit])}
        if self.w.reviewers[unit] and self.rng.random() < 0.7:
            doc["reviewer"] = self.rng.choice(self.w.reviewers[unit])
        doc["signer"] = self.w.heads[unit][0]
        return doc

    def new_thread(self) -> int:
        self.thread += 1
        return self.thread

    def add(self, doc: dict, unit: str, created: datetime, arrival: datetime, thread: int, planted: bool,
            refs: dict | None = None) -> Submission | None:
        """Queue a report that arrives at `arrival`; None (dropped) when that is after now."""
        if arrival > self.now:
            return None
        committed = max(created + self.minutes(0.5, 3), arrival - self.minutes(2, 12))
        committed = min(committed, arrival - timedelta(seconds=30))
        created = min(created, committed - timedelta(seconds=30))
        body = {"kind": doc.pop("kind"), "unit": unit, "title": doc.pop("title"), "created_at": iso(created)}
        body.update(doc)
        sub = Submission(body, unit, body["author"], created, committed, arrival, thread, planted, refs or {})
        self.subs.append(sub)
        return sub

    def random_time(self, lo_frac: float = 0.0, hi_frac: float = 1.0) -> datetime:
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=round(self.rng.uniform(lo_frac, hi_frac) * span))

    # ---- emergencies --------------------------------------------------------------------------
    def incident(self, when: datetime, *, category: str | None = None, unit: str | None = None,
                 fate: str = "on_time", followups: int | None = None, close: bool = True,
                 involved: str | None = None, silent: bool = False, planted: bool = False,
                 late_followup: bool = False, pending: bool = False, pushed_before_deadline: timedelta | None = None,
                 merge_delay: timedelta | None = None) -> Submission | None:
        rng = self.rng
        if unit is None:
            unit = rng.choice(self.w.emergency_units)
        if category is None:
            category = rng.choice(UNIT_CATEGORIES.get(unit, list(CATEGORIES)))
        place, district = self.place(unit)
        title_t, what = rng.choice(EVENTS[category])
        road = rng.choice(ROADS)
        thread = self.new_thread()
        casualties, loss = self.figures(category)
        grade = self.grade_for(category, casualties, loss)
        occurred = when.replace(second=0)
        discovered = occurred + self.minutes(2, 12 if severity(grade) <= 1 else 40)
        doc: dict = {"kind": "emergency", "title": title_t.format(place=place, road=road)[:80],
                     **self.people(unit), "stage": "first", "category": category,
                     "occurred_at": iso(occurred), "discovered_at": iso(discovered),
                     "phoned_at": iso(discovered + self.minutes(3, 10)),
                     "place": f"{place}{road}", "description": f"{iso(occurred)[11:16]}许，{place}{road}{what}。"
                     + self.casualty_text(casualties, loss), "casualties": casualties, "grade": grade}
        if loss:
            doc["economic_loss"] = loss
        if category in ("social_security", "public_health") and rng.random() < 0.3:
            doc["sensitive"] = True
            doc["sensitive_reason"] = "涉及学生群体，社会关注度高" if category == "public_health" else "人员聚集，易引发舆情"
        doc["trend"] = rng.choice(TRENDS)
        doc["measures"] = rng.choice(MEASURES)
        if involved:
            doc["involved_units"] = [involved]
        if pending:
            del doc["signer"]
            doc["signoff_pending"] = True
        deadline = deadline_for({**doc, "unit": unit}, self.w.policy)
        assert deadline is not None, "every first report has a deadline in the shipped policy"
        due = deadline.at
        if pushed_before_deadline is not None:
            arrival = due - pushed_before_deadline
        elif fate == "on_time":
            arrival = discovered + (due - discovered) * rng.uniform(0.35, 0.95)
        elif fate == "late":
            arrival = due + self.minutes(8, 240)
        else:  # missed: long past the 24-hour line
            arrival = deadline.missed_at + self.minutes(60, 900)
        if fate != "on_time":
            doc["delay_reason"] = rng.choice(DELAY_REASONS)
        created = max(discovered + (arrival - discovered) * 0.5, occurred + timedelta(minutes=1))
        first = self.add(doc, unit, created, arrival, thread, planted)
        if first is None:
            return None
        first.merge_delay = merge_delay
        n = followups if followups is not None else rng.choice((1, 1, 2, 2, 3, 4))
        self.series(first, n, close, involved, silent, late_followup, pending, casualties, loss, grade)
        if not planted:
            # Office records that follow emergencies: adoption in the daily bulletins, leaders'
            # instructions on serious events, and a notice for some late reports.
            if rng.random() < 0.15:
                self.adoption(first, rng.choice(("city", "city", "province")))
            if severity(grade) <= 2 and rng.random() < 0.5:
                self.instruction(first, rng.choice(("city", "province")))
            if fate == "late" and rng.random() < 0.5:
                self.notice(first, "late")
        return first

    def series(self, first: Submission, n: int, close: bool, involved: str | None, silent: bool,
               late_followup: bool, pending: bool, casualties: dict, loss: float, grade: str) -> None:
        rng, unit = self.rng, first.unit
        category = first.doc["category"]
        prev = first.arrival
        involved_slot = rng.randrange(1, n + 1) if involved and not silent else None
        if involved_slot:
            n = max(n, 2)
            involved_slot = max(involved_slot, 2)
        for seq in range(1, n + 1):
            if seq == 1:
                gap = self.minutes(15, 55)
            else:
                gap = self.minutes(180, 1300) if not (late_followup and seq == 2) else self.minutes(1500, 1800)
            arrival = prev + gap
            by = involved if seq == involved_slot else unit
            assert by is not None
            casualties, loss = self.evolve(casualties, loss)
            grade = min(grade, self.grade_for(category, casualties, loss), key=severity)
            doc = {"kind": "emergency", "title": f"续报（{seq}）：{first.doc['title']}"[:80], **self.people(by),
                   "stage": "followup", "incident": None, "sequence": seq,
                   "description": ("补充签发，" if pending and seq == 1 else "") + "最新进展："
                   + self.casualty_text(casualties, loss) + rng.choice(MEASURES),
                   "casualties": casualties, "grade": grade}
            if loss:
                doc["economic_loss"] = loss
            if seq >= 2 and rng.random() < 0.5:
                doc["cause"] = rng.choice(CAUSES)
            if late_followup and seq == 2:
                doc["delay_reason"] = rng.choice(DELAY_REASONS)
            sub = self.add(doc, by, prev + gap * 0.6, arrival, first.thread, first.planted, {"incident": first})
            if sub is None:
                return
            prev = arrival
        if close:
            arrival = prev + self.minutes(120, 1200)
            doc = {"kind": "emergency", "title": f"终报：{first.doc['title']}"[:80], **self.people(unit),
                   "stage": "final", "incident": None,
                   "description": "事件处置工作已基本结束。" + self.casualty_text(casualties, loss)
                   + "善后工作正在有序开展。", "casualties": casualties, "grade": grade,
                   "cause": rng.choice(CAUSES)}
            if loss:
                doc["economic_loss"] = loss
            self.add(doc, unit, prev + (arrival - prev) * 0.7, arrival, first.thread, first.planted,
                     {"incident": first})

    def figures(self, category: str) -> tuple[dict, float]:
        rng = self.rng
        roll = rng.random() if category in ("accident", "traffic", "fire", "natural_disaster") else rng.random() * 0.7
        deaths = 0 if roll < 0.55 else rng.randint(1, 2) if roll < 0.9 else rng.randint(3, 6) if roll < 0.985 \
            else rng.randint(10, 14)
        casualties = {"deaths": deaths, "serious_injuries": rng.choice((0, 0, 1, 2, 3)),
                      "injuries": rng.randint(0, 12), "missing": 0 if rng.random() < 0.9 else rng.randint(1, 3)}
        loss = round(rng.uniform(5, 300), 1) if category in ("accident", "fire", "environment", "natural_disaster",
                                                                "traffic") else 0.0
        return casualties, loss

    def evolve(self, casualties: dict, loss: float) -> tuple[dict, float]:
        rng = self.rng
        c = dict(casualties)
        if c["missing"] and rng.random() < 0.6:
            found = rng.randint(1, c["missing"])
            c["missing"] -= found
            c["deaths"] += rng.randint(0, found)
        if c["serious_injuries"] and rng.random() < 0.2:
            c["serious_injuries"] -= 1
            c["deaths"] += 1
        if rng.random() < 0.3:
            c["injuries"] += rng.randint(0, 3)
        if loss and rng.random() < 0.5:
            loss = round(loss * rng.uniform(1.0, 1.6), 1)
        return c, loss

    def grade_for(self, category: str, casualties: dict, loss: float) -> str:
        figures = {k: casualties[k] for k in ("deaths", "serious_injuries")}
        if loss:
            figures["economic_loss"] = loss
        grade, _ = computed_grade(category, figures, self.w.policy)
        if grade is None:  # no table for the category: the declared grade is the officer's judgement
            grade = self.rng.choices(GRADES[1:], weights=(2, 12, 86))[0]
        return grade

    @staticmethod
    def casualty_text(c: dict, loss: float) -> str:
        parts = [f"{label}{c[k]}人" for k, label in (("deaths", "死亡"), ("serious_injuries", "重伤"),
                                                    ("injuries", "轻伤"), ("missing", "失联")) if c.get(k)]
        text = ("目前已造成" + "、".join(parts) + "。") if parts else "暂无人员伤亡。"
        return text + (f"初步估算直接经济损失约{loss:g}万元。" if loss else "")

    # ---- info items, opinions, office records -------------------------------------------------
    def info(self, when: datetime, *, info_type: str | None = None, unit: str | None = None,
             planted: bool = False, adoptions: Iterable[str] = (), instruction: bool = False,
             correction: bool = False, single: bool = False) -> Submission | None:
        rng = self.rng
        unit = unit or rng.choice(self.w.reporting)
        info_type = info_type or rng.choices(INFO_TYPES, weights=(50, 15, 12, 13, 10))[0]
        unit_name = self.w.units[unit]["name"].replace("江州市", "")
        topic = rng.choice(INFO_TOPICS)
        count = {"dynamic": 3, "research": 7}.get(info_type, 5)
        body = "".join(rng.choice(INFO_SENTENCES).format(unit=unit_name, topic=topic, n=rng.randint(3, 30),
                                                           m=rng.randint(5, 60), p=rng.randint(80, 99))
                       for _ in range(count))
        doc = {"kind": "info", "title": INFO_TITLES[info_type].format(unit=unit_name, topic=topic)[:80],
               **self.people(unit), "info_type": info_type, "body": body,
               "keywords": rng.sample(INFO_TOPICS, 2)}
        created = when
        sub = self.add(doc, unit, created, created + self.minutes(30, 600), self.new_thread(), planted)
        if sub is None or single:
            return sub
        if not adoptions and rng.random() < 0.3:
            adoptions = [rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]]
        for level in adoptions:
            self.adoption(sub, level)
        if instruction or rng.random() < 0.03:
            self.instruction(sub, "city")
        if correction or rng.random() < 0.005:
            self.correction(sub)
        return sub

    def office_doc(self, kind: str, title: str) -> dict:
        office = self.w.office
        return {"kind": kind, "title": title[:80], **self.people(office)}

    def adoption(self, target: Submission, level: str) -> Submission | None:
        when = target.arrival + self.minutes(600, 10000)
        doc = self.office_doc("adoption", f"采用：{target.doc['title']}")
        doc.update({"report": None, "outlet": self.rng.choice(OUTLETS[level]), "level": level,
                    "adopted_at": iso(when)})
        if self.rng.random() < 0.3:
            doc["note"] = "综合采用" if level != "national" else "单篇采用"
        return self.add(doc, self.w.office, when + self.minutes(30, 240), when + self.minutes(300, 1440),
                        target.thread, target.planted, {"report": target})

    def instruction(self, target: Submission, level: str) -> Submission | None:
        when = target.arrival + self.minutes(120, 4000)
        leader = self.rng.choice(LEADERS[level])
        doc = self.office_doc("instruction", f"{leader}批示：{target.doc['title']}")
        doc.update({"report": None, "leader": leader, "level": level, "instructed_at": iso(when),
                    "content": f"请{self.w.units[target.unit]['name']}高度重视，认真总结，抓好落实。"})
        return self.add(doc, self.w.office, when + self.minutes(60, 600), when + self.minutes(700, 2000),
                        target.thread, target.planted, {"report": target})

    def correction(self, target: Submission) -> Submission | None:
        when = target.arrival + self.minutes(240, 2880)
        doc = {"kind": "correction", "title": f"更正：{target.doc['title']}"[:80], **self.people(target.unit),
               "report": None, "reason": "原报告中部分数据统计口径有误", "body": "经核实，原报告第二段所列数据应以本更正为准。"}
        return self.add(doc, target.unit, when, when + self.minutes(20, 300), target.thread, target.planted,
                        {"report": target})

    def notice(self, first: Submission, finding: str) -> Submission | None:
        when = first.arrival + self.minutes(2880, 8000)
        zh = {"missed": "漏报", "late": "迟报"}[finding]
        doc = self.office_doc("notice", f"关于{self.w.units[first.unit]['name']}{zh}紧急信息的通报")
        doc.update({"finding": finding, "target_unit": first.unit, "incident": None, "decided_at": iso(when),
                    "body": f"经核查，{self.w.units[first.unit]['name']}对“{first.doc['title']}”存在{zh}问题，"
                            f"予以通报，并按考核办法扣减相应分值。"})
        return self.add(doc, self.w.office, when + self.minutes(30, 300), when + self.minutes(400, 1200),
                        first.thread, first.planted, {"incident": first})

    def opinion(self, when: datetime, planted: bool = False) -> Submission | None:
        rng = self.rng
        unit = rng.choice(self.w.opinion_units)
        place, district = self.place(unit)
        platform, url_t = rng.choice(PLATFORMS)
        topic = rng.choice(OPINION_TOPICS).format(place=place)
        first_seen = when
        doc = {"kind": "opinion", "title": topic[:80], **self.people(unit), "platform": platform,
               "url": url_t.format(n=rng.randint(10**6, 10**7), m=rng.randint(10**5, 10**6)),
               "first_seen_at": iso(first_seen),
               "spread": {"views": rng.randint(500, 200000), "reposts": rng.randint(0, 3000),
                          "comments": rng.randint(0, 5000)},
               "verification": rng.choice(("unverified", "verifying", "confirmed", "refuted")),
               "body": f"{iso(first_seen)[5:16].replace('T', ' ')}，{platform}出现“{topic}”相关信息，"
                       f"经监测已有一定传播量。目前已会同属地核实情况，做好回应引导。"}
        if district != unit and rng.random() < 0.3:
            doc["involved_units"] = [district]
        return self.add(doc, unit, first_seen + self.minutes(20, 180), first_seen + self.minutes(60, 400),
                        self.new_thread(), planted)

    # ---- the year ------------------------------------------------------------------------------
    def planted(self) -> None:
        """The cases every demo must show, whatever its size and seed."""
        at = self.random_time
        units = self.w.units
        for i, (unit, cat) in enumerate((("nsx", "accident"), ("jkq", "fire"), ("jjzd", "traffic"),
                                         ("xhq", "natural_disaster"))):
            self.incident(at(0.1 + 0.15 * i, 0.2 + 0.15 * i), category=cat, unit=unit if unit in units else None,
                          fate="late", planted=True, followups=2)
        missed = self.incident(at(0.3, 0.4), category="environment", unit="sthj" if "sthj" in units else None,
                               fate="missed", planted=True, followups=1)
        if missed:
            self.notice(missed, "missed")
        self.incident(self.now - timedelta(days=2), category="public_health", planted=True,
                      followups=1, close=False)
        # An incident never followed up: past its 漏报 window, the missing follow-up counts as missed.
        self.incident(at(0.7, 0.75), category="fire", unit="xfzd" if "xfzd" in units else None, planted=True,
                      followups=0, close=False)
        # Issue 10's first scenario: a traffic first report pushed 19 minutes before its deadline and
        # merged by the office an hour later — on time by its push receipt.
        self.incident(at(0.8, 0.85), category="traffic", unit="jjzd" if "jjzd" in units else None, planted=True,
                      followups=1, pushed_before_deadline=timedelta(minutes=19), merge_delay=timedelta(minutes=60))
        # Reports filed during the receipt service's outage: main-line times, catch-up receipts.
        in_outage = self.outage[0] + timedelta(hours=3)
        self.incident(in_outage, category="accident", unit="yjj" if "yjj" in units else None, planted=True,
                      followups=1)
        self.info(in_outage + timedelta(hours=5), info_type="dynamic", planted=True, single=True)
        silent_unit = "zjj" if "zjj" in self.w.units else self.w.reporting[-1]
        self.incident(at(0.45, 0.55), category="other", unit=self.w.districts[0], involved=silent_unit,
                      silent=True, planted=True, followups=2)
        self.incident(at(0.55, 0.6), category="social_security", unit="gaj" if "gaj" in self.w.units else None,
                      involved=self.w.districts[1 % len(self.w.districts)], planted=True, followups=3)
        self.incident(at(0.6, 0.7), category="traffic", fate="on_time", planted=True, followups=3,
                      late_followup=True, pending=True)
        for i, info_type in enumerate(INFO_TYPES):
            self.info(at(0.05 + 0.18 * i, 0.1 + 0.18 * i), info_type=info_type, planted=True,
                      adoptions=LEVELS if i == 0 else (), instruction=i == 1, correction=i == 2)
        self.opinion(at(0.2, 0.8), planted=True)

    def fill(self, target: int) -> None:
        kept = len(self.subs)
        while kept < target:
            roll = self.rng.random()
            before = len(self.subs)
            when = self.random_time(0.0, 0.999)
            if target - kept < 12:  # top up with single items, so nothing has to be cut from a series
                self.info(when, single=True)
            elif roll < 0.22:
                unit = self.rng.choice(self.w.emergency_units)
                category = self.rng.choice(UNIT_CATEGORIES.get(unit, list(CATEGORIES)))
                involved = self.rng.choice(INVOLVED[category]) if self.rng.random() < 0.12 else None
                self.incident(when, unit=unit, category=category,
                              fate="on_time" if self.rng.random() < 0.97 else "late",
                              involved=involved if involved in self.w.reporting and involved != unit else None)
            elif roll < 0.85:
                self.info(when)
            else:
                self.opinion(when)
            kept += len(self.subs) - before


def _trim(subs: list[Submission], target: int) -> list[Submission]:
    """Keep `target` reports: drop the latest-arriving unplanted ones (never a report something cites)."""
    subs.sort(key=lambda s: (s.arrival, s.thread))
    excess = len(subs) - target
    if excess <= 0:
        return subs
    dropped: set[int] = set()
    for i in range(len(subs) - 1, -1, -1):
        if excess == 0:
            break
        if not subs[i].planted:
            dropped.add(i)
            excess -= 1
    return [s for i, s in enumerate(subs) if i not in dropped]


OUTAGE = timedelta(days=2)


def outage_window(start: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The receipt service's one outage: two days from a Tuesday 09:00 about 60% into the year."""
    day = (start + (now - start) * 0.6).astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return day, day + OUTAGE


def _working(when: datetime) -> bool:
    local = when.astimezone(TZ)
    return local.weekday() < 5 and (8, 30) <= (local.hour, local.minute) < (18, 0)


def _next_morning(when: datetime) -> datetime:
    """08:30 of the next working day after `when` (local time)."""
    local = when.astimezone(TZ)
    day = local.replace(hour=8, minute=30, second=0, microsecond=0)
    if (local.hour, local.minute) >= (8, 30):
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _office_merges(subs: list[Submission], outage: tuple[datetime, datetime], now: datetime, seed: int) -> None:
    """When the office merges each pushed report: minutes in office hours, the next working morning
    for ordinary items, hours at night for emergencies (the duty officer). A report is never merged
    before the reports it refers to; nothing after now. During the receipt outage (no push receipts)
    emergencies are merged at once (even before the first report of their incident), so the outage
    costs no unit a deadline."""
    rng = random.Random(seed * 7919 + 17)
    by_arrival = sorted(subs, key=lambda s: (s.arrival, s.thread, s.id))
    for sub in by_arrival:
        t = sub.arrival
        refs = list(sub.refs.values())
        if sub.merge_delay is not None:
            merged = t + sub.merge_delay
        elif sub.doc["kind"] == "emergency":
            if outage[0] <= t < outage[1]:
                merged, refs = t + timedelta(seconds=rng.randint(20, 60)), []
            elif _working(t):
                merged = t + timedelta(seconds=rng.randint(120, 1500))
            else:
                merged = t + timedelta(seconds=rng.randint(1200, 10800))
        elif _working(t) and rng.random() < 0.8:
            merged = t + timedelta(seconds=rng.randint(300, 7200))
        else:
            merged = _next_morning(t) + timedelta(seconds=rng.randint(300, 5400))
        for target in refs:
            if target.merged is not None:
                merged = max(merged, target.merged + timedelta(seconds=rng.randint(30, 300)))
        sub.merged = max(t, min(merged, now - timedelta(seconds=1)))


def _assign_ids(subs: list[Submission]) -> None:
    """Ids in drafting order per officer and day (`nn` = the next unused number), then resolve refs."""
    counters: dict[tuple[str, str], int] = defaultdict(int)
    for sub in sorted(subs, key=lambda s: (s.created, s.thread)):
        day = sub.created.astimezone(TZ).strftime("%Y%m%d")
        counters[sub.author, day] += 1
        nn = counters[sub.author, day]
        if nn > 99:
            raise DemoError("同一信息员一天内的报告超过 99 份，请减少 --reports。")
        sub.doc["id"] = f"{sub.unit}-{day}-{sub.author}-{nn:02d}"
    for sub in subs:
        for fieldname, target in sub.refs.items():
            sub.doc[fieldname] = target.id


FIELD_ORDER = ("id", "kind", "unit", "title", "created_at", "author", "reviewer", "signer", "signoff_pending",
               "stage", "incident", "sequence", "category", "grade", "occurred_at", "discovered_at",
               "phoned_at", "place", "description", "casualties", "economic_loss", "sensitive",
               "sensitive_reason", "trend", "measures", "cause", "involved_units", "info_type", "keywords",
               "body", "platform", "url", "first_seen_at", "spread", "verification", "report", "outlet",
               "level", "adopted_at", "leader", "instructed_at", "content", "finding", "target_unit",
               "decided_at", "reason", "note", "delay_reason")
SCHEMA_LINE = "# yaml-language-server: $schema=../../../schema/report.schema.json\n"


_PLAIN_WORD = re.compile(r"[a-z][a-z0-9_-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
_NOT_PLAIN = re.compile(r"[\x00-\x1f:#{}\[\],&*!|>'\"%@`\\]")


def _scalar(value: object) -> str:
    """One YAML scalar. Plain when unambiguous (codes, Chinese text), else a JSON (= YAML) double-quoted string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN_WORD.fullmatch(text) and text not in _YAML_WORDS:
        return text
    if text and ord(text[0]) > 0x7F and text == text.strip() and not _NOT_PLAIN.search(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def render_report(doc: dict) -> bytes:
    """The report file as an officer's editor would leave it: block style, fields in the usual order.

    Hand-written because PyYAML's representer (pure Python even with CSafeDumper) costs ~1.5 ms a
    report; the output is read back with the strict loader in the tests.
    """
    lines = [SCHEMA_LINE.rstrip("\n")]
    keys = [k for k in FIELD_ORDER if k in doc] + [k for k in doc if k not in FIELD_ORDER]
    for key in keys:
        value = doc[key]
        if isinstance(value, dict | list) and not value:
            lines.append(f"{key}: {'{}' if isinstance(value, dict) else '[]'}")
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {_scalar(v)}" for k, v in value.items())
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"  - {_scalar(v)}" for v in value)
        else:
            lines.append(f"{key}: {_scalar(value)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Writing the repository
# --------------------------------------------------------------------------------------------------

def tool_root() -> Path:
    return Path(baosong.__file__).resolve().parents[2]


def _git(repo: Path, *args: str, input_: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *args], cwd=repo, input=input_, capture_output=True)
    if proc.returncode != 0:
        raise DemoError(f"git {' '.join(args[:2])} 失败：{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def _units_with_keys(text: str, keys: dict[str, SshKey], registry: SshKey) -> str:
    """Write the throwaway public keys into units.yaml, keeping its comments and layout."""
    lines = text.split("\n")
    done: set[str] = set()
    in_registry = False
    for i, line in enumerate(lines):
        if re.match(r"^registry:\s*$", line):
            in_registry = True
            continue
        if in_registry and re.match(r"^\s+keys:\s*\[\]\s*$", line):
            lines[i] = line.replace("[]", f'["{registry.public}"]')
            in_registry = False
            done.add("registry")
            continue
        if in_registry and re.match(r"^\S", line):
            in_registry = False
        m = re.search(r"\{id:\s*([a-z][a-z0-9]*),.*keys:\s*\[\]", line)
        if m and m.group(1) in keys:
            lines[i] = line.replace("keys: []", f'keys: ["{keys[m.group(1)].public}"]')
            done.add(m.group(1))
    if done != {*keys, "registry"}:
        missing = sorted({*keys, "registry"} - done)
        raise DemoError(f"无法在 config/units.yaml 中写入演示公钥（未找到 keys: [] 的人员：{', '.join(missing[:5])}）。")
    return "\n".join(lines)


@dataclass
class DemoResult:
    out: Path
    reports: int
    commits: int
    head: str
    counts: dict[str, int]
    planted: dict[str, list[str]]


def _ident(name: str, email: str, when: datetime) -> str:
    return f"{name} <{email}> {int(when.timestamp())} +0800"


def generate_demo(out: Path, reports: int = DEFAULT_REPORTS, seed: int = 1, now: datetime = DEFAULT_NOW,
                  progress: Progress | None = None) -> DemoResult:
    """Write a registry repository with `reports` report files into `out` (which must not exist or be empty)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise DemoError(f"目标目录 {out} 已存在且不为空，请指定新目录或先删除。")
    root = tool_root()
    if not (root / "config" / "units.yaml").is_file() or not (root / "schema").is_dir():
        raise DemoError(f"在 {root} 找不到 config/ 与 schema/，无法生成演示库。")
    start = DEFAULT_START
    if now <= start + timedelta(days=20):
        raise DemoError(f"--now 须晚于 {iso(start + timedelta(days=20))}。")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("schema", "config"):
        shutil.copytree(root / name, out / name)
    if (root / "mkdocs.yml").is_file():
        shutil.copy2(root / "mkdocs.yml", out / "mkdocs.yml")
    (out / ".gitignore").write_text(f"{KEY_DIR}/\n.baosong-cache/\nsite/\n")

    cfg = load_config(WorkTree(out))
    if not cfg.ok:
        raise DemoError("工具自带的配置未通过检查：" + "；".join(p.render() for p in cfg.problems[:3]))
    world = _World(cfg)

    # Throwaway keys: one per staff member, one for the registry itself.
    key_dir = out / KEY_DIR
    key_dir.mkdir()
    keys = {sid: SshKey(f"{sid}@{person['unit']}") for sid, person in sorted(cfg.staff.items())}
    registry_key = SshKey(cfg.units_doc.get("registry", {}).get("principal", "registry"))
    for sid, key in keys.items():
        key.save(key_dir, sid)
    registry_key.save(key_dir, "registry")
    allowed = [f"{cfg.staff[sid]['principal']} {key.public}" for sid, key in keys.items()]
    (key_dir / "allowed_signers").write_text("\n".join(allowed) + "\n")
    units_path = out / "config" / "units.yaml"
    units_path.write_text(_units_with_keys(units_path.read_text(encoding="utf-8"), keys, registry_key),
                          encoding="utf-8")
    cfg = load_config(WorkTree(out))
    if not cfg.ok:
        raise DemoError("写入演示公钥后 config/units.yaml 未通过检查：" + cfg.problems[0].render())

    # The year, simulated.
    rng = random.Random(seed)
    sim = _Simulation(world, rng, start, now)
    sim.planted()
    planted_count = len(sim.subs)
    if reports < planted_count:
        raise DemoError(f"--reports 至少为 {planted_count}（演示必须包含的迟报、漏报、超期续报等情形）。")
    plant_duties(sim, reports - planted_count)  # 约稿 and 重要时段 (demo_duties.py), when the target leaves room
    sim.fill(reports)
    subs = _trim(sim.subs, reports)
    _assign_ids(subs)
    _office_merges(subs, sim.outage, now, seed)
    subs.sort(key=lambda s: (s.merged, s.arrival, s.id))

    _write_history(out, cfg, subs, keys, keys[world.admin], world.admin, registry_key, sim.outage, progress)
    head = _git(out, "rev-parse", "HEAD").decode().strip()
    counts: dict[str, int] = defaultdict(int)
    for s in subs:
        counts[s.doc["kind"] if s.doc["kind"] != "emergency" else f"emergency:{s.doc['stage']}"] += 1
    return DemoResult(out, len(subs), 2 * len(subs) + 1, head, dict(sorted(counts.items())),
                      _planted_summary(subs))


def _planted_summary(subs: list[Submission]) -> dict[str, list[str]]:
    late = [s.id for s in subs if s.doc.get("delay_reason")]
    silent = [s.id for s in subs if s.planted and s.doc.get("involved_units") and s.doc.get("stage") == "first"]
    return {"delay_reason": late, "involved": silent}


def _write_history(out: Path, cfg: Config, subs: list[Submission], keys: dict[str, SshKey], admin_key: SshKey,
                   admin: str, registry_key: SshKey, outage: tuple[datetime, datetime],
                   progress: Progress | None) -> None:
    """Every object in one pack, then the refs; check out main.

    Main first, in merge order — per submission: the report blob, the changed trees, the officer's
    signed branch commit and the administrator's signed merge. Then the receipts store, in the
    order the registry wrote it (see _Receipts).
    """
    _git(out, "init", "-q", "-b", "main")
    _git(out, "config", "core.quotepath", "false")
    pack = _Pack()
    trees = _Trees(pack)
    for f in sorted(out.rglob("*")):
        rel = f.relative_to(out)
        if f.is_file() and rel.parts[0] not in (KEY_DIR, ".git"):
            trees.set(rel.as_posix(), pack.add(OBJ_BLOB, f.read_bytes())[0])
    staff = cfg.staff
    office_name = cfg.units[cfg.registry_office]["name"]

    def person(sid: str, when: datetime) -> str:
        return _ident(staff[sid]["name"], staff[sid]["principal"], when)

    first_time = DEFAULT_START - timedelta(hours=15)
    tip, _ = pack.add(OBJ_COMMIT, signed_commit(
        trees.flush(), [], person(admin, first_time), person(admin, first_time),
        f"建立{office_name}信息报送登记库\n\n初始化 schema/ 与 config/（演示库）。\n", admin_key))
    mains: list[tuple[datetime, str]] = [(first_time, tip)]  # (merge time, main tip) in order
    written: list[tuple[Submission, str, str, str]] = []  # (submission, blob, branch commit, merge commit)
    items = list(enumerate(subs, start=1))
    for n, sub in progress(items, "写入提交") if progress else items:
        assert sub.merged is not None
        blob, _ = pack.add(OBJ_BLOB, render_report(sub.doc))
        trees.set(sub.path, blob)
        tree = trees.flush()
        branch, _ = pack.add(OBJ_COMMIT, signed_commit(
            tree, [tip], person(sub.author, sub.committed), person(sub.author, sub.committed),
            f"报送：{sub.doc['title']}\n\n{sub.path}\n", keys[sub.author]))
        tip, _ = pack.add(OBJ_COMMIT, signed_commit(
            tree, [tip, branch], person(admin, sub.merged), person(admin, sub.merged),
            f"合并报送 #{n}：{sub.id}\n\n{sub.unit}/{sub.id} → main\n", admin_key))
        mains.append((sub.merged, tip))
        written.append((sub, blob, branch, tip))
    receipts = _Receipts(pack, cfg, keys, registry_key, seed=len(subs))
    receipts.replay(written, mains, outage)
    pack.finish(out)
    _git(out, "update-ref", "refs/heads/main", tip)
    if receipts.tip:
        from baosong.receipts import RECEIPTS_REF, witness_path, write_witness

        _git(out, "update-ref", RECEIPTS_REF, receipts.tip)
        # What the registry's server keeps beside the store (here the git directory, the default):
        # `audit`/`verify` compare the store with it, and the portal publishes it.
        assert receipts.previous is not None and receipts.last_run is not None
        write_witness(witness_path(out), receipts.tip, receipts.sequence, receipts.previous, receipts.last_run)
    _git(out, "symbolic-ref", "HEAD", "refs/heads/main")
    _git(out, "read-tree", "-u", "--reset", "HEAD")


class _Receipts:
    """The registry's receipt service over the year: the server hook receipts each pushed report blob
    at its push (`via: push`, naming the pushed ref), one receipt and one checkpoint per push; the
    post-merge job receipts what has no receipt (`via: receive`): after the merge, or — for what was
    merged during the outage, when neither ran — in one catch-up run when the service is back. (The
    real `receive` also writes a checkpoint whenever main moved; here the job writes one only when it
    adds receipts, which keeps a 50,000-report store half the size.)

    The same records as `receipts.receive` writes (its format helpers are reused), produced in bulk:
    `receive` forks git and ssh-keygen a dozen times per run, which at one run per push would take
    hours for a large demo.
    """

    def __init__(self, pack: _Pack, cfg: Config, keys: dict[str, SshKey], registry_key: SshKey, seed: int) -> None:
        from baosong import receipts, signatures

        self.fmt, self.sig = receipts, signatures
        self.pack, self.cfg, self.keys, self.key = pack, cfg, keys, registry_key
        self.trees = _Trees(pack)
        self.principal = (cfg.units_doc.get("registry") or {}).get("principal")
        self.latency = random.Random(seed)
        self.previous: str | None = None
        self.last_run: datetime | None = None
        self.tip: str | None = None
        self.sequence = 0
        self.accepted = 0

    def replay(self, written: list[tuple[Submission, str, str, str]], mains: list[tuple[datetime, str]],
               outage: tuple[datetime, datetime]) -> None:
        """Every run of the hook and the job, in time order."""
        runs: list[tuple[datetime, int, list[tuple[Submission, str, str, str]], str]] = []
        catch_up = []
        for item in written:
            sub = item[0]
            assert sub.merged is not None
            if not outage[0] <= sub.arrival < outage[1]:
                runs.append((sub.arrival, len(runs), [item], "push"))
            elif sub.merged < outage[1]:
                catch_up.append(item)
            else:  # pushed while the service was down, merged after: the job receipts it after the merge
                runs.append((sub.merged + timedelta(seconds=self.latency.randint(3, 40)), len(runs), [item], "receive"))
        if catch_up:
            runs.append((outage[1], len(runs), catch_up, "receive"))
        times = [t for t, _ in mains]
        for when, _, items, via in sorted(runs, key=lambda r: (r[0], r[1])):
            main_tip = mains[bisect.bisect_right(times, when) - 1][1]
            self.run(when, main_tip, items, via)

    def run(self, now: datetime, main_tip: str, items: list[tuple[Submission, str, str, str]], via: str) -> None:
        fmt = self.fmt
        self.sequence += 1
        self.last_run = now
        when = iso(now)
        files: dict[str, bytes] = {}
        added = []
        for sub, blob, commit, merge in items:
            record = {"format": fmt.FORMAT_VERSION, "kind": "receipt", "path": sub.path, "blob": blob,
                      "commit": commit, "main_commit": main_tip if via == "push" else merge, "signer": sub.author,
                      "principal": self.cfg.staff[sub.author]["principal"],
                      "key": self.sig.fingerprint(self.keys[sub.author].blob), "signature": "good",
                      "received_at": when, "registry": self.principal, "via": via}
            if via == "push":
                record["ref"] = f"refs/heads/report/{sub.id}"
            data = fmt.canonical(record)
            files[fmt.receipt_path(blob)] = data
            files[fmt.receipt_path(blob, ".json.sig")] = self.key.sign(data, self.sig.RECEIPT_NAMESPACE.encode()).encode()
            added.append([sub.path, blob, _object_id(b"blob", data), when, None])
        self.accepted += len(added)
        checkpoint = {"format": fmt.FORMAT_VERSION, "kind": "checkpoint", "sequence": self.sequence,
                      "previous": self.previous, "main_commit": main_tip, "created_at": when, "registry": self.principal,
                      "added": sorted(added), "accepted_count": self.accepted}
        raw = fmt.canonical(checkpoint)
        self.previous = hashlib.sha256(raw).hexdigest()
        files[fmt.CHECKPOINT_FILE] = raw
        files[fmt.CHECKPOINT_FILE + ".sig"] = self.key.sign(raw, self.sig.CHECKPOINT_NAMESPACE.encode()).encode()
        for name, content in files.items():
            self.trees.set(name, self.pack.add(OBJ_BLOB, content)[0])
        ident = _ident("baosong registry", "registry@baosong.invalid", now)
        parents = f"parent {self.tip}\n" if self.tip else ""
        what = "hook" if via == "push" else "receive"
        obj = (f"tree {self.trees.flush()}\n{parents}author {ident}\ncommitter {ident}\n\n"
               f"{what}: {len(added)} receipt(s), checkpoint {self.sequence} at {main_tip[:10]}\n").encode()
        self.tip, _ = self.pack.add(OBJ_COMMIT, obj)


__all__ = ["DEFAULT_NOW", "DEFAULT_REPORTS", "DemoError", "DemoResult", "SshKey", "generate_demo", "outage_window",
           "render_report", "signed_commit", "tool_root"]
