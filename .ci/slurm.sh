#!/usr/bin/env bash
# Makes this machine a one-node Slurm cluster (Debian's slurm-wlm and
# munge, as root), for the test that runs examples/deploy/slurm for real:
# munged as the munge user, slurmctld and slurmd on localhost, one default
# partition with this node. Idempotent: a cluster that answers is left
# alone. Takes seconds.
set -euo pipefail

host=$(hostname)
conf=/etc/slurm/slurm.conf

if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then
  echo "slurm.sh: cluster up" >&2
  exit 0
fi

# munge: its key exists after install; the daemon runs as munge.
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge /etc/munge
install -d -o munge -g munge -m 0755 /run/munge
if ! pgrep -u munge -x munged >/dev/null; then
  su -s /bin/sh munge -c /usr/sbin/munged
fi

install -d -m 0755 /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > "$conf" <<EOF
# Written by .ci/slurm.sh: a one-node cluster for ccw's tests.
ClusterName=ccw
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MpiDefault=none
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd

for _ in $(seq 1 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then
    echo "slurm.sh: one-node cluster $host up" >&2
    exit 0
  fi
  sleep 0.5
done
echo "slurm.sh: the node did not come up:" >&2
sinfo >&2 || true
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
