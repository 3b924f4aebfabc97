"""docs/scenarios.md is generated from sim/scenario_schema.py, which must document exactly the
keys sim/scenario.py accepts, with examples that validate and defaults that are true."""

import shutil

import pytest
import yaml

from sim import scenario, scenario_schema
from sim.scenario import DEFAULT_MAX_RUNS, load
from sim.scenario_schema import KEYS, Key
from tests.conftest import ROOT


def test_reference_is_up_to_date():
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert text == scenario_schema.markdown(), \
        "run: python -m sim.scenario_schema > docs/scenarios.md"


@pytest.mark.parametrize("section", sorted(scenario_schema.accepted()))
def test_table_covers_exactly_the_keys_the_validator_accepts(section):
    want = scenario_schema.accepted()[section]
    have = scenario_schema.documented()[section]
    assert want - have == set(), (f"accepted by sim/scenario.py but not documented: add them "
                                  f"to sim/scenario_schema.py: {sorted(want - have)}")
    assert have - want == set(), f"documented but not accepted: {sorted(have - want)}"


def test_accepted_keys_are_read_from_the_validator():
    """accepted() must see the real names (not an empty set because a lookup failed)."""
    found = scenario_schema.accepted()
    assert "record.series" in found["record"] and "record.cities" in found["record"]
    assert found["sweep_options"] >= {"sweep.lhs.samples", "sweep.lhs.bounds"}
    assert len(found["charts"]) == len(scenario.CHARTS)


def test_every_key_is_documented_fully_and_once():
    paths = [k.path for k in KEYS]
    assert len(paths) == len(set(paths))
    for k in KEYS:
        assert k.type and k.default and k.doc and k.example, k.path


def _has(fragment, parts: list[str]) -> bool:
    """Whether a scenario fragment uses the key at `parts` (`[]` steps into list entries)."""
    if not parts:
        return True
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = fragment.get(head[:-2]) if isinstance(fragment, dict) else None
        return isinstance(items, list) and any(_has(i, rest) for i in items)
    return isinstance(fragment, dict) and head in fragment and _has(fragment[head], rest)


def _uses(k: Key) -> bool:
    if k.path.startswith("charts[]: "):
        return k.name in k.example.get("charts", [])
    if k.path.startswith(("[", "{")):  # a form of value: shown under sweep
        return "sweep" in k.example
    return _has(k.example, k.path.split("."))


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.path)
def test_every_example_uses_its_key_and_validates(key, tmp_path):
    assert _uses(key), f"the example of {key.path} does not use it: {key.example}"
    data = {"name": "example", **key.example}
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    if "extends" in data:  # the example extends a file beside it
        shutil.copy(ROOT / "scenarios" / data["extends"], tmp_path / data["extends"])
    load(path)  # raises ScenarioError with every problem


def test_examples_render_as_the_yaml_they_are():
    for k in KEYS:
        assert yaml.safe_load(scenario_schema.example_yaml(k.example)) == k.example, k.path


def test_the_complete_example_file_validates(tmp_path):
    path = tmp_path / "my_study.yaml"
    path.write_text(scenario_schema.EXAMPLE_FILE, encoding="utf-8")
    s = load(path)
    assert [r.key for r in s.regimes] == ["territorial", "coordinated", "coordinated_late"]
    assert len(s.points) == 9


def test_documented_defaults_are_the_validators_defaults():
    s = load({"name": "example"})
    by = {k.path: k.default for k in KEYS}
    assert by["seed"] == str(s.seed)
    assert by["replications"] == str(s.replications)
    assert by["max_runs"] == str(DEFAULT_MAX_RUNS)
    assert by["description"] == "empty" and s.description == ""
    assert by["regimes"] == "`[" + ", ".join(r.key for r in s.regimes) + "]`"
    assert s.baseline == "territorial" and by["baseline"].startswith("`territorial`")
    assert s.params == {} and by["params"].startswith("`{}`")
    assert s.points == [{}] and by["sweep"].startswith("no sweep")
    assert by["record"] == (f"`{{series: {str(s.record_series).lower()}, "
                            f"cities: {str(s.record_cities).lower()}, "
                            f"events: {str(s.record_events).lower()}}}`")
    assert by["record.events"] == str(s.record_events).lower()
    assert by["record.series"] == str(s.record_series).lower()
    assert by["record.cities"] == str(s.record_cities).lower()
    assert s.charts == list(scenario.CHARTS) and by["charts"].startswith("every chart")
    for k in KEYS:  # a key documented as required is refused when missing
        if k.default == scenario_schema.REQUIRED and k.path.startswith("sweep."):
            kind, option = k.path.split(".")[1:]
            body = dict(k.example["sweep"][kind])
            del body[option]
            with pytest.raises(scenario.ScenarioError, match=f"missing {option}|{option}"):
                load({"name": "example", "sweep": {kind: body}})
    with pytest.raises(scenario.ScenarioError, match="name: missing"):
        load({"replications": 2})


def test_documented_option_defaults_are_the_validators_defaults():
    by = {k.path: k.default for k in KEYS}
    assert by["sweep.morris.levels"] == str(scenario.MORRIS_LEVELS)
    assert by["sweep.sobol.second_order"] == "false"
    for kind in ("lhs", "random", "morris", "sobol"):
        assert by[f"sweep.{kind}.seed"] == "0"
        # seed: 0 written out gives the same sample as no seed at all
        body = dict(next(k for k in KEYS if k.path == f"sweep.{kind}").example["sweep"][kind])
        plain = load({"name": "example", "sweep": {kind: body}}).points
        zero = load({"name": "example", "sweep": {kind: {**body, "seed": 0}}}).points
        assert plain == zero, kind


@pytest.mark.parametrize("key", scenario_schema.CHART_KEYS, ids=lambda k: k.name)
def test_every_chart_example_is_a_study_that_can_draw_the_chart(key, tmp_path):
    """The chart table says 'each example is a study in which the chart can be drawn'."""
    import sim
    from sim import plots

    data = {"name": "example", "replications": 2, **key.example}
    data["params"] = {**data.get("params", {}), "time.horizon_days": 5}
    res = sim.run_study(data, out=tmp_path / "example", charts=False)
    assert plots.draw(res, [key.name], "en")  # ChartError says why it cannot be drawn
