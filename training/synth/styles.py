"""Letter styles: how a plan is written out. Every style mentions every coded item at least once
(main condition, secondaries, comorbidities/status, procedures) and places the traps where letters
usually carry them (negations in the course/results, family history in FH, resolved history in the
PMH, hypotheticals in the plan). Section order, headings, list formats and sentences vary."""

from __future__ import annotations

import random
from collections.abc import Callable

from . import fragments as F

W = Callable[[], None]
_THEATRE = ("W", "T", "H0", "H1", "H3", "J1", "J3", "Q", "M65", "M42", "N30", "A65", "C71", "F34", "R17", "R18", "S06",
            "S57", "X11", "K40", "K60", "M27", "M29")


# ---------------------------------------------------------------- small helpers
def _pt(rng: random.Random, p) -> str:
    he = p.sex == "M"
    if p.age < 16:
        opts = ["___", "this child", "he" if he else "she", "this boy" if he else "this girl", "the patient"]
    else:
        opts = ["Mr ___" if he else "Mrs ___", "the patient", "he" if he else "she", "___",
                "this gentleman" if he else "this lady", "Mr ___" if he else "Ms ___", "our patient"]
    return rng.choice(opts)


def _ctx(p) -> str:
    return "OBS_" if p.spec == "obs" else ("NEO_" if p.spec == "neo" else ("PAED_" if p.age < 16 else ""))


def _fx(p, name: str) -> list:
    """The fragment list for the patient's context (obstetric, neonatal, paediatric, adult). Adult plans
    are the condition's own follow-up (story.PLANS_BY_GROUP) mixed with generic ones."""
    ctx = _ctx(p)
    if name == "PLANS" and not ctx:
        return F.GENERIC_PLANS
    if name == "SOCIAL" and not ctx:  # "lives with wife" only for men, "husband" only for women
        drop = "husband" if p.sex == "M" else "wife"
        return [x for x in F.SOCIAL if drop not in x]
    got = getattr(F, ctx + name, None)
    if got is None and ctx == "NEO_":
        got = getattr(F, "PAED_" + name, None)
    return got or getattr(F, name)


def _sample_plans(rng: random.Random, p, k: int) -> list[str]:
    """k follow-up items: usually one that fits the condition (story.PLANS_BY_GROUP), the rest generic."""
    pool = _fx(p, "PLANS")
    own: list[str] = []
    if not _ctx(p):
        from . import story as S

        mine = S.PLANS_BY_GROUP.get(S.group_of(p.main.concept.code, p.symptom_main), [])
        if mine and rng.random() < 0.85:
            own = rng.sample(mine, k=min(len(mine), rng.randint(1, 2)))
    rest = rng.sample(pool, k=max(0, min(len(pool), k - len(own))))
    out = own + rest
    rng.shuffle(out)
    return out


def _agesex(rng: random.Random, p) -> str:
    word = ("man" if p.sex == "M" else "woman") if p.age >= 16 else ("boy" if p.sex == "M" else "girl")
    if p.age == 0:
        return rng.choice(["infant", f"{rng.randint(1, 11)} month old", f"{rng.randint(2, 27)} day old baby"])
    return rng.choice([f"{p.age}{p.sex}", f"{p.age} yo {p.sex}", f"{p.age}-year-old {word}", f"{p.age}y {p.sex}",
                       f"{p.age} {p.sex}", f"{p.sex}, {p.age}"])


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _date(rng: random.Random, base: tuple[int, int, int] | None = None, plus: int = 0) -> str:
    if base is None:
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2025, 2026))
    else:
        import datetime as _dt

        t = _dt.date(base[2], base[1], base[0]) + _dt.timedelta(days=plus)
        d, m, y = t.day, t.month, t.year
    fmt = rng.random()
    if fmt < 0.5:
        return f"{d:02d}/{m:02d}/{y}"
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{d} {months[m - 1]} {y}" if fmt < 0.85 else f"{d}.{m}.{str(y)[2:]}"


def _nums(rng: random.Random) -> dict:
    """Filler results stay in or near the normal range: an abnormal value would document a
    condition (anaemia, AKI, hyponatraemia, diabetes) that the gold does not carry."""
    cr0 = rng.randint(55, 100)
    return {"hb": rng.randint(118, 160), "wcc": round(rng.uniform(4.0, 13.5), 1), "plt": rng.randint(160, 420),
            "na": rng.randint(134, 144), "k": round(rng.uniform(3.6, 5.0), 1), "ur": round(rng.uniform(3.0, 8.5), 1),
            "cr": rng.randint(cr0, cr0 + 20), "cr0": cr0, "sbr": rng.randint(120, 240), "glu": round(rng.uniform(2.8, 4.5), 1),
            "crp": rng.randint(1, 120), "egfr": rng.randint(60, 90), "a1c": rng.randint(36, 46)}


def _heading(rng: random.Random, key: str, style_fmt: int) -> str:
    h = rng.choice(F.HEADINGS[key])
    if style_fmt == 0:
        return f"{h}:\n"
    if style_fmt == 1:
        return f"{h.upper()}\n"
    if style_fmt == 2:
        return f"{h}: "
    if style_fmt == 3:
        return f"{h}\n"
    return f"{h} - "


def _write_list(doc, writers: list[W], fmt: str) -> None:
    if not writers:
        return
    if doc.buf and doc.buf[-1].endswith((": ", " - ")) and fmt in ("dash", "bullet", "star"):
        fmt = "inline"
    if fmt == "inline":
        for i, w in enumerate(writers):
            if i:
                doc.lit(" and " if (i == len(writers) - 1 and len(writers) > 1 and doc.rng.random() < 0.5) else ", ")
            w()
        doc.lit("\n")
        return
    if fmt == "semicolon":
        for i, w in enumerate(writers):
            if i:
                doc.lit("; ")
            w()
        doc.lit("\n")
        return
    for i, w in enumerate(writers, start=1):
        if fmt == "numbered":
            doc.lit(f"{i}. ")
        elif fmt == "numbered2":
            doc.lit(f"{i}) ")
        elif fmt == "dash":
            doc.lit("- ")
        elif fmt == "bullet":
            doc.lit("\u2022 ")
        elif fmt == "star":
            doc.lit("* ")
        w()
        doc.lit("\n")


LIST_FMTS = ["dash", "numbered", "inline", "bullet", "plain", "numbered2", "semicolon", "star"]


# ---------------------------------------------------------------- mention writers
def _item_writer(g, p, doc, it, main: bool = False) -> W:
    """A coded diagnosis with its mode (probable / uncertain) and its external cause."""
    rng = g.rng

    def w() -> None:
        c = it.concept
        assertion = "uncertain" if it.mode == "uncertain" else "present"
        m = g.m(c, assertion, side=p.side)
        if it.mode == "probable":
            doc.tpl(rng.choice(F.PROB_TEMPLATES), m=m)
        elif it.mode == "uncertain":
            doc.tpl(rng.choice(["?{m}", "suspected {m}", "possible {m}", "query {m}", "{m}?", "presumed? {m}"][:5]), m=m)
        else:
            doc.ment(m)
        if it.cause:
            _cause(g, doc, it)

    return w


