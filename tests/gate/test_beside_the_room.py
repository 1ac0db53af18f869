"""`cdk synth` fails on paths added beside the room: sibling, nested and agnostic stacks.

One app carries several weakenings, each in a different kind of stack; the synthesis fails and
the error names every one of them (a fatal DataRoomGate finding per rule, on the resource at
fault). A sibling stack in an account that is neither a room's nor production's is not judged.
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, NestedStack, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from dataroom.application import build_app
from dataroom.manifest import Manifest

ROOM_ACCOUNT = "222222222222"
PRODUCTION_ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def refusal(context, example_manifest: Manifest, tmp_path_factory) -> str:
    app = App(context=context, outdir=str(tmp_path_factory.mktemp("beside")))
    build_app(example_manifest, app=app)
    room_env = Environment(account=ROOM_ACCOUNT, region="us-east-1")

    sibling = Stack(app, "SiblingNetwork", env=room_env)
    igw = ec2.CfnInternetGateway(sibling, "SiblingIgw")
    ec2.CfnClientVpnEndpoint(
        sibling,
        "SiblingClientVpn",
        authentication_options=[],
        client_cidr_block="10.9.0.0/22",
        connection_log_options=ec2.CfnClientVpnEndpoint.ConnectionLogOptionsProperty(enabled=False),
        server_certificate_arn="arn:aws:acm:us-east-1:222222222222:certificate/x",
    )
    ec2.CfnVPCEndpoint(
        sibling,
        "ForeignPrivateLink",
        vpc_id="vpc-0123456789abcdef0",
        service_name="com.vendor.vpce.us-east-1.vpce-svc-0123456789abcdef0",
        vpc_endpoint_type="Interface",
    )
    del igw

    nested_parent = Stack(app, "Tools", env=room_env)
    nested = NestedStack(nested_parent, "Inner")
    function = lambda_.Function(
        nested,
        "Open",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c): return e"),
    )
    function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)

    agnostic = Stack(app, "Anywhere")  # no env: it may deploy into a room account
    user = iam.User(agnostic, "Operator")
    iam.AccessKey(agnostic, "OperatorKey", user=user)

    production_side = Stack(app, "ProdExtras", env=Environment(account=PRODUCTION_ACCOUNT,
                                                                region="us-east-1"))  # fmt: skip
    iam.Role(
        production_side,
        "VendorAccess",
        assumed_by=iam.AccountPrincipal("999999999999"),
    )

    elsewhere = Stack(app, "Elsewhere", env=Environment(account="333333333333", region="us-east-1"))
    ec2.CfnInternetGateway(elsewhere, "UnrelatedIgw")

    with pytest.raises(RuntimeError) as error:
        app.synth()
    return str(error.value)


@pytest.mark.parametrize(
    ("rule", "where"),
    [
        ("DataRoom-NET1NoInternetPath", "SiblingIgw"),
        ("DataRoom-NET1NoInternetPath", "SiblingClientVpn"),
        ("DataRoom-NET1NoInternetPath", "ForeignPrivateLink"),
        ("DataRoom-NET1NoInternetPath", "function URL"),
        ("DataRoom-IAM5NoStandingIdentity", "Operator"),
        ("DataRoom-IAM5NoStandingIdentity", "IAM access key"),
        ("DataRoom-IAM3ReadRoleReadOnly", "VendorAccess"),
        ("DataRoom-IAM1ReadRoleTrust", "VendorAccess"),
        ("DataRoom-IAM5Boundary", "OpenServiceRole"),
    ],
)
def test_a_path_beside_the_room_fails_synth(refusal: str, rule: str, where: str) -> None:
    assert rule in refusal
    lines = [line for line in refusal.splitlines() if where in line]
    assert lines, f"{where} not named in the refusal"


def test_a_stack_in_an_unrelated_account_is_not_judged(refusal: str) -> None:
    assert "UnrelatedIgw" not in refusal
