#!/usr/bin/env bash
# Builds the images compose.yaml runs on, from Debian's packages alone, for a machine that can
# reach a Debian mirror but no image registry (no `python:3.11-slim` or `postgres` to pull):
#   shop-base:bookworm      Debian 12 minbase (debootstrap), imported with `docker import`
#   shop-postgres:15        Debian's postgresql-15 on that base
#   shop-redis:7            Debian's redis-server
#   shop-caddy:2            Debian's caddy (2.6)
# The app image (Dockerfile) starts FROM shop-base:bookworm. Run as root; takes a few minutes
# once, then each image is reused unless REBUILD=1. DEBIAN_MIRROR picks the mirror.
set -euo pipefail
cd "$(dirname "$0")"
DOCKER=${DOCKER:-docker}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS=${ROOTFS:-/tmp/shop-base-rootfs}

have() { [ -z "${REBUILD:-}" ] && $DOCKER image inspect "$1" >/dev/null 2>&1; }

if ! have shop-base:bookworm; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR"
  # The mirror the image's own apt-get uses, with the security updates.
  cat >"$ROOTFS/etc/apt/sources.list" <<LIST
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
LIST
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  tar -C "$ROOTFS" -c . | $DOCKER import \
    -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/bash"]' - shop-base:bookworm
  rm -rf "$ROOTFS"
fi

# --network host: the build's apt-get reaches the mirror the way the host does.
for image in postgres:15 redis:7 caddy:2; do
  name=${image%%:*}
  have "shop-$image" || $DOCKER build --network host -t "shop-$image" -f "images/$name.Dockerfile" images
done
$DOCKER image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^shop-' || true