def _cause(g, doc, it) -> None:
    rng = g.rng
    from .generator import Mention

    cm = Mention(None, it.cause_text, "DIAGNOSIS", it.cause, "present")
    if it.cause[0] == "Y" and not it.cause.startswith("Y83"):
        doc.tpl(rng.choice([" secondary to {c}", " due to {c}", " ({c}-induced)", " - {c} related", " caused by {c}",
                            " (secondary to {c})"]), c=cm)
    else:
        doc.tpl(rng.choice([" ({c})", " {c}", " - {c}", ", {c}", " following {c}"]) if not it.cause_text.startswith(("after", "following", "post", "fell", "slipped", "tripped"))
                else rng.choice([" {c}", " ({c})", " - {c}"]), c=cm)


def _ment_writer(g, doc, c, assertion="present", side=None) -> W:
    return lambda: doc.ment(g.m(c, assertion, side))


def _proc_writer(g, p, doc, c, assertion="present") -> W:
    return lambda: doc.ment(g.m(c, assertion, side=p.side))


def _trap_writer(g, p, doc, kind: str, c) -> W:
    rng = g.rng
    year = str(rng.randint(1965, 2023))

    def w() -> None:
        if kind == "historical":
            m = g.m(c, "historical")
            tpls = F.HIST_PROC_TEMPLATES if c.system == "opcs4" else F.HIST_TEMPLATES
            doc.tpl(rng.choice(tpls), m=m, year=year)
        elif kind == "uncertain":
            doc.tpl(rng.choice(F.UNC_TEMPLATES) + rng.choice(F.UNC_FOLLOW), m=g.m(c, "uncertain"))
        elif kind == "family":
            doc.tpl(rng.choice(F.FAMILY_TEMPLATES), m=g.m(c, "family"), rel=rng.choice(F.RELATIVES),
                    age=rng.randint(45, 85))
        elif kind == "hypothetical":
            sym = rng.choice(["pain", "fever", "breathlessness", "bleeding", "swelling", "confusion", "vomiting"])
            tpls = F.HYPO_PROC_TEMPLATES if c.system == "opcs4" else F.HYPO_TEMPLATES
            doc.tpl(rng.choice(tpls), m=g.m(c, "hypothetical"), sym=sym)
        elif kind == "negated":
            tests = F.NEG_TESTS.get(c.code[:3], F.DEFAULT_TESTS)
            doc.tpl(rng.choice(F.NEG_TEMPLATES), m=g.m(c, "negated"), test=rng.choice(tests))
        elif kind == "neg_symptom":
            doc.tpl(rng.choice(F.SYMPTOM_NEG), m=g.m(c, "negated"))

    return w


def _symptoms_writer(g, p, doc) -> W:
    rng = g.rng
    syms = p.symptoms[: rng.choice((1, 2, 3))]

    def w() -> None:
        if p.symptom_main and p.main.concept.code[0] == "R":
            doc.ment(g.m(p.main.concept, "present"))
            return
        if not syms and p.spec in ("obs", "neo"):
            doc.lit(rng.choice(F.OBS_SYMPTOMS if p.spec == "obs" else F.NEO_SYMPTOMS))
            return
        if p.admission in ("elective", "day case") and p.procs:
            doc.lit(rng.choice(["elective admission", "planned admission for surgery", "listed procedure",
                                "admission from the waiting list", "day case procedure", "pre-booked admission"]))
            return
        if not syms:
            doc.lit(rng.choice(["feeling generally unwell", "a fall", "reduced oral intake", "worsening symptoms",
                                "increasing frailty", "pain", "general decline"]))
            return
        for i, s in enumerate(syms):
            if i:
                doc.lit(" and " if i == len(syms) - 1 else ", ")
            doc.ment(g.m(s, "present"))

    return w


def _meds(g, p) -> list[str]:
    rng = g.rng
    if p.age < 16:
        return rng.sample(F.PAED_DRUGS, k=rng.randint(1, 3))
    if p.spec == "obs":
        return rng.sample(F.OBS_MEDS, k=rng.randint(1, 3))
    out: list[str] = []
    codes = [it.concept.code for it in [p.main] + p.secondaries + p.comorbs + p.status]
    for code in codes:
        if code == "Z92.1":
            out.append(p.anticoag + " " + {"apixaban": rng.choice(["5 mg BD", "2.5 mg BD"]), "rivaroxaban": "20 mg OD",
                                            "warfarin": "as per INR", "edoxaban": "60 mg OD", "dabigatran": "150 mg BD"}[p.anticoag])
            continue
        for key in (code[:3], code.split("+")[0][:3]):
            if key in F.DRUGS_BY_CODE:
                out.append(rng.choice(F.DRUGS_BY_CODE[key]))
                break
    if any(c.split("+")[0][:1] in "AJNL" and c[:3] in F.TREATMENTS for c in codes[:2]):
        out.append(rng.choice(F.ANTIBIOTICS))
    out += rng.sample(F.COMMON_DRUGS, k=rng.randint(0, 4))
    seen, res = set(), []
    for d in out:
        if d not in seen:
            seen.add(d)
            res.append(d)
    rng.shuffle(res)
    return res


def _investigations(g, p) -> list[str]:
    rng = g.rng
    nums = _nums(rng)
    code = p.main.concept.code  # a subcode's own results first ("S72.1": intertrochanteric, not intracapsular)
    own = F.INV_BY_CODE.get(code[:5]) or F.INV_BY_CODE.get(code[:3], [])
    res = list(rng.sample(own, k=min(len(own), rng.randint(1, 3))))
    inv = _fx(p, "INV") if _ctx(p) else F.GENERIC_INV
    generic = rng.sample(inv, k=min(len(inv), rng.randint(1, 4)))
    from .prose import keep_results

    res += keep_results(p, generic)  # no "normal" Hb / creatinine / CRP when a coded condition makes it abnormal
    return [r.format(side=p.side, **nums) for r in res] or [rng.choice(["full results on the EPR", "see EPR for results",
                                                                          "results as per the electronic record"])]


def _tx(g, p) -> str:
    rng = g.rng
    return rng.choice(F.TREATMENTS.get(p.main.concept.code[:3], F.GENERIC_TX))


