"""Coding rules: validation and sequencing of ICD-10 / OPCS-4 code lists. Pure functions, no ML.

Why rules beside the model: a coding audit fails an episode for an asterisk in first place or a Y code
as primary procedure however confident a model is, so the pipeline runs these after prediction and
the `validate` command runs them on gold files. Each finding is a `RuleWarning` with a stable rule id
and a severity (error = the code set breaks a classification rule; warning = probably wrong, a coder
should look; info = worth knowing).

Rule ids (see RULES below): unknown-code, non-leaf-code, uk-5th-character-truncated,
opcs4-not-in-core-table, opcs4-5th-character-dropped, duplicate-code, asterisk-not-primary, asterisk-not-after-dagger,
agent-code-not-primary, external-cause-not-primary, external-cause-not-after-condition,
outcome-of-delivery-not-primary, sex-mismatch, age-mismatch, covid-condition-without-b97.2,
symptom-explained-by-diagnosis, excludes-clash, opcs4-subsidiary-not-primary, opcs4-subsidiary-without-main,
laterality-missing, laterality-not-last.

Items marked [U] (unconfirmed) in the coding primer are switches in RulesConfig.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autocoder.codes import get_terminology
from autocoder.errors import UnknownCodeError
from autocoder.schemas import RuleWarning

DATA_DIR = Path(__file__).resolve().parent / "data"
Severity = Literal["error", "warning", "info"]

RULES: dict[str, str] = {
    "unknown-code": "code not in the loaded classification (or not a code)",
    "non-leaf-code": "category that has subdivisions: code to the full length",
    "uk-5th-character-truncated": "UK 5th character not in the loaded table; truncated to the WHO leaf",
    "opcs4-not-in-core-table": "OPCS-4 code not in the core table (no full table imported to check it)",
    "opcs4-5th-character-dropped": "local OPCS-4 5th character dropped (submitted codes have 4)",
    "duplicate-code": "same diagnosis code recorded twice",
    "asterisk-not-primary": "asterisk (manifestation) code in primary position",
    "asterisk-not-after-dagger": "asterisk code not directly after its dagger (aetiology) code",
    "agent-code-not-primary": "B95-B98 infectious agent code in primary position",
    "external-cause-not-primary": "V01-Y98 external cause code in primary position",
    "external-cause-not-after-condition": "external cause not directly after the condition it explains",
    "outcome-of-delivery-not-primary": "Z37 outcome of delivery in primary position",
    "sex-mismatch": "code limited to the other sex",
    "age-mismatch": "code outside its age limits",
    "covid-condition-without-b97.2": "COVID-19 caused condition not followed by B97.2",
    "symptom-explained-by-diagnosis": "R-chapter symptom coded beside a diagnosis that explains it",
    "excludes-clash": "two codes that exclude or replace each other recorded together",
    "opcs4-subsidiary-not-primary": "OPCS-4 Y/Z (method/site) code as primary procedure",
    "opcs4-subsidiary-without-main": "OPCS-4 Y/Z code not after a main procedure code",
    "laterality-missing": "procedure on one side of the body without a Z94 laterality code after it",
    "laterality-not-last": "Z94 laterality code followed by another Y/Z code of the same operation",
}


class RulesConfig(BaseModel):
    """Switches for rules the primer marks [U]/[P], and severities. Defaults follow the primer."""

    model_config = ConfigDict(extra="forbid")

    z37_may_be_primary: bool = False            # [U] Z37 outcome of delivery: additional code only
    asterisk_may_be_primary: bool = False       # [P] NHS: asterisk never primary
    covid_u07_may_be_primary: bool = True       # [V] since 1 July 2020 U07.1/U07.2 follow DGCS.1
    perinatal_max_age: int = Field(default=0, ge=0, le=130)   # P00-P96 without UK metadata
    check_sex: bool = True
    check_age: bool = True
    check_symptoms: bool = True
    check_excludes: bool = True
    check_laterality: bool = True
    covid_conditions: list[str] = Field(default_factory=lambda: ["J12.8", "J20.8", "J21.8"])
    covid_codes: list[str] = Field(default_factory=lambda: ["U07.1", "U07.2"])
    severity: dict[str, Severity] = Field(default_factory=dict)   # per-rule override

    def sev(self, rule: str, default: Severity) -> Severity:
        return self.severity.get(rule, default)


DEFAULT_CONFIG = RulesConfig()


# ---- curated tables ---------------------------------------------------------------------------
def _read_tsv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))


@lru_cache(maxsize=1)
def _dagger_table() -> tuple[Mapping[str, frozenset[str]], Mapping[str, frozenset[str]]]:
    fwd: dict[str, set[str]] = {}
    rev: dict[str, set[str]] = {}
    for row in _read_tsv("dagger_asterisk.tsv"):
        d, a = row["dagger"].strip(), row["asterisk"].strip()
        fwd.setdefault(d, set()).add(a)
        rev.setdefault(a, set()).add(d)
    return (MappingProxyType({k: frozenset(v) for k, v in fwd.items()}),
            MappingProxyType({k: frozenset(v) for k, v in rev.items()}))


DAGGER_ASTERISK: Mapping[str, frozenset[str]] = _dagger_table()[0]
"""dagger code -> the asterisk codes it pairs with (curated, autocoder/codes/data/dagger_asterisk.tsv)."""
ASTERISK_DAGGERS: Mapping[str, frozenset[str]] = _dagger_table()[1]
"""asterisk code -> the dagger codes it may follow."""
IMPLIED_ASTERISK: Mapping[str, str] = MappingProxyType(
    {r["dagger"].strip(): r["asterisk"].strip() for r in _read_tsv("dagger_implied.tsv")})
"""dagger code -> the asterisk its own title implies (added when the dagger is coded alone)."""


@lru_cache(maxsize=1)
def symptom_table() -> Mapping[str, tuple[str, ...]]:
    """symptom code -> explaining code prefixes (autocoder/codes/data/symptom_explained.tsv)."""
    out: dict[str, tuple[str, ...]] = {}
    for row in _read_tsv("symptom_explained.tsv"):
        out[row["symptom"].strip()] = out.get(row["symptom"].strip(), ()) + tuple(row["explained_by"].split())
    return MappingProxyType(out)


@dataclass(frozen=True)
class Combination:
    """One row of data/combinations.tsv: a condition coded with its complication in one code."""

    codes: frozenset[str]            # the codes this row rewrites ("K40.9")
    cues: tuple[re.Pattern, ...]     # all must be found (not negated) in the mention's sentence
    target: str                      # full code, or "{cat}.4" (the code's own category)
    absorbs: tuple[str, ...]         # code prefixes dropped once the row fires ("K56")
    adds: str                        # code added after the target ("J22"), or ""
    adds_unless: tuple[str, ...]     # ... unless a kept code starts with one of these
    note: str

    def target_for(self, code: str) -> str:
        return self.target.replace("{cat}", code.split(".")[0])


@cache
def combination_table(system: str = "icd10") -> tuple[Combination, ...]:
    """Rows of data/combinations.tsv (ICD-10) or data/procedure_combinations.tsv (OPCS-4) in file order
    (the first row that fires for a code wins). A bad regex fails here, at load time, naming the row."""
    name = "combinations.tsv" if system == "icd10" else "procedure_combinations.tsv"
    out = []
    for i, r in enumerate(_read_tsv(name), start=1):
        try:
            cues = tuple(re.compile(c.strip(), re.IGNORECASE) for c in r["cue"].split(" & "))
        except re.error as exc:
            raise ValueError(f"{name} row {i} ({r['code']}): bad cue regex: {exc}") from exc
        absorbs = tuple(x for x in (r.get("absorbs") or "").split() if x != "-")
        adds, _, unless = (r.get("adds") or "").strip().partition(" unless ")
        out.append(Combination(frozenset(r["code"].split()), cues, r["target"].strip(), absorbs,
                               "" if adds == "-" else adds.strip(), tuple(unless.split()),
                               (r.get("note") or "").strip()))
    return tuple(out)


@lru_cache(maxsize=1)
def excludes_table() -> tuple[tuple[str, str, str, str], ...]:
    """(code prefix, excluded prefix, severity, note) rows from data/excludes.tsv."""
    return tuple((r["code"].strip(), r["excludes"].strip(), (r.get("severity") or "warning").strip(),
                  (r.get("note") or "").strip()) for r in _read_tsv("excludes.tsv"))


@lru_cache(maxsize=1)
def sided_categories() -> frozenset[str]:
    """OPCS-4 categories needing a Z94 laterality code (data/opcs4_sided.tsv)."""
    return frozenset(r["category"].strip() for r in _read_tsv("opcs4_sided.tsv"))


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code == p or code.startswith(p + ".") or (len(p) > 3 and code.startswith(p)) for p in prefixes)


# ---- classification predicates --------------------------------------------------------------------
def _canon_icd(code: str) -> str:
    term = get_terminology()
    try:
        return term.icd10.normalise(code)
    except UnknownCodeError:
        return code.strip().upper()


def is_asterisk(code: str) -> bool:
    """WHO asterisk (manifestation) code: UK metadata when loaded, else the asterisk categories and
    the curated pair table."""
    term = get_terminology()
    try:
        c = term.icd10.normalise(code)
    except UnknownCodeError:
        return False
    return term.icd10.is_asterisk(c) or c in ASTERISK_DAGGERS


def is_dagger(code: str) -> bool:
    """Known dagger (aetiology) code: UK metadata usage when loaded, else the curated pair table."""
    term = get_terminology()
    try:
        c = term.icd10.normalise(code)
    except UnknownCodeError:
        return False
    item = term.icd10.item(c)
    if item.meta and item.usage:
        return item.usage == "dagger"
    return c in DAGGER_ASTERISK


def load_rules_config(path: str | Path | None) -> RulesConfig:
    """RulesConfig from a YAML or JSON file (None -> defaults); errors name the file and field."""
    from autocoder.errors import ConfigError

    if path is None:
        return RulesConfig()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"rules config {p}: cannot read ({exc.__class__.__name__})") from None
    try:
        import yaml

        data = yaml.safe_load(text) or {}
    except Exception as exc:  # noqa: BLE001 - yaml errors vary by version
        raise ConfigError(f"rules config {p}: not valid YAML/JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"rules config {p}: expected a mapping of settings, got {type(data).__name__}")
    try:
        return RulesConfig.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        raise ConfigError(f"rules config {p}: {detail}") from None


def is_agent_code(code: str) -> bool:
    """B95-B98: bacterial, viral and other infectious agents (supplementary only)."""
    c = _canon_icd(code)
    return "B95" <= c[:3] <= "B98"


def is_external_cause(code: str) -> bool:
    """Chapter XX, V01-Y98."""
    c = _canon_icd(code)
    return c[:1] in ("V", "W", "X") or (c[:1] == "Y" and c[:3] <= "Y98")


def _is_injury_like(code: str) -> bool:
    """Conditions an external cause explains: injuries, poisonings, complications (S00-T98)."""
    return code[:1] in ("S", "T")


def may_be_primary(code: str, system: str = "icd10", config: RulesConfig | None = None) -> bool:
    """False for codes that may never be in first place.

    ICD-10: asterisk codes, B95-B98, V01-Y98, Z37 (unless configured). OPCS-4: Y and Z chapters (and
    other codes the table marks as subsidiary, e.g. O-chapter sites)."""
    cfg = config or DEFAULT_CONFIG
    if system == "opcs4":
        term = get_terminology()
        try:
            return not term.opcs4.is_subsidiary(code)
        except UnknownCodeError:
            return True
    c = _canon_icd(code)
    if is_asterisk(c) and not cfg.asterisk_may_be_primary:
        return False
    if is_agent_code(c) or is_external_cause(c):
        return False
    if c[:3] == "Z37" and not cfg.z37_may_be_primary:
        return False
    return not (c[:3] == "U07" and not cfg.covid_u07_may_be_primary)


def _limit_problems(c: str, sex: str | None, age: int | None, cfg: RulesConfig) -> list[tuple[str, str]]:
    """(rule, message) for each sex / age limit diagnosis code c breaks for this patient."""
    term = get_terminology()
    out = []
    if sex in ("M", "F") and cfg.check_sex:
        lim = term.sex_limit(c)
        if lim and lim != sex:
            who = "female" if lim == "F" else "male"
            out.append(("sex-mismatch", (f"{c} ({term.icd10.title(c)}) is a {who}-only code but the "
                                         f"episode's sex is {sex}")))
    if age is not None and cfg.check_age:
        lim = term.age_limits(c, perinatal_max_age=cfg.perinatal_max_age)
        if lim and not (lim[0] <= age <= lim[1]):
            src = "UK metadata" if term.icd10.item(c).meta else "built-in rule (newborn and perinatal codes)"
            out.append(("age-mismatch", (f"{c} ({term.icd10.title(c)}) is limited to ages "
                                         f"{lim[0]}-{lim[1]} ({src}) but the episode's age is {age}")))
    return out


def fits_patient(code: str, sex: str | None, age: int | None, config: RulesConfig | None = None) -> bool:
    """False when an ICD-10 code breaks a sex or age limit for this patient.

    Why: the pipeline drops such candidates before deciding, so it never suggests a code its own
    validator would call an error (a newborn's Z38.0 on the mother's delivery record, an O code for a
    man). Unknown codes fit: they are reported elsewhere. With the default config the answer is memoised:
    an episode asks it for hundreds of candidates, and a batch has few distinct (sex, age) pairs."""
    if config is None:
        return _fits_default(code, sex, age)
    return _fits(code, sex, age, config)


def _fits(code: str, sex: str | None, age: int | None, config: RulesConfig) -> bool:
    try:
        return not _limit_problems(_canon_icd(code), sex, age, config)
    except UnknownCodeError:
        return True


@lru_cache(maxsize=100_000)
def _fits_default(code: str, sex: str | None, age: int | None) -> bool:
    return _fits(code, sex, age, DEFAULT_CONFIG)


# ---- validation -------------------------------------------------------------------------------
def _w(rule: str, codes: list[str], message: str, severity: Severity, cfg: RulesConfig) -> RuleWarning:
    return RuleWarning(rule=rule, codes=codes, message=message, severity=cfg.sev(rule, severity))


def _norm_list(codes: Iterable[str], system: str, cfg: RulesConfig,
               out: list[RuleWarning]) -> list[str]:
    """Canonical codes (unknown codes dropped from further checks after an 'unknown-code' error)."""
    term = get_terminology()
    table = term.system_of(system)
    name = "ICD-10" if system == "icd10" else "OPCS-4"
    result = []
    for raw in codes:
        try:
            canon, warn = table.normalise_with_warning(raw)
        except UnknownCodeError as exc:
            out.append(_w("unknown-code", [str(raw)], f"{name}: {exc}", "error", cfg))
            continue
        if warn:
            if system == "icd10":
                out.append(_w("uk-5th-character-truncated", [str(raw), canon], warn, "warning", cfg))
            elif not table.is_valid(canon):
                out.append(_w("opcs4-not-in-core-table", [canon], warn, "info", cfg))
            else:
                out.append(_w("opcs4-5th-character-dropped", [str(raw), canon], warn, "info", cfg))
        if system == "icd10" and not term.icd10.is_leaf(canon):
            who_kids = term.icd10.who_children(canon)
            kids = term.icd10.children(canon)
            shown = ", ".join(kids[:6]) + (", ..." if len(kids) > 6 else "")
            if who_kids:
                out.append(_w("non-leaf-code", [canon], f"{canon} ({term.icd10.title(canon)}) has "
                              f"subdivisions; code to the full length: {shown}", "error", cfg))
            else:
                out.append(_w("non-leaf-code", [canon], f"{canon} has UK 5th-character subdivisions in the "
                              f"loaded UK table: {shown}", "warning", cfg))
        result.append(canon)
    return result


def _validate_diagnoses(dx: list[str], sex: str | None, age: int | None, cfg: RulesConfig,
                        out: list[RuleWarning]) -> None:
    term = get_terminology()
    seen: set[str] = set()
    for c in dx:
        if c in seen:
            out.append(_w("duplicate-code", [c], f"{c} is recorded more than once", "warning", cfg))
        seen.add(c)
    if not dx:
        return
    first = dx[0]
    if is_asterisk(first) and not cfg.asterisk_may_be_primary:
        daggers = sorted(ASTERISK_DAGGERS.get(first, ()))
        hint = f" (e.g. {', '.join(daggers[:4])})" if daggers else ""
        out.append(_w("asterisk-not-primary", [first], f"{first} is an asterisk (manifestation) code and may "
                      f"not be primary; record its dagger code first{hint}", "error", cfg))
    elif is_agent_code(first):
        out.append(_w("agent-code-not-primary", [first], f"{first} (infectious agent, B95-B98) is a "
                      "supplementary code and may not be primary", "error", cfg))
    elif is_external_cause(first):
        out.append(_w("external-cause-not-primary", [first], f"{first} is an external cause (V01-Y98); it "
                      "follows the condition it explains and may not be primary", "error", cfg))
    elif first[:3] == "Z37" and not cfg.z37_may_be_primary:
        out.append(_w("outcome-of-delivery-not-primary", [first], f"{first} (outcome of delivery) is an "
                      "additional code on the mother's record and may not be primary", "error", cfg))

    for i, c in enumerate(dx):
        if i > 0 and is_asterisk(c):
            prev = dx[i - 1]
            daggers = ASTERISK_DAGGERS.get(c)
            if daggers and prev not in daggers:
                present = [d for d in dx if d in daggers]
                if present:
                    out.append(_w("asterisk-not-after-dagger", [prev, c], f"{c} should directly follow its "
                                  f"dagger code; its dagger {present[0]} is elsewhere in the list",
                                  "warning", cfg))
                elif is_asterisk(prev) or is_external_cause(prev) or is_agent_code(prev):
                    out.append(_w("asterisk-not-after-dagger", [prev, c], f"{c} is an asterisk code but "
                                  f"follows {prev}, which cannot be its dagger code (e.g. "
                                  f"{', '.join(sorted(daggers)[:4])})", "warning", cfg))
                else:
                    # the curated pair table is not exhaustive: ask for a check, do not accuse
                    out.append(_w("asterisk-not-after-dagger", [prev, c], f"{c} follows {prev}, which is not "
                                  f"a dagger code known for it (known: {', '.join(sorted(daggers)[:4])}); "
                                  f"check that {prev} is its aetiology code", "info", cfg))
            elif not daggers and (is_asterisk(prev) or is_external_cause(prev) or is_agent_code(prev)):
                out.append(_w("asterisk-not-after-dagger", [prev, c], f"{c} is an asterisk code but follows "
                              f"{prev}, which cannot be its dagger code", "warning", cfg))
        if i > 0 and is_external_cause(c):
            prev = dx[i - 1]
            if _is_injury_like(prev) or is_external_cause(prev):
                continue
            injuries = [d for d in dx[:i] if _is_injury_like(d)]
            drug_or_care = "Y40" <= c[:3] <= "Y84"   # adverse effects / complications of care
            if injuries and not ("Y40" <= c[:3] <= "Y59"):
                out.append(_w("external-cause-not-after-condition", [injuries[-1], c], f"{c} should "
                              f"directly follow the condition it explains ({injuries[-1]}), not {prev}",
                              "warning", cfg))
            elif not injuries and not drug_or_care:
                out.append(_w("external-cause-not-after-condition", [prev, c], f"{c} (external cause) is "
                              "not after an injury, poisoning or complication code (S00-T98)",
                              "warning", cfg))

    # sex / age limits
    for c in dx:
        for rule, message in _limit_problems(c, sex, age, cfg):
            out.append(_w(rule, [c], message, "error", cfg))

    # COVID-19 conditions need B97.2 after them
    if any(c in cfg.covid_codes for c in dx):
        conds = [c for c in dx if c in cfg.covid_conditions]
        if conds:
            if "B97.2" not in dx:
                for c in conds:
                    out.append(_w("covid-condition-without-b97.2", [c], f"{c} is caused by COVID-19 "
                                  f"({'/'.join(x for x in dx if x in cfg.covid_codes)} recorded): add B97.2 "
                                  "directly after it", "warning", cfg))
            else:
                j = dx.index("B97.2")
                if j == 0 or dx[j - 1] not in conds:
                    out.append(_w("covid-condition-without-b97.2", [conds[0], "B97.2"], f"B97.2 should "
                                  f"directly follow the COVID-19 condition {conds[0]}", "warning", cfg))

    # codes that exclude / replace each other
    if cfg.check_excludes:
        seen_pairs: set[tuple[str, str]] = set()
        for a_pref, b_pref, sev, note in excludes_table():
            a_hits = [c for c in dx if _matches(c, [a_pref])]
            b_hits = [c for c in dx if _matches(c, [b_pref])]
            for a in a_hits:
                for b in b_hits:
                    if a == b or (b, a) in seen_pairs or (a, b) in seen_pairs:
                        continue
                    seen_pairs.add((a, b))
                    out.append(_w("excludes-clash", [a, b], f"{a} and {b} are recorded together: {note}",
                                  sev if sev in ("error", "warning", "info") else "warning", cfg))

    # symptoms explained by a coded diagnosis
    if cfg.check_symptoms:
        table = symptom_table()
        for c in dx:
            expl = table.get(c)
            if not expl:
                continue
            hits = [d for d in dx if d != c and _matches(d, expl)]
            if hits:
                out.append(_w("symptom-explained-by-diagnosis", [c, hits[0]], f"symptom {c} "
                              f"({term.icd10.title(c)}) is usually integral to {hits[0]} "
                              f"({term.icd10.title(hits[0])}); code it only if documented as separate",
                              "warning", cfg))


def _validate_procedures(px: list[str], cfg: RulesConfig, out: list[RuleWarning]) -> None:
    term = get_terminology()
    if not px:
        return
    if term.opcs4.is_subsidiary(px[0]):
        out.append(_w("opcs4-subsidiary-not-primary", [px[0]], f"{px[0]} ({term.opcs4.kind(px[0])} code) "
                      "qualifies another procedure and may not be the primary procedure (PRule 7)",
                      "error", cfg))
    seen_main = False
    for i, c in enumerate(px):
        if not term.opcs4.is_subsidiary(c):
            seen_main = True
        elif not seen_main and i > 0:
            out.append(_w("opcs4-subsidiary-without-main", [c], f"{c} ({term.opcs4.kind(c)} code) must "
                          "follow the main procedure code it qualifies", "warning", cfg))
    if not cfg.check_laterality:
        return
    sided = sided_categories()
    for i, c in enumerate(px):
        if c[:3] in sided and not any(x.startswith("Z94") for x in px[i + 1:]):
            out.append(_w("laterality-missing", [c], f"{c} ({term.opcs4.title(c)}) is done on one side: add "
                          "Z94.1 (bilateral), Z94.2 (right) or Z94.3 (left) after it", "warning", cfg))
        if c.startswith("Z94") and i + 1 < len(px):
            nxt = px[i + 1]
            if term.opcs4.is_subsidiary(nxt) and not nxt.startswith("Z94"):
                out.append(_w("laterality-not-last", [c, nxt], f"{c} should come after the other Y/Z codes "
                              f"of its operation ({nxt} follows it)", "info", cfg))


def validate_codes(diagnoses: Iterable[str] | None, procedures: Iterable[str] | None,
                   sex: str | None = None, age: int | None = None,
                   config: RulesConfig | None = None) -> list[RuleWarning]:
    """All rule findings for one episode's ordered code lists (first = primary)."""
    cfg = config or DEFAULT_CONFIG
    out: list[RuleWarning] = []
    dx = _norm_list(diagnoses or [], "icd10", cfg, out)
    px = _norm_list(procedures or [], "opcs4", cfg, out)
    _validate_diagnoses(dx, sex, age, cfg, out)
    _validate_procedures(px, cfg, out)
    return out


