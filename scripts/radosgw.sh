#!/usr/bin/env bash
# A throwaway Ceph cluster (one monitor, one in-memory OSD) with radosgw in front, on
# loopback, for the S3 tests and benchmarks: a real S3 server rather than a fake.
#
#   scripts/radosgw.sh start   prints S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                              AWS_REGION as env lines (eval-able); installs Ceph via apt-get
#                              when absent; a second start reuses the running cluster
#   scripts/radosgw.sh stop    kills the processes this script started and removes its state
#   scripts/radosgw.sh env     prints the env lines of the running cluster
#
# `start --user PID` / `stop --user PID` share one cluster between test processes: stop then
# only stops it once no live process that started it with --user remains. A lock file
# serialises concurrent starts and stops.
#
# RADOSGW_DIR (default: $TMPDIR/unipkg-radosgw) holds all state, logs and pidfiles;
# RADOSGW_PORT picks the S3 port (default: a free one).
set -euo pipefail

DIR="${RADOSGW_DIR:-${TMPDIR:-/tmp}/unipkg-radosgw}"
CONF="$DIR/ceph.conf"
ACCESS_KEY="unipkg-test-access"
SECRET_KEY="unipkg-test-secret-0123456789abcdef"
REGION="us-east-1"
DAEMONS=(mon.a osd.0 client.rgw)

log() { echo "radosgw.sh: $*" >&2; }

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

ceph_cmd() { timeout 60 ceph -c "$CONF" "$@"; }

alive() {
  local pidfile="$DIR/run/$1.pid"
  [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

print_env() {
  cat <<EOF
S3_ENDPOINT=http://127.0.0.1:$(cat "$DIR/port")
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_REGION=$REGION
EOF
}

s3_answers() {
  node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))' \
    "http://127.0.0.1:$(cat "$DIR/port")/"
}

install_ceph() {
  command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && return
  log "installing ceph-mon ceph-osd radosgw with apt-get"
  # Another apt-get on this machine holds the dpkg lock for a while; wait for it rather than fail.
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends ceph-mon ceph-osd radosgw >&2
}

write_conf() {
  local fsid="$1" mon_port="$2" rgw_port="$3"
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
# radosgw asks for secure mode to the monitor by default, which auth none cannot give.
ms mon client mode = crc secure
ms client mode = crc secure
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
keyring = $DIR/keyring
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd objectstore = memstore
memstore device bytes = 4294967296
# Without these two the OSD waits forever on a CRUSH update and on class upgrades.
osd crush update on start = false
osd class update on start = false
osd max object size = 1073741824

[mon.a]
mon data = $DIR/mon

[osd.0]
osd data = $DIR/osd

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
rgw thread pool size = 64
EOF
}

wait_for() {
  local what="$1" tries="$2"; shift 2
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  log "$what did not come up; logs are in $DIR/log"
  return 1
}

start() {
  if [[ -f "$DIR/port" ]] && alive mon.a && alive osd.0 && alive client.rgw && s3_answers; then
    print_env
    return
  fi
  [[ -d "$DIR" ]] && stop
  install_ceph
  mkdir -p "$DIR"/{run,log,mon,osd,rgw}
  local mon_port rgw_port fsid
  mon_port=$(free_port)
  rgw_port="${RADOSGW_PORT:-$(free_port)}"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  echo "$rgw_port" >"$DIR/port"
  write_conf "$fsid" "$mon_port" "$rgw_port"
  touch "$DIR/keyring"

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$DIR/monmap" >&2
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >&2
  ceph-mon -c "$CONF" -i a 9>&-
  wait_for "ceph-mon" 60 ceph_cmd mon stat

  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cmd osd new "$osd_uuid")
  ceph-osd -c "$CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >&2 2>"$DIR/log/osd-mkfs.log"
  ceph_cmd osd crush add-bucket localhost host >&2
  ceph_cmd osd crush move localhost root=default >&2
  ceph_cmd osd crush add "osd.$osd_id" 1.0 host=localhost >&2
  ceph-osd -c "$CONF" -i "$osd_id" 9>&-
  wait_for "ceph-osd" 60 bash -c "ceph -c '$CONF' osd dump | grep -q '^osd.$osd_id up'"

  radosgw -c "$CONF" -n client.rgw 9>&-
  wait_for "radosgw" 120 s3_answers
  radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  print_env
}

stop() {
  local name pid
  for name in "${DAEMONS[@]}"; do
    local pidfile="$DIR/run/$name.pid"
    [[ -s "$pidfile" ]] || continue
    pid=$(cat "$pidfile")
    # Only a process that still runs a Ceph binary with our config: a reused pid is left alone.
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF"; then
      kill "$pid"
      for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
  done
  rm -rf "$DIR"
}

live_users() {
  local f
  for f in "$DIR"/users/*; do
    [[ -e "$f" ]] || continue
    if kill -0 "$(basename "$f")" 2>/dev/null; then echo "$f"; else rm -f "$f"; fi
  done
}

cmd="${1:-}"
user=""
if [[ "${2:-}" == "--user" ]]; then
  user="${3:?--user needs a pid}"
  [[ "$user" =~ ^[0-9]+$ ]] || { echo "radosgw.sh: --user takes a pid" >&2; exit 2; }
fi
mkdir -p "$(dirname "$DIR")"
# The daemons are started with fd 9 closed, so that they do not hold the lock for their lifetime.
exec 9>"$DIR.lock"
flock 9
case "$cmd" in
  start)
    start
    if [[ -n "$user" ]]; then mkdir -p "$DIR/users" && touch "$DIR/users/$user"; fi
    ;;
  stop)
    if [[ -n "$user" ]]; then
      rm -f "$DIR/users/$user"
      [[ -n "$(live_users)" ]] && exit 0
    fi
    stop
    ;;
  env) [[ -f "$DIR/port" ]] && s3_answers && print_env ;;
  *) echo "usage: $0 start|stop|env [--user PID]" >&2; exit 2 ;;
esac
