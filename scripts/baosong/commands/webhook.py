"""baosong webhook: push receipts from GitLab / Gitea / Forgejo push events (where server hooks are impossible)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from baosong.commands.common import add_repo_option

NAME = "webhook"
HELP = "收文登记网络钩子服务：接收 GitLab、Gitea、Forgejo 的推送事件，为推送的报告写收文回执"
SECRET_ENV = "BAOSONG_WEBHOOK_SECRET"
DESCRIPTION = f"""收文登记网络钩子服务（在无法安装服务器端 git 钩子的代码托管平台上使用）。

在 --listen 地址上提供 HTTP 服务，接收推送事件：GitLab 核对 X-Gitlab-Token（与密钥逐字节恒定时间
比较），Gitea/Forgejo 核对 X-Gitea-Signature / X-Forgejo-Signature（请求体的 HMAC-SHA256）。
令牌或签名不符返回 403，什么也不写。通过后从 --remote 获取被推送的引用和主分支到 --repo
（登记系统自己的裸仓库镜像），为带来的每个新报告写收文回执（"via": "push"），几秒内完成。

密钥从环境变量 {SECRET_ENV} 或 --secret-file 读取（不要写在命令行上）；与平台上网络钩子的
Secret Token（GitLab）或密钥（Gitea/Forgejo）相同。

示例：
  baosong webhook --repo /srv/baosong/mirror.git --remote origin --key /srv/baosong/registry_ed25519 --secret-file /etc/baosong/webhook-secret
  {SECRET_ENV}=… baosong webhook --repo mirror.git --listen 0.0.0.0:8090

退出状态：2 用法错误或无法启动；服务运行时直到被中止。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--listen", default="127.0.0.1:8090", metavar="地址:端口",
                        help="监听地址（默认 127.0.0.1:8090；端口 0 表示任选空闲端口）")
    parser.add_argument("--remote", default="origin", metavar="远程",
                        help="从哪个远程获取推送的引用：镜像中的远程名或仓库地址（默认 origin）")
    parser.add_argument("--key", type=Path, default=None, metavar="私钥",
                        help="登记系统私钥（默认：镜像的 git 配置 baosong.key，其次环境变量 BAOSONG_REGISTRY_KEY）")
    parser.add_argument("--secret-file", type=Path, default=None, metavar="文件",
                        help=f"网络钩子密钥文件（默认：环境变量 {SECRET_ENV}）")
    parser.add_argument("--witness", type=Path, default=None, metavar="文件", help="见证文件")


def run(args: argparse.Namespace) -> int:
    from baosong.gitrepo import GitError
    from baosong.hook import server_settings
    from baosong.receipts import KEY_ENV
    from baosong.webhook import WebhookServer, WebhookSettings

    if args.secret_file is not None:
        try:
            secret = args.secret_file.read_bytes().strip()
        except OSError as exc:
            print(f"错误：无法读取密钥文件 {args.secret_file}：{exc.strerror}", file=sys.stderr)
            return 2
    else:
        secret = os.environ.get(SECRET_ENV, "").strip().encode()
    if len(secret) < 16:
        print(f"错误：缺少网络钩子密钥，或不足 16 个字符。请设置环境变量 {SECRET_ENV} 或用 --secret-file 指定，"
              "并在代码托管平台的网络钩子设置中填同一密钥。", file=sys.stderr)
        return 2
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        print(f"错误：--listen 须为 地址:端口，如 127.0.0.1:8090，而不是“{args.listen}”。", file=sys.stderr)
        return 2
    try:
        conf = server_settings(args.repo)
    except GitError as exc:
        print(f"错误：{args.repo} 不是 git 仓库：{exc.stderr or exc}", file=sys.stderr)
        return 2
    key = args.key or conf.key or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if key is None:
        print(f"错误：缺少登记系统私钥。请用 --key 指定，或在镜像中设置 git config baosong.key，或设置 {KEY_ENV}。",
              file=sys.stderr)
        return 2
    settings = WebhookSettings(args.repo.absolute(), args.remote, secret, key, conf.main, args.witness or conf.witness)
    try:
        server = WebhookServer((host.strip("[]"), int(port)), settings)
    except OSError as exc:
        print(f"错误：无法在 {args.listen} 上监听：{exc.strerror}", file=sys.stderr)
        return 2
    bound = server.server_address
    host = bound[0].decode() if isinstance(bound[0], bytes) else bound[0]  # bytes only for AF_UNIX
    print(f"收文登记网络钩子服务已启动：http://{host}:{bound[1]}/（镜像 {settings.repo}，远程 {settings.remote}）",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
