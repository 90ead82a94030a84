#!/usr/bin/env bash
# Makes sure the real Postgres and NATS (with JetStream) the tests use are installed and running.
set -euo pipefail

apt_install() {
  if ! dpkg -s "$@" >/dev/null 2>&1; then
    (apt-get update -qq || true) >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

command -v nats-server >/dev/null || apt_install nats-server
command -v pg_ctlcluster >/dev/null || apt_install postgresql

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
if ! port_open 4222; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && port_open 4222 && break; sleep 0.2; done
pg_isready -h 127.0.0.1 -p 5432
port_open 4222 && echo "nats: 127.0.0.1:4222 accepting connections"

# The fault drills run a dispatcher with its clock skewed by libfaketime (e2e/fault-drills.e2e.spec.ts).
command -v faketime >/dev/null || apt_install faketime

# dev-bot runs repository checks only inside a bubblewrap sandbox (apps/dev-bot/src/checks/sandbox.ts);
# without it every check is refused (apps/dev-bot/test/repo-checks.int.spec.ts, e2e/devbot*.e2e.spec.ts).
command -v bwrap >/dev/null || apt_install bubblewrap

# Deployment checks: promtool and prometheus (alert rules, the dashboards' Prometheus test) and
# docker-compose (validates docker/compose.yaml). kubectl, whose built-in kustomize renders k8s/,
# comes with this machine's image.
for tool in promtool:prometheus docker-compose:docker-compose; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    (apt-get update -qq || true) >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null
  fi
done
command -v kubectl >/dev/null || echo "warning: kubectl not found; the k8s/ checks need it (kubectl kustomize)" >&2
