"""Network boundary and monitoring facts, read from a synthesized template.

These functions describe; they do not judge. The threat-map detectors
(:mod:`dataroom.review.threats`) decide from the same facts whether a control is present, so the
report shows the reviewer both what was found and what it means.
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.network import DEFAULT_ROUTES, INTERNET_PATH_TYPES, RESTRICT_DEFAULT_SG_TYPE
from dataroom.controls.network import ROUTE_TARGETS as _ROUTE_TARGETS
from dataroom.review.assembly import StackTemplate, as_list, refers_to, statements

__all__ = ["INTERNET_PATH_TYPES", "monitoring_facts", "network_facts"]


def _service_short(service: str) -> str:
    # com.amazonaws.us-east-1.s3 -> s3; com.amazonaws.<region>.ecr.api -> ecr.api
    parts = service.split(".")
    return ".".join(parts[3:]) if len(parts) > 3 and parts[0] == "com" else service


def _endpoint_policy(stack: StackTemplate, document: Any) -> list[dict[str, Any]]:
    out = []
    for s in statements(document):
        condition = s.get("Condition", {})
        principal_account = None
        for operator, keys in condition.items() if isinstance(condition, dict) else ():
            for key, value in keys.items() if isinstance(keys, dict) else ():
                if key.lower() == "aws:principalaccount" and operator.startswith("StringEquals"):
                    principal_account = ", ".join(stack.text(v) for v in as_list(value))
        resources = [stack.text(r) for r in as_list(s.get("Resource"))]
        out.append(
            {
                "sid": s.get("Sid"),
                "effect": s.get("Effect"),
                "actions": [str(a) for a in as_list(s.get("Action") or s.get("NotAction"))],
                "not_action": "NotAction" in s,
                "resources": resources,
                "principal": stack.text(s.get("Principal")),
                "principal_account": principal_account,
                "conditioned": bool(condition),
            }
        )
    return out


def _ingress(stack: StackTemplate, group_id: str) -> list[dict[str, Any]]:
    rules = [r for r in as_list(stack.properties(group_id).get("SecurityGroupIngress"))]
    for _, resource in stack.resources("AWS::EC2::SecurityGroupIngress"):
        props = resource.get("Properties", {})
        if refers_to(props.get("GroupId"), group_id):
            rules.append(props)
    return [
        {
            "protocol": stack.text(r.get("IpProtocol")),
            "from_port": r.get("FromPort"),
            "to_port": r.get("ToPort"),
            "source": stack.text(
                r.get("CidrIp")
                or r.get("CidrIpv6")
                or r.get("SourceSecurityGroupId")
                or r.get("SourcePrefixListId")
            ),
        }
        for r in rules
        if isinstance(r, dict)
    ]


def _internet_paths(stack: StackTemplate) -> list[str]:
    """NET-1: what opens a path out of the template's VPCs, in words."""
    paths = []
    for lid, resource in stack.resources(*INTERNET_PATH_TYPES):
        paths.append(f"{INTERNET_PATH_TYPES[resource['Type']]} {lid}")
    for lid, resource in stack.resources("AWS::EC2::Route"):
        props = resource.get("Properties", {})
        destination = props.get("DestinationCidrBlock") or props.get("DestinationIpv6CidrBlock")
        targets = [k for k in _ROUTE_TARGETS if k in props]
        if destination in DEFAULT_ROUTES or targets:
            what = ", ".join(targets) or "no target"
            paths.append(f"route {lid} to {stack.text(destination)} via {what}")
    for lid, resource in stack.resources("AWS::EC2::Subnet"):
        if resource.get("Properties", {}).get("MapPublicIpOnLaunch") in (True, "true"):
            paths.append(f"subnet {lid} maps public IPs on launch")
    for lid, resource in stack.resources("AWS::EC2::Instance", "AWS::EC2::LaunchTemplate"):
        props = resource.get("Properties", {})
        interfaces = props.get("NetworkInterfaces") or props.get("LaunchTemplateData", {}).get(
            "NetworkInterfaces"
        )
        if any(
            isinstance(i, dict) and i.get("AssociatePublicIpAddress") in (True, "true")
            for i in as_list(interfaces)
        ):
            paths.append(f"{resource['Type']} {lid} associates a public IP")

    return paths


