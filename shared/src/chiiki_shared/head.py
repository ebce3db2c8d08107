"""``HEAD`` answered on every ``GET`` route, in every service (RFC 9110 section 9.3.2).

FastAPI routes a ``HEAD`` request only to routes that list the method, and ours list ``GET``
alone. This ASGI middleware runs a ``HEAD`` request as the ``GET`` it stands for and sends the
status and headers of that answer (``Content-Length``, ``ETag``, ``Cache-Control``... included)
without its body, so a client can check a resource or revalidate it for the cost of the headers.
A path with no ``GET`` route still answers 405, as the ``GET`` would.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        body_sent = False

        async def send_headers_only(message: Message) -> None:
            nonlocal body_sent
            if message["type"] != "http.response.body":
                await send(message)
            elif not body_sent:
                body_sent = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def answer_head(app: FastAPI) -> None:
    """Wire ``HEAD`` into a service's app; call it last in the service's app factory, so the
    middleware is the outermost and every other one sees the ``GET``."""
    app.add_middleware(HeadAsGet)
