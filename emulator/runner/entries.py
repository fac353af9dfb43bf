"""``POST /v2/entries:list`` of the Cloud Logging API, over the log book of local execution.

The request is ``google.logging.v2.ListLogEntriesRequest`` in JSON: ``resourceNames`` (only
``projects/PROJECT`` names hold job logs here), ``filter`` (``logfilter``), ``orderBy``
(``timestamp asc``, the default, or ``timestamp desc``), ``pageSize`` (default 50, at most 1000)
and ``pageToken``. A token continues after the last entry of its page, for the same request only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from vertex_emulator.errors import bad_field
from vertex_emulator.runner.logfilter import read_log_filter
from vertex_emulator.runner.logs import LogBook

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
ORDERS = {"timestamp asc": False, "timestamp desc": True, "": False}


def _projects(body: Mapping[str, Any]) -> set[str]:
    names = list(body.get("resourceNames") or [])
    names += [f"projects/{project}" for project in body.get("projectIds") or []]
    if not names:
        raise bad_field("resource_names", "resource_names is required: name at least one projects/PROJECT.")
    projects = set()
    for name in names:
        if not isinstance(name, str) or name.count("/") < 1:
            raise bad_field("resource_names", f"Invalid resource name {name!r}.")
        kind, _, rest = name.partition("/")
        if kind == "projects":
            projects.add(rest.split("/", 1)[0])
        elif kind not in ("organizations", "folders", "billingAccounts"):
            raise bad_field("resource_names", f"Invalid resource name {name!r}.")
    return projects


def _size(raw: Any) -> int:
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise bad_field("page_size", f"page_size must be an integer, not {raw!r}.") from None
    if size < 0:
        raise bad_field("page_size", "page_size must not be negative.")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _query_key(body: Mapping[str, Any]) -> str:
    key = json.dumps([sorted(body.get("resourceNames") or []), body.get("filter", ""), body.get("orderBy", "")])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _token(query: str, after: str) -> str:
    return base64.urlsafe_b64encode(f"{query}:{after}".encode()).decode()


def _after(query: str, token: str | None) -> str | None:
    if not token:
        return None
    try:
        made_for, _, after = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except ValueError:
        made_for, after = "", ""
    if made_for != query or not after:
        raise bad_field("page_token", "The page token is invalid or was made for another request.")
    return after


def _seen(insert_id: str, after: str, descending: bool) -> bool:
    """Whether an entry was on an earlier page of the same order."""
    return insert_id >= after if descending else insert_id <= after


def list_entries(book: LogBook | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """The ListLogEntriesResponse of ``body``; without local execution there are no entries."""
    projects = _projects(body)
    order = str(body.get("orderBy") or "").strip().lower()
    if order not in ORDERS:
        raise bad_field("order_by", f'order_by must be "timestamp asc" or "timestamp desc", not {order!r}.')
    descending = ORDERS[order]
    keep, pinned = read_log_filter(str(body.get("filter") or ""))
    size = _size(body.get("pageSize"))
    query = _query_key(body)
    after = _after(query, body.get("pageToken"))
    job_id = pinned.get("resource.labels.job_id")
    found = sorted(
        book.entries(projects, job_id) if book else [], key=lambda entry: entry.insert_id, reverse=descending
    )
    page: list[dict[str, Any]] = []
    more = False
    for entry in found:
        if after is not None and _seen(entry.insert_id, after, descending):
            continue
        rendered = entry.render()
        if not keep(rendered):
            continue
        if len(page) == size:
            more = True
            break
        page.append(rendered)
    response: dict[str, Any] = {"entries": page} if page else {}
    if more:
        response["nextPageToken"] = _token(query, page[-1]["insertId"])
    return response
