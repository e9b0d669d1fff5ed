"""Pydantic models for configs/pipeline.yaml (the extraction pipeline).

Why a typed config: one file describes how a letter is tokenised, split, sectioned, tagged and
asserted, and a typo in it must fail loudly at load time (extra="forbid") rather than silently fall
back to a default. Data-file paths are relative to the config file's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autocoder.config import config_error, read_yaml_mapping
from autocoder.errors import ConfigError
from autocoder.paths import CONFIG_DIR

DEFAULT_CONFIG = CONFIG_DIR / "pipeline.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenizerConfig(_Strict):
    """Clinical tokenizer: spaCy English rules plus our exceptions (c/o, o/e, h/o...) and splits."""

    special_cases: str = Field("extract/tokenizer_exceptions.txt",
                               description="one token a line kept whole (c/o, o/e, h/o, s/p ...)")


class SentenceConfig(_Strict):
    """Sentence segmentation. `rules` is our fast newline/bullet/full-stop splitter; `pyrush` is
    medspaCy's PyRuSH (about 10x slower here, kept for comparison)."""

    splitter: Literal["rules", "pyrush"] = "rules"
    split_on_semicolon: bool = True


class SectionConfig(_Strict):
    aliases: str = Field("extract/section_aliases.yaml", description="category -> heading aliases")
    semantics: dict[str, Literal["family", "history_unless_chronic", "historical", "hypothetical", "uncertain",
                                 "negated"]] = Field(
        default_factory=lambda: {"family_history": "family",
                                 "past_medical_history": "history_unless_chronic",
                                 "past_surgical_history": "historical",
                                 "differential": "uncertain", "excluded": "negated"},
        description="assertion implied by a section; see autocoder.extract.context")


class NerConfig(_Strict):
    """The trained spaCy NER (tok2vec + ner). Training settings are for `autocoder train-ner`."""

    enabled: bool = True
    labels: list[Literal["DIAGNOSIS", "PROCEDURE", "SYMPTOM"]] = ["DIAGNOSIS", "PROCEDURE", "SYMPTOM"]
    max_epochs: int = Field(8, ge=1, le=100)
    max_train_docs: int = Field(1200, ge=10, description="cap on training episodes (keeps training minutes)")
    dev_fraction: float = Field(0.1, gt=0, lt=0.5)
    tok2vec_width: int = Field(64, ge=32, le=512)
    tok2vec_depth: int = Field(3, ge=1, le=8)
    embed_rows: int = Field(3000, ge=500)
    dropout: float = Field(0.15, ge=0, lt=1)
    augment_fraction: float = Field(0.5, ge=0, le=2, description="share of training letters added again with "
                                    "coded mentions re-worded from the terminology (generalises to unseen wordings)")
    seed: int = 0
    fast_gemm: bool = Field(True, description="run the trained NER's matrix products on numpy's OpenBLAS "
                            "(one thread) instead of thinc's BLIS: same output to float rounding, NER ~30% faster")


class MatcherConfig(_Strict):
    """Terminology matcher over the loaded code tables plus curated synonyms."""

    synonyms: str = "extract/synonyms.tsv"
    index_synonyms: str | None = Field("extract/synonyms_index.tsv", description="generated index terms "
                                       "(scripts/build_index_synonyms.py); used when the file exists")
    index_synonyms_in_text: bool = Field(True, description="match multi-word index terms in running text "
                                         "(single words are candidates only)")
    abbreviations: str = "extract/abbreviations.tsv"
    stop_phrases: str = "extract/stop_phrases.txt"
    not_entities: str | None = Field("extract/not_entities.txt", description=(
        "NER spans that are only a lab analyte / measurement or a drug (with its dose) are dropped: the NER "
        "tags 'ferritin 620' or 'calcium gluconate' and the fuzzy matcher then finds a code for them"))
    drugs: str | None = Field("extract/drugs.tsv", description="drug names (first column) for not_entities")
    not_entity_patterns: str | None = Field("extract/not_entity_patterns.txt", description=(
        "regular expressions (one a line, whole-span match) for spans that are never a condition by their "
        "shape: a person ('Mr D.'), an age ('age 3 months'), a scale value ('MRC 3'), a lipid result"))
    senses: str | None = Field("extract/abbreviation_senses.tsv", description=(
        "ambiguous abbreviations ('IOL', 'ICD') coded by the cue words on their own line "
        "(autocoder.extract.senses); none = the matcher's single sense everywhere"))
    sense_window: int = Field(120, ge=0, description="characters either side of the mention searched for a cue")
    top_k: int = Field(10, ge=1, le=50)
    min_title_tokens: int = Field(2, ge=1, description="shortest code-title variant matched in running text")
    fuzzy_min_score: float = Field(0.3, ge=0, le=1)
    relabel_below: float = Field(0.5, ge=0, le=1, description=(
        "a mention whose best code in its own label's terminology scores below this is re-read in the other "
        "terminology (ICD-10 <-> OPCS-4): the NER's label on unfamiliar wording is a guess"))
    relabel_min: float = Field(0.65, ge=0, le=1, description="the other terminology's best score needed to relabel")
    add_spans: Literal["none", "curated", "all"] = Field(
        "all", description="which matcher spans become entities where the NER found nothing: curated "
        "synonyms only, or also code-title variants")


class ContextConfig(_Strict):
    rules: str = Field("extract/context_rules.json", description="our ConText rules (medspaCy JSON format)")
    use_medspacy_default_rules: bool = False
    max_scope: int | None = Field(None, ge=1)
    list_bounded: list[str] = Field(
        default_factory=lambda: ["HISTORICAL", "HYPOTHETICAL"],
        description="cue categories whose reach ends at a comma or 'and' (each list item has its own history)")
    resolved_current_sections: list[str] = Field(
        default_factory=lambda: ["diagnosis", "secondary_diagnoses"],
        description="sections where 'X - resolved' is a condition of this episode that resolved during it "
                    "('Secondary: AKI stage 1 - resolved' is coded), not past history")


class PipelineConfig(_Strict):
    """configs/pipeline.yaml. `base_dir` (not in the file) is where relative data paths resolve."""

    tokenizer: TokenizerConfig = TokenizerConfig()
    sentences: SentenceConfig = SentenceConfig()
    sections: SectionConfig = SectionConfig()
    ner: NerConfig = NerConfig()
    matcher: MatcherConfig = MatcherConfig()
    context: ContextConfig = ContextConfig()
    base_dir: Path = Field(CONFIG_DIR, exclude=True)

    def path(self, rel: str) -> Path:
        p = Path(rel)
        return p if p.is_absolute() else self.base_dir / p


def load_config(path: str | Path | None = None) -> PipelineConfig:
    """Read and validate a pipeline config; errors name the file and the bad field."""
    p = Path(path) if path is not None else DEFAULT_CONFIG
    if not p.exists():
        raise ConfigError(f"pipeline config {p} does not exist (expected a YAML file like configs/pipeline.yaml)")
    raw = read_yaml_mapping(p)
    try:
        cfg = PipelineConfig.model_validate({**raw, "base_dir": p.resolve().parent})
    except ValidationError as exc:
        raise config_error(p, exc) from None
    return cfg
