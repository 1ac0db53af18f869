"""A table of bad manifests by class (issue 11), each an edit of one small valid manifest.

Every case names the field path and a fragment of the message it must produce, and the line the
message must name (the line of ``at`` in the edited text, by default the first line of the edit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Expiry is judged against this day (the manifest below expires 2027-03-31).
TODAY = dt.date(2026, 11, 28)

BASE = """\
production:
  account: "111111111111"
  region: us-east-1
  organization_id: o-exampleorg1
security_approvers: [security-lead@example.com]
datasets:
  - name: process-events
    bucket: prod-telemetry
    prefix: events/process/
    kms_key_arn: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab
    classification: confidential
    tenancy: multi-tenant
    contains: [pii, telemetry]
  - name: network-flows
    bucket: prod-telemetry
    prefix: events/network/
    classification: confidential
    tenancy: multi-tenant
    contains: [telemetry]
rooms:
  - name: abnormal-process-exec
    account: "222222222222"
    phase: exploration
    hypothesis: Cluster analysis of process executions separates deploys from intrusions
    ticket: SEC-1234
    owner: scientist@example.com
    approvers: [security-lead@example.com]
    expires: 2027-03-31
    principals: [arn:aws:iam::222222222222:role/DataScientist]
    tenancy: multi-tenant
    datasets:
      - name: process-events
        justification: Process lineage is the feature space of the clustering hypothesis.
    query_limit_gb: 50
"""

SECOND_ROOM = """\
  - name: lateral-movement
    account: "222222222222"
    phase: definition
    hypothesis: Lateral movement shows as a burst of new process parents per host
    ticket: SEC-1300
    owner: analyst@example.com
    approvers: [security-lead@example.com]
    expires: 2027-03-31
    principals: [arn:aws:iam::222222222222:role/DataScientist]