# ---- sequencing -------------------------------------------------------------------------------
def _safe_norm(code: str, system: str) -> str:
    try:
        return get_terminology().system_of(system).normalise(code)
    except UnknownCodeError:
        return code.strip().upper()


def sequence_diagnoses(codes: Iterable[str], primary: str | None = None) -> list[str]:
    """Order diagnoses the NHS way; codes are returned in canonical form, duplicates removed.

    Primary first (the given `primary`, else the first code that may be primary); each dagger followed
    directly by its asterisk; B97.2 straight after its COVID-19 condition; V01-Y98 external causes
    straight after the injury / T-code / condition they explain; otherwise input order is kept."""
    cfg = DEFAULT_CONFIG
    seq = list(dict.fromkeys(_safe_norm(c, "icd10") for c in codes))
    if primary is not None:
        p = _safe_norm(primary, "icd10")
        if p not in seq:
            seq.insert(0, p)
    else:
        p = None
    attached: dict[int, list[int]] = {}   # anchor index -> attached indices
    is_att = [False] * len(seq)

    def anchor_before(i: int, pred) -> int | None:
        for j in range(i - 1, -1, -1):
            if not is_att[j] and pred(seq[j]):
                return j
        return None

    def anchor_after(i: int, pred) -> int | None:
        for j in range(i + 1, len(seq)):
            if not (is_asterisk(seq[j]) or is_external_cause(seq[j]) or is_agent_code(seq[j])) and pred(seq[j]):
                return j
        return None

    conds = [i for i, c in enumerate(seq) if c in cfg.covid_conditions]
    for i, c in enumerate(seq):
        anchor = None
        if is_asterisk(c):
            daggers = ASTERISK_DAGGERS.get(c, frozenset())
            anchor = anchor_before(i, lambda x, d=daggers: x in d)
            if anchor is None:
                anchor = anchor_after(i, lambda x, d=daggers: x in d)
            if anchor is None:
                anchor = anchor_before(i, lambda x: not is_asterisk(x))
        elif c == "B97.2" and conds:
            anchor = conds[0]
        elif is_external_cause(c):
            anchor = anchor_before(i, _is_injury_like)
            if anchor is None:
                anchor = anchor_after(i, _is_injury_like)
            if anchor is None:
                anchor = anchor_before(i, lambda x: True)
            if anchor is None:
                anchor = anchor_after(i, lambda x: True)
        if anchor is not None and anchor != i and not is_att[anchor]:
            is_att[i] = True
            attached.setdefault(anchor, []).append(i)

    def kind_rank(i: int) -> int:
        c = seq[i]
        return 0 if is_asterisk(c) else 1 if c == "B97.2" else 2

    # A group sits where its anchor was, or earlier where an attached asterisk was listed earlier
    # (an asterisk listed first signals that its dagger condition is the main one).
    placed: list[tuple[int, list[str]]] = []
    for i, c in enumerate(seq):
        if is_att[i]:
            continue
        members = sorted(attached.get(i, []), key=lambda j: (kind_rank(j), j))
        pos = min([i] + [j for j in members if kind_rank(j) == 0])
        placed.append((pos, [c] + [seq[j] for j in members]))
    groups = [g for _pos, g in sorted(placed, key=lambda x: x[0])]
    # primary: given, else first group whose head may be primary
    if p is not None:
        gi = next(k for k, g in enumerate(groups) if p in g)
    else:
        gi = next((k for k, g in enumerate(groups) if may_be_primary(g[0])), 0)
    if groups:
        groups.insert(0, groups.pop(gi))
    return [c for g in groups for c in g]