# ---------------------------------------------------------------- blocks
def _block_writers(g, p, doc):
    """Writers for every coded item and trap, grouped by where they belong."""
    main = _item_writer(g, p, doc, p.main, main=True)
    secs = [_item_writer(g, p, doc, it) for it in p.secondaries]
    pmh = [_item_writer(g, p, doc, it) for it in p.comorbs]
    status = [_status_writer(g, p, doc, it) for it in p.status]
    hist = [_trap_writer(g, p, doc, "historical", c) for c in p.historical]
    procs = [_proc_writer(g, p, doc, c) for c in p.procs]
    return main, secs, pmh, status, hist, procs


def _status_writer(g, p, doc, it) -> W:
    rng = g.rng

    def w() -> None:
        c = it.concept
        if c.code == "Z92.1" and rng.random() < 0.5:
            drug = p.anticoag
            from .generator import Mention

            doc.tpl(rng.choice(["{m}", "anticoagulated ({m})", "{m} for AF"]),
                    m=Mention(c, rng.choice([f"on {drug}", f"{drug}", f"on {drug} long term"]), "DIAGNOSIS", c.code))
        else:
            doc.ment(g.m(c))

    return w


def _with_qualifier(g, doc, w: W) -> W:
    rng = g.rng

    def q() -> None:
        w()
        if rng.random() < 0.3:
            doc.lit(rng.choice([" - stable", " (longstanding)", ", well controlled", " - known", f" (dx {rng.randint(1995, 2024)})",
                                " - under GP", " (on treatment)", " - followed up in clinic", " - longstanding"]))

    return q


def _pmh_items(g, p, doc, include_uncertain: bool = False, coded: bool = True, hist: bool = True) -> list[W]:
    _main, _secs, pmh, status, hist_w, _procs = _block_writers(g, p, doc)
    items = ([_with_qualifier(g, doc, w) for w in pmh] + status if coded else []) + (hist_w if hist else [])
    if include_uncertain:
        items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    g.rng.shuffle(items)
    return items


_PAED_GROUPS = {"pneumonia", "lrti", "airways", "uti", "lower_gi", "skin", "seizure", "surg_abdo", "dka", "throat", "ear_nose",
                "fracture", "head_injury", "sepsis", "symptom", "generic", "neuro", "viral", "rash", "constipation"}


def _course(g, p, doc, para_break: bool = False, rich: float = 0.88) -> None:
    """Narrative hospital course: presentation, diagnosis, negations, treatment, procedures, progress.
    Mostly the condition-aware story (prose.rich_course); sometimes the older terse course, which
    obstetric and neonatal letters always use."""
    rng = g.rng
    if p.spec not in ("obs", "neo") and rng.random() < rich:
        from . import story
        from .prose import rich_course

        if p.age >= 16 or story.group_of(p.main.concept.code, p.symptom_main) in _PAED_GROUPS:
            rich_course(g, p, doc, para_break=para_break)
            return
    pt = _pt(rng, p)
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    planned = p.admission in ("elective", "day case") and bool(procs)
    if planned:
        # planned admission: the procedure is the reason for admission (mentioned again below)
        doc.tpl(rng.choice(F.ELECTIVE_OPENERS), pt=_cap(pt), m=main)
        doc.lit(" ")
        if p.verbosity >= 2:
            _exam(g, p, doc, pt)
    else:
        doc.tpl(rng.choice(_fx(p, "OPENERS")), pt=_cap(pt), sym=_symptoms_writer(g, p, doc),
                ga=rng.choice(["37+2", "38", "39+4", "40+1", "41+3", "36+5", "40+6", "34+2"]), g=rng.randint(1, 4), pp=rng.randint(0, 3),
                mode=rng.choice(["SVD", "emergency LSCS", "elective LSCS", "ventouse", "forceps"]), hrs=rng.randint(1, 30),
                wt=round(rng.uniform(2.2, 4.3), 2),
                dur=rng.choice(["3 day", "1 week", "2 day", "24 hour", "several week"]), age=p.age,
                gender=("man" if p.sex == "M" else "woman") if p.age >= 16 else ("boy" if p.sex == "M" else "girl"))
        doc.lit(" ")
        if p.verbosity >= 1:
            hpc = _fx(p, "HPC")
            for t in rng.sample(hpc, k=min(len(hpc), rng.randint(1, 2 * p.verbosity + 1))):
                doc.lit(t.format(n=rng.randint(2, 8), sbr=rng.randint(120, 340), glu=round(rng.uniform(1.8, 4.5), 1), ebl=rng.choice((250, 300, 450, 600, 800)),
                                 bsex=rng.choice(("boy", "girl")), wt=round(rng.uniform(2.6, 4.3), 2)) + " ")
            if para_break and rng.random() < 0.5:
                doc.lit("\n\n")
            _exam(g, p, doc, pt)
    if p.verbosity >= 1 and rng.random() < 0.7:
        doc.lit(rng.choice(F.IX_PROSE).format(inv=", ".join(_investigations(g, p))) + " ")
    if p.symptom_main:
        doc.tpl(rng.choice(["Final diagnosis {m}.", "{m} - no underlying cause identified.", "Diagnosis: {m}, cause not found.",
                            "Treated as {m} of unclear cause.", "No definitive cause for the {m} was found."]), m=main)
    elif not planned:
        doc.tpl(rng.choice(F.FOUND), m=main)
    doc.lit(" ")
    for c in p.negated:
        w = _trap_writer(g, p, doc, "negated", c)
        doc.tpl(rng.choice(["{w}. ", "Of note {w}. ", "{w}. ", "Importantly, {w}. "]), w=w)
    if rng.random() < 0.8:
        doc.tpl(rng.choice(F.TREATED), pt=_cap(pt), tx=_tx(g, p))
        doc.lit(" ")
    for c in p.procs:
        w = _proc_writer(g, p, doc, c)
        tpls = F.PROC_SENT + F.THEATRE_SENT if c.code.startswith(_THEATRE) else F.PROC_SENT
        doc.tpl(rng.choice(tpls), pt=_cap(pt), m=w, d=rng.randint(1, 5) if not planned else rng.choice((0, 1)), date=_date(rng))
        doc.lit(" ")
    if para_break and rng.random() < 0.5:
        doc.lit("\n\n")
    for it, w in zip(p.secondaries, secs):
        if it.concept.code == "Z37.0":
            doc.tpl(rng.choice(["Outcome: {m}.", "Delivered: {m}.", "{m}, {wt} kg.", "Outcome of delivery - {m}."]), m=w,
                    wt=round(rng.uniform(2.5, 4.4), 2))
        else:
            doc.tpl(rng.choice(F.ALSO), m=w, pt_l=pt)
        doc.lit(" ")
    if p.verbosity >= 2 and p.comorbs and rng.random() < 0.5:
        it = rng.choice(p.comorbs)
        t = rng.choice(F.COMORB_PROSE)
        if p.sex == "M":
            t = t.replace("Her ", "His ")
        else:
            t = t.replace("His ", "Her ")
        doc.tpl(t, m=_item_writer(g, p, doc, it))
        doc.lit(" ")
    for c in p.neg_symptoms:
        doc.tpl(rng.choice(["{w}. ", "{w}. ", "Of note, {w}. "]), w=_trap_writer(g, p, doc, "neg_symptom", c))
    if p.verbosity >= 1 and p.admission != "day case":
        pr = "him" if p.sex == "M" else "her"
        for d in sorted(rng.sample(range(1, max(3, p.los + 2)), k=min(p.verbosity + rng.randint(0, 2), max(1, p.los)))):
            days = _fx(p, "DAYS")
            if not p.main.concept.code.startswith(F.INFECTION_PREFIXES):
                days = [d for d in days if "antibiotic" not in d]
            ev = rng.choice(days).replace("{pr} mobilised", ("he" if p.sex == "M" else "she") + " mobilised").replace(
                "{pr} passed", ("he" if p.sex == "M" else "she") + " passed")
            ev = ev.replace("{pr} spiked", ("He" if p.sex == "M" else "She") + " spiked").replace(
                "{pr} was", ("he" if p.sex == "M" else "she") + " was").replace("{pr} had", ("he" if p.sex == "M" else "she") + " had")
            doc.lit(rng.choice(["On day {d} ", "Day {d}: ", "By day {d} ", "On D{d} "]).format(d=d) + ev.replace("{pr}", pr) + ". ")
    doc.lit(rng.choice(_fx(p, "PROGRESS")).replace("{pt}", _cap(pt)))
    if p.verbosity >= 2:
        disc = _fx(p, "DISCUSS")
        doc.lit(" " + " ".join(rng.sample(disc, k=min(len(disc), rng.randint(1, 3)))))
    if p.verbosity >= 1 and rng.random() < 0.6:
        doc.lit(" " + rng.choice(_fx(p, "CONDITION")).format(d=max(1, p.los)))


