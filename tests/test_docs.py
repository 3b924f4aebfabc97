"""Documentation that is generated from the code must match the code."""

from sim.catalogue import markdown
from tests.conftest import ROOT


def test_parameter_reference_is_up_to_date():
    text = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert text == markdown(), "run: python -m sim.catalogue > docs/parameters.md"


def test_every_parameter_has_a_chinese_term_and_a_meaning():
    from sim.params import PARAMS

    for p in PARAMS:
        assert p.doc and p.zh, p.path
