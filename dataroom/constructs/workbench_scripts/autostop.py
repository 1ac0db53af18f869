"""dataroom workbench (WBN-3): stop this notebook instance after a period without activity.

Run every five minutes by cron (installed by the room's on-start lifecycle script). Idle means:
no kernel busy and no kernel, session or terminal active for ``--idle-minutes``. Only the
standard library is used, so any python3 on the instance runs it. The stop request goes to the
SageMaker API through the room's ``sagemaker.api`` endpoint; CloudTrail records it, and the
room's alert rule reports the stop once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import ssl
import subprocess
import sys
import urllib.request

JUPYTER = "https://localhost:8443"
METADATA = "/opt/ml/metadata/resource-metadata.json"


def _get(path: str) -> list[dict[str, object]]:
    # Jupyter serves a self-signed certificate on the instance's loopback interface only.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"{JUPYTER}{path}", context=context, timeout=10) as response:
        body = json.load(response)
    return body if isinstance(body, list) else []


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def idle_since(
    kernels: list[dict[str, object]], terminals: list[dict[str, object]], started: dt.datetime
) -> dt.datetime | None:
    """The last activity, or None when something is running right now."""
    last = started
    for item in (*kernels, *terminals):
        if item.get("execution_state") == "busy":
            return None
        when = _when(item.get("last_activity"))
        if when is not None and when > last:
            last = when
    return last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-minutes", type=int, required=True)
    parser.add_argument("--started", help="ISO time the instance started (default: uptime)")
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    if args.started:
        started = _when(args.started) or now
    else:
        with open("/proc/uptime", encoding="ascii") as uptime:
            started = now - dt.timedelta(seconds=float(uptime.read().split()[0]))
    try:
        last = idle_since(_get("/api/kernels"), _get("/api/terminals"), started)
    except OSError as error:
        print(f"dataroom autostop: Jupyter not reachable ({error}); not stopping", file=sys.stderr)
        return 0
    if last is None or now - last < dt.timedelta(minutes=args.idle_minutes):
        return 0
    with open(METADATA, encoding="utf-8") as metadata:
        name = json.load(metadata)["ResourceName"]
    print(f"dataroom autostop: {name} idle since {last.isoformat()}; stopping")
    subprocess.run(
        ["aws", "sagemaker", "stop-notebook-instance", "--notebook-instance-name", name],
        check=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
