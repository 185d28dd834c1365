"""T7: a small GitHub REST client (stdlib urllib) and webhook signature check."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from . import conf


class GitHubError(Exception):
    """GitHub refused the call (credentials, repository, validation): retrying will not help."""


class GitHubUnavailable(GitHubError):
    """GitHub is down, unreachable or rate-limiting us: retry later."""


def _request(method: str, path: str, payload: dict | None = None) -> dict | list:
    base = conf.get("GITHUB_API_URL").rstrip("/")
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    request.add_header("User-Agent", "balcao-suporte")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    token = conf.get("GITHUB_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        timeout = float(conf.get("GITHUB_TIMEOUT_SECONDS"))
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        rate_limited = error.code == 429 or (
            error.code == 403 and error.headers.get("X-RateLimit-Remaining") == "0"
        )
        if rate_limited:
            raise GitHubUnavailable("limite de requisições do GitHub atingido") from None
        if error.code >= 500:
            raise GitHubUnavailable(f"GitHub respondeu {error.code}") from None
        messages = {
            401: "token do GitHub inválido",
            403: "o token não tem permissão neste repositório",
            404: "repositório do GitHub não encontrado",
            410: "issues desativadas neste repositório",
            422: "o GitHub recusou os dados da issue",
        }
        raise GitHubError(messages.get(error.code, f"GitHub respondeu {error.code}")) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise GitHubUnavailable(f"GitHub fora do ar ({error})") from None
    except ValueError:
        raise GitHubUnavailable("resposta inválida do GitHub") from None


def _repository() -> str:
    repo = conf.get("GITHUB_REPOSITORY")
    if not repo or "/" not in repo:
        raise GitHubError("repositório do GitHub não configurado (GITHUB_REPOSITORY)")
    return repo


def _issue(data) -> dict:
    """number, html_url and state of an issue as GitHub sends it."""
    try:
        return {
            "number": int(data["number"]),
            "html_url": str(data["html_url"]),
            "state": str(data.get("state", "open")),
        }
    except (KeyError, TypeError, ValueError):
        raise GitHubUnavailable("resposta inválida do GitHub") from None


def create_issue(title: str, body: str) -> dict:
    """POST /repos/{owner}/{repo}/issues; returns number, html_url and state."""
    return _issue(
        _request("POST", f"/repos/{_repository()}/issues", {"title": title, "body": body})
    )


def find_issue(marker: str) -> dict | None:
    """The newest issue (open or closed, among the last 100) whose body holds `marker`, or
    None: a retry after a lost response finds the issue the first attempt did create."""
    path = f"/repos/{_repository()}/issues?state=all&sort=created&direction=desc&per_page=100"
    issues = _request("GET", path)
    if not isinstance(issues, list):
        raise GitHubUnavailable("resposta inválida do GitHub")
    for data in issues:
        is_issue = isinstance(data, dict) and "pull_request" not in data
        if is_issue and marker in (data.get("body") or ""):
            return _issue(data)
    return None


def valid_signature(body: bytes, header: str | None) -> bool:
    """T7: X-Hub-Signature-256 = "sha256=" + HMAC-SHA256(secret, raw body); no secret, no entry."""
    secret = conf.get("GITHUB_WEBHOOK_SECRET")
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


# -- webhook payloads ---------------------------------------------------------------------------

MAX_ISSUE_NUMBER = 2_147_483_647  # the ticket's PositiveIntegerField
MAX_GITHUB_ID = 2**63 - 1


class BadPayload(ValueError):
    """A signed webhook body that is not what GitHub sends for the event (pt-BR message)."""


def _whole(value, name: str, maximum: int) -> int:
    """A JSON whole number (not a bool, float or string) from 1 to `maximum`."""
    if type(value) is not int or not 0 < value <= maximum:
        raise BadPayload(f"{name} deve ser um número inteiro positivo")
    return value


def _obj(payload: dict, key: str, *, required: bool = True) -> dict:
    value = payload.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise BadPayload(f"“{key}” deve ser um objeto")
    return value


def _text(payload: dict, key: str, *, required: bool = False, default: str = "") -> str:
    value = payload.get(key, default)
    if value is None and not required:
        return default
    if not isinstance(value, str) or (required and not value):
        raise BadPayload(f"“{key}” deve ser um texto")
    return value.replace("\x00", "")


def _url(value: str) -> str:
    """An http(s) link as GitHub sends it (html_url), or "" (never a javascript: href)."""
    ok = value.startswith(("https://", "http://")) and len(value) <= 200 and " " not in value
    return value if ok else ""


def parse_event(event: str, payload) -> dict | None:
    """T7: the fields of an `issues` / `issue_comment` delivery, checked for shape and type
    (raises BadPayload); None for other events (ignored). Only whole issue numbers.

    `pull_request` says the "issue" is a pull request (GitHub sends the comments of a pull
    request as `issue_comment` with `issue.pull_request` set). A comment carries its id, body,
    author and update time (an edit is told apart by it); `transferred` carries the new
    repository and issue (`changes.new_repository`, `changes.new_issue`)."""
    if not isinstance(payload, dict):
        raise BadPayload("o corpo deve ser um objeto JSON")
    if event not in ("issues", "issue_comment"):
        return None
    issue = _obj(payload, "issue")
    _obj(issue, "pull_request", required=False)  # shape only: an object when present
    parsed = {
        "action": _text(payload, "action", required=True),
        "repository": _text(_obj(payload, "repository"), "full_name", required=True),
        "number": _whole(issue.get("number"), "issue.number", MAX_ISSUE_NUMBER),
        "state": _text(issue, "state"),
        "updated_at": _text(issue, "updated_at"),
        "pull_request": issue.get("pull_request") is not None,
        "sender": _text(_obj(payload, "sender", required=False), "login", default="github"),
        "comment_id": None,
    }
    if event == "issue_comment":
        comment = _obj(payload, "comment")
        parsed["comment_id"] = _whole(comment.get("id"), "comment.id", MAX_GITHUB_ID)
        parsed["comment_body"] = _text(comment, "body")
        parsed["comment_updated_at"] = _text(comment, "updated_at")
        user = _obj(comment, "user", required=False)
        parsed["comment_author"] = _text(user, "login", default=parsed["sender"])
    if event == "issues" and parsed["action"] == "transferred":
        changes = _obj(payload, "changes")
        new_issue = _obj(changes, "new_issue")
        new_repository = _obj(changes, "new_repository")
        parsed["new_repository"] = _text(new_repository, "full_name", required=True)
        parsed["new_number"] = _whole(new_issue.get("number"), "new_issue.number", MAX_ISSUE_NUMBER)
        parsed["new_url"] = _url(_text(new_issue, "html_url"))
        if not parsed["new_url"]:
            raise BadPayload("“new_issue.html_url” deve ser o link da issue")
        parsed["new_state"] = _text(new_issue, "state", default="open")
    return parsed