def _dns_firewall(stack: StackTemplate, vpcs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """NET-6: each firewall association with its rules, in priority order."""
    dns = []
    for lid, resource in stack.resources("AWS::Route53Resolver::FirewallRuleGroupAssociation"):
        props = resource.get("Properties", {})
        vpc = next(
            (v["logical_id"] for v in vpcs if refers_to(props.get("VpcId"), v["logical_id"])), None
        )
        rules = []
        for gid, group in stack.resources("AWS::Route53Resolver::FirewallRuleGroup"):
            if not refers_to(props.get("FirewallRuleGroupId"), gid):
                continue
            for rule in as_list(group.get("Properties", {}).get("FirewallRules")):
                domains: list[str] = []
                for did, domain_list in stack.resources("AWS::Route53Resolver::FirewallDomainList"):
                    if refers_to(rule.get("FirewallDomainListId"), did):
                        domains = [
                            str(d) for d in domain_list.get("Properties", {}).get("Domains", [])
                        ]
                rules.append(
                    {
                        "priority": rule.get("Priority"),
                        "action": rule.get("Action"),
                        "domains": domains,
                    }
                )
        dns.append(
            {
                "logical_id": lid,
                "vpc": vpc,
                "mutation_protection": props.get("MutationProtection"),
                "rules": sorted(rules, key=lambda r: int(r["priority"] or 0)),
            }
        )

    return dns


def network_facts(stack: StackTemplate) -> dict[str, Any]:
    """VPCs, endpoints, internet paths, DNS firewall, flow logs and default-SG handling."""
    vpcs = [
        {"logical_id": lid, "cidr": stack.text(r.get("Properties", {}).get("CidrBlock"))}
        for lid, r in stack.resources("AWS::EC2::VPC")
    ]
    endpoints = []
    for lid, resource in stack.resources("AWS::EC2::VPCEndpoint"):
        props = resource.get("Properties", {})
        service = stack.text(props.get("ServiceName"))
        groups = [g for g in as_list(props.get("SecurityGroupIds")) if isinstance(g, dict)]
        group_ids = [
            gid
            for g in groups
            for gid, _ in stack.resources("AWS::EC2::SecurityGroup")
            if refers_to(g, gid)
        ]
        endpoints.append(
            {
                "logical_id": lid,
                "service": _service_short(service),
                "service_name": service,
                "type": str(props.get("VpcEndpointType", "Gateway")),
                "private_dns": bool(props.get("PrivateDnsEnabled", False)),
                "has_policy": "PolicyDocument" in props,
                "policy": _endpoint_policy(stack, props.get("PolicyDocument")),
                "security_groups": group_ids,
                "ingress": [rule for gid in group_ids for rule in _ingress(stack, gid)],
            }
        )

    paths = _internet_paths(stack)
    dns = _dns_firewall(stack, vpcs)
    flow_logs = []
    for lid, resource in stack.resources("AWS::EC2::FlowLog"):
        props = resource.get("Properties", {})
        log_group: str | None = next(
            (
                gid
                for gid, _ in stack.resources("AWS::Logs::LogGroup")
                if refers_to(props.get("LogDestination"), gid)
                or refers_to(props.get("LogGroupName"), gid)
            ),
            None,
        )
        group_props = stack.properties(log_group) if log_group else {}
        flow_logs.append(
            {
                "logical_id": lid,
                "resource": stack.text(props.get("ResourceId")),
                "vpc": next(
                    (
                        v["logical_id"]
                        for v in vpcs
                        if refers_to(props.get("ResourceId"), v["logical_id"])
                    ),
                    None,
                ),
                "traffic": props.get("TrafficType"),
                "destination_type": props.get("LogDestinationType", "cloud-watch-logs"),
                "log_group": log_group,
                "log_group_kms": stack.text(group_props["KmsKeyId"])
                if "KmsKeyId" in group_props
                else None,
                "retention_days": group_props.get("RetentionInDays"),
            }
        )

    restrict_default_sg = [
        {
            "logical_id": lid,
            "vpc": next(
                (
                    v["logical_id"]
                    for v in vpcs
                    if refers_to(
                        r.get("Properties", {}).get("DefaultSecurityGroupId"), v["logical_id"]
                    )
                ),
                None,
            ),
        }
        for lid, r in stack.resources(RESTRICT_DEFAULT_SG_TYPE)
    ]
    subnets = [
        {
            "logical_id": lid,
            "cidr": stack.text(r.get("Properties", {}).get("CidrBlock")),
            "public_ip_on_launch": r.get("Properties", {}).get("MapPublicIpOnLaunch", False)
            in (True, "true"),
        }
        for lid, r in stack.resources("AWS::EC2::Subnet")
    ]
    return {
        "vpcs": vpcs,
        "subnets": subnets,
        "endpoints": endpoints,
        "internet_paths": paths,
        "dns_firewall": dns,
        "flow_logs": flow_logs,
        "restrict_default_security_group": restrict_default_sg,
    }


def _data_resources(stack: StackTemplate, props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for selector in as_list(props.get("EventSelectors")):
        for resource in as_list(selector.get("DataResources")):
            out.extend(stack.text(v) for v in as_list(resource.get("Values")))
    for selector in as_list(props.get("AdvancedEventSelectors")):
        fields = [f for f in as_list(selector.get("FieldSelectors")) if isinstance(f, dict)]
        arns = [f for f in fields if f.get("Field") == "resources.ARN"]
        for f in arns:
            values = f.get("StartsWith") or f.get("Equals") or []
            out.extend(stack.text(v) for v in as_list(values))
        data = any(
            f.get("Field") == "eventCategory" and "Data" in as_list(f.get("Equals")) for f in fields
        )
        if data and not arns:
            out.append("<all data events>")  # every data event of the account
    return out


def _target_kind(stack: StackTemplate, arn: Any) -> str:
    for lid, resource in stack.resources():
        if refers_to(arn, lid):
            return f"{resource['Type']} {lid}"
    return stack.text(arn)


def monitoring_facts(stack: StackTemplate) -> dict[str, Any]:
    """Trails, detectors, Config, alert rules, alarms, remediation and the Athena workgroup."""
    trails = []
    for lid, resource in stack.resources("AWS::CloudTrail::Trail"):
        props = resource.get("Properties", {})
        bucket = next(
            (
                b
                for b, _ in stack.resources("AWS::S3::Bucket")
                if refers_to(props.get("S3BucketName"), b)
            ),
            None,
        )
        lock = stack.properties(bucket).get("ObjectLockConfiguration", {}) if bucket else {}
        retention = (
            lock.get("Rule", {}).get("DefaultRetention", {}) if isinstance(lock, dict) else {}
        )
        trails.append(
            {
                "logical_id": lid,
                "name": stack.text(props.get("TrailName", lid)),
                "logging": props.get("IsLogging") in (True, "true"),
                "log_file_validation": props.get("EnableLogFileValidation") in (True, "true"),
                "kms_key": stack.text(props["KMSKeyId"]) if props.get("KMSKeyId") else None,
                "multi_region": props.get("IsMultiRegionTrail") in (True, "true"),
                "cloudwatch_logs": bool(props.get("CloudWatchLogsLogGroupArn")),
                "bucket": bucket,
                "object_lock": (
                    f"{retention.get('Mode')} {retention.get('Days') or retention.get('Years')}"
                    f"{' days' if retention.get('Days') else ' years'}"
                    if retention
                    else None
                ),
                "data_resources": _data_resources(stack, props),
            }
        )

    detectors = []
    for lid, resource in stack.resources("AWS::GuardDuty::Detector"):
        props = resource.get("Properties", {})
        detectors.append(
            {
                "logical_id": lid,
                "enabled": props.get("Enable") in (True, "true"),
                "publishing": props.get("FindingPublishingFrequency"),
                "features": {
                    str(f.get("Name")): str(f.get("Status"))
                    for f in as_list(props.get("Features"))
                    if isinstance(f, dict)
                },
            }
        )
    adopted = stack.metadata.get("adopted", {}) or {}

    rules = []
    remediation = []
    for lid, resource in stack.resources("AWS::Events::Rule"):
        props = resource.get("Properties", {})
        pattern = props.get("EventPattern", {})
        pattern = pattern if isinstance(pattern, dict) else {}
        detail = pattern.get("detail", {}) if isinstance(pattern.get("detail"), dict) else {}
        targets = [_target_kind(stack, t.get("Arn")) for t in as_list(props.get("Targets"))]
        rule = {
            "logical_id": lid,
            "description": props.get("Description", ""),
            "state": props.get("State", "ENABLED"),
            "sources": [str(s) for s in as_list(pattern.get("source"))],
            "detail_types": [str(s) for s in as_list(pattern.get("detail-type"))],
            "event_names": [str(s) for s in as_list(detail.get("eventName"))],
            "targets": targets,
        }
        rules.append(rule)
        for target in as_list(props.get("Targets")):
            for fid, function in stack.resources("AWS::Lambda::Function"):
                if refers_to(target.get("Arn"), fid):
                    remediation.append(
                        {
                            "function": fid,
                            "description": function.get("Properties", {}).get("Description", ""),
                            "rule": lid,
                            "event_names": rule["event_names"],
                        }
                    )

    alarms = [
        {
            "logical_id": lid,
            "description": r.get("Properties", {}).get("AlarmDescription", ""),
            "metric": "{Namespace}/{MetricName}".format_map(
                {"Namespace": None, "MetricName": None, **r.get("Properties", {})}
            ),
            "threshold": r.get("Properties", {}).get("Threshold"),
            "actions": [
                _target_kind(stack, a) for a in as_list(r.get("Properties", {}).get("AlarmActions"))
            ],
        }
        for lid, r in stack.resources("AWS::CloudWatch::Alarm")
    ]
    config_rules = [
        {
            "logical_id": lid,
            "source": stack.text(r.get("Properties", {}).get("Source", {}).get("SourceIdentifier")),
            "description": r.get("Properties", {}).get("Description", ""),
        }
        for lid, r in stack.resources("AWS::Config::ConfigRule")
    ]
    workgroups = []
    for lid, resource in stack.resources("AWS::Athena::WorkGroup"):
        props = resource.get("Properties", {})
        config = props.get("WorkGroupConfiguration", {})
        encryption = config.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
        workgroups.append(
            {
                "logical_id": lid,
                "name": stack.text(props.get("Name")),
                "state": props.get("State", "ENABLED"),
                "cutoff_bytes": config.get("BytesScannedCutoffPerQuery"),
                "enforced": config.get("EnforceWorkGroupConfiguration") in (True, "true"),
                "encryption": encryption.get("EncryptionOption"),
                "kms_key": stack.text(encryption["KmsKey"]) if encryption.get("KmsKey") else None,
                "metrics": config.get("PublishCloudWatchMetricsEnabled") in (True, "true"),
            }
        )
    topics = [
        {
            "logical_id": lid,
            "encrypted": bool(r.get("Properties", {}).get("KmsMasterKeyId")),
        }
        for lid, r in stack.resources("AWS::SNS::Topic")
    ]
    return {
        "trails": trails,
        "guardduty": {
            "detectors": detectors,
            "adopted": str(adopted["guardduty_detector"])
            if adopted.get("guardduty_detector")
            else None,
        },
        "config": {
            "recorders": [lid for lid, _ in stack.resources("AWS::Config::ConfigurationRecorder")],
            "adopted_recorder": bool(adopted.get("config_recorder")),
            "rules": config_rules,
        },
        "alert_rules": rules,
        "alarms": alarms,
        "topics": topics,
        "remediation": remediation,
        "athena_workgroups": workgroups,
    }
