"""Who may talk to the studio: this browser on this machine, and nothing else.

The server listens on 127.0.0.1 only, but any web page the user visits can make their
browser send requests there (cross-site requests) or point a name of its own at 127.0.0.1
(DNS rebinding). So every request must carry the session's secret token (in the address
the command printed, or in the cookie the first page load sets from it), name this server
in its Host header, and come from no other site's page (Origin). Anything else is 403.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def cookie_name(port: int) -> str:
    """Cookies are shared by every port of a host: the name carries the port, so two studios
    on one machine keep their own."""
    return f"cardgen_studio_{port}"


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def refusal(*, port: int, token: str, host: str | None, origin: str | None,
            query_token: str | None, cookie_token: str | None) -> str | None:
    """Why a request is refused, or None to let it through."""
    if host not in allowed_hosts(port):
        return "wrong Host: the studio answers only to 127.0.0.1 and localhost"
    if origin is not None and origin not in {f"http://{h}" for h in allowed_hosts(port)}:
        return "requests from other web pages are refused"
    offered = query_token or cookie_token
    if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
        return ("no valid token: open the address `cardgen studio` printed, with its "
                "?token=... part")
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class Guard:
    """ASGI middleware: answers 403 to every request that `refusal` refuses."""

    def __init__(self, app: App, *, port: int, token: str,
                 headers: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.port = port
        self.token = token
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def _send_with_headers(self, send: Send, message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {key.lower() for key, _ in message.get("headers", [])}
            message["headers"] = [*message.get("headers", []),
                                  *((k, v) for k, v in self.headers if k not in present)]
        await send(message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cookies = SimpleCookie()
        try:
            cookies.load(_header(scope, b"cookie") or "")
        except Exception:  # a malformed cookie header is the same as none
            cookies = SimpleCookie()
        morsel = cookies.get(cookie_name(self.port))
        why = refusal(port=self.port, token=self.token, host=_header(scope, b"host"),
                      origin=_header(scope, b"origin"),
                      query_token=(query.get("token") or [None])[0],
                      cookie_token=morsel.value if morsel else None)
        if why is None:
            await self.app(scope, receive, lambda message: self._send_with_headers(send, message))
            return
        body = f"403 Forbidden: {why}\n".encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
