"""The decision semantics, in one place: what a rule set decides and how outcomes combine.

`plan` turns a checked `RuleSet` into a `DecisionPlan` (in-force windows, candidate outcomes,
who overrides whom, definition levels, the guard index); `combine` says how the outcomes that
survive combine into an action's status or a conclusion's value. The interpreter, the polars
and SQL back ends and the z3 encoding all read these two modules and re-derive neither.
"""

from rules.semantics.combine import (
    ACTION_STATUSES,
    CONCLUSION_STATUSES,
    MODALITIES,
    action_status,
    action_table,
    combine_modalities,
    combine_values,
    list_status,
    settle,
    value_status,
)
from rules.semantics.plan import (
    Algebra,
    Candidate,
    DecisionPlan,
    Guard,
    Key,
    ProvisionPlan,
    PythonBools,
    Unit,
    Window,
    build_plan,
    plan_of,
    window,
)

__all__ = ["ACTION_STATUSES", "CONCLUSION_STATUSES", "MODALITIES", "Algebra", "Candidate",
           "DecisionPlan", "Guard", "Key", "ProvisionPlan", "PythonBools", "Unit", "Window",
           "action_status", "action_table", "build_plan", "combine_modalities",
           "combine_values", "list_status", "plan_of", "settle", "value_status", "window"]
