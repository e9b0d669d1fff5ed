"""The long-form clinical story (`rich_course`) and the letter styles built on it: a consultant's letter
to the GP, a surgical discharge with an operation note, and a short ED-to-ward summary; plus
`dx_block`, the many ways a letter states its diagnoses (primary first, labelled, or not first but
signalled as the reason for admission).

Real letters tell how the main condition was found and treated: a presenting story, examination,
results, the diagnosis, management and response, then each other problem in turn, with the
comorbidities woven into the prose. The content per clinical group lives in story.py."""

from __future__ import annotations

import re

from . import fragments as F
from . import story as S
from .styles import (
    _THEATRE,
    _block_writers,
    _cap,
    _date,
    _fx,
    _heading,
    _investigations,
    _item_writer,
    _meds,
    _pmh_items,
    _pt,
    _sample_plans,
    _sentence_list,
    _symptoms_writer,
    _trap_writer,
    _tx,
    _write_list,
)


def _join(doc, writers, last: str = " and ") -> None:
    for i, w in enumerate(writers):
        if i:
            doc.lit(last if i == len(writers) - 1 else ", ")
        w()


def _vals(g, p) -> dict:
    v = S.values(g.rng, p)
    pt = _pt(g.rng, p)
    if pt in ("he", "she"):
        pt = "Mr ___" if p.sex == "M" else "Mrs ___"
    los = max(1, p.los)
    man = p.sex == "M"
    v["refs"] = (["Mr ___", "The patient", "This gentleman", "Our patient", "The patient "] if man else
                 ["Mrs ___", "The patient", "This lady", "Our patient", "Ms ___"]) if p.age >= 16 else \
        ["The child", "This boy" if man else "This girl", "The patient"]
    v["refs"] = [r.strip() + " " for r in v["refs"]]
    v.update(pt=pt, Pt=_cap(pt), los=los, los_days=f"{los} day" + ("s" if los > 1 else ""), spec=p.specialty, age=p.age, date=_date(g.rng),
             gender=("man" if p.sex == "M" else "woman") if p.age >= 16 else ("boy" if p.sex == "M" else "girl"),
             dur=g.rng.choice(["3 day", "1 week", "2 day", "24 hour", "several week", "5 day", "48 hour", "10 day"]))
    return v


def _say(doc, s: str, v: dict) -> None:
    """A filler sentence with the letter's values; mentions never go through here. A sentence opening
    with the pronoun sometimes names the patient instead ("Mrs ___ was ...", "This lady was ...")."""
    s = s.format_map(v)
    cut = 3 if s.startswith("He ") else (4 if s.startswith("She ") else 0)
    if cut and doc.rng.random() < 0.25:
        s = doc.rng.choice(v["refs"]) + s[cut:]
    doc.lit(s)


_EXCLUDE = {"aki": {"cr", "ur"}, "gi_bleed": {"hb", "ur"}, "haem": {"hb", "plt"}, "metabolic": {"na", "k", "alb"},
            "liver": {"lft", "plt", "inr", "alb"},
            "dka": {"glu", "na", "k"}, "diabetes": {"glu"}, "hypo": {"glu"}, "hpb": {"lft", "crp", "wcc"}, "alcohol": {"lft"},
            "cancer": {"hb", "lft"}, "hf": {"na", "cr"}}
_INFLAM = {"pneumonia", "lrti", "airways", "uti", "sepsis", "skin", "surg_abdo", "lower_gi", "inflam", "throat", "ear_nose", "cognitive"}


def skipped_analytes(p) -> set[str]:
    """Analytes a coded condition of the letter makes abnormal: filler must not report them as normal."""
    groups = {S.group_of(p.main.concept.code, p.symptom_main)} | {S.group_of(it.concept.code) for it in p.secondaries}
    skip: set[str] = set()
    for grp in groups:
        skip |= _EXCLUDE.get(grp, set())
        if grp in _INFLAM:
            skip |= {"crp", "wcc"}
    codes = [c for it in p.comorbs + p.secondaries + [p.main] for c in it.concept.codes]
    if any(c.startswith(("N18", "N17", "N19", "E87", "E86")) for c in codes):
        skip |= {"cr", "ur", "na", "k"}
    if any(c.startswith(("D5", "D6", "O99.0")) for c in codes):
        skip |= {"hb", "plt"}
    if any(c.startswith(("K7", "B1")) for c in codes):
        skip |= {"lft", "inr", "alb"}
    if any(c.startswith(("E4", "E5", "E6")) for c in codes):
        skip |= {"alb"}
    if any(c.startswith(("E10", "E11", "E13", "E14", "E16")) for c in codes):
        skip |= {"glu"}
    return skip


