import pytest

from autocoder.errors import ConfigError
from autocoder.extract.config import load_config
from autocoder.extract.lexicon import pieces, read_synonyms, title_variants


def test_lexicon_pieces_normalise_spacing_case_and_spelling():
    assert pieces("CKD 3") == pieces("ckd3") == ["ckd", "3"]
    assert pieces("#NOF") == ["#", "nof"]
    assert pieces("Hemorrhage") == ["haemorrhage"]


def test_lexicon_title_variants():
    v = dict(title_variants("Fracture of neck of femur"))
    assert "femoral neck fracture" in v and "neck of femur fracture" in v
    assert "pneumonia" in dict(title_variants("Pneumonia, unspecified"))
    assert "essential hypertension" in dict(title_variants("Essential (primary) hypertension"))
    assert "type 2 diabetes mellitus" in dict(title_variants("Type 2 diabetes mellitus without complications"))
    assert "kawasaki syndrome" in dict(title_variants("Mucocutaneous lymph node syndrome [Kawasaki]"))


def test_lexicon_curated_codes_all_valid():
    """Every curated synonym code is in the loaded ICD-10 table / well-formed OPCS-4 (typos fail here)."""
    from autocoder.codes import get_terminology

    term = get_terminology()
    cfg = load_config()
    bad = []
    for text, system, codes in read_synonyms(cfg.path(cfg.matcher.synonyms)):
        for c in codes:
            table = term.icd10 if system == "icd10" else term.opcs4
            try:
                canon = table.normalise(c)
            except ValueError:
                bad.append((text, c))
                continue
            if system == "icd10" and not table.is_valid(canon):
                bad.append((text, c))
    assert not bad


def test_lexicon_bad_synonym_line_is_reported(tmp_path):
    p = tmp_path / "syn.tsv"
    p.write_text("@icd10\npneumonia J18.9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        read_synonyms(p)


def test_config_rejects_unknown_keys(tmp_path):
    p = tmp_path / "pipeline.yaml"
    p.write_text("matcher:\n  top_kk: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top_kk"):
        load_config(p)


def test_config_default_loads_and_resolves_paths():
    cfg = load_config()
    assert cfg.path(cfg.matcher.synonyms).exists()
    assert cfg.path(cfg.context.rules).exists()


def test_lexicon_index_synonyms_give_candidates():
    """Generated index terms (configs/extract/synonyms_index.tsv) feed the candidate search."""
    from autocoder.codes import get_terminology
    from autocoder.extract.extractor import build_index

    cfg = load_config()
    if not cfg.matcher.index_synonyms or not cfg.path(cfg.matcher.index_synonyms).exists():
        pytest.skip("no index synonyms file")
    idx = build_index(cfg, get_terminology())
    assert idx.candidates("Wilson's disease", "DIAGNOSIS")[0].code == "E83.0"
