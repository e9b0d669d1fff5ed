"""Shared config-file reading for configs/*.yaml: one place that turns YAML and pydantic failures into
ConfigError messages naming the file and the field (each package keeps its own pydantic models)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from autocoder.errors import ConfigError


def read_yaml_mapping(path: Path) -> dict:
    """The top-level mapping of a YAML file ({} when empty); ConfigError for bad YAML or another type."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at top level, got {type(raw).__name__}")
    return raw


def config_error(where: str | Path, exc: ValidationError) -> ConfigError:
    """The first validation problem as `<file>: field 'a.b': <msg> (got <input>)`."""
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()))
    return ConfigError(f"{where}: field {loc!r}: {err.get('msg')} (got {err.get('input')!r})")
