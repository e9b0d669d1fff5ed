"""`autocoder codes import|show|search` and `autocoder validate`: the terminology and rule checks from
the command line. Heavy work happens inside the commands (tables are built on first use)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer

codes_app = typer.Typer(help="ICD-10 / OPCS-4 code tables: import a full release, show a code, search titles.",
                        no_args_is_help=True)


def _system_opt(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.lower().replace("-", "").replace("_", "")
    if v in ("icd10", "icd"):
        return "icd10"
    if v in ("opcs4", "opcs"):
        return "opcs4"
    raise typer.BadParameter(f"expected icd10 or opcs4, got {value!r}")


@codes_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Release file: `code<TAB>title` text, CSV with code/title "  # noqa: B008
                                "(or HES opcs4_code/icd10_code + description) columns, or the NHS ICD-10 "
                                "5th Edition codes/titles/metadata TSV."),
    system: str | None = typer.Option(None, "--system", help="icd10 or opcs4 (default: detect)."),
    fmt: str | None = typer.Option(None, "--format", help="text, csv or nhs-icd10-metadata (default: detect)."),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as JSON."),
) -> None:
    """Load a full classification into the local code store (used by every command afterwards)."""
    from autocoder.codes import get_terminology, reset_terminology
    from autocoder.codes.store import import_file
    from autocoder.errors import AutocoderError

    try:
        report = import_file(file, system=_system_opt(system), fmt=fmt)
    except (AutocoderError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    reset_terminology()
    term = get_terminology()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    table = term.icd10 if report.system == "icd10" else term.opcs4
    typer.echo(f"imported {report.n_codes} {report.system} codes from {report.source} "
               f"(format {report.format}) -> {report.store_path}")
    if report.system == "icd10":
        typer.echo(f"  5-character UK codes: {report.n_with_5th}; with sex limit: {report.n_with_sex}; "
                   f"with age limits: {report.n_with_age}; table now holds {len(table)} codes")
    else:
        typer.echo(f"  OPCS-4 table now holds {len(table)} codes (core + imported)")
    if report.n_categories or report.n_structural:
        typer.echo(f"  category rows kept as titles: {report.n_categories}; chapter/block rows ignored: "
                   f"{report.n_structural}")
    if report.n_skipped:
        typer.echo(f"  skipped {report.n_skipped} rows with unreadable codes, e.g. {report.skipped_examples}")


def _code_info(term, hit) -> dict:
    if hit.system == "icd10":
        item = term.icd10.item(hit.code)
        flags = []
        from autocoder.codes.rules import (
            is_agent_code,
            is_asterisk,
            is_dagger,
            is_external_cause,
            may_be_primary,
        )

        if is_asterisk(hit.code):
            flags.append("asterisk")
        if is_dagger(hit.code):
            flags.append("dagger")
        if is_agent_code(hit.code):
            flags.append("agent-code")
        if is_external_cause(hit.code):
            flags.append("external-cause")
        if not may_be_primary(hit.code):
            flags.append("never-primary")
        sex = term.sex_limit(hit.code)
        if sex:
            flags.append(f"sex:{sex}")
        ages = term.age_limits(hit.code)
        if ages:
            flags.append(f"age:{ages[0]}-{ages[1]}")
        if item.uk and not item.who:
            flags.append("uk-only")
        return {"system": "icd10", "code": hit.code, "display": hit.display, "title": hit.title,
                "dataset_form": term.icd10.dataset_form(hit.code), "chapter": item.chapter,
                "chapter_title": term.icd10.chapter_titles.get(item.chapter, ""),
                "leaf": term.icd10.is_leaf(hit.code), "parent": item.parent,
                "children": list(item.children), "sex_limit": sex,
                "age_limits": list(ages) if ages else None, "flags": flags,
                "table": "WHO 2019" + (f" + UK ({term.icd10.uk_source})" if term.icd10.uk_source else "")}
    kind = term.opcs4.kind(hit.code)
    flags = [kind] if kind else []
    if kind:
        flags.append("subsidiary")
        flags.append("never-primary")
    return {"system": "opcs4", "code": hit.code, "display": hit.display, "title": hit.title,
            "category_title": term.opcs4.category_title(hit.code),
            "dataset_form": term.opcs4.dataset_form(hit.code), "chapter": hit.code[0],
            "chapter_title": term.opcs4.chapter_title(hit.code), "leaf": True, "kind": kind or "main",
            "flags": flags,
            "table": "core" + (f" + imported ({term.opcs4.full_source})" if term.opcs4.full_source else "")}


@codes_app.command("show")
def show_cmd(
    code: str = typer.Argument(..., help="A code in any accepted form: I10, I10.X, i10x, J441, E851, E85,1."),
    system: str | None = typer.Option(None, "--system", help="icd10 or opcs4 (default: every system "
                                         "that knows the code)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a code: display form, title, system, chapter, leaf and flags (asterisk, subsidiary, sex...)."""
    from autocoder.codes import get_terminology
    from autocoder.errors import UnknownCodeError

    term = get_terminology()
    sys_name = _system_opt(system)
    hits = term.lookup_all(code, sys_name)
    warnings = []
    for h in hits:
        table = term.system_of(h.system)
        w = table.normalise_with_warning(code)[1]
        if w:
            warnings.append(w)
    if not hits:
        msgs = []
        for s in ([sys_name] if sys_name else ["icd10", "opcs4"]):
            try:
                c, w = term.system_of(s).normalise_with_warning(code)
                msgs.append(f"{s}: {c} is well formed but not in the table ({w})")
            except UnknownCodeError as exc:
                msgs.append(str(exc))
        typer.echo("error: " + "; ".join(msgs), err=True)
        raise typer.Exit(1)
    infos = [_code_info(term, h) for h in hits]
    if as_json:
        out = infos[0] if len(infos) == 1 else infos
        if warnings:
            for i in infos:
                i["warnings"] = warnings
        typer.echo(json.dumps(out, indent=2))
        return
    for n, info in enumerate(infos):
        if n:
            typer.echo("")
        typer.echo(f"{info['display']}  {info['title']}")
        typer.echo(f"  system: {info['system']}   code: {info['code']}   data set form: {info['dataset_form']}")
        typer.echo(f"  chapter: {info['chapter']} ({info['chapter_title']})   leaf: {'yes' if info['leaf'] else 'no'}")
        if info["system"] == "icd10" and not info["leaf"]:
            typer.echo(f"  subdivisions: {', '.join(info['children'][:12])}"
                       + (" ..." if len(info["children"]) > 12 else ""))
        if info["flags"]:
            typer.echo(f"  flags: {', '.join(info['flags'])}")
        typer.echo(f"  table: {info['table']}")
    for w in warnings:
        typer.echo(f"  warning: {w}")


