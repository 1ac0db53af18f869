"""Identity control facts (IAM-1 .. IAM-6): defined here once. jsii-free."""

from __future__ import annotations

#: The only actions a production read role may be left with (IAM-2, IAM-3).
READ_ACTIONS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "kms:Decrypt",
)
#: The longest session a cross-account read role allows, in seconds (IAM-1).
MAX_SESSION_SECONDS = 3600
#: IAM-5: what every room role's boundary must deny, by family, with the actions that prove it.
#: The gate asks of each boundary whether it still lets any of these through (a boundary that
#: exists but no longer denies them is a finding).
BOUNDARY_DENY_FAMILIES: dict[str, tuple[str, ...]] = {
    "IAM changes": (
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:PassRole",
        "iam:UpdateAssumeRolePolicy",
    ),
    "network egress": (
        "ec2:CreateInternetGateway",
        "ec2:CreateNatGateway",
        "ec2:CreateRoute",
        "ec2:CreateVpcPeeringConnection",
        "ec2:CreateClientVpnEndpoint",
        "ec2:AuthorizeSecurityGroupEgress",
    ),
    "trail tampering": ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail"),
    "detector tampering": ("guardduty:DeleteDetector", "guardduty:UpdateDetector"),
    "flow-log tampering": ("ec2:DeleteFlowLogs",),
    "endpoint tampering": ("ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints"),
    "bucket-policy tampering": ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
    "key-policy tampering": ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"),
}
#: Long-lived credentials and console logins: never in a guarded account (IAM-1, IAM-5).
STANDING_IDENTITY_TYPES: dict[str, str] = {
    "AWS::IAM::User": "IAM user",
    "AWS::IAM::AccessKey": "IAM access key",
    "AWS::IAM::UserToGroupAddition": "IAM user added to a group",
    "AWS::IAM::ServiceSpecificCredential": "service-specific credential",
    "AWS::IAM::SAMLProvider": "SAML identity provider",
    "AWS::IAM::OIDCProvider": "OIDC identity provider",
}
#: The tag that names the room a production read role belongs to (IAM-6).
ROOM_TAG = "dataroom:room"
