"""The tree a reader follows from the article: one module per mechanism, data flowing one way."""

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"
MECHANISMS = ("communication", "responsibility", "accountability", "evaluation", "compensation",
              "trust", "learning", "escalation", "reserve", "preparedness")
TERMS = {"communication": "沟通机制", "evaluation": "评估机制", "compensation": "利益",
         "trust": "信任机制", "responsibility": "责任", "accountability": "责任追究",
         "escalation": "中央", "reserve": "资源协同", "learning": "学习机制",
         "preparedness": "侥幸心理"}


def _runtime_imports(path: Path) -> set[str]:
    """Modules a file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and sub.module:
                found.add(sub.module)
                found.update(f"{sub.module}.{a.name}" for a in sub.names)
            elif isinstance(sub, ast.Import):
                found.update(a.name for a in sub.names)
    return found


def test_each_mechanism_is_a_module_with_the_articles_term():
    for name in MECHANISMS:
        doc = ast.get_docstring(ast.parse((SIM / "mechanisms" / f"{name}.py").read_text(
            encoding="utf-8")))
        assert doc and TERMS[name] in doc, name


def test_mechanisms_agents_and_metrics_never_import_the_model():
    files = [*(SIM / "mechanisms").glob("*.py"), SIM / "agents.py", SIM / "metrics.py"]
    for path in files:
        bad = {m for m in _runtime_imports(path) if m in ("sim.model", "sim.agents")}
        if path.name == "agents.py":
            bad.discard("sim.agents")
        assert not bad, f"{path.name} imports {bad} at run time"


def test_the_step_calls_the_mechanisms_in_odd_order():
    src = (SIM / "model.py").read_text(encoding="utf-8")
    step = src[src.index("    def step(self)"):src.index("    def start_incidents")]
    order = ["move_hazard", "communication.sense", "communication.report",
             "responsibility.size_source_control", "count_losses", "escalation.escalate",
             "close_incident", "compensation.settle_bilateral"]
    positions = [step.index(name) for name in order]
    assert positions == sorted(positions)
