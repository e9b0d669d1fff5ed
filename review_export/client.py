"""A thin Label Studio client (label-studio-sdk 2.1.2) that turns every transport or HTTP failure
into ServiceUnavailableError naming the URL and the HTTP status.

Why a wrapper: the exporter/importer are tested against a small fake with the same five methods, and
the SDK's own errors (httpx.ConnectError, ApiError(status_code=401), "Illegal header value b'Token '")
are not something a coder can act on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from autocoder.errors import ServiceUnavailableError

T = TypeVar("T")


class LabelStudioAPI(Protocol):
    url: str

    def get_or_create_project(self, title: str, label_config: str) -> int: ...
    def find_project(self, title: str) -> int | None: ...
    def episode_ids_in_project(self, project_id: int) -> set[str]: ...
    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]: ...
    def export_json(self, project_id: int) -> list[dict]: ...


class LabelStudioClient:
    """Label Studio over the SDK; every call may raise ServiceUnavailableError."""

    def __init__(self, url: str, token: str, timeout: float = 60.0, retries: int = 2) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise ServiceUnavailableError(f"Label Studio URL must start with http:// or https://, got {url!r}")
        if not token or not token.strip():
            raise ServiceUnavailableError(
                f"no API token for Label Studio at {url}: pass --token (Account & Settings -> "
                "Access Token; a legacy token or a personal access token)")
        self.url = url.rstrip("/")
        self._token = token.strip()
        self._timeout = timeout
        # the SDK retries refused connections and 5xx with backoff (about 3 s for 2 retries)
        self._opts = {"max_retries": retries}
        self._ls = None

    # -------------------------------------------------------------- plumbing
    def _sdk(self):
        if self._ls is None:
            from label_studio_sdk import LabelStudio

            self._ls = self._call("connect", lambda: LabelStudio(base_url=self.url, api_key=self._token,
                                                                 timeout=self._timeout))
        return self._ls

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        import httpx

        try:
            return fn()
        except ServiceUnavailableError:
            raise
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ServiceUnavailableError(
                f"Label Studio at {self.url} is unreachable ({what}): {exc.__class__.__name__}: {exc}. "
                "Is the server running (scripts/labelstudio.sh start)? Nothing was changed; retry when it is up."
            ) from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError(
                f"Label Studio at {self.url} failed during {what}: {exc.__class__.__name__}: {exc}"
            ) from None
        except Exception as exc:  # SDK ApiError carries status_code/body
            status = getattr(exc, "status_code", None)
            if status is None:
                raise
            body = getattr(exc, "body", "")
            detail = body.get("detail") if isinstance(body, dict) else str(body)[:200]
            hint = ""
            if status in (401, 403):
                hint = (" The token was refused: check --token (a legacy token needs "
                        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true when the server was first started).")
            raise ServiceUnavailableError(
                f"Label Studio at {self.url} answered HTTP {status} during {what}: {detail}.{hint}"
            ) from None

    # -------------------------------------------------------------- API
    def find_project(self, title: str) -> int | None:
        ls = self._sdk()

        def run() -> int | None:
            for p in ls.projects.list(title=title, page_size=100, request_options=self._opts):
                if p.title == title:
                    return int(p.id)
            return None

        return self._call(f"looking up project {title!r}", run)

    def get_or_create_project(self, title: str, label_config: str) -> int:
        if len(title) < 3:
            raise ServiceUnavailableError(f"Label Studio project title must have at least 3 characters, got {title!r}")
        pid = self.find_project(title)
        if pid is not None:
            return pid
        ls = self._sdk()
        p = self._call(f"creating project {title!r}", lambda: ls.projects.create(title=title, label_config=label_config,
                                                                     request_options=self._opts))
        return int(p.id)

    def episode_ids_in_project(self, project_id: int) -> set[str]:
        ls = self._sdk()

        def run() -> set[str]:
            ids: set[str] = set()
            for t in ls.tasks.list(project=project_id, fields="task_only", page_size=500,
                                   request_options=self._opts):
                data = t.data or {}
                if data.get("episode_id"):
                    ids.add(str(data["episode_id"]))
            return ids

        return self._call(f"listing tasks of project {project_id}", run)

    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]:
        ls = self._sdk()
        r = self._call(f"importing {len(tasks)} tasks into project {project_id}",
                       lambda: ls.projects.import_tasks(id=project_id, request=tasks, return_task_ids=True,
                                                                request_options=self._opts))
        ids = list(getattr(r, "task_ids", None) or [])
        if len(ids) != len(tasks):
            raise ServiceUnavailableError(
                f"Label Studio at {self.url} imported {len(ids)} of {len(tasks)} tasks into project {project_id}")
        return [int(i) for i in ids]

    def export_json(self, project_id: int) -> list[dict]:
        """Full JSON export snapshot of annotated tasks, predictions as full objects."""
        ls = self._sdk()

        def run() -> list[dict]:
            e = ls.projects.exports.create(project_id, title="autocoder-feedback",
                                           task_filter_options={"only_with_annotations": True},
                                           serialization_options={"predictions": {"only_id": False}})
            deadline = time.monotonic() + 120
            status = getattr(e, "status", "completed")
            while status not in ("completed", None) and time.monotonic() < deadline:
                if status == "failed":
                    raise ServiceUnavailableError(f"Label Studio at {self.url}: export {e.id} failed")
                time.sleep(0.5)
                status = ls.projects.exports.get(project_id, e.id).status
            raw = b"".join(ls.projects.exports.download(project_id, export_pk=e.id, export_type="JSON"))
            return json.loads(raw)

        return self._call(f"exporting project {project_id}", run)


def connect(url: str, token: str) -> LabelStudioAPI:
    return LabelStudioClient(url, token)

