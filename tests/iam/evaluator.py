"""Offline IAM policy evaluator for tests, independent of the code under test.

`evaluate()` sends a whole batch of requests to one `node tests/iam/simulate.mjs` process, which
evaluates them with the npm package ``@cloud-copilot/iam-simulate`` (AGPL-3.0-or-later; a
test-only devDependency, never shipped). The request and result shapes are documented at the top
of ``simulate.mjs``.

The library evaluates exactly the request it is given: it derives no context keys of its own
(aws:PrincipalArn, aws:PrincipalAccount, aws:CurrentTime, ...), so every key a condition reads
must be set in ``context``. Keys that do not apply to the action are dropped and listed in
``ignoredContextKeys``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node_modules" / ".bin" / "node"
SCRIPT = Path(__file__).resolve().with_name("simulate.mjs")
PACKAGE = ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
TIMEOUT_SECONDS = 300


class EvaluatorUnavailableError(RuntimeError):
    """Node.js or the iam-simulate package is not installed."""


class EvaluatorError(RuntimeError):
    """The evaluator process failed or returned something unexpected."""


def _check_installed() -> None:
    if not NODE.exists():
        raise EvaluatorUnavailableError(
            f"Node.js not found at {NODE}; run `npm ci` in {ROOT} (package.json pins node)."
        )
    if not PACKAGE.exists():
        raise EvaluatorUnavailableError(
            f"@cloud-copilot/iam-simulate not found at {PACKAGE.parent}; "
            f"run `npm ci` in {ROOT} (it is a devDependency)."
        )


def evaluate(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate all ``requests`` in one Node.js process; results come back in the same order."""
    if not requests:
        return []
    ids = [request.get("id") for request in requests]
    if len(set(ids)) != len(ids) or any(not isinstance(i, str) for i in ids):
        raise ValueError(f"every request needs a unique string id, got {ids!r}")
    _check_installed()
    try:
        proc = subprocess.run(
            [str(NODE), str(SCRIPT)],
            input=json.dumps(requests),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as exc:  # e.g. a dangling node_modules/.bin/node link
        raise EvaluatorUnavailableError(f"cannot run {NODE}: {exc}") from exc
    if proc.returncode != 0:
        raise EvaluatorError(
            f"{NODE} {SCRIPT} exited with {proc.returncode}:\n{proc.stderr.strip()}"
        )
    try:
        results: list[dict[str, Any]] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise EvaluatorError(
            f"evaluator wrote invalid JSON ({exc}):\n{proc.stdout[:2000]}\n{proc.stderr}"
        ) from exc
    if [result.get("id") for result in results] != ids:
        raise EvaluatorError(f"evaluator returned ids {[r.get('id') for r in results]}, sent {ids}")
    return results


def _problems(results: Iterable[dict[str, Any]], *fields: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for result in results:
        entry = {field: result[field] for field in fields if result.get(field)}
        if entry:
            found[result["id"]] = entry
    return found


def assert_no_missing_operators(results: Iterable[dict[str, Any]]) -> None:
    """Fail if any policy uses a condition operator that does not exist (e.g. ``StringEqualz``).

    iam-simulate does not reject such operators: it treats the condition as not matching and
    sets ``missingOperator: true`` on the condition's explain (reported here as
    ``missingOperators``), but only when the context key is present in the request. The harness
    also scans every Condition block statically (``unknownOperators``); both are checked.
    """
    found = _problems(results, "missingOperators", "unknownOperators")
    if found:
        raise AssertionError(f"unknown condition operators: {json.dumps(found, indent=2)}")


def assert_no_ignored_context_keys(results: Iterable[dict[str, Any]]) -> None:
    """Fail if the library dropped context keys the caller set (not applicable to the action)."""
    found = _problems(results, "ignoredContextKeys")
    if found:
        raise AssertionError(f"context keys ignored by the evaluator: {json.dumps(found)}")


def assert_no_errors(results: Iterable[dict[str, Any]]) -> None:
    """Fail if any request could not be evaluated (invalid policy, action, ARN, request field)."""
    found = {r["id"]: r.get("errors") for r in results if r.get("result") == "Error"}
    if found:
        raise AssertionError(f"requests not evaluated: {json.dumps(found, indent=2)}")


def decisions(results: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Map request id to its result ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied", "Error")."""
    return {result["id"]: result["result"] for result in results}
