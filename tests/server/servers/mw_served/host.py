"""The middleware server's app mounted inside someone else's Starlette app at /tools."""

from starlette.applications import Starlette
from starlette.routing import Mount

from server import server

app = Starlette(routes=[Mount("/tools", app=server.app)])
