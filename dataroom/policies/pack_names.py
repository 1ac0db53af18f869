"""The names of the gate's packs as the validation report spells them; importable without jsii."""

#: A pack with no finding is left out of the CDK validation report, so the names are kept here.
NAG_PACK_NAMES: tuple[str, ...] = ("AwsSolutions", "NIST.800.53.R5", "DataRoom")
