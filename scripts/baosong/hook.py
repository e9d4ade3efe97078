"""The registry server's git hooks (收文登记 and the guard on main), and installing them.

pre-receive (`baosong hook pre-receive`) refuses a push that
  - creates, deletes, rewinds or updates any `refs/baosong/*` ref: only the receipt writer, which runs
    on the server and moves the ref with `git update-ref`, advances them;
  - deletes or rewinds main, or updates it with a change that fails the pull-request check
    (`prcheck.check_pr(repo, old, now, head_rev=new)`), judged with the tool installed on the server
    and the trust roots of main as it is on the server, never with anything from the pushed refs —
    so a merge made with the forge's merge button is judged too;
  - adds first-parent commits to main whose committer date is more than `baosong.maxClockSkew`
    minutes away from the server's clock: main-line times are then attested by the server.
post-receive (`baosong hook post-receive`) writes push receipts (`receipts.receive_push`).

Settings come from the server repository's git config (set by `baosong init --bare`): `baosong.key`,
`baosong.mainBranch` (default main), `baosong.maxClockSkew` (minutes, default 5), `baosong.witness`.
Nothing here is read from the pushed refs. This module imports only light modules at load time:
a push that touches neither main nor `refs/baosong/*` costs the guard no more than Python's start.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from baosong.gitrepo import GitError, RefUpdate, git_text, is_ancestor
from baosong.problems import Problem

PROTECTED_PREFIX = "refs/baosong/"
DEFAULT_MAIN = "main"
DEFAULT_SKEW_MINUTES = 5
HOOK_NAMES = ("pre-receive", "post-receive")
HOOK_MARKER = "# baosong-hook"
LOG_FILE = "baosong-hook.log"


@dataclass
class ServerSettings:
    key: Path | None
    main: str
    max_skew: int  # minutes
    witness: Path | None
    problems: list[Problem]

    @property
    def main_ref(self) -> str:
        return self.main if self.main.startswith("refs/") else f"refs/heads/{self.main}"


def server_settings(repo: Path) -> ServerSettings:
    """The hooks' settings from the server repository's own git config."""
    out = git_text(repo, "config", "--get-regexp", r"^baosong\.", check=False)
    conf = {}
    for line in out.splitlines():
        name, _, value = line.partition(" ")
        conf[name.lower()] = value.strip()
    problems: list[Problem] = []
    skew = DEFAULT_SKEW_MINUTES
    if "baosong.maxclockskew" in conf:
        try:
            skew = int(conf["baosong.maxclockskew"])
            if skew < 0:
                raise ValueError
        except ValueError:
            problems.append(Problem("config", 1, 1, "baosong.maxClockSkew", "hook-config",
                                    f"git 配置 baosong.maxClockSkew 的值“{conf['baosong.maxclockskew']}”无效，须为非负整数"
                                    f"（分钟）。按默认值 {DEFAULT_SKEW_MINUTES} 分钟判断。", "warning"))
    key = Path(conf["baosong.key"]) if conf.get("baosong.key") else None
    witness = Path(conf["baosong.witness"]) if conf.get("baosong.witness") else None
    return ServerSettings(key, conf.get("baosong.mainbranch") or DEFAULT_MAIN, skew, witness, problems)


def _p(ref: str, rule: str, message: str) -> Problem:
    return Problem(ref, 1, 1, "", rule, message)


def _first_parent_times(repo: Path, old: str, new: str) -> list[tuple[str, datetime]]:
    out = git_text(repo, "log", "--first-parent", "--format=%H %cI", f"{old}..{new}")
    return [(cid, datetime.fromisoformat(when)) for cid, when in (line.split(" ", 1) for line in out.splitlines())]


def guard_push(repo: Path, updates: list[RefUpdate], now: datetime, *, main: str = DEFAULT_MAIN,
               max_skew: int = DEFAULT_SKEW_MINUTES, use_cache: bool = True) -> list[Problem]:
    """Why the push must be refused (errors), empty when it may go ahead. See the module doc."""
    main_ref = main if main.startswith("refs/") else f"refs/heads/{main}"
    problems: list[Problem] = []
    for u in updates:
        if u.ref.startswith(PROTECTED_PREFIX):
            what = "删除" if u.deleted else "创建" if u.created else "修改或回退"
            problems.append(_p(u.ref, "receipts-ref-protected",
                               f"不能通过推送{what} {u.ref}：回执库只能由服务器上的登记系统写入。若使用了 "
                               "git push --mirror 或 --all，请改为只推送自己的分支：git push origin <分支名>。"))
        elif u.ref == main_ref:
            problems.extend(_guard_main(repo, u, now, main, max_skew, use_cache))
    return problems


def _guard_main(repo: Path, u: RefUpdate, now: datetime, main: str, max_skew: int, use_cache: bool,
                ) -> list[Problem]:
    if u.deleted:
        return [_p(u.ref, "main-deleted", f"不能删除主分支 {main}。")]
    if u.created:
        return []  # the registry's first push: there is no main to judge it against yet
    try:
        forward = is_ancestor(repo, u.old, u.new)
    except GitError:
        forward = False
    if not forward:
        return [_p(u.ref, "main-rewound", f"不能改写主分支 {main} 的历史（强制推送或回退）：已登记的报告一经合并不可撤回。"
                   "请在当前主分支的基础上合并或新增提交。")]
    problems = []
    limit = timedelta(minutes=max_skew)
    for cid, when in _first_parent_times(repo, u.old, u.new):
        if abs(when - now) > limit:
            problems.append(_p(u.ref, "main-commit-time",
                               f"主分支上的提交 {cid[:10]} 的提交时间 {when.isoformat()} 与服务器时钟 "
                               f"{now.replace(microsecond=0).isoformat()} 相差超过 {max_skew} 分钟：主分支上的合并时间由服务器"
                               "作证，不能提前或倒填。请在合并前校准本机时钟，重新合并（git merge --no-ff）后立即推送。"))
    from baosong.prcheck import check_pr

    result = check_pr(repo, u.old, now, head_rev=u.new, use_cache=use_cache)
    for p in result.problems:
        if p.is_error:
            problems.append(p)
    return problems


# ---------------------------------------------------------------------------------------------
# Installing the hooks


def baosong_command() -> list[str]:
    """An absolute command line for the baosong that is running now (the installed tool)."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "baosong" and argv0.is_file():
        return [str(argv0.resolve())]
    script = Path(sys.executable).parent / "baosong"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-P", "-m", "baosong"]  # -P: never import from the hook's directory


