"""Reading episodes: every bad record is reported with its line and id, the good ones still come through."""

from __future__ import annotations

import pytest

from autocoder.errors import RecordError
from autocoder.io import load_episodes, read_episodes, write_jsonl
from autocoder.schemas import Episode


def test_io_jsonl_reports_bad_lines_and_keeps_good(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "A", "text": "CAP treated"}\n{not json\n{"id": "C"}\n{"id": "D", "text": "  "}\n'
                 '{"id": "E", "text": "ok", "age": 200}\n{"id": "F", "text": "fine", "sex": "f"}\n')
    items = list(read_episodes(p))
    good = [e.id for e, err in items if err is None]
    errors = [str(err) for _, err in items if err is not None]
    assert good == ["A", "F"]
    assert "line 2" in errors[0] and "malformed JSON" in errors[0]
    assert "line 3" in errors[1] and "'C'" in errors[1] and "text" in errors[1]
    assert "'D'" in errors[2] and "non-empty" in errors[2]
    assert "'E'" in errors[3] and "age" in errors[3]
    assert items[-1][0].sex == "F"


def test_io_csv_and_txt_folder_inputs(tmp_path):
    csv_p = tmp_path / "in.csv"
    csv_p.write_text('id,text,age,diagnoses\nX1,"Dx: CAP",70,J18.9;I10\nX2,,,\n')
    items = list(read_episodes(csv_p))
    assert items[0][0].diagnoses == ["J18.9", "I10"] and items[0][0].age == 70
    assert items[1][1] is not None and "X2" in str(items[1][1])
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "L1.txt").write_text("Diagnosis: UTI")
    assert [e.id for e, _ in read_episodes(folder)] == ["L1"]


def test_io_strict_load_raises_on_first_bad_record(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "A"}\n')
    with pytest.raises(RecordError, match="line 1"):
        load_episodes(p)


def test_io_write_jsonl_round_trips(tmp_path):
    p = tmp_path / "out.jsonl"
    write_jsonl(p, [Episode(id="A", text="t", diagnoses=["I10"], notes="kept")])
    (ep,) = load_episodes(p)
    assert ep.diagnoses == ["I10"] and ep.model_extra["notes"] == "kept"