def _exam(g, p, doc, pt: str) -> None:
    rng = g.rng
    code = p.main.concept.code
    vals = {"pt": _cap(pt), "pt_l": pt, "look": rng.choice(F.LOOK), "hr": rng.randint(52, 135), "sbp": rng.randint(85, 185),
                "dbp": rng.randint(45, 105), "rr": rng.randint(12, 32), "sats": rng.randint(86, 100), "o2": rng.choice(F.O2),
                "temp": round(rng.uniform(35.8, 39.4), 1), "news": rng.randint(0, 9),
                "chest": rng.choice(F.CHEST if code.startswith(("J", "I50", "I26", "U07")) else F.CHEST[4:]).format(side=p.side),
                "abdo": rng.choice(F.ABDO if code.startswith(("K", "R10", "N10", "N20", "A09")) else F.ABDO[:1] + F.ABDO[-3:-1]),
                "fluid": rng.choice(F.FLUID),
                "neuro": rng.choice(F.NEURO if code.startswith(("I6", "G45", "G4", "R47")) else F.NEURO[3:]).format(side=p.side),
                "phr": rng.randint(100, 175), "prr": rng.randint(24, 60), "sbr": rng.randint(120, 340),
                "glu": round(rng.uniform(1.8, 4.5), 1)}
    ex = _fx(p, "EXAM")
    for t in rng.sample(ex, k=min(len(ex), rng.randint(1, 2 + p.verbosity))):
        doc.lit(t.format(**vals) + " ")


def _sentence_list(g, doc, intro: str, writers: list[W]) -> None:
    if not writers:
        return
    doc.lit(intro)
    for i, w in enumerate(writers):
        if i:
            doc.lit(" and " if i == len(writers) - 1 else ", ")
        w()
    doc.lit(". ")


# ---------------------------------------------------------------- styles
def structured(g, p, doc) -> None:
    rng = g.rng
    hf = rng.choice((0, 0, 1, 2, 3, 4))
    lf = rng.choice(LIST_FMTS)
    title = rng.choice(F.TITLES)
    if title:
        doc.lit(title + "\n")
    pl = rng.choice(F.PATIENT_LINES)
    if pl:
        doc.lit(pl + "\n")
    if rng.random() < 0.7:
        doc.lit(rng.choice([f"Specialty: {p.specialty}\n", f"Consultant: Dr ___ ({p.specialty})\n", f"Ward: {rng.choice(F.SPEC_WARDS.get(p.spec, F.WARDS))}\n"]))
    if rng.random() < 0.7:
        base = (rng.randint(1, 28), rng.randint(1, 12), rng.choice((2025, 2026)))
        doc.lit(rng.choice(["Admitted: {a}  Discharged: {b}\n", "Date of admission: {a}\nDate of discharge: {b}\n",
                            "Adm {a} - D/C {b}\n", "Admission date {a}; discharge date {b}; LOS {n} days\n"]).format(
            a=_date(rng, base), b=_date(rng, base, p.los), n=p.los))
    doc.lit("\n")
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)

    merged = rng.random() < 0.3  # comorbidities listed with the secondary diagnoses, not in a PMH section

    def dx():
        if rng.random() < 0.6:
            from .prose import dx_block

            dx_block(g, p, doc, hf, lf, _pmh_items(g, p, doc, hist=False) if merged else None)
            return
        if rng.random() < 0.2:
            doc.lit(rng.choice(["Diagnoses (in order):\n", "DIAGNOSES\n", "Diagnosis/problems:\n"]))
            extra = _pmh_items(g, p, doc, hist=False) if merged else []
            _write_list(doc, [main] + secs + extra, rng.choice(("numbered", "numbered2", "dash")))
            return
        doc.lit(_heading(rng, "dx", hf))
        main()
        doc.lit("\n")
        extra = _pmh_items(g, p, doc, hist=False) if merged else []
        if secs or extra:
            if rng.random() < 0.7:
                doc.lit(_heading(rng, "sec", hf))
            _write_list(doc, secs + extra, lf)

    def pmh_sec():
        items = _pmh_items(g, p, doc, coded=not merged)
        if not items and rng.random() < 0.5:
            return
        doc.lit(_heading(rng, "pmh", hf))
        if not items:
            doc.lit(rng.choice(["Nil", "nil of note", "None", "Nil significant", "NKPMH"]) + "\n")
        _write_list(doc, items, lf)

    def pc():
        doc.lit(_heading(rng, "pc", hf))
        _symptoms_writer(g, p, doc)()
        doc.lit("\n")

    def course():
        doc.lit(_heading(rng, "course", hf))
        _course(g, p, doc)
        doc.lit("\n")

    def ix():
        doc.lit(_heading(rng, "ix", hf))
        _write_list(doc, [(lambda s=s: doc.lit(s)) for s in _investigations(g, p)], rng.choice(("inline", "dash", "plain")))

    def px():
        if not procs and rng.random() < 0.6:
            return
        doc.lit(_heading(rng, "px", hf))
        if not procs:
            doc.lit(rng.choice(["None", "Nil", "none", "No procedures", "N/A"]) + "\n")
        _write_list(doc, procs, lf)

    def meds():
        doc.lit(_heading(rng, "meds", hf))
        _write_list(doc, [(lambda s=s: doc.lit(s)) for s in _meds(g, p)], rng.choice(("plain", "dash", "inline")))

    def allergy():
        doc.lit(_heading(rng, "allergy", 2) + rng.choice(_fx(p, "ALLERGIES")) + "\n")

    def social():
        doc.lit(_heading(rng, "social", hf) + rng.choice(F.SOCIAL_CHILD if p.age < 16 else _fx(p, "SOCIAL")) + "\n")

    def fh():
        if not p.family:
            if rng.random() < 0.7:
                return
            doc.lit(_heading(rng, "fh", hf) + rng.choice(["Nil relevant", "nil of note", "Not known"]) + "\n")
            return
        doc.lit(_heading(rng, "fh", hf))
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "plain")

    def plan():
        doc.lit(_heading(rng, "plan", hf))
        items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(1, 4))]
        items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
        items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
        rng.shuffle(items)
        _write_list(doc, items, rng.choice(("dash", "numbered", "plain")))

    def changes():
        doc.lit(_heading(rng, "changes", hf))
        meds_now = _meds(g, p)
        items = [rng.choice(F.STARTED).format(d=d) for d in meds_now[:rng.randint(0, 2)]]
        items += [s if "(" in s else f"{s} ({rng.choice(F.CHANGE_REASONS)})" for s in rng.sample(F.STOPPED, k=rng.randint(0, 2))]
        if not items:
            items = ["none"]
        _write_list(doc, [(lambda s=s: doc.lit(s)) for s in items], rng.choice(("dash", "plain", "inline")))

    def exam():
        doc.lit(_heading(rng, "exam", hf))
        _exam(g, p, doc, _pt(rng, p))
        doc.lit("\n")

    order = [dx, pmh_sec, pc, exam, course, ix, px, meds, changes, allergy, social, fh, plan]
    optional = {pc, ix, allergy, social, meds, exam, changes}
    keep = 0.45 + 0.15 * p.verbosity
    order = [s for s in order if s not in optional or rng.random() < keep]
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(order) - 1)
        order[i], order[i + 1] = order[i + 1], order[i]
    for s in order:
        s()
        if rng.random() < 0.6:
            doc.lit("\n")
    if rng.random() < 0.6:
        doc.lit(rng.choice(F.CLINICIANS) + "\n")


