"""baosong init: a new registry (the office's work tree) or its server repository (--bare)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baosong.commands.common import colour
from baosong.hook import DEFAULT_MAIN, DEFAULT_SKEW_MINUTES

NAME = "init"
HELP = "开设登记库：生成登记库目录（模式、配置模板、CI 模板），或服务器上的裸仓库（--bare）"
DESCRIPTION = """开设登记库。

不带 --bare：在 目录 中生成登记机关的工作目录：schema/（模式）、config/units.yaml（写明城市、
登记机关和第一位登记管理员）、config/policy.yaml（报送政策模板）、reports/、.gitignore 和所选的
CI 模板，并 git init。不提交：由管理员检查配置后用自己的密钥签名提交第一个版本。
缺少的选项在终端中逐项询问；非交互运行时须全部用选项给出。

带 --bare：在 目录 中建立（或接管已有的）服务器裸仓库：安装 pre-receive 与 post-receive 钩子
（守护主分支和回执库、为推送的报告写收文回执），生成登记系统私钥（或使用 --key 给出的私钥），
写入仓库的 git 配置 baosong.*。已有的裸仓库保留全部历史。打印的公钥须写入 config/units.yaml 的
registry.keys。

示例：
  baosong init registry --city 江州市 --office-code xxk --office 江州市委办公室信息科 \\
      --admin-id wangli --admin-name 王丽 --admin-key ~/.ssh/id_ed25519.pub --ci gitlab
  baosong init --bare /srv/git/registry.git
  baosong init --bare /srv/git/registry.git --key /etc/baosong/registry_ed25519 --witness /var/lib/baosong/witness.json

退出状态：0 成功；1 生成的配置有误；2 用法错误或无法创建。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="目录", help="要创建的登记库目录（或裸仓库目录）")
    parser.add_argument("--bare", action="store_true", help="建立服务器上的裸仓库并安装钩子")
    office = parser.add_argument_group("登记库目录（不带 --bare）")
    office.add_argument("--city", metavar="城市", help="城市名称，如 江州市")
    office.add_argument("--office-code", metavar="代码", help="登记机关单位代码，如 xxk")
    office.add_argument("--office", metavar="名称", help="登记机关名称，如 江州市委办公室信息科")
    office.add_argument("--admin-id", metavar="标识", help="第一位登记管理员的人员标识，如 wangli")
    office.add_argument("--admin-name", metavar="姓名", help="第一位登记管理员的姓名")
    office.add_argument("--admin-key", type=Path, metavar="公钥文件", help="管理员的 SSH 公钥文件，如 ~/.ssh/id_ed25519.pub")
    office.add_argument("--registry-key", metavar="公钥", help="登记系统公钥（baosong init --bare 打印的那一行）或其文件")
    office.add_argument("--ci", choices=["gitlab", "gitea", "forgejo", "none"], help="CI 模板")
    server = parser.add_argument_group("服务器裸仓库（--bare）")
    server.add_argument("--key", type=Path, metavar="私钥", help="登记系统私钥文件：已存在则使用，否则在此生成"
                        "（默认：<目录>/baosong/registry_ed25519）")
    server.add_argument("--main", default=DEFAULT_MAIN, metavar="分支", help=f"受守护的主分支（默认 {DEFAULT_MAIN}）")
    server.add_argument("--max-skew", type=int, default=DEFAULT_SKEW_MINUTES, metavar="分钟",
                        help=f"主分支提交时间与服务器时钟允许的偏差（默认 {DEFAULT_SKEW_MINUTES} 分钟）")
    server.add_argument("--witness", type=Path, metavar="文件", help="见证文件（默认：裸仓库目录下 baosong-witness.json）")
    server.add_argument("--hooks-dir", type=Path, metavar="目录",
                        help="把钩子写到此目录（默认：<目录>/hooks；代码托管平台的自定义钩子目录见 README）")
    server.add_argument("--force", action="store_true", help="覆盖不是 baosong 安装的已有钩子（原文件另存为 .bak）")


