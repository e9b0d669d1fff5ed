"""Service settings: configs/serve.yaml, then AUTOCODER_<FIELD> environment variables on top.

Why not pydantic-settings: it is not installed; one small loader over a pydantic model keeps the same
behaviour (typed fields, extra="forbid", errors naming the variable) without a new dependency."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autocoder.config import read_yaml_mapping
from autocoder.errors import ConfigError
from autocoder.paths import CONFIG_DIR

Role = Literal["coder", "engineer", "admin"]
ROLE_RANK: dict[str, int] = {"coder": 1, "engineer": 2, "admin": 3}
ENV_PREFIX = "AUTOCODER_"
DEFAULT_CONFIG = CONFIG_DIR / "serve.yaml"


class ApiKey(BaseModel):
    """One accepted API key: its role and the name written to the audit trail."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str


class ServeSettings(BaseModel):
    """Everything `autocoder serve` and create_app() need. One field per key of configs/serve.yaml."""

    model_config = ConfigDict(extra="forbid")
    host: str = Field("127.0.0.1", description="Interface to bind; loopback unless you mean it.")
    port: int = Field(8000, ge=0, le=65535)
    model: str | None = Field(None, description="Bundle path or models:/autocoder@champion; None = default bundle.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; None = sqlite:///<data_home>/review.db.")
    api_keys: dict[str, str] = Field(default_factory=dict,
                                     description="key -> 'role' or 'role:name' (coder|engineer|admin).")
    auth_disabled: bool = Field(False, description="Development only: no key needed, every caller is admin.")
    max_body_bytes: int = Field(1_048_576, gt=0, description="Largest request body except batch uploads.")
    max_batch_bytes: int = Field(52_428_800, gt=0, description="Largest POST /v1/batches body.")
    max_text_chars: int = Field(100_000, gt=0, description="Longest episode text accepted.")
    max_batch_lines: int = Field(100_000, gt=0)
    batch_chunk_size: int = Field(32, gt=0, description="Episodes per predict call in the batch worker (32 = the `autocoder code` default batch, so both see the same batches).")
    predict_concurrency: int = Field(1, gt=0, description="Concurrent pipeline.predict calls.")
    micro_batch_max: int = Field(0, ge=0, description="Concurrent POST /v1/code requests coded in one predict "
                                                      "call (0 = no micro-batching).")
    worklist_max_limit: int = Field(200, gt=0)
    log_level: str = "INFO"
    start_worker: bool = Field(True, description="Run the batch worker thread (tests switch it off).")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, v):
        """Accept the env form "key1:coder,key2:admin:alice" as well as a mapping."""
        if v is None:
            return {}
        if isinstance(v, str):
            out: dict[str, str] = {}
            for item in (p.strip() for p in v.split(",")):
                if not item:
                    continue
                key, sep, rest = item.partition(":")
                if not sep or not key or not rest:
                    raise ValueError(f"API key entry must be 'key:role' or 'key:role:name', got an entry "
                                     f"of {len(item)} characters without a role")
                out[key] = rest
            return out
        return v

    @field_validator("api_keys")
    @classmethod
    def _check_roles(cls, v: dict[str, str]) -> dict[str, str]:
        for i, spec in enumerate(v.values()):
            role = spec.split(":", 1)[0]
            if role not in ROLE_RANK:
                raise ValueError(f"API key #{i + 1}: role must be one of {sorted(ROLE_RANK)}, got {role!r}")
        return v

    def keys(self) -> dict[str, ApiKey]:
        """key -> ApiKey; the default name is role-#n so keys are never written anywhere."""
        out = {}
        for i, (key, spec) in enumerate(self.api_keys.items()):
            role, _, name = spec.partition(":")
            out[key] = ApiKey(role=role, name=name or f"{role}-key-{i + 1}")
        return out


def _env_value(field: str, raw: str):
    """Env strings -> yaml-typed values (so "8000" -> 8000, "true" -> True, "null" -> None)."""
    if field == "api_keys":
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def load_settings(config: str | Path | None = None, env: dict[str, str] | None = None,
                  **overrides) -> ServeSettings:
    """Settings from the yaml file (AUTOCODER_SERVE_CONFIG or configs/serve.yaml), env vars, overrides."""
    env = dict(os.environ if env is None else env)
    path = Path(config or env.get(f"{ENV_PREFIX}SERVE_CONFIG") or DEFAULT_CONFIG)
    data: dict = {}
    if path.exists():
        data = read_yaml_mapping(path)
    elif config is not None:
        raise ConfigError(f"serve config {path} does not exist")
    for name in ServeSettings.model_fields:
        var = f"{ENV_PREFIX}{name.upper()}"
        if var in env:
            data[name] = _env_value(name, env[var])
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServeSettings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ()))
        raise ConfigError(f"serve setting {field!r} (file {path} or env {ENV_PREFIX}{field.upper()}): "
                          f"{err.get('msg')}") from None


def settings_summary(s: ServeSettings) -> str:
    """For the startup log line: never the keys themselves."""
    d = s.model_dump(exclude={"api_keys", "database_url"})
    d["n_api_keys"] = len(s.api_keys)
    d["database"] = (s.database_url or "sqlite(default)").split("://", 1)[0]
    return json.dumps(d, default=str)
