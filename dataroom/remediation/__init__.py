"""The remediation function's code (shipped as-is as the Lambda asset; plain Python + boto3)."""
