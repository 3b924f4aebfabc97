"""The figures docs/calibration.md quotes are what the shipped scenarios produce."""

import re

from sim import calibration, uncertainty
from sim.report import Doc, to_markdown
from sim.scenario import load
from sim.study import run_study
from tests.conftest import ROOT

DOC = ROOT / "docs" / "calibration.md"


def _block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert found, f"docs/calibration.md lacks the block {name}"
    return found.group(1).strip()


def test_the_songhua_calibration_quoted_in_the_docs(tmp_path):
    sc = load(ROOT / "scenarios" / "calibrate_songhua_2005.yaml")
    res = calibration.run(sc, tmp_path / sc.name, charts=False)
    printed = "\n".join(calibration.summary_lines(res))
    assert _block("calibration-songhua") == f"```\n{printed}\n```"
    # what the docs say about it
    fit = res.fit.set_index("parameter")
    assert 37 <= fit.loc["river_spill.release_hours", "low"] <= 40 <= \
        fit.loc["river_spill.release_hours", "high"] <= 46
    assert res.targets["within"].all()


def test_the_uncertainty_table_quoted_in_the_docs(tmp_path):
    res = run_study(ROOT / "scenarios" / "uncertainty_songhua.yaml", out=tmp_path / "u",
                    workers=2, charts=False)
    table, _ = uncertainty.compare(res)
    doc = Doc()
    doc.add("table", *uncertainty.table_rows(res, table, "en"))
    assert _block("uncertainty-songhua") == to_markdown(doc).strip()
    assert (tmp_path / "u" / uncertainty.FILE).is_file()  # written without charts too
