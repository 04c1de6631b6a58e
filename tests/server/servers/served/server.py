"""What gunicorn (`server:app`) and uvicorn (`server:server.app`) import (cwd = this folder).

The server of `../redis_server.py`; with no REDIS_URL, its state comes from
`MCP_USE_REDIS_URL`, as a deployment would set it.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis_server import server

__all__ = ["app", "server"]

# gunicorn takes a module attribute (`server:app`), not a dotted path (`server:server.app`).
app = server.app