def _vals0(g, p) -> dict:
    from .prose import _vals

    return _vals(g, p)


def bullets(g, p, doc) -> None:
    rng = g.rng
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    if rng.random() < 0.5:
        doc.lit(rng.choice(["d/c summary", "Discharge summary", "DC summary - " + p.specialty, "TTO/d/c"]) + "\n")
    doc.lit(_agesex(rng, p) + " " + rng.choice(["", "", f"({p.specialty})", "adm " + _date(rng)]) + "\n")
    doc.lit(rng.choice(["Dx: ", "dx - ", "Imp: ", "Diagnosis: ", "DX: "]))
    main()
    doc.lit("\n")
    for it, w in zip(p.secondaries, secs):
        doc.lit(rng.choice(["+ ", "- ", "also ", "& "]))
        w()
        if it.concept.code != "Z37.0" and rng.random() < 0.65 + 0.1 * p.verbosity:
            from . import story as S0

            doc.lit(rng.choice([" - ", ": ", ". "]) + S0.frag(rng, S0.group_of(it.concept.code), "mx", _vals0(g, p))[0])
        doc.lit("\n")
    items = _pmh_items(g, p, doc)
    if items:
        doc.lit(rng.choice(["Bg: ", "PMH: ", "pmhx ", "Background: ", "PMH - "]))
        _write_list(doc, items, rng.choice(("inline", "semicolon")))
    if rng.random() < 0.7:
        doc.lit(rng.choice(["PC: ", "p/w ", "Presented: "]))
        _symptoms_writer(g, p, doc)()
        doc.lit("\n")
    for c in p.negated:
        doc.lit("- ")
        _trap_writer(g, p, doc, "negated", c)()
        doc.lit("\n")
    for c in p.neg_symptoms:
        doc.lit("- ")
        _trap_writer(g, p, doc, "neg_symptom", c)()
        doc.lit("\n")
    from . import story as S
    from .prose import _vals

    grp = S.group_of(p.main.concept.code, p.symptom_main)
    v = _vals(g, p)
    story_ok = p.spec not in ("obs", "neo")  # obstetric and neonatal notes keep their own filler
    if story_ok and rng.random() < 0.6 + 0.12 * p.verbosity:
        hpc = S.frag(rng, grp, "story", v, k=rng.randint(1, 3)) + [h.format(n=v["n"]) for h in rng.sample(F.HPC, k=rng.randint(0, 2))]
        doc.lit(rng.choice(["HPC: ", "Hx: ", "hx - ", "Story: "]) + " ".join(hpc) + "\n")
    if story_ok and rng.random() < 0.5 + 0.12 * p.verbosity:
        doc.lit(rng.choice(["O/E: ", "OE ", "Exam: "]) + " ".join(S.frag(rng, grp, "exam", v, k=rng.randint(1, 2))) + "\n")
    if rng.random() < 0.7:
        from .prose import bloods_line

        doc.lit(bloods_line(g, p) + "\n")
    if rng.random() < 0.8:
        res = S.frag(rng, grp, "ix", v, k=rng.randint(1, 3)) if (story_ok and rng.random() < 0.7) else []
        doc.lit(rng.choice(["Ix: ", "ix - ", "Results: "]) + "; ".join(res + _investigations(g, p)[:3 - len(res) // 2]) + "\n")
    if rng.random() < 0.8:
        doc.lit(rng.choice(["Mx: ", "Tx: ", "Rx: ", "Treatment: "]) +
                (" ".join(S.frag(rng, grp, "mx", v, k=rng.randint(1, 3))) if (story_ok and rng.random() < 0.7) else _tx(g, p)) + "\n")
    if story_ok and rng.random() < 0.55 + 0.15 * p.verbosity:
        doc.lit(rng.choice(["Progress: ", "Course: ", ""]) + " ".join(S.frag(rng, grp, "resp", v, k=rng.randint(1, 3))) + "\n")
        if p.los > 2 and rng.random() < 0.6:
            evs = [d for d in F.DAYS if "{pr}" not in d and (p.procs or not any(w in d for w in ("drain", "wound", "catheter")))]
            for day in sorted(rng.sample(range(2, p.los + 1), k=min(p.los - 1, rng.randint(1, 3)))):
                doc.lit(rng.choice(["D{d}: ", "Day {d} - ", "D{d} "]).format(d=day) + rng.choice(evs) + "\n")
    if rng.random() < 0.35 and story_ok:
        doc.lit(rng.choice(["Obs: ", "Obs on d/c: ", "Vitals: "]) + f"HR {rng.randint(62, 96)}, BP {rng.randint(108, 158)}/{rng.randint(58, 88)}, "
                f"RR {rng.randint(12, 19)}, sats {rng.randint(94, 99)}% RA, T {round(rng.uniform(36.1, 37.3), 1)}\n")
    if rng.random() < 0.4:
        doc.lit(rng.choice(["D/c: ", "Condition: ", "On d/c: "]) + rng.choice(_fx(p, "CONDITION")).format(d=max(1, p.los)) + "\n")
    if procs:
        doc.lit(rng.choice(["Proc: ", "Px: ", "Procedures: ", "Op: "]))
        _write_list(doc, procs, rng.choice(("inline", "semicolon")))
    if p.family:
        doc.lit(rng.choice(["FH: ", "FHx "]))
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "inline")
    meds = _meds(g, p)
    if meds and rng.random() < 0.7:
        doc.lit(rng.choice(["TTO: ", "Meds: ", "d/c meds: "]) + ", ".join(meds) + "\n")
    if rng.random() < 0.4:
        items = [rng.choice(F.STARTED).format(d=d) for d in _meds(g, p)[:rng.randint(0, 2)]] + rng.sample(F.STOPPED, k=rng.randint(0, 1))
        if items:
            doc.lit(rng.choice(["Changes: ", "Med changes: ", "Drug changes - "]) + "; ".join(items) + "\n")
    if rng.random() < 0.5:
        doc.lit("Allergies: " + rng.choice(_fx(p, "ALLERGIES")) + "\n")
    if rng.random() < 0.5:
        doc.lit(rng.choice(["SH: ", "Social: ", "Soc: "]) + rng.choice(F.SOCIAL_CHILD if p.age < 16 else _fx(p, "SOCIAL")) + "\n")
    doc.lit(rng.choice(["GP: ", "Plan: ", "F/U: ", "Actions: "]))
    plan_items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(1, 4))]
    plan_items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    plan_items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    rng.shuffle(plan_items)
    _write_list(doc, plan_items, "semicolon")


