#!/bin/bash
# dataroom workbench: the room's OnStart lifecycle configuration (runs as root on every start).
# Generated at synth by dataroom/constructs/workbench.py from the files next to this one.
set -euo pipefail
export DATAROOM_DOMAIN="@@DOMAIN@@"
export DATAROOM_DOMAIN_OWNER="@@DOMAIN_OWNER@@"
export DATAROOM_REPOSITORY="@@REPOSITORY@@"
export DATAROOM_PIP_HOME=/home/ec2-user
export DATAROOM_CONSTRAINTS="@@CONSTRAINTS@@"
export AWS_DEFAULT_REGION="@@REGION@@"
install -d -m 0755 /opt/dataroom

# WBN-2: pip uses the room's mirror; the token is renewed every hour.
cat > /opt/dataroom/pip-config.sh <<'DATAROOM_PIP'
@@PIP_CONFIG@@
DATAROOM_PIP
# A failure must not fail the start: without the mirror pip finds nothing; cron retries hourly.
bash /opt/dataroom/pip-config.sh || echo "dataroom: pip not configured yet" >&2

# WBN-3: stop the instance after @@IDLE_MINUTES@@ idle minutes.
cat > /opt/dataroom/autostop.py <<'DATAROOM_AUTOSTOP'
@@AUTOSTOP@@
DATAROOM_AUTOSTOP
started="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"
cat > /etc/cron.d/dataroom <<CRON
SHELL=/bin/bash
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
AWS_DEFAULT_REGION=@@REGION@@
DATAROOM_DOMAIN=@@DOMAIN@@
DATAROOM_DOMAIN_OWNER=@@DOMAIN_OWNER@@
DATAROOM_REPOSITORY=@@REPOSITORY@@
DATAROOM_PIP_HOME=/home/ec2-user
*/5 * * * * root /usr/bin/python3 /opt/dataroom/autostop.py --idle-minutes @@IDLE_MINUTES@@ --started ${started} >> /var/log/dataroom-autostop.log 2>&1
17 * * * * root bash /opt/dataroom/pip-config.sh >> /var/log/dataroom-pip.log 2>&1
CRON
chmod 0644 /etc/cron.d/dataroom
