# dataroom workbench (WBN-2): point pip at the room's CodeArtifact mirror of PyPI.
#
# Sourced by on-start.sh, and run as-is by the test suite with a stubbed `aws`. Needs:
#   DATAROOM_DOMAIN, DATAROOM_DOMAIN_OWNER, DATAROOM_REPOSITORY  the room's mirror
#   DATAROOM_PIP_HOME     whose pip configuration to write (default: /home/ec2-user)
#   DATAROOM_CONSTRAINTS  the manifest's version specifiers, one per line (unset: keep the file)
# Both calls go to CodeArtifact's private DNS names, i.e. the room's codeartifact.api endpoint;
# pip then reaches the repository through the codeartifact.repositories endpoint. No internet.
set -euo pipefail

pip_home="${DATAROOM_PIP_HOME:-/home/ec2-user}"
pip_dir="${pip_home}/.config/pip"

token="$(aws codeartifact get-authorization-token \
  --domain "${DATAROOM_DOMAIN}" --domain-owner "${DATAROOM_DOMAIN_OWNER}" \
  --duration-seconds 43200 --query authorizationToken --output text)"
endpoint="$(aws codeartifact get-repository-endpoint \
  --domain "${DATAROOM_DOMAIN}" --domain-owner "${DATAROOM_DOMAIN_OWNER}" \
  --repository "${DATAROOM_REPOSITORY}" --format pypi --query repositoryEndpoint --output text)"
if [[ -z "${token}" || "${endpoint}" != https://* ]]; then
  echo "dataroom: no CodeArtifact token or repository endpoint; pip is not configured" >&2
  exit 1
fi
index="https://aws:${token}@${endpoint#https://}"
index="${index%/}/simple/"

umask 077
mkdir -p "${pip_dir}"
# Only on start: the hourly token renewal (cron) keeps the constraints it finds.
if [[ -n "${DATAROOM_CONSTRAINTS+set}" || ! -f "${pip_dir}/constraints.txt" ]]; then
  printf '%s\n' "${DATAROOM_CONSTRAINTS:-}" | sed '/^[[:space:]]*$/d' > "${pip_dir}/constraints.txt"
fi
# The token is a credential: the file is the notebook user's alone (umask 077).
cat > "${pip_dir}/pip.conf.new" <<PIPCONF
[global]
index-url = ${index}
no-input = true
disable-pip-version-check = true

[install]
constraint = ${pip_dir}/constraints.txt
PIPCONF
mv "${pip_dir}/pip.conf.new" "${pip_dir}/pip.conf"
if [[ "$(id -u)" == "0" ]] && id ec2-user >/dev/null 2>&1; then
  chown -R ec2-user: "${pip_home}/.config"
fi
echo "dataroom: pip uses ${endpoint} (token valid for 12 hours, renewed hourly)"