_PRE_RECEIVE_FILTER = """\
# Only a push touching main, refs/baosong/* or anything but a branch or tag needs the guard: an officer's
# branch push goes straight through without starting Python (the guard itself decides everything else).
{main_line}
case "$main" in refs/*) ;; *) main="refs/heads/$main" ;; esac
input=$(cat)
need=
while read -r old new ref; do
  case "$ref" in
    "$main"|refs/baosong/*) need=1 ;;
    refs/heads/*|refs/tags/*) ;;
    *) need=1 ;;
  esac
done <<EOF
$input
EOF
[ -n "$need" ] || exit 0
printf '%s\\n' "$input" | """


def hook_script(name: str, command: list[str] | None = None, options: list[str] | None = None) -> str:
    """The shell script git runs as hooks/<name>: it only execs the installed baosong (with options,
    for forges whose repositories' git config the administrator cannot set)."""
    cmd = " ".join(shlex.quote(c) for c in [*(command or baosong_command())])
    options = list(options or [])
    extra = "".join(f" {shlex.quote(o)}" for o in options)
    what = "守护主分支与回执库" if name == "pre-receive" else "为推送送达的报告写收文回执"
    head = (f"#!/bin/sh\n{HOOK_MARKER} {name}: {what}。\n"
            "# 由 baosong init --bare 安装；设置见本仓库 git 配置中的 baosong.*。\n")
    if name != "pre-receive":
        return head + f"exec {cmd} hook {name}{extra}\n"
    if "--main" in options:
        main_line = f"main={shlex.quote(options[options.index('--main') + 1])}"
    else:
        main_line = f"main=$(git config --get baosong.mainBranch || echo {DEFAULT_MAIN})"
    return head + _PRE_RECEIVE_FILTER.format(main_line=main_line) + f"exec {cmd} hook {name}{extra}\n"


class HookInstallError(RuntimeError):
    """A hook of someone else's is in the way: a Chinese message for the user."""


def install_hooks(hooks_dir: Path, command: list[str] | None = None, *, force: bool = False) -> list[Path]:
    """Write pre-receive and post-receive into hooks_dir (executable). A hook baosong did not write
    is kept unless force (then saved as <name>.bak)."""
    hooks_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in HOOK_NAMES:
        target = hooks_dir / name
        if target.exists():
            text = target.read_text(encoding="utf-8", errors="replace")
            if HOOK_MARKER not in text:
                if not force:
                    raise HookInstallError(
                        f"{target} 已存在且不是 baosong 安装的钩子（可能属于代码托管平台）。请改用 --hooks-dir 指定"
                        f"平台的自定义钩子目录（如 Gitea/Forgejo 的 hooks/{name}.d、GitLab 的 custom_hooks），"
                        "或加 --force 覆盖（原文件另存为 .bak）。")
                target.replace(target.with_name(name + ".bak"))
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_text(hook_script(name, command), encoding="utf-8")
        os.chmod(tmp, 0o755)
        tmp.replace(target)
        written.append(target)
    return written
