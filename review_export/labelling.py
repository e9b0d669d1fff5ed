"""The labelling config contract: control names, option strings and code parsing.

Why one module: the XML in configs/label_studio.xml, the task builder and the importer must agree on
every control name and on how "CODE title" option strings and typed codes are turned back into
canonical codes. Keeping those rules here means a renamed control breaks one test, not a retrain.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from autocoder.errors import ConfigError, UnknownCodeError
from autocoder.paths import CONFIG_DIR

DEFAULT_CONFIG_PATH = CONFIG_DIR / "label_studio.xml"

# object tag and controls (must match configs/label_studio.xml)
TEXT_TAG = "letter"
EVIDENCE = "evidence"
DX_CODES = "dx_codes"
PROC_CODES = "proc_codes"
PRIMARY_DX = "primary_dx"
PRIMARY_PROC = "primary_proc"
EXTRA_DX = "extra_diagnoses"
EXTRA_PROC = "extra_procedures"
DECISION = "decision"
NOTE = "note"
CONTROLS = (EVIDENCE, DX_CODES, PROC_CODES, PRIMARY_DX, PRIMARY_PROC, EXTRA_DX, EXTRA_PROC, DECISION, NOTE)

# task data keys (never reuse one as a control name: JSON_MIN flattens both into one object)
DATA_KEYS = ("text", "episode_id", "header", "dx_options", "proc_options", "sex", "age", "model_version",
             "confidence", "reviewer", "reviewed_at", "suggested_diagnoses", "suggested_procedures")

ACCEPTED = "accepted"
CORRECTED = "corrected"
_DECISION_ALIASES = {"accepted": ACCEPTED, "accepted as suggested": ACCEPTED, "accept": ACCEPTED,
                     "corrected": CORRECTED, "correct": CORRECTED, "rejected": CORRECTED}


def load_label_config(path: str | Path | None = None) -> str:
    """Read and check the labelling config; raise ConfigError naming what is missing."""
    p = Path(path) if path else DEFAULT_CONFIG_PATH
    if not p.is_file():
        raise ConfigError(f"Label Studio config {p} not found (expected an XML <View> file)")
    xml = p.read_text(encoding="utf-8")
    check_label_config(xml, source=str(p))
    return xml


def check_label_config(xml: str, source: str = "label config") -> None:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ConfigError(f"{source}: not well-formed XML ({exc})") from None
    names = {el.get("name") for el in root.iter() if el.get("name")}
    missing = [c for c in (TEXT_TAG, *CONTROLS) if c not in names]
    if missing:
        raise ConfigError(f"{source}: missing controls {missing}; the importer reads exactly these names")
    clash = sorted(names & set(DATA_KEYS))
    if clash:
        raise ConfigError(f"{source}: control names {clash} equal task data keys; rename the controls")


def decision_value(raw: str | None) -> str | None:
    if raw is None:
        return None
    return _DECISION_ALIASES.get(raw.strip().lower())


# ---------------------------------------------------------------- codes

_ICD_RE = re.compile(r"^([A-Z])(\d{2})(?:[.,]?([0-9X]{1,2}))?$")
_OPCS_RE = re.compile(r"^([A-Z])(\d{2})[.,]?(\d)$")
_TOKEN_RE = re.compile(r"\*?[A-Za-z]\d{2}(?:[.,]?[0-9A-Za-z]{1,2})?\b")


@lru_cache(maxsize=1)
def _terminology():
    """The project terminology when it is installed and loads; None otherwise (regex fallback)."""
    try:
        from autocoder.codes import get_terminology

        return get_terminology()
    except Exception:  # noqa: BLE001 - a missing/unfinished terminology must not break review I/O
        return None


def _fallback_normalise(code: str, system: str) -> str:
    c = code.strip().upper().replace(" ", "")
    if system == "opcs4":
        m = _OPCS_RE.match(c)
        if not m:
            raise UnknownCodeError(code, system, "expected a letter, two digits and one digit, e.g. E85.1")
        return f"{m.group(1)}{m.group(2)}.{m.group(3)}"
    m = _ICD_RE.match(c)
    if not m:
        raise UnknownCodeError(code, system, "expected a letter, two digits and an optional subdivision, e.g. J44.1")
    sub = (m.group(3) or "").rstrip("X")
    return f"{m.group(1)}{m.group(2)}" + (f".{sub}" if sub else "")


def normalise_code(code: str, system: str) -> str:
    """Canonical code (FORMATS.md); UnknownCodeError when it is not one."""
    term = _terminology()
    if term is not None:
        table = term.icd10 if system == "icd10" else term.opcs4
        return table.normalise(code)
    return _fallback_normalise(code, system)


def code_title(code: str, system: str) -> str:
    term = _terminology()
    if term is None:
        return ""
    try:
        table = term.icd10 if system == "icd10" else term.opcs4
        return table.title(code) or ""
    except Exception:  # noqa: BLE001
        return ""


def option_string(code: str, title: str = "") -> str:
    """One dynamic choice: "CODE title". The code is always the first token."""
    return f"{code} {title}".strip()


def option_code(option: str) -> str:
    return option.strip().split(" ", 1)[0]


@dataclass
class TypedCodes:
    codes: list[str] = field(default_factory=list)
    primary: str | None = None
    problems: list[str] = field(default_factory=list)


def parse_typed_codes(text: str, system: str) -> TypedCodes:
    """Codes typed into a TextArea ("I48.9, *K57.3 diverticular disease"); "*" marks the primary.

    Words that do not look like codes are ignored (people paste titles); a code-shaped token that is
    not a valid code becomes a problem message rather than an exception, so one typo in Label Studio
    does not stop a whole import."""
    out = TypedCodes()
    for tok in _TOKEN_RE.findall(text or ""):
        star = tok.startswith("*")
        raw = tok.lstrip("*")
        try:
            code = normalise_code(raw, system)
        except UnknownCodeError as exc:
            out.problems.append(str(exc))
            continue
        if code not in out.codes:
            out.codes.append(code)
        if star and out.primary is None:
            out.primary = code
    if text and text.strip() and not out.codes and not out.problems:
        out.problems.append(f"no {system} code found in typed text (expected codes like "
                            f"{'E85.1' if system == 'opcs4' else 'I48.9'})")
    return out
