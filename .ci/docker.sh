#!/bin/sh
# .ci/docker.sh: make the Docker engine and the sandbox test image available.
#
#  1. installs docker.io with apt when dockerd is missing;
#  2. starts dockerd in the background when no engine answers (log in
#     $CCW_DOCKERD_LOG, default /var/log/ccw-dockerd.log);
#  3. builds the test image ${CCW_DOCKER_IMAGE:-ccw-sandbox-test:latest}
#     with `docker import` (no registry is reachable here): an almost empty
#     root whose bin, lib and lib64 point into /usr, with the few /etc
#     files python3 needs. Tests run it with the host's /usr and
#     /etc/alternatives mounted read-only, so Debian's python3 and its
#     BigCodeBench libraries are the same inside and outside.
#
# Idempotent: a second call finds everything in place and returns at once.
# CCW_DOCKER_REBUILD=1 rebuilds the image. Needs root.
set -eu

image=${CCW_DOCKER_IMAGE:-ccw-sandbox-test:latest}
log=${CCW_DOCKERD_LOG:-/var/log/ccw-dockerd.log}

say() { printf 'docker.sh: %s\n' "$*" >&2; }

if ! command -v dockerd >/dev/null 2>&1; then
	say "installing docker.io"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2
fi

if ! docker info >/dev/null 2>&1; then
	# A machine restarted under a running engine leaves its pid files.
	for pidfile in /var/run/docker.pid /run/containerd/containerd.pid; do
		if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			say "removing the stale $pidfile"
			rm -f "$pidfile"
		fi
	done
	say "starting dockerd (log: $log)"
	nohup dockerd >"$log" 2>&1 &
	i=0
	until docker info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 120 ]; then
			say "dockerd did not come up in 60 s; last lines of $log:"
			tail -n 20 "$log" >&2
			exit 1
		fi
		sleep 0.5
	done
fi

# The version label changes whenever the recipe below does.
recipe=4
if [ "${CCW_DOCKER_REBUILD:-}" != 1 ] &&
	[ "$(docker image inspect --format '{{index .Config.Labels "dev.ccw.recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
	say "image $image is ready"
	exit 0
fi

say "building $image with docker import"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# /sbin stays a real directory: the engine mounts its init (docker-init) there.
mkdir -p "$root/usr" "$root/etc" "$root/tmp" "$root/work" "$root/proc" "$root/sys" "$root/dev" "$root/sbin"
chmod 1777 "$root/tmp"
for d in bin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
# nsswitch.conf: without it glibc asks DNS before /etc/hosts, and
# "localhost" fails to resolve in a container without network.
for f in ld.so.cache ld.so.conf matplotlibrc localtime mime.types nsswitch.conf host.conf gai.conf; do
	if [ -e "/etc/$f" ]; then cp -L "/etc/$f" "$root/etc/$f"; fi
done
for d in ld.so.conf.d python3 python3.11 ssl fonts; do
	if [ -d "/etc/$d" ]; then cp -rL "/etc/$d" "$root/etc/$d"; fi
done
tar -C "$root" -c . | docker import \
	--change 'USER 65534:65534' \
	--change "LABEL dev.ccw.recipe=$recipe" \
	--change 'WORKDIR /work' \
	--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
	- "$image" >/dev/null
say "image $image is ready"