def _ask(label: str, current: str | None, example: str) -> str:
    if current:
        return current
    if not sys.stdin.isatty():
        raise _Missing(label)
    return input(f"{label}（如 {example}）：").strip()


class _Missing(Exception):
    pass


def _key_text(value: str | Path | None) -> str:
    if not value:
        return ""
    path = Path(value).expanduser()
    if str(value).startswith(("ssh-", "ecdsa-", "sk-")):
        return str(value).strip()
    if not path.is_file():
        raise FileNotFoundError(str(path))
    return path.read_text(encoding="utf-8").strip().splitlines()[0]


def run(args: argparse.Namespace) -> int:
    from baosong.init import InitError

    try:
        return _bare(args) if args.bare else _worktree(args)
    except InitError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def _worktree(args: argparse.Namespace) -> int:
    from baosong.init import Office, init_worktree

    try:
        city = _ask("城市名称", args.city, "江州市")
        office = Office(city=city, code=_ask("登记机关单位代码", args.office_code, "xxk"),
                        name=_ask("登记机关名称", args.office, f"{city}委办公室信息科"),
                        admin_id=_ask("登记管理员的人员标识", args.admin_id, "wangli"),
                        admin_name=_ask("登记管理员姓名", args.admin_name, "王丽"),
                        ci=_ask("CI 模板（gitlab、gitea、forgejo、none）", args.ci, "gitlab"))
    except _Missing as exc:
        print(f"错误：缺少{exc}。非交互运行时请用选项给出：--city、--office-code、--office、--admin-id、"
              "--admin-name、--ci（见 baosong init --help）。", file=sys.stderr)
        return 2
    try:
        office.admin_key = _key_text(args.admin_key)
        office.registry_key = _key_text(args.registry_key)
    except (FileNotFoundError, UnicodeDecodeError, IndexError) as exc:
        print(f"错误：无法读取公钥文件 {exc}。请给出 .pub 公钥文件（不是私钥）。", file=sys.stderr)
        return 2
    result = init_worktree(args.dir, office)
    print(colour(f"已生成登记库目录 {result.path}：", "32"))
    for f in result.files:
        print(f"  {f}")
    if result.problems:
        for p in result.problems:
            print(p.render(), file=sys.stderr)
        return 1
    todo = []
    if not office.admin_key:
        todo.append(f"在 config/units.yaml 中为 {office.admin_id} 填入 SSH 公钥（keys）")
    if not office.registry_key:
        todo.append("把服务器上 baosong init --bare 打印的登记系统公钥填入 registry.keys")
    todo += ["在 config/units.yaml 中列出各报送单位及其人员和公钥",
             "用管理员密钥签名提交：git add -A && git commit -S -m \"开设登记库\"",
             "推送到服务器：git remote add origin <地址> && git push origin main"]
    print("下一步：\n" + "".join(f"  {i}. {t}\n" for i, t in enumerate(todo, 1)), end="")
    return 0


def _bare(args: argparse.Namespace) -> int:
    from baosong.init import init_bare

    if args.max_skew < 0:
        print("错误：--max-skew 须为非负整数（分钟）。", file=sys.stderr)
        return 2
    if (args.dir / "objects").is_dir():
        print("已有仓库：安装钩子后为主分支建立检查索引（5 万份报告约需一分钟）……", file=sys.stderr)
    result = init_bare(args.dir, args.key, main=args.main, max_skew=args.max_skew, witness=args.witness,
                       hooks_dir=args.hooks_dir, force=args.force)
    what = "已接管现有裸仓库（历史保留）" if result.existing else "已建立裸仓库"
    print(colour(f"{what}：{result.path}", "32"))
    for h in result.hooks:
        print(f"  钩子：{h}")
    if result.warmed:
        print("  已为现有主分支建立检查索引（此后合并推送时的检查只需数秒）。")
    made = "新生成" if result.key_generated else "使用已有"
    print(f"  登记系统私钥（{made}，仅服务器上的钩子使用，请勿外传并妥善备份）：{result.key_path}")
    print("登记系统公钥（写入 config/units.yaml 的 registry.keys，或 baosong init --registry-key）：")
    print(result.public_key)
    return 0
