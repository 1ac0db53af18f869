"""Server access logging admitted by the destination's bucket policy, whatever the app's flags.

aws-cdk-lib's ``Bucket(server_access_logs_bucket=...)`` admits S3's log delivery by bucket policy
only when the app sets the ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` feature flag
(our ``cdk.json`` does); without it, it falls back to the ``LogDeliveryWrite`` ACL, which our
buckets refuse (ACLs disabled, ``BUCKET_OWNER_ENFORCED``): synthesis of a team's bare ``App()``
fails. :func:`log_server_access` writes what aws-cdk-lib writes with the flag on, so the
templates are the same with or without it.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

#: The service principal S3 server access logging delivers with.
LOGGING_SERVICE = "logging.s3.amazonaws.com"


def log_server_access(bucket: s3.Bucket, *, destination: s3.IBucket, prefix: str) -> None:
    """Send ``bucket``'s server access logs to ``destination`` under ``prefix``.

    Sets the bucket's ``LoggingConfiguration`` and admits ``logging.s3.amazonaws.com`` to put
    objects under ``prefix`` of ``destination``, for this source bucket (``aws:SourceArn``) of
    this account (``aws:SourceAccount``) only. Call it right after creating ``bucket``, as
    aws-cdk-lib adds the statement in the bucket's constructor (same policy, same order).

    Raises ``ValueError`` when ``destination`` cannot take the logs this way: a bucket imported
    into the app (its policy cannot be extended here), a bucket of another stack (the condition
    naming the source would make the stacks depend on each other) or an SSE-KMS bucket (S3
    cannot deliver server access logs to one).
    """
    where = f"{bucket.node.path}: server access logs to {destination.node.path}"
    if Stack.of(destination) is not Stack.of(bucket):
        raise ValueError(
            f"{where}: access_logs_bucket must be a bucket of the same stack "
            f"({Stack.of(bucket).node.path}), whose policy can admit this bucket's logs only"
        )
    if destination.encryption_key is not None:
        raise ValueError(
            f"{where}: access_logs_bucket is encrypted with a KMS key; expected an SSE-S3 bucket "
            "(S3 server access logging cannot deliver to SSE-KMS)"
        )
    statement = iam.PolicyStatement(
        effect=iam.Effect.ALLOW,
        principals=[iam.ServicePrincipal(LOGGING_SERVICE)],
        actions=["s3:PutObject"],
        resources=[destination.arn_for_objects(f"{prefix}*" if prefix else "*")],
        conditions={
            "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
            "StringEquals": {"aws:SourceAccount": bucket.env.account},
        },
    )
    if not destination.add_to_resource_policy(statement).statement_added:
        raise ValueError(
            f"{where}: access_logs_bucket is imported (its policy cannot be extended here); "
            "expected an s3.Bucket defined in this stack, whose policy admits S3 log delivery"
        )
    cfn = bucket.node.default_child
    if not isinstance(cfn, s3.CfnBucket):
        raise TypeError(f"{bucket.node.path}: expected an s3.Bucket with a CfnBucket resource")
    cfn.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=destination.bucket_name, log_file_prefix=prefix or None
    )