def narrative(g, p, doc) -> None:
    rng = g.rng
    main, secs, _pmh, _status, _hist, _procs = _block_writers(g, p, doc)
    if rng.random() < 0.4:
        doc.lit(rng.choice(F.TITLES) + "\n\n")
    pt = _pt(rng, p)
    doc.lit(_cap(rng.choice([f"{pt} is a {p.age} year old {'man' if p.sex == 'M' else 'woman'}",
                             f"{pt}, {p.age}, was admitted under {p.specialty}",
                             f"This {p.age}-year-old {'gentleman' if p.sex == 'M' else 'lady'} was admitted",
                             f"{pt} ({p.age}{p.sex})"])) + ". ")
    items = _pmh_items(g, p, doc)
    if items:
        _sentence_list(g, doc, rng.choice(["Background of ", "PMH includes ", "Past history of ", "Known to have ",
                                            "Relevant history: ", "Background includes "]), items)
    doc.lit("\n\n" if rng.random() < 0.6 else "")
    _course(g, p, doc, para_break=True)
    if p.family:
        doc.lit(" ")
        _sentence_list(g, doc, rng.choice(["Of note, ", "Family history: ", "FH: "]),
                       [_trap_writer(g, p, doc, "family", c) for c in p.family])
    doc.lit("\n\n")
    if p.verbosity >= 2 and rng.random() < 0.5:
        doc.lit(rng.choice(["Key results: ", "Results of note: ", "Investigations: "]) + "; ".join(_investigations(g, p)) + ".\n\n")
    if p.verbosity >= 1 and rng.random() < 0.4:
        doc.lit(rng.choice(["Social: ", "Social history: ", ""]) + rng.choice(F.SOCIAL_CHILD if p.age < 16 else _fx(p, "SOCIAL")) + "\n\n")
    if p.verbosity >= 1:
        doc.lit(rng.choice(["Medication changes: ", "Changes to medicines: "]) +
                ", ".join([rng.choice(F.STARTED).format(d=d) for d in _meds(g, p)[:2]] + rng.sample(F.STOPPED, k=1)) + ".\n\n")
    plan_items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(1, 3))]
    plan_items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    plan_items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    rng.shuffle(plan_items)
    _sentence_list(g, doc, rng.choice(["Plan: ", "On discharge, ", "Going forward: ", "We have arranged the following: "]), plan_items)
    if rng.random() < 0.5:
        doc.lit("\n\n" + rng.choice(["Diagnoses: ", "Final diagnosis: ", "Summary of diagnoses: "]))
        _write_list(doc, [main] + secs, "inline")
    if rng.random() < 0.4:
        doc.lit("\n" + rng.choice(F.CLINICIANS))


def gp_letter(g, p, doc) -> None:
    rng = g.rng
    main, secs, _pmh, _status, _hist, _procs = _block_writers(g, p, doc)
    doc.lit(rng.choice(["Dear Dr ___,", "Dear Dr ___", "Dear GP,", "Dear Colleague,", "Dear Dr. ___,"]) + "\n\n")
    if rng.random() < 0.6:
        doc.lit(rng.choice(F.PATIENT_LINES[:3]) + "\n\n")
    if rng.random() < 0.6:
        doc.lit(_heading(rng, "dx", 2))
        main()
        doc.lit("\n")
        _write_list(doc, secs, rng.choice(("dash", "plain", "inline")))
        doc.lit("\n")
        main = _item_writer(g, p, doc, p.main, main=True)  # mention again in the prose
    pt = _pt(rng, p)
    doc.lit(rng.choice([f"Thank you for looking after {pt}, who was admitted under {p.specialty} on {_date(rng)}. ",
                        f"I am writing to let you know that your patient was admitted to {p.specialty} on {_date(rng)}. ",
                        f"I saw {pt} on the ward during {'his' if p.sex == 'M' else 'her'} recent admission. ",
                        "Your patient has now been discharged home. "]))
    _course(g, p, doc)
    doc.lit("\n\n")
    if p.verbosity >= 1 and rng.random() < 0.7:
        doc.lit(rng.choice(["Investigations: ", "Relevant results: ", "Results: "]) + ", ".join(_investigations(g, p)) + ".\n\n")
    items = _pmh_items(g, p, doc)
    if items:
        _sentence_list(g, doc, rng.choice(["As you know, there is a background of ", "Other history: ", "Past history includes ",
                                            "Co-morbidities: "]), items)
    if p.family:
        _sentence_list(g, doc, rng.choice(["There is a family history: ", "Family history: "]),
                       [_trap_writer(g, p, doc, "family", c) for c in p.family])
    doc.lit("\n\n")
    plan_items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(1, 3))]
    plan_items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    plan_items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    rng.shuffle(plan_items)
    _sentence_list(g, doc, rng.choice(["I would be grateful if you could action the following: ", "Requests: ",
                                        "Could you please arrange: ", "Plan: "]), plan_items)
    if rng.random() < 0.6:
        doc.lit("\n\nMedications on discharge: " + (", ".join(_meds(g, p)) or "no changes") + ".")
    if rng.random() < 0.5:
        from .prose import med_changes

        doc.lit("\n" + med_changes(g, p))
    doc.lit("\n\n" + rng.choice(["Yours sincerely,", "Kind regards,", "Best wishes,", "Yours faithfully,"]) + "\n\n" +
            rng.choice(F.CLINICIANS))


