"""kuayu (跨域): an agent-based simulator of cross-jurisdiction urban risk governance.

`sim.run_study(...)` runs a scenario and `sim.open_results(...)` opens a results folder (see
sim.study); `sim.model.RiskModel` is the Mesa model itself.
"""

__version__ = "0.1.0"
__all__ = ["__version__", "open_results", "run_study"]


def __getattr__(name: str):
    # Imported lazily so that `import sim` stays cheap for workers and the command line.
    if name in ("run_study", "open_results"):
        from sim import study

        return getattr(study, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
