#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the sweep tests and for trying
# `repscope sweep … --launcher slurm` without a cluster.
#
#   scripts/slurm-local.sh start    install (Debian, as root) and start munged, slurmctld, slurmd
#   scripts/slurm-local.sh stop     stop the three daemons
#   scripts/slurm-local.sh status   print the node and partition as Slurm sees them
#
# The node is this host with its cores and 1 GB; jobs run as root (SlurmUser/SlurmdUser=root),
# processes are tracked by /proc (proctrack/linuxproc) and not confined (task/none), so no
# cgroups or systemd are needed. State and logs live under /var/lib/repscope-slurm.
set -euo pipefail

STATE=/var/lib/repscope-slurm
CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-local.sh: must run as root (it installs packages and starts daemons)" >&2
    exit 1
  fi
}

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return
  fi
  echo "slurm-local.sh: installing slurmctld slurmd slurm-client munge" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

write_config() {
  mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d" "$STATE/log"
  local cpus
  cpus=$(nproc)
  cat >"$CONF" <<EOF
# Written by repscope scripts/slurm-local.sh: one node (this host), one partition.
ClusterName=repscope-local
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
MinJobAge=60
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  if pgrep -x munged >/dev/null; then return; fi
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
}

running() {
  [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null
}

start() {
  need_root
  install_packages
  write_config
  start_munge
  running slurmctld || slurmctld
  running slurmd || slurmd
  # The node registers within a few seconds; wait until a job could start on it.
  for _ in $(seq 1 60); do
    state=$(sinfo --noheader --format=%T 2>/dev/null | head -n1 || true)
    case "$state" in
      idle* | mixed* | allocated*) echo "slurm-local.sh: node $HOST is $state" >&2; return 0 ;;
      down* | drain*) scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
  done
  echo "slurm-local.sh: the node did not come up; see $STATE/log/" >&2
  tail -n 20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 || true
  exit 1
}

stop() {
  for d in slurmd slurmctld; do
    if running "$d"; then kill "$(cat "$STATE/$d.pid")"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo && squeue ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