def handover(g, p, doc) -> None:
    rng = g.rng
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    doc.lit(rng.choice([f"ED handover -> {rng.choice(F.SPEC_WARDS.get(p.spec, F.WARDS))}", "Handover (ED to ward)", "ED to AMU handover",
                        "SBAR handover", "Ward handover / discharge"]) + "\n")
    doc.lit(rng.choice(["S: ", "Situation: ", "PC: "]) + _agesex(rng, p) + " with ")
    _symptoms_writer(g, p, doc)()
    doc.lit("\n" + rng.choice(["B: ", "Background: ", "PMH: "]))
    items = _pmh_items(g, p, doc)
    if items:
        _write_list(doc, items, "inline")
    else:
        doc.lit("nil\n")
    if p.family:
        doc.lit("FH: ")
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "inline")
    doc.lit(rng.choice(["A: ", "Assessment: ", "Imp: "]))
    main()
    for w in secs:
        doc.lit(rng.choice(["; ", " + ", ", also "]))
        w()
    doc.lit("\n")
    for c in p.negated:
        doc.lit("  ")
        _trap_writer(g, p, doc, "negated", c)()
        doc.lit("\n")
    for c in p.neg_symptoms:
        doc.lit("  ")
        _trap_writer(g, p, doc, "neg_symptom", c)()
        doc.lit("\n")
    if rng.random() < 0.6:
        doc.lit("Obs: " + rng.choice(["HR 112 BP 98/60 RR 24 SpO2 91% RA T 38.2", "NEWS 5", "obs stable, NEWS 1",
                                      "HR 88, BP 145/90, sats 96% on air, apyrexial", "NEWS2 7 on arrival"]) + "\n")
    doc.lit("Ix: " + ", ".join(_investigations(g, p)) + "\n")
    doc.lit(rng.choice(["R: ", "Plan: ", "Rec: "]) + _tx(g, p) + "; ")
    for w in procs:
        w()
        doc.lit("; ")
    plan_items = [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical] + \
        [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    plan_items.append(lambda: doc.lit(_sample_plans(rng, p, 1)[0].format(spec=p.specialty)))
    _write_list(doc, plan_items, "semicolon")
    doc.lit(rng.choice(["Outcome: discharged " + _date(rng), "Discharged home.", "d/c home after " + str(rng.randint(1, 12)) + " days",
                        "Now MFFD, discharged."]))


def op_note(g, p, doc) -> None:
    rng = g.rng
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    doc.lit(rng.choice(["OPERATION NOTE", "Operation note", "Op note", "OPERATIVE RECORD", "Theatre record / discharge"]) + "\n")
    doc.lit(f"Date: {_date(rng)}\n")
    if rng.random() < 0.7:
        doc.lit(rng.choice(["Surgeon: Mr ___", "Surgeon: Miss ___ (Consultant)", "Operating surgeon: Mr ___, ST6",
                            "Surgeon: Ms ___"]) + "\n")
    if rng.random() < 0.6:
        doc.lit("Anaesthetic: " + rng.choice(["GA", "spinal", "GA + local infiltration", "regional block", "LA", "GA/LMA"]) + "\n")
    doc.lit(rng.choice(["Indication: ", "Pre-op diagnosis: ", "Diagnosis: "]))
    main()
    doc.lit("\n")
    doc.lit(rng.choice(["Procedure: ", "Operation: ", "Operation performed: ", "Procedure(s): "]))
    if procs:
        procs[0]()
    doc.lit("\n")
    doc.lit(rng.choice(["Findings: ", "Findings - "]) + rng.choice(
        F.OP_FINDINGS.get(p.spec if p.spec in ("ortho", "surg", "obs") else "", F.OP_FINDINGS[""])) + "\n")
    if rng.random() < 0.5:
        doc.lit("Closure: " + rng.choice(["clips", "subcuticular vicryl", "staples", "steristrips"]) + "\n")
    if len(procs) > 1:
        doc.lit(rng.choice(["Other procedures: ", "Also: ", "Additional: "]))
        _write_list(doc, procs[1:], "inline")
    if secs:
        doc.lit(rng.choice(["Post-op complications: ", "Other diagnoses: ", "Also: "]))
        _write_list(doc, secs, "inline")
    items = _pmh_items(g, p, doc)
    if items:
        doc.lit(rng.choice(["PMH: ", "Background: ", "Comorbidities: "]))
        _write_list(doc, items, "inline")
    for c in p.negated:
        _trap_writer(g, p, doc, "negated", c)()
        doc.lit(". ")
    if p.family:
        doc.lit("FH: ")
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "inline")
    doc.lit(rng.choice(["Post-op instructions: ", "Post op: ", "Plan: "]))
    plan_items = [(lambda s=s: doc.lit(s)) for s in rng.sample(
        ["mobilise as able", "FWB", "VTE prophylaxis 28 days", "remove clips day 10", "wound check at GP practice day 5",
         "analgesia as charted", "oral antibiotics 5 days", "check Hb day 1", "follow up 6 weeks", "home when comfortable"],
        k=rng.randint(1, 4))]
    plan_items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    plan_items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    _write_list(doc, plan_items, rng.choice(("semicolon", "dash")))
    if p.neg_symptoms and rng.random() < 0.5:
        _trap_writer(g, p, doc, "neg_symptom", p.neg_symptoms[0])()
        doc.lit(".\n")