_ANALYTE_WORDS = {"hb": r"\bHb\b", "wcc": r"\bWCC\b", "plt": r"\bplt\b", "na": r"\bNa\b", "k": r"\bK\b", "ur": r"\b(?:Ur|urea)\b",
                  "cr": r"\b(?:Cr|creatinine)\b|\beGFR\b", "crp": r"\bCRP\b", "lft": r"\bLFTs?\b", "glu": r"\bglucose\b",
                  "alb": r"\balbumin\b", "inr": r"\bINR\b"}


def keep_results(p, results: list[str]) -> list[str]:
    """Generic filler results without the analytes a coded condition makes abnormal ("Hb 131" with anaemia)."""
    skip = skipped_analytes(p)
    if not skip:
        return results
    pat = re.compile("|".join(_ANALYTE_WORDS[k] for k in skip if k in _ANALYTE_WORDS))
    return [r for r in results if not pat.search(r)]


def bloods_line(g, p) -> str:
    """Admission bloods with values in or near the normal range, leaving out every analyte that a coded
    condition of the letter would make abnormal (creatinine with AKI/CKD, Hb with anaemia or bleeding, ...)."""
    rng = g.rng
    skip = skipped_analytes(p)
    n = rng.randint
    cr0 = n(55, 95)
    vals = [("hb", f"Hb {n(121, 158)}"), ("wcc", f"WCC {round(rng.uniform(4.5, 10.5), 1)}"), ("plt", f"plt {n(170, 390)}"),
            ("na", f"Na {n(135, 144)}"), ("k", f"K {round(rng.uniform(3.6, 4.9), 1)}"), ("ur", f"urea {round(rng.uniform(3.2, 7.4), 1)}"),
            ("cr", f"creatinine {cr0}"), ("crp", f"CRP {n(1, 9)}"), ("lft", "LFTs normal"), ("glu", f"glucose {round(rng.uniform(4.4, 7.2), 1)}"),
            ("alb", f"albumin {n(35, 44)}"), ("mg", f"Mg {round(rng.uniform(0.75, 0.98), 2)}"), ("inr", f"INR {round(rng.uniform(0.9, 1.2), 1)}")]
    keep = [t for k, t in vals if k not in skip]
    lo = min(3, len(keep))
    keep = keep[:rng.randint(lo, len(keep))] if rng.random() < 0.5 else rng.sample(keep, k=rng.randint(lo, min(7, len(keep))))
    sep = rng.choice([", ", "; ", " | ", ", "])
    return rng.choice(["Admission bloods: ", "Bloods: ", "Bloods on admission - ", "Routine bloods: ", "FBC/U&E/LFT: ", "Bloods on arrival: "]) + \
        sep.join(keep)


def med_changes(g, p) -> str:
    """A medication-changes line with reasons, as GPs ask for."""
    rng = g.rng
    meds = _meds(g, p)
    items = [rng.choice(F.STARTED).format(d=d) for d in meds[:rng.randint(1, 2)]]
    items += [x if "(" in x else f"{x} ({rng.choice(F.CHANGE_REASONS)})" for x in rng.sample(F.STOPPED, k=rng.randint(0, 2))]
    if len(meds) > 2 and rng.random() < 0.5:
        items.append(rng.choice(["all other medicines unchanged", "no other changes", "other regular medicines continued"]))
    return rng.choice(["Medication changes: ", "Changes to medicines: ", "Med changes - ", "Medicines: "]) + "; ".join(items) + "."


def _dx_statement(g, p, doc, v: dict, main) -> None:
    rng = g.rng
    if p.symptom_main:
        doc.tpl(rng.choice(["No definitive cause for the {m} was found.", "Final diagnosis: {m}, cause not identified.",
                            "{m} - no underlying cause identified despite investigation.", "The {m} was felt to be benign.",
                            "After investigation this remained {m} of unclear cause.", "Diagnosis: {m}."]), m=main)
        return
    if p.main.mode == "uncertain":
        doc.tpl(rng.choice(S.DX_UNCERTAIN_MAIN), m=main)
        return
    linked = [it for it in p.secondaries if not it.random and not it.cause and it.mode == "present"
              and it.concept.code != "Z37.0" and it.concept.code[0] not in "OPZ"]
    if linked and rng.random() < 0.4:
        # "admitted with AKI secondary to sepsis": the complication first, the main condition as its cause
        doc.tpl(rng.choice(SEC_TO).format_map({**v, "s": "{s}", "m": "{m}"}), s=_item_writer(g, p, doc, linked[0]), m=main)
        return
    syms = [s for s in p.symptoms if s.code[0] == "R"]
    if syms and rng.random() < 0.2:
        doc.tpl(rng.choice(S.DX_WITH_SYMPTOM).format_map({**v, "m": "{m}", "sym": "{sym}"}), m=main,
                sym=g.m(syms[0], "present"))
        return
    doc.tpl(rng.choice(S.DX_SENTENCES).format_map({**v, "m": "{m}"}), m=main)


