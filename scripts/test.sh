#!/usr/bin/env bash
# The one test command: installs the system packages the tests need (when run as root), runs
# every test project, and ends with one plain line "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."

# Each entry is "debian-package:command-it-provides" (a full path where the command is not on
# every PATH, as /usr/sbin may not be). nats-server is the real NATS server the cluster-bus tests
# start and kill (Engine.Tests/Cluster/NatsServerFixture.cs).
REQUIRED=("chromium:chromium" "ngtcp2-client:/usr/bin/gtlsclient" "ngtcp2-server:/usr/sbin/gtlsserver" "nftables:nft" "iproute2:ip" "nats-server:/usr/sbin/nats-server")

missing=()
for entry in "${REQUIRED[@]}"; do
  command -v "${entry#*:}" >/dev/null 2>&1 || missing+=("${entry%%:*}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing missing packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || echo "warning: could not install ${missing[*]}; the tests that need them will fail" >&2
  else
    echo "warning: missing ${missing[*]} and not root to install them; the tests that need them will fail" >&2
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test --project Engine.Tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The closing line is taken from the test platform's own run summary.
summary() { grep -E "^[[:space:]]+$1:[[:space:]]+[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || true; }
total=$(summary total)
failed=$(summary failed)
passed=$(summary succeeded)
skipped=$(summary skipped)

if [ -z "$total" ]; then
  # No summary: the build or the runner failed before any test ran.
  echo "0 passed, 1 failed"
  exit 1
fi

line="${passed:-0} passed, ${failed:-0} failed"
[ "${skipped:-0}" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
if [ "$status" -ne 0 ] || [ "${failed:-0}" -gt 0 ] || [ "$total" -eq 0 ]; then
  exit 1
fi
exit 0
