"""What stands between the network and the routes: the body limit (ASGI middleware),
the answers to errors (a message, never a traceback), and who is asking."""

import ipaddress
import json
import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from webapp.batcher import Busy
from webapp.schema import BadInput, validation_message

log = logging.getLogger("app")


class BodyLimit:
    """ASGI middleware: a request body larger than max_bytes gets a 413 before any of
    it is parsed (whether it says its length or not)."""

    def __init__(self, app, max_bytes):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._refuse(scope, receive, send)
        scope = json_scope(scope, body)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        response = JSONResponse({"detail": f"the request body is larger than "
                                           f"{self.max_bytes} bytes"}, status_code=413)
        await response(scope, receive, send)


def json_scope(scope, body):
    """scope, saying its body is JSON if it is, whatever its content type claimed: `curl
    -d '{"text": "hi"}'` sends form-urlencoded, and the API reads JSON alone."""
    headers = dict(scope["headers"])
    if b"json" in headers.get(b"content-type", b"") or not body:
        return scope
    try:
        json.loads(body)
    except ValueError:
        return scope
    headers[b"content-type"] = b"application/json"
    return {**scope, "headers": list(headers.items())}


def answer_errors(app):
    """The app's answers to errors: a 422 that says what is wrong with the input, a
    503 when the model is busy, and a 500 that points to the log (where the
    traceback goes) for anything else."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request, err):
        if "json" not in request.headers.get("content-type", "") and request.method == "POST":
            return JSONResponse({"detail": "send the request as a JSON object, e.g. "
                                           '{"text": "hello"} with the header Content-Type: '
                                           "application/json (/docs lists the fields)"},
                                status_code=422)
        return JSONResponse({"detail": validation_message(err.errors())}, status_code=422)

    @app.exception_handler(BadInput)
    async def bad_input(request, err):
        return JSONResponse({"detail": str(err)}, status_code=422)

    @app.exception_handler(Busy)
    async def busy(request, err):
        return JSONResponse({"detail": "the model is busy: try again in a moment"},
                            status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def failed(request, err):
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "the server failed on this request; the error is in "
                                       "its log"}, status_code=500)


def is_local(request):
    """Whether the request comes from this machine."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")
