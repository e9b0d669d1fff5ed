import pytest


@pytest.mark.parametrize("text,expected", [
    ("#NOF", ["#", "NOF"]),
    ("?PE", ["?", "PE"]),
    ("T2DM", ["T2DM"]),
    ("CKD3", ["CKD3"]),
    ("2/7 history", ["2/7", "history"]),
    ("vomiting x3", ["vomiting", "x3"]),
    ("5mg OD", ["5", "mg", "OD"]),
    ("c/o SOB++", ["c/o", "SOB", "++"]),
    ("o/e crackles", ["o/e", "crackles"]),
    ("h/o MI", ["h/o", "MI"]),
    ("PE/DVT", ["PE", "/", "DVT"]),
    ("AKI;HTN", ["AKI", ";", "HTN"]),
    ("BP 120/80", ["BP", "120/80"]),
    ("known N-STEMI", ["known", "N-STEMI"]),   # tokenizer_exceptions.txt: not "N" "-" "STEMI"
])
def test_tokenizer_clinical_cases(clinical_nlp, text, expected):
    assert [t.text for t in clinical_nlp(text)] == expected


def test_tokenizer_keeps_text_exact(clinical_nlp):
    text = "PMH:\n- #NOF 2019\n\tT2DM  (diet)"
    assert clinical_nlp(text).text == text


def test_sentences_split_lines_bullets_and_queries(clinical_nlp):
    from autocoder.extract.sentences import split_sentences

    doc = split_sentences(clinical_nlp("PMH:\n- COPD\n- HTN\nCough x3/7. ?PE on admission; no DVT.\nwith a soft\nwrap here."))
    sents = [s.text.strip() for s in doc.sents]
    assert "- COPD" in sents and "- HTN" in sents
    assert "?PE on admission;" in sents
    assert "no DVT." in sents
    assert any(s.startswith("no DVT.") or s == "no DVT." for s in sents)
    assert "with a soft\nwrap here." in sents


def test_tokenizer_sentence_starts_edge_cases(clinical_nlp):
    from autocoder.extract.sentences import split_sentences

    assert len(split_sentences(clinical_nlp(""))) == 0
    one = split_sentences(clinical_nlp("COPD"))
    assert [s.text for s in one.sents] == ["COPD"]
    doc = split_sentences(clinical_nlp("No chest pain"))   # one sentence: still marked as annotated
    assert doc.has_annotation("SENT_START") and len(list(doc.sents)) == 1
    assert [t.is_sent_start for t in doc] == [True, False, None]
    # a new line and ". " before a "?" query or a capital both start sentences
    doc = split_sentences(clinical_nlp("Cough x3/7.\n?PE. Then home"))
    assert [s.text for s in doc.sents] == ["Cough x3/7.\n", "?PE.", "Then home"]
