"""Self-check of the IAM evaluator harness with tiny hand-written policies.

All requests go to one Node.js process (module-scoped fixture); each test asserts its own slice.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam.evaluator import (
    assert_no_errors,
    assert_no_ignored_context_keys,
    assert_no_missing_operators,
    decisions,
    evaluate,
)

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
CALLER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/caller"
TARGET_ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/target"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def s3_get(request_id: str, key: str, *policies: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": request_id,
        "principal": USER,
        "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::b/{key}",
        "resourceAccount": ACCOUNT,
        "context": {},
        "identityPolicies": list(policies),
        **extra,
    }


GET_P = policy(allow("s3:GetObject", "arn:aws:s3:::b/p/*"))

# (c) time-limited grant
UNTIL_2027 = policy(
    allow(
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        Condition={"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}},
    )
)

# (d) cross-account role assumption: caller in ACCOUNT, role (the resource) in OTHER_ACCOUNT
CALLER_MAY_ASSUME = policy(allow("sts:AssumeRole", TARGET_ROLE))
TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"sts:ExternalId": "ext-123"},
            "Null": {"sts:SourceIdentity": "false"},
        },
    }
)


def assume(request_id: str, context: dict[str, str], **extra: Any) -> dict[str, Any]:
    request = {
        "id": request_id,
        "principal": CALLER_ROLE,
        "action": "sts:AssumeRole",
        "resource": TARGET_ROLE,  # resource account taken from the ARN
        "context": context,
        "identityPolicies": [CALLER_MAY_ASSUME],
        "resourcePolicy": TRUST,
    }
    request.update(extra)
    return request


BOTH = {"sts:ExternalId": "ext-123", "sts:SourceIdentity": "alice"}

# (e) boundary: everything except iam:CreateUser
CREATE_USER = {
    "principal": USER,
    "action": "iam:CreateUser",
    "resource": f"arn:aws:iam::{ACCOUNT}:user/bob",
    "context": {},
    "identityPolicies": [policy(allow("iam:*", "*"))],
}
BOUNDARY = policy(allow("*", "*"), deny("iam:CreateUser", "*"))

# (f) misspelled operators
TYPO = policy(
    allow(
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        Condition={"StringEqualz": {"aws:PrincipalOrgID": "o-abc"}},
    )
)
CORRECT = policy(
    allow(
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
    )
)
ORG = {"aws:PrincipalOrgID": "o-abc"}

REQUESTS: list[dict[str, Any]] = [
    # (a)
    s3_get("a-in-prefix", "p/x", GET_P),
    s3_get("a-other-prefix", "q/x", GET_P),
    # (b)
    s3_get("b-deny-wins", "p/x", GET_P, policy(deny("s3:GetObject", "arn:aws:s3:::b/p/x"))),
    s3_get("b-deny-elsewhere", "p/x", GET_P, policy(deny("s3:GetObject", "arn:aws:s3:::b/q/*"))),
    # (c)
    s3_get("c-before", "k", UNTIL_2027, context={"aws:CurrentTime": "2026-12-01T00:00:00Z"}),
    s3_get("c-after", "k", UNTIL_2027, context={"aws:CurrentTime": "2027-02-01T00:00:00Z"}),
    # (d)
    assume("d-both", BOTH),
    assume("d-no-external-id", {"sts:SourceIdentity": "alice"}),
    assume("d-no-source-identity", {"sts:ExternalId": "ext-123"}),
    assume("d-wrong-external-id", {**BOTH, "sts:ExternalId": "ext-999"}),
    assume("d-no-caller-grant", BOTH, identityPolicies=[]),
    assume("d-trust-other-account", BOTH, principal="arn:aws:iam::333333333333:role/caller"),
    # (e)
    {"id": "e-no-boundary", **CREATE_USER},
    {"id": "e-boundary", **CREATE_USER, "permissionBoundaries": [BOUNDARY]},
    {
        "id": "e-boundary-other-action",
        **CREATE_USER,
        "action": "iam:GetUser",
        "permissionBoundaries": [BOUNDARY],
    },
    # (f)
    s3_get("f-typo-key-present", "k", TYPO, context=ORG),
    s3_get("f-typo-key-absent", "k", TYPO),
    s3_get("f-correct", "k", CORRECT, context=ORG),
    # harness guards
    s3_get("g-unknown-field", "k", GET_P, permissionBoundary=[BOUNDARY]),
    s3_get("g-ignored-key", "p/x", GET_P, context={"s3:prefix": "p/"}),
    {**s3_get("g-no-account", "p/x", GET_P), "resourceAccount": None},
    s3_get("g-array-single-key", "k", CORRECT, context={"aws:PrincipalOrgID": ["o-x", "o-abc"]}),
]


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    out = evaluate(REQUESTS)
    return {result["id"]: result for result in out}


def pick(results: dict[str, dict[str, Any]], *ids: str) -> dict[str, str]:
    return decisions(results[i] for i in ids)


def test_a_resource_prefix(results: dict[str, dict[str, Any]]) -> None:
    assert pick(results, "a-in-prefix", "a-other-prefix") == {
        "a-in-prefix": "Allowed",
        "a-other-prefix": "ImplicitlyDenied",
    }


def test_b_explicit_deny_wins(results: dict[str, dict[str, Any]]) -> None:
    assert pick(results, "b-deny-wins", "b-deny-elsewhere") == {
        "b-deny-wins": "ExplicitlyDenied",
        "b-deny-elsewhere": "Allowed",
    }


def test_c_date_condition(results: dict[str, dict[str, Any]]) -> None:
    assert pick(results, "c-before", "c-after") == {
        "c-before": "Allowed",
        "c-after": "ImplicitlyDenied",
    }


def test_d_cross_account_assume_role(results: dict[str, dict[str, Any]]) -> None:
    ids = [r["id"] for r in REQUESTS if r["id"].startswith("d-")]
    assert pick(results, *ids) == {
        "d-both": "Allowed",
        "d-no-external-id": "ImplicitlyDenied",
        "d-no-source-identity": "ImplicitlyDenied",
        "d-wrong-external-id": "ImplicitlyDenied",
        # cross-account: the trust policy alone is not enough, the caller needs a grant too
        "d-no-caller-grant": "ImplicitlyDenied",
        # the trust policy names ACCOUNT, not 333333333333
        "d-trust-other-account": "ImplicitlyDenied",
    }
    # The library takes the caller's account from the principal ARN, the role's from its ARN.
    assert results["d-both"]["sameAccount"] is False
    both = [results[i] for i in ids]
    assert_no_ignored_context_keys(both)
    assert_no_missing_operators(both)


def test_e_permission_boundary(results: dict[str, dict[str, Any]]) -> None:
    assert pick(results, "e-no-boundary", "e-boundary", "e-boundary-other-action") == {
        "e-no-boundary": "Allowed",
        "e-boundary": "ExplicitlyDenied",
        "e-boundary-other-action": "Allowed",
    }
    assert results["e-boundary"]["blockedBy"] == ["pb"]


def test_f_misspelled_operator_reported(results: dict[str, dict[str, Any]]) -> None:
    present, absent = results["f-typo-key-present"], results["f-typo-key-absent"]
    # The library skips the condition (never matches), so the typo'd Allow grants nothing ...
    assert present["result"] == "ImplicitlyDenied"
    # ... and flags it only when the key is in the request context.
    assert present["missingOperators"] == [
        {
            "section": "identity",
            "statement": "identity-0#1",
            "operator": "StringEqualz",
            "key": "aws:PrincipalOrgID",
        }
    ]
    assert absent["missingOperators"] == []
    # The harness' static scan catches it either way.
    for result in (present, absent):
        assert [u["operator"] for u in result["unknownOperators"]] == ["StringEqualz"]
        with pytest.raises(AssertionError, match="StringEqualz"):
            assert_no_missing_operators([result])
    # Control: the correctly spelled operator allows and passes the check.
    assert results["f-correct"]["result"] == "Allowed"
    assert_no_missing_operators([results["f-correct"]])


def test_harness_rejects_unknown_request_fields(results: dict[str, dict[str, Any]]) -> None:
    bad = results["g-unknown-field"]
    assert bad["result"] == "Error"
    assert "permissionBoundary" in bad["errors"][0]
    with pytest.raises(AssertionError, match="g-unknown-field"):
        assert_no_errors([bad])


def test_harness_requires_resource_account(results: dict[str, dict[str, Any]]) -> None:
    bad = results["g-no-account"]
    assert bad["result"] == "Error"
    assert "resourceAccount is required" in bad["errors"][0]


def test_harness_rejects_array_for_single_valued_key(results: dict[str, dict[str, Any]]) -> None:
    # The library would silently keep only "o-x"; the harness refuses instead.
    bad = results["g-array-single-key"]
    assert bad["result"] == "Error"
    assert "aws:PrincipalOrgID is single-valued" in bad["errors"][0]


def test_harness_reports_ignored_context_keys(results: dict[str, dict[str, Any]]) -> None:
    # s3:prefix applies to s3:ListBucket, not s3:GetObject: the library drops it.
    ignored = results["g-ignored-key"]
    assert ignored["ignoredContextKeys"] == ["s3:prefix"]
    with pytest.raises(AssertionError, match="s3:prefix"):
        assert_no_ignored_context_keys([ignored])


def test_all_well_formed_requests_evaluated(results: dict[str, dict[str, Any]]) -> None:
    assert_no_errors(r for r in results.values() if not r["id"].startswith("g-"))


def test_empty_batch_starts_no_process() -> None:
    assert evaluate([]) == []