def sequence_procedures(codes: Iterable[str], primary: str | None = None) -> list[str]:
    """Order procedures: primary first; Y (method) and Z (site) codes straight after the main code
    they qualify (the nearest main code before them, else the next one); Z94 laterality last within
    each operation. Codes are returned in canonical form; repeats are kept (a Y/Z code may qualify
    several operations)."""
    term = get_terminology()
    seq = [_safe_norm(c, "opcs4") for c in codes]

    def sub(c: str) -> bool:
        try:
            return term.opcs4.is_subsidiary(c)
        except UnknownCodeError:
            return False

    groups: list[list[str]] = []
    pending: list[str] = []   # subsidiary codes before any main code
    for c in seq:
        if sub(c):
            if groups:
                groups[-1].append(c)
            else:
                pending.append(c)
        else:
            groups.append([c] + pending)
            pending = []
    if pending:
        groups.append(pending)

    def order(g: list[str]) -> list[str]:
        if not g or sub(g[0]):
            head, rest = [], g
        else:
            head, rest = [g[0]], g[1:]

        def rank(c: str) -> int:
            if c.startswith("Z94"):
                return 3
            if c.startswith("Z") or term.opcs4.kind(c) == "site":
                return 2
            return 1
        return head + sorted(rest, key=rank)   # stable: input order within a rank

    groups = [order(g) for g in groups]
    if primary is not None:
        p = _safe_norm(primary, "opcs4")
        # the operation the primary belongs to goes first (a Y/Z code given as "primary" moves
        # its main code's group: Y/Z codes can never lead)
        gi = next((k for k, g in enumerate(groups) if g and g[0] == p), None)
        if gi is None:
            gi = next((k for k, g in enumerate(groups) if p in g), None)
        if gi is None:
            groups.insert(0, [p])
        else:
            groups.insert(0, groups.pop(gi))
    return [c for g in groups for c in g]
