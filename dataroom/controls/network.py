"""Network control facts (NET-1 .. NET-6): defined here once. jsii-free."""

from __future__ import annotations

#: Resource types that open a path between a VPC (or the account) and anything outside it
#: (NET-1), with how the review names them. The gate fails every one of them in a guarded
#: account, whichever stack of the app carries it.
INTERNET_PATH_TYPES: dict[str, str] = {
    "AWS::EC2::InternetGateway": "internet gateway",
    "AWS::EC2::EgressOnlyInternetGateway": "egress-only internet gateway",
    "AWS::EC2::NatGateway": "NAT gateway",
    "AWS::EC2::VPCGatewayAttachment": "gateway attachment",
    "AWS::EC2::VPCPeeringConnection": "VPC peering connection",
    "AWS::EC2::TransitGatewayAttachment": "transit gateway attachment",
    "AWS::EC2::TransitGatewayVpcAttachment": "transit gateway attachment",
    "AWS::EC2::TransitGateway": "transit gateway",
    "AWS::EC2::VPNGateway": "VPN gateway",
    "AWS::EC2::VPNConnection": "VPN connection",
    "AWS::EC2::CustomerGateway": "customer gateway",
    "AWS::EC2::CarrierGateway": "carrier gateway",
    "AWS::EC2::EIP": "elastic IP address",
    "AWS::EC2::ClientVpnEndpoint": "Client VPN endpoint",
    "AWS::EC2::ClientVpnTargetNetworkAssociation": "Client VPN network association",
    "AWS::EC2::InstanceConnectEndpoint": "EC2 Instance Connect endpoint",
    "AWS::EC2::VPCEndpointService": "endpoint service (PrivateLink to other accounts)",
    "AWS::NetworkFirewall::Firewall": "network firewall (an egress appliance)",
    "AWS::GlobalAccelerator::Accelerator": "Global Accelerator",
}
#: Destinations that mean "anywhere": a route to one of them leaves the VPC.
DEFAULT_ROUTES: tuple[str, ...] = ("0.0.0.0/0", "::/0")
#: Route properties whose target is outside the VPC (a route with one of them is a path out).
ROUTE_TARGETS: tuple[str, ...] = (
    "GatewayId",
    "NatGatewayId",
    "EgressOnlyInternetGatewayId",
    "VpcPeeringConnectionId",
    "TransitGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
    "InstanceId",
    "NetworkInterfaceId",
)
#: The only port interface endpoints admit, from the VPC's own CIDR (NET-2).
ENDPOINT_PORT = 443
#: The prefix of AWS's own endpoint services; anything else is a foreign PrivateLink service.
# aws.sagemaker.<region>.notebook is SageMaker's own notebook endpoint service (WBN-4).
AWS_SERVICE_PREFIXES: tuple[str, ...] = (
    "com.amazonaws.",
    "aws.api.",
    "cn.com.amazonaws.",
    "aws.sagemaker.",
)
#: Endpoint-policy condition keys that pin an interface endpoint to the room account (NET-2/3).
ENDPOINT_PIN_KEYS: tuple[str, ...] = ("aws:principalaccount", "aws:resourceaccount")
#: S3 resources that mean "every bucket" in an endpoint policy (NET-3).
ANY_BUCKET: tuple[str, ...] = ("*", "arn:*:s3:::*", "arn:*:s3:::*/*")
#: Flow logs capture this traffic type (NET-5).
FLOW_LOG_TRAFFIC = "ALL"
#: The DNS firewall's deny-all domain (NET-6): its BLOCK rule must come before any allow of it.
DNS_CATCH_ALL = "*"
#: The custom resource aws-cdk-lib uses to strip the default security group (NET-4), and its
#: provider's construct id (its role gets its own narrow boundary: dataroom.constructs.cdk_roles).
RESTRICT_DEFAULT_SG_TYPE = "Custom::VpcRestrictDefaultSG"
RESTRICT_DEFAULT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"
#: What that provider may do, on the VPC's default security group only.
RESTRICT_DEFAULT_SG_ACTIONS: tuple[str, ...] = (
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
)
