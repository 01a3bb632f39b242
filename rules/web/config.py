"""What the server was started with, and the rule set it loads once at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rules.language.ruleset import RuleSet
    from rules.web.decision_log import DecisionLog

# Documented limits (README, /docs): a case or an amendment is a few kilobytes.
MAX_BODY_BYTES = 256 * 1024
SOLVER_SECONDS = 20.0
SOLVER_QUERY_MS = 5_000
SOLVER_JOBS = 2


@dataclass(frozen=True)
class ServeConfig:
    """The options of `rules serve`."""

    rules_dir: Path | None = None
    amendments: tuple[Path, ...] = ()
    decision_log: Path | None = None
    log_cases: bool = False
    max_body_bytes: int = MAX_BODY_BYTES
    solver_seconds: float = SOLVER_SECONDS
    solver_query_ms: int = SOLVER_QUERY_MS
    solver_jobs: int = SOLVER_JOBS


@dataclass
class Server:
    """The loaded state every request reads: the rule set (immutable), its amendment texts (for
    solver jobs, which rebuild it in a child process), the decision log."""

    config: ServeConfig
    ruleset: RuleSet
    amendment_texts: tuple[tuple[str, str], ...] = ()
    log: DecisionLog | None = field(default=None)

    @classmethod
    def start(cls, config: ServeConfig) -> Server:
        """Load the rules and amendments once (a `RulesError` here stops the server)."""
        import rules
        from rules.language.amendments import apply_amendment, load_amendment
        from rules.web.decision_log import DecisionLog

        ruleset = rules.load(config.rules_dir)
        texts = []
        for path in config.amendments:
            parsed = load_amendment(path)
            ruleset = apply_amendment(ruleset, parsed)
            texts.append((parsed.file, parsed.text))
        log = DecisionLog(config.decision_log, config.log_cases) if config.decision_log else None
        return cls(config, ruleset, tuple(texts), log)

    @cached_property
    def schema(self) -> dict[str, object]:
        return self.ruleset.case_schema()
