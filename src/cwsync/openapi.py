"""The API's schema as the stable text committed in ``openapi.json``."""

from __future__ import annotations

import json

from cwsync.app import create_app
from cwsync.config import Settings


def render() -> str:
    app = create_app(Settings(env="development"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
