"""What a DataRoomChecks rule is, and the template helpers rules share. jsii-free."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dataroom.baseline import Baseline
from dataroom.controls.monitoring import EXPECT_KEY

#: A rule's verdict: True compliant, False non-compliant, None not applicable, or the list of
#: specific findings (non-compliant when non-empty), each naming what is wrong.
Verdict = bool | None | list[str]
Resource = dict[str, Any]

#: Template metadata key under which the stacks say what they are (room or production).
KIND_KEY = "dataroom"


@dataclass(frozen=True)
class RuleContext:
    """One resource of a synthesized template, with the template and the baseline."""

    logical_id: str
    resource: Resource
    template: dict[str, Any]
    baseline: Baseline
    account: str
    region: str
    #: Whether the stack targets a room's account or production's (or an unresolved account in
    #: an app that has rooms): rules marked ``guarded_only`` judge only such stacks. A fragment
    #: judged on its own is taken to be guarded.
    guarded: bool = True
    #: Whether the stack targets a room's account (a room inside production's account included):
    #: rules marked ``room_accounts_only`` judge only such stacks.
    room_account: bool = True
    #: What the manifest asks of this room (``athena_cutoff_bytes``, ``min_finding_severity``,
    #: ``guardduty_detector`` when adopted), handed to the gate by ``build_app``. Without it,
    #: rules read the ``expect`` block the room stack writes into its template metadata, except
    #: for adoption, which only the manifest can vouch for.
    manifest_expect: Mapping[str, Any] = field(default_factory=dict)
    #: Whether the app was synthesized in local mode (``-c dataroom:local=true``), which
    #: ``build_app`` allows only with a loopback endpoint: rules marked ``waived_locally`` (what
    #: moto cannot deploy) do not judge it.
    local: bool = False

    @property
    def kind(self) -> str:
        """``room``, ``production-access`` or ``production`` (from the template metadata)."""
        meta = self.template.get("Metadata", {}).get(KIND_KEY, {})
        return str(meta.get("kind", "production"))

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.template.get("Metadata", {}).get(KIND_KEY, {}))

    @property
    def expect(self) -> dict[str, Any]:
        """The room's expectations: the manifest's, else the template metadata's ``expect``."""
        if self.manifest_expect:
            return dict(self.manifest_expect)
        return dict(self.metadata.get(EXPECT_KEY, {}))

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.resource.get("Properties", {}))

    def resources(self, *types: str) -> Iterator[tuple[str, Resource]]:
        for logical_id, resource in self.template.get("Resources", {}).items():
            if resource.get("Type") in types:
                yield logical_id, resource


@dataclass(frozen=True)
class Rule:
    """A DataRoomChecks rule. ``rule_id`` becomes ``DataRoom-<rule_id>`` in nag reports."""

    rule_id: str
    control: str
    info: str
    explanation: str
    resource_types: frozenset[str]
    check: Callable[[RuleContext], Verdict]
    #: A finding of this rule fails synthesis even when acknowledged (see README).
    never_suppressible: bool = False
    #: Only in room stacks (template metadata ``kind: room``).
    rooms_only: bool = False
    #: Only in stacks that target a room's or production's account, whatever the stack is (a
    #: sibling or nested stack beside the room included): see :attr:`RuleContext.guarded`.
    guarded_only: bool = False
    #: Only in stacks that target a room's account (see :attr:`RuleContext.room_account`).
    room_accounts_only: bool = False
    #: Not in local mode: the control needs a resource moto cannot deploy (see dataroom/local.py).
    waived_locally: bool = False

    def applies(self, context: RuleContext) -> bool:
        """Whether this rule judges ``context``'s resource at all."""
        kind = context.resource.get("Type")
        if kind not in self.resource_types and "*" not in self.resource_types:
            return False
        if self.rooms_only and context.kind != "room":
            return False
        if self.room_accounts_only and not context.room_account:
            return False
        if self.waived_locally and context.local:
            return False
        return not (self.guarded_only and not context.guarded)


def ref_target(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names (None for anything else)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    get_att = value.get("Fn::GetAtt")
    if isinstance(get_att, list) and get_att:
        return str(get_att[0])
    if isinstance(get_att, str):
        return get_att.split(".", 1)[0]
    return None


def tags(resource: Resource) -> dict[str, str]:
    raw = resource.get("Properties", {}).get("Tags", [])
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {str(t.get("Key")): str(t.get("Value")) for t in raw if isinstance(t, dict)}
