"""Run the page on this computer: a loopback socket, uvicorn, and the clerk's browser opened on it."""

from __future__ import annotations

import os
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..errors import DiscloseError, OutputError
from ..files import os_problem

HOST = "127.0.0.1"


def default_data() -> Path:
    """Where the page keeps its state unless ``--data`` says otherwise: a folder in the user's home
    that the clerk can find and copy as a backup."""
    return Path.home() / "决算公开数据"


def listen(port: int, host: str = HOST) -> socket.socket:
    """A socket on ``host`` (loopback unless the bureau's server asks for more): ``port``, or a
    free one for 0, listening before the server starts, so the address printed is the one that
    answers."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # a server restarted at once finds its port in TIME_WAIT (on Windows the
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # option would share a port in use)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections made before uvicorn is up wait instead of being refused
    except OSError:
        sock.close()
        where = "" if host == HOST else f"（或地址 {host} 不属于本机）"
        raise DiscloseError(f"端口 {port} 已被其他程序占用{where}：请换一个端口（--port），"
                            "或不指定 --port 让本工具自动选择") from None
    return sock


class Running(Exception):
    """Another ``disclose serve`` uses this data folder; ``url`` is its address."""

    def __init__(self, url: str):
        self.url = url


def hold(data: Path):
    """The data folder, for this server alone: the lock file, open for as long as the server runs
    (the system releases it when the process ends, however it ends). A second server on the
    same folder would take over the first one's queue; it raises :class:`Running` instead."""
    lock = open(data / "server.lock", "a+b")
    try:
        if os.name == "nt":
            import msvcrt
            lock.seek(0)
            msvcrt.locking(lock.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        try:
            url = (data / "server.url").read_text(encoding="utf-8").strip()
        except OSError:
            url = ""
        raise Running(url) from None
    return lock


def run(data: Path, port: int, open_browser: bool, workers: int | None, spec: str,
        echo: Callable[[str], None], *, host: str = HOST, bureau: bool = False, tls: tuple[str, str] | None = None,
        new_admin_password: bool = False) -> None:
    """Serve the page; ``bureau``: the bureau's server with accounts (see :mod:`generator.bureau`),
    which alone may listen beyond loopback (``host``), over HTTPS with ``tls`` (certificate, key)."""
    import uvicorn

    from .app import create_app

    if host not in ("127.0.0.1", "localhost", "::1") and not bureau:
        raise DiscloseError(f"让其他电脑访问（--host {host}）必须同时开启账号（--bureau）：否则同一网络里的任何人"
                            "都能看到和修改数据")
    try:
        if bureau:
            from ..bureau.server import admin_password, create_bureau_app
            app = create_bureau_app(data, spec=spec, workers=workers)
        else:
            app = create_app(data, spec=spec, workers=workers)
        lock = hold(data)
    except Running as running:
        # The clerk started it twice (a second double-click): the page is already there.
        echo(f"本工具的网页已在运行（这个数据文件夹正由它使用）：{running.url}")
        if open_browser and running.url:
            webbrowser.open(running.url)
        return
    except OSError as exc:
        raise OutputError(f"{data}：无法使用这个数据文件夹：{os_problem(exc)}；可用 --data 换一个文件夹") from None
    with lock:
        password = admin_password(data, new_admin_password) if bureau else None
        sock = listen(port, host)
        shown_host = HOST if host == HOST else (socket.gethostname() if host in ("0.0.0.0", "::") else host)
        url = f"{'https' if tls else 'http'}://{shown_host}:{sock.getsockname()[1]}/"
        (data / "server.url").write_text(url, encoding="utf-8")
        echo(f"已启动：{url}")
        echo(f"数据文件夹：{data}（上传的工作簿、生成的报告都在这里）")
        if password:
            echo(f"财政局的登录名：admin，初始密码：{password}（只显示这一次；登录后须立即修改）")
        echo("请在浏览器中打开上面的地址；用完后按 Ctrl+C 停止。")
        if open_browser:
            threading.Timer(0.5, webbrowser.open, [url]).start()
        certfile, keyfile = tls or (None, None)
        uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5,
                                      ssl_certfile=certfile, ssl_keyfile=keyfile)).run(sockets=[sock])
