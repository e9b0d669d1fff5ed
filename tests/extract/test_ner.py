import json

import pytest
from minicorpus import make_episodes


def test_ner_docbin_alignment():
    import spacy

    from autocoder.extract.ner import episodes_to_docbin

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "autocoder.clinical_tokenizer.v1"}}})
    eps = make_episodes(3)
    db, stats = episodes_to_docbin(nlp, eps, {"DIAGNOSIS", "PROCEDURE", "SYMPTOM"})
    docs = list(db.get_docs(nlp.vocab))
    assert stats["docs"] == 3 and stats["unaligned"] == 0
    assert [(e.start_char, e.end_char) for e in docs[0].ents] == [(g.start, g.end) for g in eps[0].entities]


def test_ner_rejects_episodes_without_spans(tmp_path):
    from autocoder.extract.ner import train_ner
    from autocoder.schemas import Episode

    with pytest.raises(ValueError, match="gold `entities`"):
        train_ner([Episode(id="x", text="no spans")], tmp_path / "ner")


@pytest.mark.slow
def test_ner_train_save_load_and_extract(tmp_path, fake_terminology):
    """Train a tiny NER with spaCy's loop, load it into the extractor, tag an unseen letter."""
    from autocoder.extract import load_extractor
    from autocoder.extract.ner import train_ner

    out = train_ner(make_episodes(60), tmp_path / "ner", n_iter=10, terminology=fake_terminology)
    card = json.loads((out / "model_card.json").read_text())
    assert card["train_docs"] == 54 + 27 and (out / "config.cfg").exists()   # 54 + 50% re-worded copies
    stats = json.loads((out / "corpus_stats.json").read_text())
    assert stats["episodes"] == 60 and "phrases" in stats
    ex = load_extractor(out, terminology=fake_terminology)
    assert ex.mode == "ner+matcher"
    text = "Presenting complaint: fever and vomiting.\nPMH: COPD.\nDiagnosis: cellulitis.\nProcedures: OGD.\n"
    ents = ex.extract(text)
    got = {(e.text, e.label) for e in ents}
    assert ("cellulitis", "DIAGNOSIS") in got and ("OGD", "PROCEDURE") in got
    assert any(e.source in ("ner", "ner+matcher") for e in ents)
    for e in ents:
        assert text[e.start:e.end] == e.text
    # the extractor runs the NER's matrix products on OpenBLAS: same spans as thinc's own BLIS
    import spacy

    from autocoder.extract.ner import OpenBlasOps

    assert all(isinstance(node.ops, OpenBlasOps) for node in ex.nlp.get_pipe("tok2vec").model.walk())
    plain = spacy.load(out)
    letters = [text, "Diagnosis: pneumonia, AKI. Procedures: OGD. PMH: COPD, T2DM, HTN."]
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in plain.pipe(letters)] == \
        [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ex.nlp.pipe(letters)]


def test_ner_augment_rewords_spans_with_consistent_offsets():
    import random

    from autocoder.extract.ner import augment
    from autocoder.schemas import Episode, GoldSpan

    text = "PMH: COPD and T2DM.\nDiagnosis: pneumonia."
    ents = [GoldSpan(start=5, end=9, label="DIAGNOSIS", code="J44.9"),
            GoldSpan(start=14, end=18, label="DIAGNOSIS", code="E11.9"),
            GoldSpan(start=31, end=40, label="DIAGNOSIS", code="J18.9")]
    forms = {"J44.9": ["chronic obstructive pulmonary disease"], "J18.9": ["chest infection"]}
    out = augment([Episode(id="a", text=text, entities=ents)], forms, random.Random(1), p_span=1.0)[0]
    assert out.id == "a-aug"
    for g in out.entities:
        assert out.text[g.start:g.end] == g.text
    assert out.entities[1].text == "T2DM"                      # no alternative wording: kept
    assert out.entities[0].text.lower() == "chronic obstructive pulmonary disease"
    assert out.text.endswith(".") and "Diagnosis: " in out.text
