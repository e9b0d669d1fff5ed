"""`autocoder extract FILE` and `autocoder train-ner --data FILE --out DIR`.

Heavy imports (spaCy, medspaCy, the code tables) happen inside the commands so `autocoder --help`
stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def _default_ner_dir() -> Path | None:
    from autocoder.paths import default_model_dir

    for cand in (default_model_dir() / "ner", default_model_dir().parent / "ner"):
        if (cand / "config.cfg").exists():
            return cand
    return None


def extract_cmd(
    file: Path = typer.Argument(..., help="Episodes: .jsonl, .csv (id,text), a folder of .txt files, or one .txt file."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per episode: {id, entities: [...]}."),
    ner: Path | None = typer.Option(None, "--ner", help="NER model directory (from `autocoder train-ner`). "
                                       "Default: <model dir>/ner if present, else matcher-only mode."),
    no_ner: bool = typer.Option(False, "--no-ner", help="Matcher-only mode (no trained NER)."),
    config: Path | None = typer.Option(None, "--config", help="Pipeline config (default configs/pipeline.yaml)."),
    top: int = typer.Option(3, "--top", min=0, max=50, help="Candidate codes shown per entity."),
) -> None:
    """Print the entities of each letter: text, offsets, label, section, assertion and top candidate codes."""
    from autocoder.errors import AutocoderError
    from autocoder.extract import load_extractor
    from autocoder.io import read_episodes
    from autocoder.schemas import Episode

    ner_dir = None if no_ner else (ner or _default_ner_dir())
    try:
        ex = load_extractor(ner_dir, config)
    except AutocoderError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if ner_dir is None:
        typer.echo("note: no NER model given or found; running in matcher-only mode", err=True)

    def items():
        if file.is_file() and file.suffix.lower() == ".txt":
            yield Episode(id=file.stem, text=file.read_text(encoding="utf-8")), None
        else:
            yield from read_episodes(file)

    n_bad = 0
    try:
        for ep, err in items():
            if err is not None:
                n_bad += 1
                typer.echo(f"skipped: {err}", err=True)
                continue
            ents = ex.extract(ep.text)
            if as_json:
                rec = {"id": ep.id, "entities": [
                    {**e.model_dump(exclude={"candidates"}),
                     "candidates": [c.model_dump() for c in e.candidates[:top]]} for e in ents]}
                sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
                continue
            typer.echo(f"== {ep.id}: {len(ents)} entities")
            for e in ents:
                flags = ",".join(f for f in ("negated", "uncertain", "historical", "family", "hypothetical")
                                 if getattr(e, f)) or "-"
                cands = " ".join(f"{c.code}({c.score:.2f})" for c in e.candidates[:top])
                typer.echo(f"  {e.start:>5}-{e.end:<5} {e.label:<9} {e.assertion:<12} {flags:<20} "
                           f"{(e.section or '-'):<22} {e.text!r}  {cands}")
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if n_bad:
        typer.echo(f"{n_bad} bad record(s) skipped (see above)", err=True)


def train_ner_cmd(
    data: Path = typer.Option(..., "--data", help="Training episodes (.jsonl) with gold `entities` spans, "
                              "e.g. from `autocoder synth`."),
    out: Path = typer.Option(..., "--out", help="Output directory for the spaCy NER model."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, max=100, help="Epochs (default: config ner.max_epochs)."),
    max_docs: int | None = typer.Option(None, "--max-docs", min=10, help="Cap on training episodes "
                                           "(default: config ner.max_train_docs)."),
    config: Path | None = typer.Option(None, "--config", help="Pipeline config (default configs/pipeline.yaml)."),
) -> None:
    """Train the DIAGNOSIS/PROCEDURE/SYMPTOM NER with spaCy's training loop (CPU, a few minutes)."""
    from autocoder.errors import AutocoderError
    from autocoder.extract.ner import train_ner
    from autocoder.io import load_episodes

    try:
        episodes = load_episodes(data)
        path = train_ner(episodes, out, n_iter=epochs, config=config, max_docs=max_docs)
    except (AutocoderError, ValueError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    card = json.loads((path / "model_card.json").read_text())
    typer.echo(f"NER saved to {path} ({card['train_docs']} train docs, {card['seconds']} s, "
               f"dev ents_f={card['dev_scores'].get('ents_f')})")


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_cmd)
    app.command("train-ner")(train_ner_cmd)