@codes_app.command("search")
def search_cmd(
    text: str = typer.Argument(..., help="Words from a title (prefixes work: 'pneum', 'hip repl')."),
    system: str | None = typer.Option(None, "--system", help="icd10 or opcs4."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=500, help="Number of hits."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search code titles (token overlap + prefix matching), best first."""
    from autocoder.codes import get_terminology

    term = get_terminology()
    hits = term.search(text, system=_system_opt(system), limit=limit)
    if as_json:
        typer.echo(json.dumps([h.model_dump() for h in hits], indent=2))
        return
    if not hits:
        typer.echo("no matches")
        raise typer.Exit(1)
    for h in hits:
        typer.echo(f"{h.system:6} {h.display:8} {h.score:6.3f}  {h.title}")


@codes_app.command("check")
def check_cmd(
    diagnoses: list[str] = typer.Argument(None, help="ICD-10 codes in order (first = primary)."),  # noqa: B008
    procedures: str = typer.Option("", "--proc", "-p", help="OPCS-4 codes in order, comma separated."),
    sex: str | None = typer.Option(None, "--sex", help="M, F or U."),
    age: int | None = typer.Option(None, "--age", min=0, max=130, help="Age in whole years."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run the coding rules on one ad-hoc code list and show the NHS sequence.

    Exit status 1 when an error-level rule fails."""
    from autocoder.codes.rules import sequence_diagnoses, sequence_procedures, validate_codes

    dx = list(diagnoses or [])
    px = [c.strip() for c in procedures.split(",") if c.strip()]
    sx = sex.strip().upper() if sex else None
    warns = validate_codes(dx, px, sex=sx, age=age)
    seq_dx = sequence_diagnoses(dx) if dx else []
    seq_px = sequence_procedures(px) if px else []
    if as_json:
        typer.echo(json.dumps({"warnings": [w.model_dump() for w in warns], "sequence_diagnoses": seq_dx,
                               "sequence_procedures": seq_px}, indent=2))
    else:
        for w in warns:
            typer.echo(f"{w.severity:7} {w.rule:36} {','.join(w.codes):16} {w.message}")
        if not warns:
            typer.echo("no rule findings")
        typer.echo(f"sequence: diagnoses {' '.join(seq_dx) or '-'} | procedures {' '.join(seq_px) or '-'}")
    if any(w.severity == "error" for w in warns):
        raise typer.Exit(1)


@codes_app.command("info")
def info_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Which code tables are loaded (WHO ICD-10, UK overlay, OPCS-4 core / imported) and their sizes."""
    from autocoder.codes import get_terminology
    from autocoder.codes.store import store_dir

    term = get_terminology()
    info = {"icd10_codes": len(term.icd10), "icd10_leaves": len(term.icd10.leaves()),
            "icd10_uk_table": term.icd10.uk_source, "uk_metadata_loaded": term.uk_metadata_loaded,
            "opcs4_codes": len(term.opcs4), "opcs4_full_table": term.opcs4.full_source,
            "opcs4_strict": term.opcs4.strict, "store_dir": str(store_dir())}
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"ICD-10: WHO 2019 + {info['icd10_uk_table'] or 'no UK table'}: {info['icd10_codes']} codes, "
               f"{info['icd10_leaves']} leaves; UK metadata (sex/age): {'yes' if info['uk_metadata_loaded'] else 'no'}")
    typer.echo(f"OPCS-4: core table + {info['opcs4_full_table'] or 'no full table'}: {info['opcs4_codes']} codes; "
               f"unknown codes {'rejected' if info['opcs4_strict'] else 'accepted with a warning'}")
    typer.echo(f"store: {info['store_dir']}")


def validate_cmd(
    file: Path = typer.Argument(..., help="Episodes (.jsonl, .csv or a folder of .txt) with gold diagnoses/"  # noqa: B008
                                "procedures."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON report instead of text."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print the summary."),
    config: Path | None = typer.Option(None, "--config", help="Rules config (YAML/JSON) with RulesConfig "  # noqa: B008
                                       "settings, e.g. `z37_may_be_primary: true`, `perinatal_max_age: 1`."),
) -> None:
    """Check each episode's coded diagnoses/procedures against the coding rules.

    Exit status 1 when any error-level rule fails or a record is bad; 0 otherwise."""
    from autocoder.codes.rules import load_rules_config, validate_codes
    from autocoder.errors import ConfigError
    from autocoder.io import read_episodes

    try:
        cfg = load_rules_config(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        items = read_episodes(file)
        episodes_out = []
        bad = []
        by_rule: Counter = Counter()
        by_sev: Counter = Counter()
        n = 0
        for ep, err in items:
            if err is not None:
                bad.append({"line": err.line, "id": err.record_id, "field": err.field, "message": str(err)})
                continue
            n += 1
            warns = validate_codes(ep.diagnoses or [], ep.procedures or [], sex=ep.sex, age=ep.age, config=cfg)
            for w in warns:
                by_rule[w.rule] += 1
                by_sev[w.severity] += 1
            if warns:
                episodes_out.append({"id": ep.id, "warnings": [w.model_dump() for w in warns]})
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # e.g. a CSV without id,text (RecordError)
        from autocoder.errors import AutocoderError

        if isinstance(exc, AutocoderError):
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        raise
    summary = {"episodes": n, "episodes_with_warnings": len(episodes_out),
               "warnings": sum(by_sev.values()), "by_severity": dict(by_sev),
               "by_rule": dict(by_rule.most_common()), "bad_records": len(bad)}
    failed = bool(by_sev.get("error")) or bool(bad)
    if as_json:
        typer.echo(json.dumps({"summary": summary, "episodes": episodes_out, "bad_records": bad}, indent=2))
    else:
        if not quiet:
            for e in episodes_out:
                for w in e["warnings"]:
                    typer.echo(f"{e['id']}\t{','.join(w['codes'])}\t{w['rule']}\t{w['severity']}\t{w['message']}")
            for b in bad:
                typer.echo(f"BAD RECORD\t{b['message']}")
        typer.echo(f"episodes: {n}  with warnings: {len(episodes_out)}  bad records: {len(bad)}")
        typer.echo("by severity: " + (", ".join(f"{k}={v}" for k, v in sorted(by_sev.items())) or "none"))
        if by_rule:
            typer.echo("by rule: " + ", ".join(f"{k}={v}" for k, v in by_rule.most_common()))
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(codes_app, name="codes")
    app.command("validate")(validate_cmd)
