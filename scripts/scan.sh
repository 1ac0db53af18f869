#!/usr/bin/env bash
# checkov and cfn-lint over a synthesized cloud assembly (CI runs this after `make test`).
#
#   scripts/scan.sh [ASSEMBLY_DIR]
#
# Without an argument it synthesizes the default manifest with the real `cdk synth` (gate
# included) into cdk.out.scan/. checkov lives in its own virtualenv (.venv-checkov: it pins an
# old boto3 that the project's moto and boto3 cannot share); cfn-lint is a dev dependency of
# .venv. Every failed check must be fixed or listed with its reason in
# dataroom/policies/scanner_exceptions.yaml: an unlisted one exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
CHECKOV_VERSION=3.3.30
CHECKOV_VENV=.venv-checkov
MANIFEST=${MANIFEST:-examples/rooms.yaml}
BASELINE=${BASELINE:-examples/baseline.yaml}

if [ ! -x "$CHECKOV_VENV/bin/checkov" ] \
  || [ "$("$CHECKOV_VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "checkov==$CHECKOV_VERSION"
fi

if [ $# -ge 1 ]; then
  ASSEMBLY=$1
else
  ASSEMBLY=cdk.out.scan
  rm -rf "$ASSEMBLY"
  cdk synth --quiet --no-notices -o "$ASSEMBLY" -c manifest="$MANIFEST" -c baseline="$BASELINE"
fi
shopt -s nullglob
templates=("$ASSEMBLY"/*.template.json)
if [ ${#templates[@]} -eq 0 ]; then
  echo "scan: no *.template.json in $ASSEMBLY" >&2
  exit 2
fi
REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT

# checkov: exit 1 means failed checks (judged below); anything else is the tool failing.
rc=0
"$CHECKOV_VENV/bin/checkov" -d "$ASSEMBLY" --framework cloudformation -o json --quiet \
  --compact --skip-download > "$REPORTS/checkov.json" || rc=$?
if [ $rc -gt 1 ]; then
  echo "scan: checkov failed (exit $rc)" >&2
  exit $rc
fi
# cfn-lint: exit codes are a bit mask of levels found (2 error, 4 warning, 8 informational);
# an odd code or one past the mask is the tool failing.
rc=0
cfn-lint --format json -- "${templates[@]}" > "$REPORTS/cfn-lint.json" || rc=$?
if [ $((rc & 1)) -ne 0 ] || [ $rc -ge 16 ]; then
  echo "scan: cfn-lint failed (exit $rc)" >&2
  exit $rc
fi
python -m dataroom.policies.scanners "$REPORTS/checkov.json" "$REPORTS/cfn-lint.json"
