"""Run the application on uvicorn: what `rules serve` calls.

The rules are loaded before the port is bound, so a bad rule folder or amendment stops the
command with its diagnostics (exit 2) instead of a server that answers 500s. With `--workers N`
each worker process builds the app from the same options (passed in an environment variable).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rules.web.config import ServeConfig, Server

_ENV = "RULES_SERVE_CONFIG"


def _to_env(config: ServeConfig) -> str:
    data = asdict(config)
    data["rules_dir"] = str(config.rules_dir) if config.rules_dir else None
    data["amendments"] = [str(p) for p in config.amendments]
    data["decision_log"] = str(config.decision_log) if config.decision_log else None
    return json.dumps(data)


def _from_env() -> ServeConfig:
    data = json.loads(os.environ[_ENV])
    data["rules_dir"] = Path(data["rules_dir"]) if data["rules_dir"] else None
    data["amendments"] = tuple(Path(p) for p in data["amendments"])
    data["decision_log"] = Path(data["decision_log"]) if data["decision_log"] else None
    return ServeConfig(**data)


def app_from_env() -> Any:
    """The app of one worker process (uvicorn factory)."""
    from rules.web.app import create_app

    return create_app(_from_env())


def serve(config: ServeConfig, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = False) -> None:
    """Load the rules, then serve until interrupted."""
    import uvicorn

    from rules.web.app import create_app

    server = Server.start(config)                 # RulesError here: exit 2, nothing bound
    options: dict[str, Any] = {"host": host, "port": port, "access_log": access_log,
                               "server_header": False, "proxy_headers": False,
                               "timeout_keep_alive": 5, "log_level": "info"}
    if workers > 1:
        os.environ[_ENV] = _to_env(config)
        uvicorn.run("rules.web.serve:app_from_env", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(server=server), **options)
