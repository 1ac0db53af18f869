"""rooms[].results: each rule refuses its violation with the field path; the example passes."""

from __future__ import annotations

import pytest
import yaml

from dataroom.manifest import ManifestError, parse_manifest
from tests.conftest import TODAY
from tests.phases.conftest import PHASES

BASE = yaml.safe_load(PHASES.read_text(encoding="utf-8"))


def _errors(mutate: object) -> list[str]:
    data = yaml.safe_load(PHASES.read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ManifestError) as caught:
        parse_manifest(yaml.safe_dump(data), source="phases.yaml", today=TODAY)
    return caught.value.messages


def test_example_is_valid() -> None:
    manifest = parse_manifest(PHASES.read_text(encoding="utf-8"), today=TODAY)
    b = manifest.room("exec-anomaly-b")
    assert b.results is not None and b.results.dal is not None
    assert b.results.dal.tenant_tag == "tenant"


def _a(data: dict) -> dict:  # type: ignore[type-arg]
    return data["rooms"][0]  # type: ignore[no-any-return]


def _b(data: dict) -> dict:  # type: ignore[type-arg]
    return data["rooms"][1]  # type: ignore[no-any-return]


CASES = [
    (
        "results in exploration",
        lambda d: _a(d).update(phase="exploration"),
        "rooms[0].results",
        "publishes no results",
    ),
    (
        "production without results",
        lambda d: _a(d).pop("results"),
        "rooms[0].results",
        "expected a results section",
    ),
    (
        "dal in phase A",
        lambda d: _a(d)["results"].update(dal=_b(d)["results"]["dal"]),
        "rooms[0].results.dal",
        "never read by end-user services",
    ),
    (
        "phase B without dal",
        lambda d: _b(d)["results"].pop("dal"),
        "rooms[1].results.dal",
        "expected a dal section",
    ),
    (
        "single-tenant B without one tenant",
        lambda d: _b(d).update(
            tenancy="single-tenant",
            mixing_justification="Reads one customer's telemetry only, approved by security.",
        ),
        "rooms[1].results.dal.tenants",
        "exactly one tenant",
    ),
    (
        "consumer with both networks",
        lambda d: _a(d)["results"]["internal_consumers"][0].update(vpc_id="vpc-0123456789abcdef0"),
        "rooms[0].results.internal_consumers[0]",
        "exactly one of vpc_id or vpce_id",
    ),
    (
        "consumer with no network",
        lambda d: _a(d)["results"]["internal_consumers"][0].pop("vpce_id"),
        "rooms[0].results.internal_consumers[0]",
        "exactly one of vpc_id or vpce_id",
    ),
    (
        "consumer role is not a role",
        lambda d: _a(d)["results"]["internal_consumers"][0].update(
            role_arn="arn:aws:iam::111111111111:user/bob"
        ),
        "role_arn",
        "is not an IAM role ARN",
    ),
    (
        "full-width digits",
        lambda d: _a(d)["results"]["internal_consumers"][0].update(
            role_arn="arn:aws:iam::\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11:role/X"
        ),
        "role_arn",
        "is not an IAM role ARN",
    ),
    (
        "duplicate consumer",
        lambda d: _a(d)["results"]["internal_consumers"].append(
            dict(_a(d)["results"]["internal_consumers"][0])
        ),
        "rooms[0].results.internal_consumers[1].name",
        "already used",
    ),
    (
        "dal is also a consumer",
        lambda d: _b(d)["results"]["internal_consumers"].append(
            {
                "name": "dal-too",
                "role_arn": "arn:aws:iam::111111111111:role/CustomerDal",
                "vpc_id": "vpc-0123456789abcdef0",
            }
        ),
        "rooms[1].results.dal.role_arn",
        "cannot also be an internal consumer",
    ),
    (
        "unknown field",
        lambda d: _a(d)["results"].update(everyone=True),
        "rooms[0].results.everyone",
        "",
    ),
    (
        "bad tenant tag",
        lambda d: _b(d)["results"]["dal"].update(tenant_tag="ten ant"),
        "tenant_tag",
        "is not an IAM tag key",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "path", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_results_are_refused_with_the_path(
    name: str, mutate: object, path: str, message: str
) -> None:
    errors = _errors(mutate)
    assert any(path in e and message in e for e in errors), (name, errors)
    assert all(e.startswith("phases.yaml:") for e in errors), errors
