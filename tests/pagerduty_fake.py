"""A stand-in for PagerDuty's REST API v2 schedule overrides, checked against the published spec.

:class:`FakePagerDuty` serves the three operations ``fairshift publish --pagerduty`` uses,
over HTTPS on 127.0.0.1 (the official client refuses any other scheme; the certificate is
``data/pagerduty/fake-server-cert.pem``, which a test trusts through ``SSL_CERT_FILE``):

- ``GET /schedules/{id}/overrides``: ``{"overrides": [...]}``, the overrides that overlap
  ``[since, until)``, cut at those bounds unless ``overflow=true``, with times in the
  schedule's zone. It answers 200 as the API does (the spec files this answer under 201);
- ``POST /schedules/{id}/overrides``: 201 with one ``{"status", "override", "errors"}`` per
  override sent; an override for a user the account does not have is refused (400) and
  the others are created;
- ``DELETE /schedules/{id}/overrides/{override_id}``: 204; 200 when the override is under
  way, which ends it now; 400 for one that has ended ("You cannot remove a past override").

Every request is first checked against the spec fragment ``data/pagerduty/openapi-fragment.json``:
the path and method, every header, path and query parameter the operation declares (no
undeclared query parameter, each value of the declared type and format), the
``Authorization`` header in the ``Token token=...`` form of the spec's security scheme, and
the JSON body against the operation's request body schema (with ``OAS30Validator``). The
spec enforces no date format, so ``format: date-time`` values are also checked to be RFC
3339 times with an offset. A request that fails is answered 400 and its problems are kept in
:attr:`FakePagerDuty.problems`; so is an override that ends before it starts, a time zone
that is not an IANA name, or a delete of an override that has ended. Answers are checked
against the spec's response schemas too.

After the checks, a wrong token gets 401, an unknown schedule 404, and a rate-limited fake
(:attr:`FakePagerDuty.rate_limited`) 429, each with the API's ``{"error": {...}}`` body.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import ssl
import sys
import threading
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

DATA = Path(__file__).parent / "data" / "pagerduty"
SPEC_FILE = DATA / "openapi-fragment.json"
CERT_FILE = DATA / "fake-server-cert.pem"
KEY_FILE = DATA / "fake-server-key.pem"

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

#: Formats the spec declares but does not enforce.
FORMATS = FormatChecker()


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats apply to strings only
    if not _RFC3339.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def instant(text: str) -> dt.datetime:
    """An RFC 3339 time as an aware datetime in UTC."""
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


class Spec:
    """The spec fragment: operations by path and method, parameters and schemas."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.routes = [
            (template, re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))))
            for template in document["paths"]
        ]

    def resolve(self, node: Any) -> Any:
        """``node`` with its ``$ref`` (a local JSON pointer) followed."""
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def validator(self, schema: Mapping[str, Any]) -> OAS30Validator:
        """A validator of ``schema``, whose ``$ref``s point into the spec's components."""
        return OAS30Validator(
            {**schema, "components": self.document["components"]}, format_checker=FORMATS
        )

    def route(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        """``(template, operation, path parameters)`` of a request, or ``None``."""
        for template, pattern in self.routes:
            match = pattern.fullmatch(path)
            operation = self.document["paths"][template].get(method.lower())
            if match and operation is not None:
                return template, operation, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def parameters(self, template: str, operation: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The operation's parameters, those of its path included, with refs followed."""
        shared = self.document["paths"][template].get("parameters", [])
        return [self.resolve(p) for p in [*shared, *operation.get("parameters", [])]]

    def response_schema(self, operation: Mapping[str, Any], status: int) -> Any:
        """The JSON schema of an answer, ``None`` for an answer without a body.

        Raises ``KeyError`` for a status the operation does not document.
        """
        response = self.resolve(operation["responses"][str(status)])
        content = response.get("content", {}).get("application/json")
        return None if content is None else content["schema"]


SPEC = Spec(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Seen:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


def _error(message: str, code: int, errors: Iterable[str] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = list(errors)
    return {"error": body}


class FakePagerDuty:
    """An in-memory PagerDuty account with schedules of overrides, served over HTTPS.

    Parameters
    ----------
    token
        The API key it accepts.
    schedules
        Ids of its schedules.
    users
        Its users: ``{id: name}``.
    zone
        The zone its answers give times in.
    now
        Its present (default: the clock).
    """

    def __init__(
        self,
        *,
        token: str,
        schedules: Iterable[str],
        users: Mapping[str, str],
        zone: str = "America/New_York",
        now: dt.datetime | None = None,
    ) -> None:
        self.token = token
        self.users = dict(users)
        self.zone = zone
        self.now = now
        self.rate_limited = False
        self.seen: list[Seen] = []
        self.problems: list[str] = []
        self._schedules: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in schedules}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- the test's side ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, ``https://127.0.0.1:PORT``."""
        assert self._server is not None, "start the fake first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakePagerDuty:
        """Listen on a free port of 127.0.0.1."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT_FILE, KEY_FILE)
        self._server = _Server(self, context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakePagerDuty:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, schedule: str, start: dt.datetime, end: dt.datetime, user: str) -> str:
        """Put an override on a schedule, as if made in PagerDuty; returns its id."""
        with self._lock:
            return self._store(schedule, start, end, user)["id"]

    def overrides(self, schedule: str) -> list[tuple[dt.datetime, dt.datetime, str]]:
        """``(start, end, user)`` of a schedule's overrides, in UTC and time order."""
        with self._lock:
            stored = list(self._schedules[schedule].values())
        return sorted((instant(o["start"]), instant(o["end"]), o["user"]["id"]) for o in stored)

    def writes(self) -> list[Seen]:
        """The POST and DELETE requests received."""
        with self._lock:
            return [s for s in self.seen if s.method in ("POST", "DELETE")]

    # -- the API's side ----------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self.now or dt.datetime.now(dt.UTC)

    def _text(self, moment: dt.datetime) -> str:
        return moment.astimezone(zoneinfo.ZoneInfo(self.zone)).isoformat(timespec="seconds")

    def _user(self, user: str) -> dict[str, Any]:
        return {
            "id": user,
            "type": "user_reference",
            "summary": self.users.get(user, user),
            "self": f"https://api.pagerduty.com/users/{user}",
            "html_url": f"https://example.pagerduty.com/users/{user}",
        }

    def _store(
        self, schedule: str, start: dt.datetime, end: dt.datetime, user: str
    ) -> dict[str, Any]:
        override = {
            "id": f"Q{next(self._ids):013d}",
            "start": self._text(start),
            "end": self._text(end),
            "user": self._user(user),
        }
        self._schedules[schedule][override["id"]] = override
        return override

    def answer(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, Any]:
        """``(status, JSON body or None)`` for one request."""
        with self._lock:
            url = urlsplit(target)
            query = parse_qs(url.query, keep_blank_values=True)
            problems, body, route = self._check(method, url.path, query, headers, raw)
            status, payload = 400, _error("Invalid Input Provided", 2001, problems)
            if not problems and route is not None:
                status, payload = self._serve(method, route, query, headers, body, problems)
                problems += self._check_answer(route[1], method, status, payload)
            self.seen.append(Seen(method, url.path, query, body, status))
            self.problems += [f"{method} {target}: {problem}" for problem in problems]
            return status, payload

    def _check(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        raw: bytes,
    ) -> tuple[list[str], Any, tuple[str, dict[str, Any], dict[str, str]] | None]:
        route = SPEC.route(method, path)
        if route is None:
            return [f"{method} {path} is not an operation of the spec"], None, None
        template, operation, path_values = route
        problems = self._check_parameters(template, operation, path_values, query, headers)
        problems += self._check_auth(headers)
        body_problems, body = self._check_body(operation, headers, raw)
        return problems + body_problems, body, route

    def _check_parameters(
        self,
        template: str,
        operation: Mapping[str, Any],
        path_values: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
    ) -> list[str]:
        problems = []
        declared = SPEC.parameters(template, operation)
        names = {p["name"] for p in declared if p["in"] == "query"}
        problems += [f"query parameter {n!r} is not in the spec" for n in query if n not in names]
        for parameter in declared:
            name, where, schema = parameter["name"], parameter["in"], parameter["schema"]
            if where == "query":
                values = query.get(name, [])
            elif where == "header":
                values = [headers[name]] if name in headers else []
            else:
                values = [path_values[name]] if name in path_values else []
            if not values:
                if parameter.get("required"):
                    problems.append(f"{where} parameter {name!r} is required")
                continue
            if len(values) > 1:
                problems.append(f"{where} parameter {name!r} is given {len(values)} times")
            value = _typed(values[0], schema)
            problems += [
                f"{where} parameter {name!r}: {error.message}"
                for error in SPEC.validator(schema).iter_errors(value)
            ]
            if name == "Accept" and values[0] != schema.get("default"):
                problems.append(f"Accept {values[0]!r} is not the API's version 2")
        return problems

    def _check_auth(self, headers: Mapping[str, str]) -> list[str]:
        problems = []
        for requirement in SPEC.document["security"]:
            for name in requirement:
                scheme = SPEC.document["components"]["securitySchemes"][name]
                assert scheme["in"] == "header" and "Token token=" in scheme["description"]
                value = headers.get(scheme["name"])
                if value is None or not re.fullmatch(r"Token token=[!-~]+", value):
                    problems.append(f"{scheme['name']} {value!r} is not 'Token token=<API_KEY>'")
        return problems

    def _check_body(
        self, operation: Mapping[str, Any], headers: Mapping[str, str], raw: bytes
    ) -> tuple[list[str], Any]:
        request = SPEC.resolve(operation.get("requestBody"))
        if request is None:
            return ([f"a body of {len(raw)} bytes where none belongs"] if raw else []), None
        if not raw:
            return (["the request body is required"] if request.get("required") else []), None
        media = headers.get("Content-Type", "").split(";")[0].strip()
        if media not in request["content"]:
            return [f"Content-Type {media!r} is not one of {sorted(request['content'])}"], None
        try:
            body = json.loads(raw)
        except ValueError as error:
            return [f"the body is not JSON ({error})"], None
        errors = SPEC.validator(request["content"][media]["schema"]).iter_errors(body)
        return [f"body: {e.message} at {list(e.absolute_path)}" for e in errors], body

    def _check_answer(
        self, operation: Mapping[str, Any], method: str, status: int, payload: Any
    ) -> list[str]:
        """The fake's own answer against the spec (the list answer is filed under 201)."""
        documented = 201 if (method, status) == ("GET", 200) else status
        try:
            schema = SPEC.response_schema(operation, documented)
        except KeyError:
            return [] if status == 400 else [f"the fake answered {status}, not in the spec"]
        if schema is None:
            return [] if payload is None else [f"the fake's {status} answer has a body"]
        errors = SPEC.validator(schema).iter_errors(payload)
        return [f"the fake's answer: {e.message}" for e in errors]

    def _serve(
        self,
        method: str,
        route: tuple[str, dict[str, Any], dict[str, str]],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: Any,
        problems: list[str],
    ) -> tuple[int, Any]:
        template, _, values = route
        if headers.get("Authorization") != f"Token token={self.token}":
            return 401, _error("Unauthorized", 2006)
        if values.get("id") not in self._schedules:
            return 404, _error("Not Found", 2100)
        if self.rate_limited:
            return 429, _error("Rate limit exceeded", 2020)
        schedule = values["id"]
        if template == "/schedules/{id}/overrides" and method == "GET":
            return 200, self._list(schedule, query, problems)
        if template == "/schedules/{id}/overrides" and method == "POST":
            return 201, [self._create(schedule, o, problems) for o in body.get("overrides", [])]
        if template == "/schedules/{id}/overrides/{override_id}" and method == "DELETE":
            return self._delete(schedule, values["override_id"], problems)
        problems.append(f"{method} {template} is not served by the fake")
        return 400, _error("Not served", 2001)

    def _list(
        self, schedule: str, query: Mapping[str, list[str]], problems: list[str]
    ) -> dict[str, Any]:
        if "editable" in query:
            problems.append("the fake does not serve editable=")
        since, until = instant(query["since"][0]), instant(query["until"][0])
        if until <= since:
            problems.append("until is not after since")
        whole = query.get("overflow", ["false"])[0] == "true"
        found = []
        stored = sorted(self._schedules[schedule].values(), key=lambda o: instant(o["start"]))
        for override in stored:
            start, end = instant(override["start"]), instant(override["end"])
            if start >= until or end <= since:
                continue
            if not whole:
                override = {
                    **override,
                    "start": self._text(max(start, since)),
                    "end": self._text(min(end, until)),
                }
            found.append(override)
        return {"overrides": found}

    def _create(
        self, schedule: str, sent: Mapping[str, Any], problems: list[str]
    ) -> dict[str, Any]:
        start, end, user = instant(sent["start"]), instant(sent["end"]), sent["user"]["id"]
        errors = []
        if end <= start:
            errors.append("Override must end after its start")
        zone = sent.get("time_zone")
        if zone is not None and zone not in zoneinfo.available_timezones():
            errors.append(f"Time zone {zone!r} is not valid")
        problems += errors  # fairshift checks both before sending: either is a defect
        if user not in self.users:
            errors.append(f"User {user} not found")
        if errors:
            shown = {"start": sent["start"], "end": sent["end"], "user": self._user(user)}
            return {"status": 400, "errors": errors, "override": shown}
        return {"status": 201, "override": self._store(schedule, start, end, user)}

    def _delete(self, schedule: str, override_id: str, problems: list[str]) -> tuple[int, Any]:
        stored = self._schedules[schedule].get(override_id)
        if stored is None:
            return 404, _error("Not Found", 2100)
        start, end, now = instant(stored["start"]), instant(stored["end"]), self._now()
        if end <= now:
            problems.append(f"deleting override {override_id}, which has ended")
            return 400, _error("You cannot remove a past override", 2001)
        if start < now:
            stored["end"] = self._text(now)
            return 200, None
        del self._schedules[schedule][override_id]
        return 204, None


def _typed(value: str, schema: Mapping[str, Any]) -> Any:
    """A query or header value as the type its schema declares (it stays text if it is not)."""
    kind = schema.get("type")
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    if kind in ("integer", "number"):
        try:
            return int(value) if kind == "integer" else float(value)
        except ValueError:
            return value
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, payload = self.server.fake.answer(self.command, self.path, self.headers, raw)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakePagerDuty, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.context = context

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        # The handshake runs in the request's own thread, on its first read.
        return self.context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ssl.SSLError | ConnectionError | TimeoutError):
            return  # a client that does not trust the certificate, or hung up
        super().handle_error(request, client_address)