def problem_list(g, p, doc) -> None:
    rng = g.rng
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    if rng.random() < 0.6:
        doc.lit(rng.choice(F.TITLES) + "\n")
    doc.lit(rng.choice(["Problems this admission:", "Issues:", "Problem list", "Active problems:"]) + "\n")
    n = 1
    from . import story as S
    from .prose import _vals

    grp = S.group_of(p.main.concept.code, p.symptom_main)
    v = _vals(g, p)
    doc.lit(f"{n}. ")
    main()
    doc.lit(rng.choice([" - ", ": ", ". "]))
    if p.spec not in ("obs", "neo") and rng.random() < 0.9:
        bits = S.frag(rng, grp, "story", v, k=rng.randint(1, 2)) if rng.random() < 0.6 else []
        bits += [_cap(x) + "." for x in S.frag(rng, grp, "ix", v, k=rng.randint(1, 2))]
        bits += S.frag(rng, grp, "mx", v, k=1) + (S.frag(rng, grp, "resp", v, k=1) if p.verbosity >= 2 else [])
        doc.lit(" ".join(bits))
    else:
        doc.lit(_tx(g, p))
    for c in p.negated:
        doc.lit("; ")
        _trap_writer(g, p, doc, "negated", c)()
    for w in procs:
        doc.lit(rng.choice(["; ", ". ", " - "]))
        doc.tpl(rng.choice(["{m} on day {d}", "had {m}", "{m}", "underwent {m}"]), m=w, d=rng.randint(1, 4))
    doc.lit("\n")
    for it, w in zip(p.secondaries, secs):
        n += 1
        doc.lit(f"{n}. ")
        w()
        if rng.random() < 0.8 and it.concept.code != "Z37.0":
            doc.lit(rng.choice([" - ", ": "]) + S.frag(rng, S.group_of(it.concept.code), "mx", v)[0] + "\n")
        else:
            doc.lit(rng.choice(["", " - resolved", " - treated", " - improving", " - monitor"]) + "\n")
    for c in p.uncertain:
        n += 1
        doc.lit(f"{n}. ")
        _trap_writer(g, p, doc, "uncertain", c)()
        doc.lit("\n")
    items = _pmh_items(g, p, doc)
    if items:
        doc.lit(rng.choice(["Background:", "Chronic problems:", "Past history:", "PMH:"]) + "\n")
        _write_list(doc, items, rng.choice(("dash", "plain", "bullet")))
    if p.family:
        doc.lit("FH: ")
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "inline")
    if rng.random() < 0.45:
        from .prose import bloods_line

        doc.lit(bloods_line(g, p) + "\n")
    if p.symptoms and rng.random() < 0.8:
        doc.lit("Presented with ")
        _symptoms_writer(g, p, doc)()
        doc.lit(".\n")
    for c in p.neg_symptoms:
        _trap_writer(g, p, doc, "neg_symptom", c)()
        doc.lit(".\n")
    meds = _meds(g, p)
    if meds and rng.random() < 0.6:
        doc.lit(rng.choice(["Discharge meds: ", "TTO: ", "Medication: "]) + ", ".join(meds) + "\n")
    if rng.random() < 0.3:
        doc.lit(rng.choice(["Social: ", "SH: "]) + rng.choice(F.SOCIAL_CHILD if p.age < 16 else _fx(p, "SOCIAL")) + "\n")
    doc.lit(rng.choice(["Plan: ", "GP: ", "Follow-up: "]))
    plan_items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(1, 4))]
    plan_items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    _write_list(doc, plan_items, "semicolon")


def epr(g, p, doc) -> None:
    """An electronic discharge template export: labelled fields, tabular medicines."""
    rng = g.rng
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    doc.lit(rng.choice(["Electronic Discharge Summary", "eDischarge", "DISCHARGE SUMMARY - EPR", "Discharge Notification"]) + "\n")
    doc.lit(rng.choice(["Patient Details\n", "PATIENT DETAILS\n", ""]) + rng.choice(F.PATIENT_LINES[:6]) + "\n")
    base = (rng.randint(1, 28), rng.randint(1, 12), rng.choice((2025, 2026)))
    doc.lit(rng.choice(["Admission Details\n", "ADMISSION\n", ""]))
    doc.lit(f"  Admission date: {_date(rng, base)}  Method: {p.admission.title()}\n")
    doc.lit(f"  Discharge date: {_date(rng, base, p.los)}  Specialty: {p.specialty}\n")
    doc.lit(rng.choice(["Clinical Details\n", "CLINICAL INFORMATION\n", ""]))
    doc.lit("  " + rng.choice(["Primary Diagnosis: ", "Primary diagnosis (this admission): ", "Principal Diagnosis: "]))
    main()
    doc.lit("\n")
    if secs:
        doc.lit("  " + rng.choice(["Secondary Diagnoses: ", "Other diagnoses: ", "Secondary diagnosis/complications: "]))
        _write_list(doc, secs, "semicolon")
    items = _pmh_items(g, p, doc)
    doc.lit("  " + rng.choice(["Comorbidities: ", "Co-morbidities: ", "Relevant past medical history: ", "PMH: "]))
    if items:
        _write_list(doc, items, rng.choice(("semicolon", "inline")))
    else:
        doc.lit(rng.choice(["None recorded", "nil", "None"]) + "\n")
    doc.lit("  " + rng.choice(["Procedures: ", "Operations/Procedures: ", "Procedures performed: "]))
    if procs:
        _write_list(doc, procs, "semicolon")
    else:
        doc.lit(rng.choice(["None", "Nil", "N/A"]) + "\n")
    doc.lit("  " + rng.choice(["Clinical narrative: ", "Summary of stay: ", "Clinical summary: "]))
    _course(g, p, doc)
    doc.lit("\n")
    if p.verbosity >= 1:
        doc.lit("  " + rng.choice(["Investigations: ", "Key results: "]) + "; ".join(_investigations(g, p)) + "\n")
    if p.family:
        doc.lit("  Family history: ")
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "semicolon")
    doc.lit(rng.choice(["Medications on Discharge\n", "MEDICATIONS\n", "Discharge Medication\n"]))
    doc.lit(rng.choice(["  Drug | Dose | Frequency | Status\n", "  Medicine - dose - frequency - status\n", ""]))
    for m in _meds(g, p):
        parts = m.split(" ", 1)
        doc.lit("  " + " | ".join([parts[0], parts[1] if len(parts) > 1 else "", rng.choice(["Continued", "New", "Changed", "Continued"])]) + "\n")
    doc.lit("Allergies: " + rng.choice(_fx(p, "ALLERGIES")) + "\n")
    doc.lit(rng.choice(["Information for GP\n", "ACTIONS FOR GP\n", "GP Actions\n", "Follow-up\n"]))
    plan_items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(1, 3))]
    plan_items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    plan_items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    rng.shuffle(plan_items)
    _write_list(doc, plan_items, "dash")
    doc.lit(rng.choice(["Completed by: ", "Author: ", "Signed: "]) + rng.choice(F.CLINICIANS) + "\n")


def _new_style(name: str):
    def render_new(g, p, doc) -> None:
        from .prose import RENDERERS as NEW

        NEW[name](g, p, doc)

    return render_new


RENDERERS = {"consultant_letter": _new_style("consultant_letter"), "surgical_discharge": _new_style("surgical_discharge"),
             "ed_summary": _new_style("ed_summary"), "structured": structured, "bullets": bullets, "narrative": narrative, "gp_letter": gp_letter,
             "handover": handover, "op_note": op_note, "problem_list": problem_list, "epr": epr}


def render(g, p, doc) -> None:
    RENDERERS[p.style](g, p, doc)
