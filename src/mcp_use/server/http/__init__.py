"""The Starlette side of the server: the app, custom routes, host checks and debug pages."""