SEC_TO = ["{Pt} was admitted with {s} secondary to {m}.", "Admitted with {s} secondary to {m}.", "This was {s}, secondary to {m}.",
          "{He} had {s} caused by {m}.", "The underlying problem was {m}, complicated by {s}.", "Diagnosis: {m} with {s}.",
          "{s} due to {m} was diagnosed.", "We felt {he} had {s} as a result of {m}."]


def rich_course(g, p, doc, para_break: bool = True, state_dx: bool = True, bg: bool | None = None) -> None:
    """The story of the admission in paragraphs; every coded secondary gets its own short paragraph."""
    rng = g.rng
    v = _vals(g, p)
    sep = "\n\n" if para_break else " "
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    grp = S.group_of(p.main.concept.code, p.symptom_main)
    planned = p.admission in ("elective", "day case") and bool(procs)
    verb = p.verbosity
    # 1. presentation
    if planned:
        doc.tpl(rng.choice(F.ELECTIVE_OPENERS), pt=v["Pt"], m=main)
        doc.lit(" ")
        if grp in ("joint", "cataract", "hernia", "lower_uro", "back", "stone", "cancer") and rng.random() < 0.7:
            _say(doc, S.frag(rng, grp, "story", v)[0] + " ", v)
        _say(doc, rng.choice(["Pre-operative assessment was satisfactory. ", "{He} was seen in pre-assessment clinic beforehand. ",
                              "Consent was obtained on the day. ", "{He} was fasted and marked on the morning of surgery. ", ""]), v)
    else:
        comorbs = [_item_writer(g, p, doc, it) for it in p.comorbs[:3]]
        use_bg = bool(comorbs) and (bg if bg is not None else rng.random() < 0.35)
        if use_bg:
            bgw = comorbs + ([_trap_writer(g, p, doc, "historical", c) for c in p.historical] if rng.random() < 0.5 else [])
            rng.shuffle(bgw)
            doc.tpl(rng.choice(S.BG_OPENINGS).format_map({**v, "bg": "{bg}", "sym": "{sym}"}),
                    bg=lambda: _join(doc, bgw), sym=_symptoms_writer(g, p, doc))
        else:
            doc.tpl(rng.choice(S.OPENINGS).format_map({**v, "sym": "{sym}"}), sym=_symptoms_writer(g, p, doc))
        doc.lit(" ")
        for s in S.frag(rng, grp, "story", v, k=rng.randint(1 + (verb >= 2), 2 + min(verb, 2))):
            _say(doc, s + " ", v)
        for s in rng.sample(F.HPC, k=rng.randint(verb >= 1, 1 + verb)):
            _say(doc, s.format(n=v["n"]) + " ", v)
    doc.lit(sep)
    # 2. examination and investigations
    if verb >= 1 and not planned or rng.random() < 0.3:
        intro = rng.choice(S.EXAM_INTROS)
        doc.lit(intro)
        ex = S.frag(rng, grp, "exam", v, k=rng.randint(1, 2))
        low = intro and intro[-2:] != ": " and ex[0][1:2].islower()
        _say(doc, ex[0][:1].lower() + ex[0][1:] if low else ex[0], v)
        for s in ex[1:]:
            _say(doc, " " + s, v)
        doc.lit(" ")
        if not any(w in " ".join(ex) for w in ("HR", "BP", "Saturations", "Temperature", "Obs")) and verb >= 1 and rng.random() < 0.5:
            _say(doc, rng.choice(S.VITALS) + " ", v)
    res = S.frag(rng, grp, "ix", v, k=rng.randint(1 + (verb >= 2), 2 + (verb >= 2)))
    if p.main.mode == "uncertain":  # a main condition left unconfirmed has no confirmatory result
        res = [x for x in res if "confirm" not in x and "diagnos" not in x] or S.frag(rng, "symptom", "ix", v)
    if rng.random() < 0.6:
        res += _investigations(g, p)[:1 + verb // 2]
    x = "; ".join(res) if rng.random() < 0.5 else ", ".join(res[:-1]) + (" and " if len(res) > 1 else "") + res[-1]
    intro = rng.choice(S.IX_INTROS)
    if rng.random() < 0.3 + 0.15 * verb:
        doc.lit(bloods_line(g, p) + ". ")
    doc.lit(intro.replace("{x}", x).replace("{X}", _cap(x)) + " ")
    for c in p.negated:
        doc.tpl(rng.choice(S.NEG_NARRATIVE).format_map({**v, "m": "{m}", "test": "{test}"}), m=g.m(c, "negated"),
                test=rng.choice(F.NEG_TESTS.get(c.code[:3], F.DEFAULT_TESTS)))
        doc.lit(" ")
    # 3. diagnosis, management, procedures, response
    if para_break and rng.random() < 0.6:
        doc.lit("\n\n")
    if state_dx and not planned:
        _dx_statement(g, p, doc, v, main)
        doc.lit(" ")
        if verb >= 1 and rng.random() < 0.6:
            _say(doc, rng.choice(S.REASONING) + " ", v)
    for s in S.frag(rng, grp, "mx", v, k=rng.randint(1 + (verb >= 3), 2 + (verb >= 2))):
        _say(doc, s + " ", v)
    if rng.random() < 0.3:
        doc.tpl(rng.choice(F.TREATED), pt=v["Pt"], tx=_tx(g, p))
        doc.lit(" ")
    for c, w in zip(p.procs, procs):
        tpls = S.PROC_SENTENCES + (F.THEATRE_SENT if c.code.startswith(_THEATRE) else [])
        doc.tpl(rng.choice(tpls).format_map({**v, "m": "{m}", "d": rng.randint(1, 4) if not planned else rng.choice((0, 1))}), m=w)
        doc.lit(" ")
    for s in S.frag(rng, grp, "resp", v, k=rng.randint(1, 2 + (verb >= 3))):
        _say(doc, s + " ", v)
    # 4. each other problem
    for it, w in zip(p.secondaries, secs):
        doc.lit(sep)
        if it.concept.code == "Z37.0":
            doc.tpl(rng.choice(["Outcome: {m}.", "Delivered: {m}.", "Outcome of delivery - {m}."]), m=w)
            continue
        sg = S.group_of(it.concept.code)
        doc.tpl(rng.choice(S.SECONDARY_INTROS).format_map({**v, "m": "{m}"}), m=w)
        if verb >= 2 and rng.random() < 0.4:
            _say(doc, S.frag(rng, sg, "story", v)[0] + " ", v)
        bits = S.frag(rng, sg, "ix", v) + S.frag(rng, sg, "mx", v)
        _say(doc, _cap(bits[0]) + (". " if not bits[0].endswith(".") else " ") + bits[1] + " ", v)
        if verb >= 1 and rng.random() < 0.6:
            _say(doc, S.frag(rng, sg, "resp", v)[0] + " ", v)
    # 5. comorbidities in prose
    if p.comorbs and verb >= 1 and rng.random() < 0.7:
        doc.lit(" " if rng.random() < 0.5 else sep)
        for it in rng.sample(p.comorbs, k=min(len(p.comorbs), rng.randint(1, 3))):
            doc.tpl(rng.choice(S.COMORB_SENTENCES).format_map({**v, "c": "{c}"}), c=_item_writer(g, p, doc, it))
            doc.lit(" ")
    for c in p.neg_symptoms:
        doc.tpl(rng.choice(["{w}. ", "Of note, {w}. ", "{w} throughout the admission. "]), w=_trap_writer(g, p, doc, "neg_symptom", c))
    # 6. progress on the ward, function, discharge
    if verb >= 1 and p.admission != "day case" and rng.random() < 0.4 + 0.15 * verb:
        days = [d for d in _fx(p, "DAYS") if ("antibiotic" not in d or p.main.concept.code.startswith(F.INFECTION_PREFIXES))
                and (p.procs or not any(w in d for w in ("drain", "wound", "catheter")))]
        for d in sorted(rng.sample(range(1, max(2, p.los + 1)), k=min(rng.randint(1, verb + 1), max(1, p.los - 1)))):
            ev = rng.choice(days)
            for a, b in (("{pr} mobilised", "{he} mobilised"), ("{pr} passed", "{he} passed"), ("{pr} spiked", "{he} spiked"),
                         ("{pr} was", "{he} was"), ("{pr} had", "{he} had"), ("{pr}", "{him}")):
                ev = ev.replace(a, b)
            _say(doc, rng.choice(S.DAY_EVENTS).replace("{d}", str(d)) + ev + ". ", v)
    if p.age >= 60 and verb >= 2 and rng.random() < 0.6:
        _say(doc, " ".join(rng.sample(S.FUNCTION, k=rng.randint(1, 2))) + " ", v)
    if para_break and verb >= 1 and rng.random() < 0.75:
        doc.lit(sep)
        if p.age >= 16 and rng.random() < 0.5:
            doc.lit(rng.choice(_fx(p, "SOCIAL")) + " ")
        _say(doc, " ".join(rng.sample(S.PLAN_PROSE, k=rng.randint(1, verb))) + " ", v)
    if verb >= 2 and rng.random() < 0.6:
        disc = _fx(p, "DISCUSS")
        doc.lit(" ".join(rng.sample(disc, k=min(len(disc), rng.randint(1, 2)))) + " ")
    if rng.random() < 0.7:
        _say(doc, rng.choice(S.DISCHARGE_LINES), v)


def dx_block(g, p, doc, hf: int, lf: str, merged_items=None) -> None:
    """The diagnosis section in one of several shapes. The main condition is first unless the list
    says which item was the reason for admission."""
    rng = g.rng
    main, secs, *_ = _block_writers(g, p, doc)
    extra = merged_items or []
    r = rng.random()
    if secs and r < 0.12:
        # main not first, but signalled
        tag = rng.choice([" (reason for admission)", " - main diagnosis", " [primary]", " - principal problem this admission",
                          " (primary diagnosis)", " - the main reason for this admission"])
        items = secs + extra
        pos = rng.randint(1, len(items))

        def main_tagged():
            main()
            doc.lit(tag)

        items = items[:pos] + [main_tagged] + items[pos:]
        doc.lit(rng.choice(["Diagnoses this admission:\n", "Problems:\n", "DIAGNOSES\n", "Diagnosis list:\n"]))
        _write_list(doc, items, rng.choice(("numbered", "dash", "numbered2")))
        return
    if r < 0.3:
        doc.lit(rng.choice(["Principal problem: ", "Main reason for admission: ", "Admitted with: ", "Primary: ",
                            "Reason for admission: ", "Main diagnosis - "]))
        main()
        doc.lit("\n")
        if secs or extra:
            doc.lit(rng.choice(["Active problems: ", "Also this admission: ", "Other diagnoses: ", "Secondary: ", "Other issues: "]))
            _write_list(doc, secs + extra, rng.choice(("inline", "semicolon")))
        return
    if r < 0.5:
        doc.lit(rng.choice(["Diagnoses (in order):\n", "DIAGNOSES\n", "Diagnosis/problems:\n", "Diagnoses:\n"]))
        _write_list(doc, [main] + secs + extra, rng.choice(("numbered", "numbered2", "dash")))
        return
    doc.lit(_heading(rng, "dx", hf))
    main()
    doc.lit("\n")
    if secs or extra:
        if rng.random() < 0.7:
            doc.lit(_heading(rng, "sec", hf))
        _write_list(doc, secs + extra, lf)


def _plan_items(g, p, doc, k: tuple[int, int] = (1, 3)) -> list:
    rng = g.rng
    items = [(lambda s=s: doc.lit(s.format(spec=p.specialty))) for s in _sample_plans(rng, p, k=rng.randint(*k))]
    items += [_trap_writer(g, p, doc, "hypothetical", c) for c in p.hypothetical]
    items += [_trap_writer(g, p, doc, "uncertain", c) for c in p.uncertain]
    rng.shuffle(items)
    return items


# ---------------------------------------------------------------- new styles
def consultant_letter(g, p, doc) -> None:
    """A consultant's prose letter to the GP: often no diagnosis list at all, the diagnosis in the story."""
    rng = g.rng
    main, secs, *_ = _block_writers(g, p, doc)
    v = _vals(g, p)
    doc.lit(rng.choice(["Dear Dr ___,", "Dear Dr ___", "Dear Colleague,", "Dear Dr ___ (GP),"]) + "\n\n")
    if rng.random() < 0.7:
        doc.lit(rng.choice(["Re: ___, DOB ___", "RE: ___ (NHS no ___)", "Re: Mr/Mrs ___, D.O.B. ___", "Patient: ___"]) + "\n\n")
    if rng.random() < 0.35:
        doc.lit(rng.choice(["Diagnosis: ", "Diagnoses: ", "Diagnosis - "]))
        _write_list(doc, [main] + secs, "inline")
        doc.lit("\n")
        main = _item_writer(g, p, doc, p.main, main=True)
    _say(doc, rng.choice([
        "I am writing to let you know about {pt}, who was under my care on the {spec} ward from {date} for {los_days}. ",
        "Thank you for referring {pt}, whom I looked after on the {spec} ward recently. ",
        "I saw {pt} on my ward round after {his} admission under {spec}, and I am writing to update you. ",
        "{Pt} has now gone home after {los_days} under the care of {spec}, and I wanted to summarise the admission. ",
        "Many thanks for your referral. {Pt} was admitted under my care on {date}. "]), v)
    rich_course(g, p, doc, para_break=True, bg=rng.random() < 0.5)
    doc.lit("\n\n")
    items = _pmh_items(g, p, doc)
    if items:
        _sentence_list(g, doc, rng.choice(["As you know, {his} other history includes ".format_map(v), "{His} background includes ".format_map(v),
                                            "Other medical history: ", "In terms of background, {he} has ".format_map(v)]), items)
        doc.lit("\n\n")
    if p.family:
        _sentence_list(g, doc, rng.choice(["Of note in the family history, ", "Family history: ", "{He} mentioned that ".format_map(v)]),
                       [_trap_writer(g, p, doc, "family", c) for c in p.family])
        doc.lit("\n\n")
    meds = _meds(g, p)
    if meds and rng.random() < 0.6:
        doc.lit(rng.choice(["{He} is going home on ".format_map(v), "Discharge medication: ", "Current medicines: "]) + ", ".join(meds[:6]) + ".\n\n")
    elif rng.random() < 0.6:
        doc.lit(med_changes(g, p) + "\n\n")
    items = _plan_items(g, p, doc)
    _sentence_list(g, doc, rng.choice(["I would be grateful if you could arrange the following: ", "Going forward, ",
                                        "My plan is as follows: ", "Could I ask you to consider the following: "]), items)
    doc.lit("\n\n" + rng.choice(["With best wishes,", "Yours sincerely,", "Kind regards,", "Yours,"]) + "\n\n" +
            rng.choice(["Dr ___\nConsultant Physician", "Dr ___, Consultant in " + p.specialty, "Dr ___\nConsultant, " + p.specialty,
                        "Professor ___\nConsultant", "Dr ___ (dictated, not signed)"]) + "\n")


def surgical_discharge(g, p, doc) -> None:
    """A surgical discharge summary with the operation note inside it and the post-operative course."""
    rng = g.rng
    _main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    v = _vals(g, p)
    grp = S.group_of(p.main.concept.code)
    doc.lit(rng.choice([f"{p.specialty.upper()} DISCHARGE SUMMARY", "Surgical discharge summary", f"Discharge summary - {p.specialty}",
                        "Inpatient surgical summary", "SURGICAL DISCHARGE"]) + "\n")
    base = (rng.randint(1, 28), rng.randint(1, 12), rng.choice((2025, 2026)))
    doc.lit(f"Admitted: {_date(rng, base)} ({p.admission})   Discharged: {_date(rng, base, p.los)}\n")
    if rng.random() < 0.6:
        doc.lit(rng.choice(["Consultant: Mr ___", "Consultant: Miss ___", "Consultant surgeon: Ms ___", "Under: Mr ___"]) + "\n")
    doc.lit("\n")
    dx_block(g, p, doc, rng.choice((0, 1, 3)), rng.choice(("dash", "numbered", "plain")))
    doc.lit("\n")
    if p.admission in ("elective", "day case") and rng.random() < 0.7:
        doc.lit(rng.choice(["Background to surgery: ", "Indication for surgery: ", "Pre-operative summary: "]))
        _say(doc, " ".join(S.frag(rng, grp, "story", v, k=rng.randint(1, 2))) + " ", v)
        if rng.random() < 0.5:
            doc.lit(bloods_line(g, p) + ".")
        doc.lit("\n\n")
    if p.admission not in ("elective", "day case") and rng.random() < 0.8:
        doc.lit(rng.choice(["Presentation\n", "HISTORY\n", "History: ", "Presenting complaint: "]))
        doc.tpl(rng.choice(S.OPENINGS).format_map({**v, "sym": "{sym}"}), sym=_symptoms_writer(g, p, doc))
        for s in S.frag(rng, grp, "story", v, k=rng.randint(1, 2)) + S.frag(rng, grp, "exam", v):
            _say(doc, " " + s, v)
        doc.lit(" " + rng.choice(S.IX_INTROS).replace("{X}", "{x}").replace("{x}", ", ".join(S.frag(rng, grp, "ix", v, k=2))) + "\n\n")
    for c in p.negated:
        doc.tpl(rng.choice(S.NEG_NARRATIVE).format_map({**v, "m": "{m}", "test": "{test}"}), m=g.m(c, "negated"),
                test=rng.choice(F.NEG_TESTS.get(c.code[:3], F.DEFAULT_TESTS)))
        doc.lit("\n")
    doc.lit(rng.choice(["OPERATION NOTE\n", "Operation note\n", "Operative details\n", "Operation: "]))
    doc.lit(f"Date: {_date(rng, base, rng.randint(0, 2))}. ")
    doc.lit(rng.choice(["Surgeon: Mr ___ (consultant). ", "Surgeon: ___, ST5, supervised. ", "Operating surgeon: Miss ___. ", ""]))
    doc.lit("Anaesthetic: " + rng.choice(["GA", "spinal", "GA + local infiltration", "regional block", "LA", "GA/LMA", "spinal with sedation"]) + ".\n")
    doc.lit(rng.choice(["Procedure: ", "Operation performed: ", "Procedure(s): ", "Operation - "]))
    if procs:
        _write_list(doc, procs, "inline")
    else:
        doc.lit("none\n")
    doc.lit(rng.choice(["Indication: ", "Pre-operative diagnosis: ", "Indication - "]))
    _item_writer(g, p, doc, p.main, main=True)()
    doc.lit("\n")
    doc.lit(rng.choice(["Findings: ", "Findings - "]) + rng.choice(F.OP_FINDINGS.get(p.spec if p.spec in ("ortho", "surg", "obs") else "",
                                                                                       F.OP_FINDINGS[""])) + ". ")
    doc.lit(" ".join(rng.sample(OP_STEPS, k=rng.randint(2, 4))) + "\n")
    doc.lit("EBL " + str(rng.choice((50, 100, 150, 200, 300))) + " ml. " + rng.choice(["No intra-operative complications.", "Uncomplicated.",
                                                                                        "No complications."]) + "\n\n")
    doc.lit(rng.choice(["Post-operative course\n", "POST-OP\n", "Progress: ", "Post-operative progress: "]))
    _say(doc, " ".join(rng.sample(POSTOP, k=rng.randint(1, 3))) + " ", v)
    if rng.random() < 0.5:
        _say(doc, S.frag(rng, grp, "resp", v)[0] + " ", v)
    for it, w in zip(p.secondaries, secs):
        sg = S.group_of(it.concept.code)
        doc.tpl(rng.choice(S.SECONDARY_INTROS).format_map({**v, "m": "{m}"}), m=w)
        _say(doc, S.frag(rng, sg, "mx", v)[0] + " ", v)
    _say(doc, rng.choice(S.DISCHARGE_LINES) + "\n\n", v)
    items = _pmh_items(g, p, doc)
    if items:
        doc.lit(rng.choice(["PMH: ", "Background: ", "Comorbidities: ", "Past medical history: "]))
        _write_list(doc, items, rng.choice(("inline", "semicolon")))
    if p.family:
        doc.lit("FH: ")
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "inline")
    if rng.random() < 0.6:
        doc.lit(rng.choice(["TTO: ", "Discharge medication: ", "Meds: "]) + ", ".join(_meds(g, p)[:5] or ["nil new"]) + "\n")
    doc.lit(rng.choice(["Discharge plan\n", "Plan:\n", "Follow-up / wound care:\n", "Instructions:\n"]))
    items = [(lambda s=s: doc.lit(s)) for s in rng.sample(WOUND_PLANS, k=rng.randint(2, 4))] + _plan_items(g, p, doc, (0, 1))
    _write_list(doc, items, rng.choice(("dash", "numbered", "bullet")))
    if p.neg_symptoms and rng.random() < 0.5:
        _trap_writer(g, p, doc, "neg_symptom", p.neg_symptoms[0])()
        doc.lit(".\n")


