"""One small exception hierarchy. Messages say what was expected, what was received and how to fix it,
and name the record (episode id / line) whenever there is one, because coders and engineers read them."""

from __future__ import annotations


class AutocoderError(Exception):
    """Base class: every error the product raises on purpose."""


class UnknownCodeError(AutocoderError, ValueError):
    """A code string is not in the loaded classification (or is not in a readable form)."""

    def __init__(self, code: str, system: str, detail: str = "") -> None:
        self.code, self.system = code, system
        msg = f"unknown {system} code {code!r}"
        if detail:
            msg += f": {detail}"
        super().__init__(msg)


class RecordError(AutocoderError, ValueError):
    """A bad input record: names the record (line number and/or id), the field and the problem."""

    def __init__(self, message: str, *, line: int | None = None, record_id: str | None = None,
                 field: str | None = None) -> None:
        self.line, self.record_id, self.field = line, record_id, field
        where = []
        if line is not None:
            where.append(f"line {line}")
        if record_id is not None:
            where.append(f"id {record_id!r}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(AutocoderError, ValueError):
    """A config file or override is invalid."""


class ModelNotFoundError(AutocoderError, FileNotFoundError):
    """No trained model bundle at the given path / registry URI."""


class ServiceUnavailableError(AutocoderError, ConnectionError):
    """An external server (Label Studio, MLflow, database) is down or refused us."""
