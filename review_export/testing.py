"""A real Label Studio server for tests: copy a pre-migrated template, start on a free loopback port,
wait for /health, stop by PID.

Why here and not in a conftest: both tests/review_export and tests/e2e need the same server, and one
pytest session should boot it once (about 4 s from a template, about 40 s cold on 2 cores). The
server is reference-counted so two session fixtures share one process.

Env: LS_BIN (default <repo>/.venv-ls/bin/label-studio), LS_TEMPLATE_DIR (default
<repo>/.autocoder/ls-template when it exists; build one with `scripts/labelstudio.sh template DIR`),
LS_TOKEN (the legacy token the template was created with).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from autocoder.paths import REPO_ROOT

DEFAULT_TOKEN = "ci-legacy-token-0123456789abcdef"
HEALTH_TIMEOUT = 180.0


def ls_bin() -> Path:
    return Path(os.environ.get("LS_BIN", REPO_ROOT / ".venv-ls" / "bin" / "label-studio"))


def template_dir() -> Path | None:
    env = os.environ.get("LS_TEMPLATE_DIR")
    p = Path(env) if env else REPO_ROOT / ".autocoder" / "ls-template"
    return p if (p / "label_studio.sqlite3").is_file() else None


def unavailable_reason() -> str | None:
    """Why a real server cannot be started here, or None."""
    b = ls_bin()
    if not b.is_file() or not os.access(b, os.X_OK):
        return (f"Label Studio is not installed at {b} (run scripts/labelstudio.sh install, or set LS_BIN)")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except Exception:  # noqa: BLE001
        return False


@dataclass
class LabelStudioServer:
    url: str
    token: str
    pid: int
    data_dir: Path
    log_path: Path
    proc: subprocess.Popen

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ensure_template(timeout: float = HEALTH_TIMEOUT) -> Path | None:
    """Build the default pre-migrated template once (a cold boot, about 40 s) so that every later test
    session boots in about 4 s. Skipped when LS_TEMPLATE_DIR names a directory that is not there."""
    tpl = template_dir()
    if tpl is not None or os.environ.get("LS_TEMPLATE_DIR"):
        return tpl
    target = REPO_ROOT / ".autocoder" / "ls-template"
    building = target.with_name("ls-template.building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    srv = start_server(building, timeout=timeout, use_template=False)
    srv.stop()
    (building / "server.log").unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


def start_server(data_dir: Path | None = None, timeout: float = HEALTH_TIMEOUT,
                 use_template: bool = True) -> LabelStudioServer:
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    data = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="autocoder-lsdata-"))
    tpl = ensure_template(timeout) if use_template else None
    if tpl is not None:
        shutil.copytree(tpl, data, dirs_exist_ok=True)
    token = os.environ.get("LS_TOKEN", DEFAULT_TOKEN)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD", "HOST", "PORT")}
    env.update(LABEL_STUDIO_BASE_DATA_DIR=str(data), DJANGO_DB="sqlite",
               LABEL_STUDIO_USERNAME="admin@example.com", LABEL_STUDIO_PASSWORD="Adm1n-pass-123",
               LABEL_STUDIO_USER_TOKEN=token, LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
               LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true", LABEL_STUDIO_COLLECT_ANALYTICS="false",
               LABEL_STUDIO_LATEST_VERSION_CHECK="false", SENTRY_DSN="", FRONTEND_SENTRY_DSN="",
               XDG_CONFIG_HOME=str(data / ".lsconf"))
    log_path = data / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([str(ls_bin()), "start", "--no-browser", "--internal-host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    srv = LabelStudioServer(url=url, token=token, pid=proc.pid, data_dir=data, log_path=log_path, proc=proc)
    t0 = time.monotonic()
    try:
        while not _healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"Label Studio exited with {proc.returncode} before {url}/health answered; "
                                   f"see {log_path}")
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"Label Studio not healthy at {url} after {timeout:.0f}s; see {log_path}")
            time.sleep(0.5)
    except BaseException:
        srv.stop()
        raise
    return srv


_shared: LabelStudioServer | None = None
_refs = 0


def acquire_shared() -> LabelStudioServer:
    """One server per process (pytest session), shared by every fixture that asks."""
    global _shared, _refs
    if _shared is None:
        _shared = start_server()
    _refs += 1
    return _shared


def release_shared() -> None:
    global _shared, _refs
    _refs -= 1
    if _refs <= 0 and _shared is not None:
        _shared.stop()
        shutil.rmtree(_shared.data_dir, ignore_errors=True)
        _shared, _refs = None, 0
