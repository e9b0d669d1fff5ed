"""OPCS-4 procedures: a committed core table of the most-used codes, optionally replaced/extended by a
full release imported with `autocoder codes import`.

Why a core table: the official OPCS-4 release is licensed through TRUD and is not bundled. The core
table (autocoder/codes/data/opcs4_core.tsv) holds >= 400 of the codes most used in English hospital
episodes, with titles written for this project (not copied from the release). Codes are canonical as
`E85.1`; `E851`, `E85,1` and lower case are accepted.

Strictness: with only the core table, a well-formed code that is not in it is still accepted by
`normalise` (the core table is deliberately incomplete) and `normalise_with_warning` returns a
warning; `is_valid` is False for it. Once a full table has been imported, unknown codes raise
UnknownCodeError like ICD-10.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from autocoder.errors import UnknownCodeError

SYSTEM = "opcs4"
CORE_TABLE = Path(__file__).resolve().parent / "data" / "opcs4_core.tsv"

_SHAPE = re.compile(r"^([A-HJ-Z])(\d\d)[.,]?(\d)(\d)?$")
_EXAMPLES = "expected an OPCS-4 code such as 'E85.1', 'E851' or 'E85,1' (letter, 3 digits)"

CHAPTER_TITLES = {
    "A": "Nervous system", "B": "Endocrine system and breast", "C": "Eye", "D": "Ear",
    "E": "Respiratory tract", "F": "Mouth", "G": "Upper digestive tract", "H": "Lower digestive tract",
    "J": "Other abdominal organs, principally digestive", "K": "Heart", "L": "Arteries and veins",
    "M": "Urinary", "N": "Male genital organs", "O": "Overflow codes (extra procedures and sites)",
    "P": "Lower female genital tract", "Q": "Upper female genital tract",
    "R": "Female genital tract associated with pregnancy, childbirth and the puerperium",
    "S": "Skin", "T": "Soft tissue", "U": "Diagnostic imaging, testing and rehabilitation",
    "V": "Bones and joints of skull and spine", "W": "Other bones and joints",
    "X": "Miscellaneous operations", "Y": "Subsidiary classification of methods of operation",
    "Z": "Subsidiary classification of sites of operation",
}


@dataclass
class OpcsItem:
    code: str
    title: str
    kind: str = ""        # "" main procedure, "method" (Y chapter), "site" (Z chapter and O-chapter sites)
    core: bool = False    # in the committed core table
    imported: bool = False
    n_used: int | None = None   # national usage count from an imported usage table (HES), when known


def canonical_shape(raw: str) -> tuple[str, str | None]:
    """Syntactic clean-up: (canonical code, warning) or ValueError. A local 5th character is dropped."""
    if not isinstance(raw, str):
        raise ValueError(f"{_EXAMPLES}; got {type(raw).__name__}")  # noqa: TRY004 - callers map ValueError to UnknownCodeError
    s = raw.strip().upper().replace(" ", "")
    m = _SHAPE.match(s)
    if not m:
        if re.match(r"^[A-HJ-Z]\d\d\.?-?$", s):
            raise ValueError(f"{s.rstrip('.-')} is a 3-character category; OPCS-4 codes need the 4th "
                             f"character (e.g. {s[:3]}.1)")
        raise ValueError(_EXAMPLES)
    letter, digits, fourth, fifth = m.groups()
    canon = f"{letter}{digits}.{fourth}"
    warn = None
    if fifth is not None:
        warn = f"{raw.strip()!r}: local 5th character dropped (OPCS-4 has 4 characters) -> {canon}"
    return canon, warn


def _kind_for(code: str) -> str:
    return {"Y": "method", "Z": "site"}.get(code[0], "")


class Opcs4:
    """Lookups on the OPCS-4 table (core, or core + imported full release)."""

    system = SYSTEM

    def __init__(self, items: dict[str, OpcsItem], full_source: str | None = None) -> None:
        self._items = items
        self.full_source = full_source    # description of the imported table; None = core only
        self.categories: dict[str, str] = {}   # 3-character category titles from an imported release
        self._sorted: list[str] | None = None

    @classmethod
    def from_core(cls, path: Path = CORE_TABLE) -> Opcs4:
        items: dict[str, OpcsItem] = {}
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"):
                code = row["code"].strip()
                items[code] = OpcsItem(code=code, title=row["title"].strip(),
                                       kind=(row.get("kind") or "").strip(), core=True)
        return cls(items)

    def overlay_full(self, codes: dict[str, dict], source: str,
                     categories: dict[str, str] | None = None) -> None:
        """Merge an imported full table (canonical code -> {t}); imported titles win."""
        self.categories.update(categories or {})
        for code, rec in codes.items():
            item = self._items.get(code)
            if item is None:
                item = self._items[code] = OpcsItem(code=code, title=rec.get("t") or "", kind=_kind_for(code))
            if rec.get("t"):
                item.title = rec["t"]
            if rec.get("n") is not None:
                item.n_used = int(rec["n"])
            item.imported = True
        self.full_source = source
        self._sorted = None

    @property
    def strict(self) -> bool:
        return self.full_source is not None

    def normalise_with_warning(self, code: str) -> tuple[str, str | None]:
        """Canonical code plus a warning (dropped 5th character, or code not in the core table)."""
        try:
            canon, warn = canonical_shape(code)
        except ValueError as exc:
            raise UnknownCodeError(str(code), SYSTEM, str(exc)) from None
        if canon in self._items:
            return canon, warn
        if self.strict:
            cat = [c for c in self.codes() if c.startswith(canon[:3])]
            hint = (f"category {canon[:3]} has {', '.join(cat[:8])}" if cat
                    else f"no category {canon[:3]} in the imported table")
            raise UnknownCodeError(str(code), SYSTEM, f"not in the imported OPCS-4 table; {hint}")
        note = (f"{canon} is not in the OPCS-4 core table (no full table imported; "
                f"run `autocoder codes import` with the NHS release to check it)")
        return canon, f"{warn}; {note}" if warn else note

    def normalise(self, code: str) -> str:
        return self.normalise_with_warning(code)[0]

    def is_valid(self, code: str) -> bool:
        """True when the code is in the loaded table (core or imported)."""
        try:
            return canonical_shape(code)[0] in self._items
        except ValueError:
            return False

    def is_known(self, code: str) -> bool:
        return self.is_valid(code)

    def item(self, code: str) -> OpcsItem | None:
        return self._items.get(self.normalise(code))

    def usage_count(self, code: str) -> int | None:
        """How often the code is used nationally (imported HES usage table), or None when unknown."""
        item = self._items.get(code)
        return item.n_used if item is not None else None

    def title(self, code: str) -> str:
        it = self.item(code)
        return it.title if it else ""

    def display(self, code: str) -> str:
        return self.normalise(code)

    def dataset_form(self, code: str) -> str:
        return self.normalise(code).replace(".", "")

    def chapter(self, code: str) -> str:
        return self.normalise(code)[0]

    def category_title(self, code: str) -> str:
        """Title of the 3-character category (E85 for E85.1) when an imported release gave it, else ""."""
        return self.categories.get(self.normalise(code)[:3], "")

    def chapter_title(self, code: str) -> str:
        return CHAPTER_TITLES.get(self.chapter(code), "")

    def kind(self, code: str) -> str:
        it = self.item(code)
        return it.kind if it else _kind_for(self.normalise(code))

    def is_subsidiary(self, code: str) -> bool:
        """Y (method) and Z (site) chapter codes, plus O-chapter sites and V55 levels marked in the table."""
        return self.kind(code) in ("method", "site", "supplementary")

    def is_laterality(self, code: str) -> bool:
        return self.normalise(code).startswith("Z94")

    def codes(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self._items)
        return list(self._sorted)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, code: str) -> bool:
        return self.is_valid(code)