"""

#: A value that must never appear in any message (class 9).
SECRET = "sk-live-0123456789SECRET"


@dataclass(frozen=True)
class Case:
    """One bad manifest: ``old`` replaced by ``new`` in :data:`BASE` ("" appends ``new``)."""

    klass: str
    id: str
    old: str
    new: str
    path: str | None
    fragment: str
    at: str | None = None
    nth: int = 1
    also: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        if not self.old:
            text = BASE + self.new
        else:
            assert self.old in BASE, self.old
            text = BASE.replace(self.old, self.new, 1)
        for old, new in self.also:
            assert old in text, old
            text = text.replace(old, new, 1)
        return text

    def line(self) -> int:
        text = self.text()
        marker = self.at if self.at is not None else self.new.strip().splitlines()[0].strip()
        seen = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if marker in line:
                seen += 1
                if seen == self.nth:
                    return number
        raise AssertionError(f"{marker!r} not in the edited manifest")


PRINCIPALS = "    principals: [arn:aws:iam::222222222222:role/DataScientist]\n"
ACCOUNT = '    account: "222222222222"\n'
EXPIRES = "    expires: 2027-03-31\n"
APPROVERS = "    approvers: [security-lead@example.com]\n"
KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUERY = "    query_limit_gb: 50\n"

CASES: list[Case] = [
    # 1. Silent overwrite: a repeated key is an error naming both lines.
    Case(
        "1-overwrite",
        "room-principals-twice",
        PRINCIPALS,
        PRINCIPALS + "    principals: [arn:aws:iam::222222222222:role/Other]\n",
        "rooms[0].principals",
        "appears twice in the same mapping, on lines 29 and 30",
        at="principals:",
        nth=2,
    ),
    Case(
        "1-overwrite",
        "dataset-classification-twice",
        "    contains: [telemetry]\n",
        "    contains: [telemetry]\n    classification: public\n",
        "datasets[1].classification",
        "on lines 17 and 20",
        at="classification: public",
    ),
    Case(
        "1-overwrite",
        "top-level-rooms-twice",
        "",
        "rooms:\n" + SECOND_ROOM,
        "rooms",
        "key 'rooms' appears twice",
        at="rooms:",
        nth=2,
    ),
    Case(
        "1-overwrite",
        "flow-mapping-key-twice",
        '  account: "111111111111"\n  region: us-east-1\n  organization_id: o-exampleorg1\n',
        '  {account: "111111111111", region: us-east-1, account: "333333333333"}\n',
        "production.account",
        "appears twice",
        at="{account",
    ),
    Case(
        "1-overwrite",
        "repeated-key-differs-only-by-quotes",
        "    ticket: SEC-1234\n",
        '    ticket: SEC-1234\n    "ticket": SEC-9999\n',
        "rooms[0].ticket",
        "appears twice",
        at='"ticket"',
    ),
    # 2. No tracebacks, bounded, values shortened.
    Case(
        "2-traceback",
        "impossible-date",
        EXPIRES,
        "    expires: 2027-02-30\n",
        "rooms[0].expires",
        "'2027-02-30' is not a real date",
    ),
    Case(
        "2-traceback",
        "impossible-timestamp",
        EXPIRES,
        "    expires: 2027-03-31T25:61:00Z\n",
        "rooms[0].expires",
        "is not a real date",
    ),
    Case(
        "2-traceback",
        "deep-nesting",
        "    query_limit_gb: 50\n",
        "    query_limit_gb: " + "[" * 100 + "]" * 100 + "\n",
        "rooms[0].query_limit_gb" + "[0]" * 13,
        "nested deeper than",
    ),
    Case(
        "2-traceback",
        "room-name-as-list",
        "  - name: abnormal-process-exec\n",
        "  - name: [abnormal, process]\n",
        "rooms[0].name",
        "Input should be a valid string",
    ),
    Case(
        "2-traceback",
        "dataset-name-as-mapping",
        "  - name: process-events\n    bucket",
        "  - name: {process: events}\n    bucket",
        "datasets[0].name",
        "Input should be a valid string",
    ),
    Case(
        "2-traceback",
        "alias-bomb",
        "",
        "x0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(
            f"x{i}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 10)}]\n" for i in range(1, 9)
        ),
        None,
        "alias bomb",
        at="x6:",
    ),
    Case(
        "2-traceback",
        "undefined-alias",
        PRINCIPALS,
        "    principals: *roles\n",
        "rooms[0].principals",
        "refers to no anchor",
    ),
    Case(
        "2-traceback",
        "huge-field",
        "    hypothesis: Cluster analysis of process executions separates deploys from intrusions\n",
        "    hypothesis: " + "x" * 200_000 + "\n",
        "rooms[0].hypothesis",
        "characters long: expected at most",
    ),
    Case(
        "2-traceback",
        "long-field-is-shortened",
        ACCOUNT,
        "    account: " + "9" * 20_000 + "x\n",
        "rooms[0].account",
        "…",
    ),
    Case(
        "2-traceback",
        "python-tag",
        "    ticket: SEC-1234\n",
        "    ticket: !!python/object/apply:os.system [echo]\n",
        "rooms[0].ticket",
        "is not accepted",
    ),
    Case(
        "2-traceback",
        "two-documents",
        "",
        "---\nrooms: []\n",
        None,
        "expected one YAML document",
        at="---",
    ),
    Case(
        "2-traceback",
        "control-character",
        "    ticket: SEC-1234\n",
        "    ticket: SEC-1234\x07\n",
        None,
        "is not allowed in YAML",
        at="ticket: SEC",
    ),
    Case(
        "2-traceback",
        "rooms-as-mapping",
        "rooms:\n",
        "rooms:\n  first:\n",
        "rooms",
        "expected a non-empty list of rooms",
        at="rooms:",
    ),
    Case(
        "2-traceback",
        "not-a-number",
        QUERY,
        "    query_limit_gb: .nan\n    monitoring: {min_finding_severity: .nan}\n",
        "rooms[0].monitoring.min_finding_severity",
        "finite number",
        at="monitoring:",
    ),
    # 3. validate and synth agree: what a construct refuses, the manifest refuses first.
    Case(
        "3-agree",
        "guardduty-without-s3",
        QUERY,
        QUERY + "    monitoring: {guardduty_features: [EKS_AUDIT_LOGS]}\n",
        "rooms[0].monitoring.guardduty_features",
        "lacks S3_DATA_EVENTS",
        at="monitoring:",
    ),
    Case(
        "3-agree",
        "full-width-account",
        ACCOUNT,
        '    account: "' + "\uff12" * 12 + '"\n',
        "rooms[0].account",
        "is not a 12-digit AWS account id",
    ),
    Case(
        "3-agree",
        "ticket-too-long-for-external-id",
        "    ticket: SEC-1234\n",
        "    ticket: SEC-" + "1" * 2000 + "\n",
        "rooms[0].ticket",
        "is not a ticket id",
    ),
    Case(
        "3-agree",
        "reserved-room-name",
        "  - name: abnormal-process-exec\n",
        "  - name: production-access\n",
        "rooms[0].name",
        "is reserved",
    ),
    Case(
        "3-agree",
        "retention-not-a-cloudwatch-value",
        QUERY,
        QUERY + "    monitoring: {log_retention_days: 366}\n",
        "rooms[0].monitoring.log_retention_days",
        "366 is not one of",
        at="monitoring:",
    ),
    Case(
        "3-agree",
        "vpc-too-small-for-two-subnets",
        QUERY,
        QUERY + "    vpc_cidr: 10.80.0.0/26\n",
        "rooms[0].vpc_cidr",
        "between /16 and /24",
        at="vpc_cidr",
    ),
    # 4. Lookalikes.
    Case(
        "4-lookalike",
        "arabic-indic-digits-in-account",
        ACCOUNT,
        '    account: "' + "\u0662" * 12 + '"\n',
        "rooms[0].account",
        "is not a 12-digit AWS account id",
    ),
    Case(
        "4-lookalike",
        "full-width-digits-in-ticket",
        "    ticket: SEC-1234\n",
        "    ticket: SEC-\uff11\uff12\uff13\uff14\n",
        "rooms[0].ticket",
        "is not a ticket id",
    ),
    Case(
        "4-lookalike",
        "unicode-digits-in-role-arn",
        PRINCIPALS,
        "    principals: [arn:aws:iam::" + "\uff12" * 12 + ":role/DataScientist]\n",
        "rooms[0].principals[0]",
        "is not an IAM role ARN",
    ),
    Case(
        "4-lookalike",
        "region-that-does-not-exist",
        "  region: us-east-1\n",
        "  region: us-east-9\n",
        "production.region",
        "is not an AWS region name",
    ),
    Case(
        "4-lookalike",
        "key-of-another-partition",
        KEY,
        KEY.replace("arn:aws:", "arn:aws-cn:"),
        "datasets[0].kms_key_arn",
        "is in partition aws-cn but its region us-east-1 is in aws",
        at="kms_key_arn",
    ),
    Case(
        "4-lookalike",
        "made-up-partition",
        KEY,
        KEY.replace("arn:aws:", "arn:awsome:"),
        "datasets[0].kms_key_arn",
        "which is not an AWS partition",
        at="kms_key_arn",
    ),
    Case(
        "4-lookalike",
        "principal-made-up-partition",
        PRINCIPALS,
        "    principals: [arn:awsome:iam::222222222222:role/DataScientist]\n",
        "rooms[0].principals[0]",
        "which is not an AWS partition",
    ),
    Case(
        "4-lookalike",
        "key-in-another-region",
        KEY,
        KEY.replace("us-east-1", "us-west-2"),
        "datasets[0].kms_key_arn",
        "is in region us-west-2, dataset bucket 'prod-telemetry' in the production region us-east-1",
        at="kms_key_arn",
    ),
    Case(
        "4-lookalike",
        "room-in-another-partition",
        ACCOUNT,
        ACCOUNT + "    region: cn-north-1\n",
        "rooms[0].region",
        "roles cannot be assumed across partitions",
        at="region: cn-north-1",
    ),
    Case(
        "4-lookalike",
        "loopback-cidr",
        QUERY,
        QUERY + "    vpc_cidr: 127.0.0.0/16\n",
        "rooms[0].vpc_cidr",
        "inside RFC 1918",
        at="vpc_cidr",
    ),
    Case(
        "4-lookalike",
        "link-local-cidr",
        QUERY,
        QUERY + "    vpc_cidr: 169.254.0.0/16\n",
        "rooms[0].vpc_cidr",
        "inside RFC 1918",
        at="vpc_cidr",
    ),
    Case(
        "4-lookalike",
        "cgnat-cidr",
        QUERY,
        QUERY + "    vpc_cidr: 100.64.0.0/16\n",
        "rooms[0].vpc_cidr",
        "inside RFC 1918",
        at="vpc_cidr",
    ),
    Case(
        "4-lookalike",
        "email-double-dot-domain",
        "    owner: scientist@example.com\n",
        "    owner: scientist@example..com\n",
        "rooms[0].owner",
        "is not an e-mail address",
    ),
    Case(
        "4-lookalike",
        "email-without-dot-in-domain",
        "    owner: scientist@example.com\n",
        "    owner: scientist@example\n",
        "rooms[0].owner",
        "is not an e-mail address",
    ),
    Case(
        "4-lookalike",
        "email-double-dot-local",
        APPROVERS,
        "    approvers: [security..lead@example.com]\n",
        "rooms[0].approvers[0]",
        "is not an e-mail address",
    ),
    Case(
        "4-lookalike",
        "email-cyrillic-lookalike",
        APPROVERS,
        "    approvers: [s\u0435curity-lead@example.com]\n",
        "rooms[0].approvers[0]",
        "expected ASCII characters only",
    ),
    # 5. Catalogue integrity: a prefix catalogued twice, or inside another entry with other labels.
    Case(
        "5-catalogue",
        "same-prefix-twice",
        "    prefix: events/network/\n",
        "    prefix: events/process/\n",
        "datasets[1].prefix",
        "is already catalogued as 'process-events'",
        at="prefix: events/process/",
        nth=2,
    ),
    Case(
        "5-catalogue",
        "overlapping-prefix-weaker-label",
        "rooms:\n",
        "  - name: all-events\n    bucket: prod-telemetry\n    prefix: events/\n"
        "    classification: public\n    tenancy: single-tenant\nrooms:\n",
        "datasets[0].prefix",
        "lies inside 'all-events'",
        at="prefix: events/process/",
    ),
    # 6. Approvals: two people.
    Case(
        "6-approvals",
        "owner-approves-own-room",
        APPROVERS,
        "    approvers: [scientist@example.com, security-lead@example.com]\n",
        "rooms[0].approvers[0]",
        "is the room's owner",
    ),
    Case(
        "6-approvals",
        "owner-is-the-only-approver-any-case",
        APPROVERS,
        "    approvers: [Scientist@EXAMPLE.com]\n",
        "rooms[0].approvers",
        "expected at least one approver who is not the owner",
    ),
    Case(
        "6-approvals",
        "security-owner-approves-hr-room",
        "    owner: scientist@example.com\n    approvers: [security-lead@example.com]\n",
        "    owner: security-lead@example.com\n    approvers: [manager@example.com]\n"
        "    mixing_justification: HR records label which logins were legitimate.\n",
        "rooms[0].approvers",
        "security approver who is not the owner",
        at="approvers: [manager",
        also=(("contains: [pii, telemetry]", "contains: [pii, hr]"),),
    ),
    # 7. Rooms that cannot both deploy.
    Case(
        "7-singletons",
        "two-detectors-one-account-region",
        "",
        SECOND_ROOM,
        "rooms[1].monitoring.existing_guardduty_detector_id",
        "set monitoring.existing_guardduty_detector_id",
        at="name: lateral-movement",
    ),
    Case(
        "7-singletons",
        "two-config-recorders-one-account-region",
        "",
        SECOND_ROOM + "    monitoring: {existing_guardduty_detector_id: " + "a" * 32 + "}\n",
        "rooms[1].monitoring.existing_config_recorder",
        "monitoring.existing_config_recorder: true",
        at="name: lateral-movement",
    ),
    Case(
        "7-singletons",
        "room-in-production-creates-a-detector",
        ACCOUNT + "    phase: exploration\n",
        '    account: "111111111111"\n    phase: exploration\n',
        "rooms[0].monitoring.existing_guardduty_detector_id",
        "whose GuardDuty detector already exists",
        at="- name: abnormal-process-exec",
        also=(
            (
                "arn:aws:iam::222222222222:role/DataScientist",
                "arn:aws:iam::111111111111:role/DataScientist",
            ),
        ),
    ),
    # 8. Room duration.
    Case(
        "8-duration",
        "forever",
        EXPIRES,
        "    expires: 9999-12-31\n",
        "rooms[0].expires",
        "extend it with a new ticket and approval, or raise max_room_days in the baseline",
    ),
    Case(
        "8-duration",
        "one-day-too-long",
        EXPIRES,
        f"    expires: {(TODAY + dt.timedelta(days=181)).isoformat()}\n",
        "rooms[0].expires",
        "a room lasts at most 180 days",
    ),
    # 9. Secrets in logs: nothing under priors is ever echoed.
    Case(
        "9-secrets",
        "prior-with-a-value",
        QUERY,
        QUERY + "    priors:\n      - name: temperature\n        description: Softmax "
        f"temperature of the scorer\n        value: {SECRET}\n",
        "rooms[0].priors[0].value",
        "a prior's value never goes in the manifest",
        at="value:",
    ),
    Case(
        "9-secrets",
        "prior-written-as-its-value",
        QUERY,
        QUERY + f"    priors: [{SECRET}]\n",
        "rooms[0].priors[0]",
        "the value is not shown",
        at="priors:",
    ),
    Case(
        "9-secrets",
        "prior-name-is-the-value",
        QUERY,
        QUERY + f"    priors:\n      - name: {SECRET.upper()}\n        description: the key\n",
        "rooms[0].priors[0].name",
        "is not a prior name",
        at="- name: SK",
    ),
    Case(
        "9-secrets",
        "prior-value-as-an-impossible-date",
        QUERY,
        QUERY + "    priors:\n      - name: cutoff\n        description: 2027-02-30\n",
        "rooms[0].priors[0].description",
        "not shown",
        at="description: 2027",
    ),
    # 10. Help the user.
    Case(
        "10-help",
        "octal-account-id",
        ACCOUNT,
        "    account: 022222222222\n",
        "rooms[0].account",
        'quote it ("022222222222")',
    ),
    Case(
        "10-help",
        "number-as-ticket",
        "    ticket: SEC-1234\n",
        "    ticket: 1234\n",
        "rooms[0].ticket",
        "quote it",
    ),
    Case(
        "10-help",
        "yaml-syntax-error",
        APPROVERS,
        "    approvers: [security-lead@example.com\n",
        None,
        "not valid YAML",
        at="expires:",
    ),
]
