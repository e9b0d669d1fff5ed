"""Where things live on disk. One place, so tests can redirect everything with AUTOCODER_HOME."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
CONFIG_DIR = REPO_ROOT / "configs"


def data_home() -> Path:
    """Project data directory (code store, models, MLflow DB, review DB). Never committed."""
    p = Path(os.environ.get("AUTOCODER_HOME", REPO_ROOT / ".autocoder"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def shared_data_dir() -> Path | None:
    """The team's reference data (../shared/data beside the project root), or None when absent."""
    env = os.environ.get("AUTOCODER_SHARED_DATA")
    p = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return p if p.is_dir() else None


def default_model_dir() -> Path:
    return data_home() / "models" / "default"
