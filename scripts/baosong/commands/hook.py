"""baosong hook: the registry server's git hooks (pre-receive guard, post-receive push receipts)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

# Only light imports here: every push on the server starts this command twice.
from baosong.commands.common import add_repo_option
from baosong.gitrepo import GitError, git_text, parse_ref_updates
from baosong.hook import HOOK_NAMES, LOG_FILE, PROTECTED_PREFIX, guard_push, hook_script, server_settings

NAME = "hook"
HELP = "服务器端 git 钩子：守护主分支与回执库（pre-receive），为推送的报告写收文回执（post-receive）"
DESCRIPTION = """登记库服务器（裸仓库）的 git 钩子，由 baosong init --bare 安装为 hooks/pre-receive 和
hooks/post-receive，从标准输入读取 git 传入的“旧值 新值 引用名”行。

pre-receive：拒绝创建、删除或改动 refs/baosong/*（回执库只能由服务器上的登记系统写入）；拒绝删除、
改写主分支；拒绝主分支上提交时间与服务器时钟相差超过 baosong.maxClockSkew 分钟（默认 5）的
主线提交；对主分支的每次更新（包括在代码托管平台上点击合并）按合并请求检查的规则判断，
配置与模式取自服务器上主分支的现状，工具是服务器上安装的 baosong，推送的内容不参与判断。

post-receive：推送带来的每个新报告 blob（任何分支）写一份收文回执（"via": "push"），用登记系统
私钥签名、按服务器时钟记录送达时间，追加到 refs/baosong/receipts。

设置（本仓库的 git 配置）：baosong.key 登记系统私钥、baosong.mainBranch 主分支名、
baosong.maxClockSkew 允许的时钟偏差（分钟）、baosong.witness 见证文件。

示例：
  baosong hook pre-receive < 推送行
  baosong hook post-receive --key /srv/baosong/registry_ed25519
  baosong hook post-receive --print-script --key /etc/baosong/registry_ed25519 > custom_hooks/post-receive

退出状态：0 接受 / 已登记；1 拒绝推送 / 未能登记；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=HOOK_NAMES, metavar="钩子", help="pre-receive 或 post-receive")
    add_repo_option(parser)
    parser.add_argument("--key", type=Path, default=None, metavar="私钥",
                        help="登记系统 SSH 私钥（默认：git 配置 baosong.key，其次环境变量 BAOSONG_REGISTRY_KEY）")
    parser.add_argument("--witness", type=Path, default=None, metavar="文件",
                        help="见证文件（默认：git 配置 baosong.witness，其次环境变量 BAOSONG_WITNESS）")
    parser.add_argument("--main", default=None, metavar="分支", help="受守护的主分支（默认：git 配置 baosong.mainBranch，否则 main）")
    parser.add_argument("--max-skew", type=int, default=None, metavar="分钟",
                        help="主分支提交时间与服务器时钟允许的偏差（默认：git 配置 baosong.maxClockSkew，否则 5）")
    parser.add_argument("--print-script", action="store_true",
                        help="只打印调用本机 baosong 的钩子脚本（供复制到代码托管平台的自定义钩子目录）")


def run(args: argparse.Namespace) -> int:
    if args.print_script:
        options = []
        for flag, value in (("--key", args.key), ("--witness", args.witness), ("--main", args.main),
                            ("--max-skew", args.max_skew)):
            if value is not None:
                options += [flag, str(Path(value).absolute()) if isinstance(value, Path) else str(value)]
        print(hook_script(args.name, options=options), end="")
        return 0
    updates = parse_ref_updates(sys.stdin.buffer.read().decode("utf-8", "replace"))
    try:
        settings = server_settings(args.repo)
    except GitError as exc:
        print(f"baosong：无法读取仓库设置：{exc.stderr or exc}", file=sys.stderr)
        return 1
    for p in settings.problems:
        print(p.render(), file=sys.stderr)
    if args.main:
        settings.main = args.main
    if args.max_skew is not None:
        settings.max_skew = max(args.max_skew, 0)
    if args.name == "pre-receive":
        return _pre_receive(args, updates, settings)
    return _post_receive(args, updates, settings)


def _pre_receive(args: argparse.Namespace, updates: list, settings) -> int:
    if not any(u.ref == settings.main_ref or u.ref.startswith(PROTECTED_PREFIX) for u in updates):
        return 0  # a submitter's branch: nothing to guard, receipts come after the push
    now = datetime.now().astimezone()
    try:
        problems = guard_push(args.repo, updates, now, main=settings.main, max_skew=settings.max_skew)
    except GitError as exc:
        print(f"登记系统无法检查本次推送（git 命令失败：{exc.stderr or exc}），为安全起见拒绝推送。", file=sys.stderr)
        return 1
    if not problems:
        return 0
    print("登记系统拒绝本次推送：", file=sys.stderr)
    for p in problems:
        print(p.render(), file=sys.stderr)
    print(f"共 {len(problems)} 个问题。主分支只接受通过检查的合并；回执库只由服务器写入。", file=sys.stderr)
    return 1


def _post_receive(args: argparse.Namespace, updates: list, settings) -> int:
    import os

    from baosong.receipts import KEY_ENV, ReceiveError
    from baosong.receive import receive_push

    key = args.key or settings.key or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if key is None:
        return _post_failed(args, "未配置登记系统私钥（git config baosong.key <私钥文件>），没有写收文回执。")
    now = datetime.now().astimezone()
    try:
        result = receive_push(args.repo, key, now, updates, main=settings.main, witness=args.witness or settings.witness)
    except ReceiveError as exc:
        return _post_failed(args, str(exc))
    except GitError as exc:
        return _post_failed(args, f"git 命令失败：{exc.stderr or exc}")
    if result.problems:
        return _post_failed(args, "主分支上的配置有误，没有写收文回执：" + "；".join(p.render() for p in result.problems[:3]))
    if result.receipts:
        print(f"登记系统已收文：{len(result.receipts)} 份报告（检查点 {result.checkpoint}）。", file=sys.stderr)
        for r in result.receipts:
            flag = "" if r["signature"] == "good" else f"（签名：{r['signature']}）"
            print(f"  {r['received_at']}  {r['path']}  {r['signer'] or '-'}{flag}", file=sys.stderr)
    return 0


def _post_failed(args: argparse.Namespace, message: str) -> int:
    """The push itself has gone through: say so on the pusher's terminal and in the server's log."""
    print(f"登记系统未能写收文回执：{message}\n推送已完成；请通知登记管理员（服务器日志 {LOG_FILE}）。", file=sys.stderr)
    try:
        git_dir = Path(args.repo) / git_text(args.repo, "rev-parse", "--git-dir")
        with open(git_dir / LOG_FILE, "a", encoding="utf-8") as fh:
            fh.write(f"{datetime.now().astimezone().isoformat(timespec='seconds')} post-receive: {message}\n")
    except (OSError, GitError):
        pass
    return 1