OP_STEPS = ["Patient positioned supine, WHO checklist completed.", "Prophylactic antibiotics given at induction.",
            "Skin prepared with chlorhexidine and draped.", "Haemostasis secured.", "Wound closed in layers.",
            "Local anaesthetic infiltrated to the wound.", "Swab and instrument counts correct.", "Dressing applied.",
            "Port sites closed with absorbable sutures.", "Specimen sent for histology.", "Washout performed.",
            "Tourniquet time 62 minutes.", "Image intensifier used to confirm position."]
POSTOP = ["Recovery was uneventful; {he} mobilised on day 1 and was eating and drinking normally.",
          "{He} recovered well, with pain controlled on oral analgesia and the wound clean and dry.",
          "Post-operatively {he} needed IV analgesia for 24 hours, then oral.", "{He} was reviewed by physiotherapy and was safe on the stairs.",
          "Bowels opened on day {n2} and {he} tolerated a normal diet.", "Observations remained stable after the procedure.",
          "Drain output was minimal and the drain was removed on day 1."]
WOUND_PLANS = ["wound check with the practice nurse at 5-7 days", "removal of clips/sutures at 10-14 days", "keep the wound dry for 48 hours",
               "no heavy lifting for 6 weeks", "no driving for 2 weeks", "VTE prophylaxis for 28 days", "outpatient review in 6 weeks",
               "histology to be reviewed in clinic", "return if wound red, hot or discharging", "simple analgesia as needed",
               "physiotherapy exercises as taught", "dissolvable sutures - no removal needed"]


