"""The control catalogue: each control of DESIGN.md defined once. jsii-free.

A control is an id, a title, the STRIDE threat(s) it answers and where its facts live: the
constants in :mod:`dataroom.controls.network`, ``identity``, ``storage``, ``monitoring`` and
``query``. The gate's rules (``dataroom/policies/rules``), the review's facts and threat map
(``dataroom/review``), the alert patterns and remediation restore list
(``dataroom/alert_events.py``, ``dataroom/remediation``) and the audit read these constants;
nothing else defines them (``tests/controls/test_catalogue.py`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTROLS", "STRIDE_THREATS", "Control", "control", "controls_for_threat"]

#: STRIDE, as DESIGN.md's threat map names the threats.
STRIDE_THREATS: tuple[str, ...] = (
    "Spoofing",
    "Tampering",
    "Repudiation",
    "Information disclosure",
    "Denial of service",
    "Elevation of privilege",
)


@dataclass(frozen=True)
class Control:
    """One control of the catalogue."""

    id: str
    title: str
    #: The STRIDE threats it answers (DESIGN.md's threat map; empty: a process control).
    threats: tuple[str, ...] = ()
    #: What ``cdk synth`` (the DataRoomChecks gate) judges for it, in one line.
    gate: str = ""


_S, _T, _R, _I, _D, _E = STRIDE_THREATS

_ENTRIES: tuple[Control, ...] = (
    Control("NET-1", "no internet path", (_I,),
            "no IGW/NAT/egress-only/VPN/Client VPN/peering/TGW/EIP/foreign endpoint/function URL/"
            "notebook internet in any stack of a guarded account; no default route, no public IP"),
    Control("NET-2", "interface endpoints with private DNS, 443 from the VPC only, policies", (_I,),
            "endpoint security groups admit only 443 from the VPC CIDR, egress no wider; "
            "endpoint policies pin principals to the room account"),
    Control("NET-3", "S3 endpoint policy: room buckets and approved datasets only, no '*'", (_I,),
            "S3 endpoint policy names no wildcard bucket; interface policies pinned"),
    Control("NET-4", "default security group stripped (Custom::VpcRestrictDefaultSG)", (_I,),
            "the restrict-default-SG provider role carries its own narrow boundary"),
    Control("NET-5", "flow logs of ALL traffic to an encrypted log group with retention", (_I,),
            "a flow log of ALL traffic to a KMS-encrypted log group of the room"),
    Control("NET-6", "DNS firewall association blocking all but AWS service domains", (_I,),
            "the BLOCK '*' rule is reached: no earlier ALLOW of '*'"),
    Control("IAM-1",
            "read role trust: room roles only, ExternalId, SourceIdentity, org, expiry, 1 h",
            (_S, _R), "any role trusting another account (ARN, bare id, '*', Fn::Join/Sub) is "
            "held to ExternalId, SourceIdentity, expiry, 1 h; no IAM users or access keys"),
    Control("IAM-2", "least privilege: get/list on approved prefixes, kms:Decrypt via S3", (_T,),
            "read role allows only the read actions"),
    Control("IAM-3", "explicit deny of every non-read action on the read role", (_T, _D),
            "an unconditional Deny NotAction <reads> on every cross-account role"),
    Control("IAM-4", "expiry enforced by IAM (aws:CurrentTime)", (_E,),
            "every read-role allow and trust carries aws:CurrentTime"),
    Control("IAM-5", "permission boundary on every room role", (_T, _E),
            "every role in a guarded account has a boundary that denies each required family"),
    Control("IAM-6", "phase gating: only data-phase rooms have a production read role", (_E,),
            "review: production read roles only for data phases"),
    Control("S3-1", "separate intermediate and results buckets, object-locked log bucket", (_T,),
            "buckets, log groups and keys retained; results bucket versioned"),
    Control("S3-2", "room CMK with rotation; uploads without it denied", (_T,),
            "customer-managed KMS encryption, rotation at production's period"),
    Control("S3-3",
            "public access blocked, ACLs disabled, TLS only, glovebox-only data access", (_I,),
            "all four public-access-block flags, BucketOwnerEnforced, Deny non-TLS"),
    Control("S3-4", "access logging; no principal outside the room", (_R, _I),
            "every room bucket but a log target logs access; key policies grant no other account"),
    Control("MON-1", "room trail: logging, validation, KMS, multi-region, object lock, data events",
            (_T, _R), "trail logging, validated, KMS, global events, COMPLIANCE lock >= baseline"),
    Control("MON-2", "production trail records data events on every approved prefix", (_R,),
            "production trail held to the baseline"),
    Control("MON-3", "GuardDuty with S3 protection", (_T,),
            "detector enabled with production's features, or an adopted detector the manifest "
            "names"),
    Control("MON-4", "alerts: GuardDuty findings, tampering, denied writes to an encrypted topic",
            (_T, _R), "alert rules ENABLED, severity window at the room's minimum (<= baseline), "
            "topic encrypted and subscribed"),
    Control("MON-5", "AWS Config rules mirroring the production baseline", (_T,),
            "production's Config rules present; recorder AllSupported with global types"),
    Control("MON-6", "an alert that cannot be delivered raises an alarm", (_R,),
            "issue 10 (dead-letter queues, failed-delivery alarms)"),
    Control("QRY-1", "per-room Athena workgroup: enforced, encrypted, cut-off per query", (_D,),
            "cut-off equal to the manifest's query_limit_gb, enforced, KMS results"),
    Control("CHG-1", "hypothesis, ticket, owner, approvers, phase, expiry as tags", (),
            "manifest validation and stack tags"),
    Control("CHG-2", "data-mixing rules of the manifest", (_I,), "manifest validation"),
    Control("CHG-3", "SOC 2 CC8.1 evidence per synth", (_R,), "dataroom review evidence"),
    Control("CHG-4", "model priors only as encrypted parameters or secrets", (_I,),
            "no literal prior in any template"),
    Control("DRF-1", "one production baseline applied to every stack", (), "baseline pack"),
    Control("DRF-2", "parity at synth: a room is never weaker than the baseline", (_T,),
            "each baseline field compared; a partial baseline file is refused"),
    Control("DRF-3", "runtime audit of a deployed account against its baseline", (_T,),
            "dataroom audit"),
    Control("PER-1", "identity perimeter: service grants carry SourceAccount/SourceArn", (_I,),
            "every service principal a resource policy admits is bound to the room's account"),
    Control("PER-2", "resource perimeter: nothing written or shared outside the room", (_I,),
            "sharing/export calls denied by each role's boundary; CalledVia for room principals"),
    Control("PER-3", "network perimeter: production reads only through the room's endpoints",
            (_I,), "a policy requiring a VPC endpoint names whose endpoint"),
    Control("WBN-1", "workbench compute inside the glovebox only", (_I, _E),
            "a notebook runs in the glovebox: no internet, no root, room key, room subnet"),
    Control("WBN-2", "packages only from the room's allow-listed mirror", (_T, _I),
            "the package mirror admits only the room's roles, through the room's endpoints"),
    Control("WBN-3", "idle stop", (_D,), "issue 13"),
    Control("WBN-4", "reachable only by the path the manifest allows", (_S, _I),
            "a room with notebooks has every interface endpoint the workbench needs"),
    Control("EXP-1", "exports only through the airlock", (_I,),
            "the export bucket is written by the release role only; review copies unreadable "
            "until scanned clean"),
    Control("EXP-2", "every release is evidence", (_R,), "issue 14"),
    Control("PHS-1", "phase A results only to named internal consumers", (_I,),
            "every access point is one the manifest's results name, for its named reader only"),
    Control("PHS-2", "phase B results to the DAL per tenant", (_I,),
            "the DAL's access point serves each caller its own tenant's prefix only"),
    Control("PHS-3", "phase transitions recorded and checked", (_R,), "issue 15"),
    Control("LCY-1", "expiry warnings and a freeze at expiry", (_E,),
            "a one-shot schedule freezes the room at expiry"),
    Control("LCY-2", "per-room budget with a freeze action", (_D,),
            "a monthly cost budget with notifications and a freeze action"),
    Control("LCY-3", "retire keeps evidence, never reuses an account silently", (_R,), "issue 16"),
)  # fmt: skip

#: Every control, by id, in catalogue order.
CONTROLS: dict[str, Control] = {c.id: c for c in _ENTRIES}


def control(control_id: str) -> Control:
    """The catalogue entry of ``control_id``; :class:`KeyError` names an unknown id."""
    try:
        return CONTROLS[control_id]
    except KeyError:
        raise KeyError(
            f"{control_id!r}: not a control of the catalogue (dataroom/controls)"
        ) from None


def controls_for_threat(threat: str) -> tuple[str, ...]:
    """The ids of the controls that answer ``threat`` (one of :data:`STRIDE_THREATS`)."""
    return tuple(c.id for c in _ENTRIES if threat in c.threats)