def ed_summary(g, p, doc) -> None:
    """A short ED-to-ward clerking summary carried into discharge: terse, abbreviated, 80-180 words."""
    rng = g.rng
    main, secs, _pmh, _status, _hist, procs = _block_writers(g, p, doc)
    v = _vals(g, p)
    grp = S.group_of(p.main.concept.code, p.symptom_main)
    doc.lit(rng.choice(["ED summary / admission", "Emergency Department -> " + p.specialty, "ED clerking (admitted)", "ED -> ward",
                        "Admission summary (ED)", "ED referral to " + p.specialty]) + "\n")
    doc.lit(rng.choice(["PC: ", "Presenting complaint: ", "C/O "]))
    _symptoms_writer(g, p, doc)()
    doc.lit(rng.choice([", ", " - ", ". "]) + f"{v['n']}/7\n")
    doc.lit(rng.choice(["HPC: ", "Hx: ", ""]) + " ".join(S.frag(rng, grp, "story", v, k=rng.randint(1, 2))) + "\n")
    items = _pmh_items(g, p, doc)
    doc.lit(rng.choice(["PMH: ", "PMHx: ", "Bg: "]))
    if items:
        _write_list(doc, items, rng.choice(("inline", "semicolon")))
    else:
        doc.lit(rng.choice(["nil", "NKPMH", "nil significant"]) + "\n")
    if p.family:
        doc.lit("FHx: ")
        _write_list(doc, [_trap_writer(g, p, doc, "family", c) for c in p.family], "inline")
    doc.lit("O/E: " + " ".join(S.frag(rng, grp, "exam", v, k=rng.randint(1, 2))) + "\n")
    if rng.random() < 0.5:
        doc.lit(bloods_line(g, p) + "\n")
    doc.lit("Ix: " + "; ".join(S.frag(rng, grp, "ix", v, k=rng.randint(1, 3))) + "\n")
    for c in p.negated:
        doc.lit(rng.choice(["", "- "]))
        _trap_writer(g, p, doc, "negated", c)()
        doc.lit("\n")
    doc.lit(rng.choice(["Imp: ", "Impression: ", "Dx: ", "Working dx: ", "Likely "]))
    main()
    for w in secs:
        doc.lit(rng.choice(["; ", " + ", ", with ", ", also "]))
        w()
    doc.lit("\n")
    doc.lit(rng.choice(["Plan: ", "Mx: ", "ED Mx: "]) + S.frag(rng, grp, "mx", v)[0].format_map(v) + "\n")
    for w in procs:
        doc.lit(rng.choice(["Had ", "Proc: ", "Underwent "]))
        w()
        doc.lit("\n")
    tail = _plan_items(g, p, doc, (0, 2))
    if tail:
        doc.lit(rng.choice(["F/U: ", "On d/c: ", "GP: "]))
        _write_list(doc, tail, "semicolon")
    doc.lit(rng.choice([f"D/C home day {max(1, p.los)}.", "Discharged.", f"LOS {max(1, p.los)}d.", "Home."]) + "\n")


RENDERERS = {"consultant_letter": consultant_letter, "surgical_discharge": surgical_discharge, "ed_summary": ed_summary}
