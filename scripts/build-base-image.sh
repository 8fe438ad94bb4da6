#!/usr/bin/env bash
# Build a Debian bookworm base image from a Debian mirror, for machines that reach a Debian
# mirror (or a local copy of one) but no container registry: hospital networks, air-gapped
# build hosts. The image stands in for docker.io/library/debian:bookworm-slim:
#
#   scripts/build-base-image.sh                       # -> localhost/debian:bookworm-slim
#   podman build --build-arg BASE=localhost/debian:bookworm-slim -t printreg:0.1.0 .
#
# Usage: scripts/build-base-image.sh [TAG] [MIRROR...]
#
#   TAG     image name to create (default localhost/debian:bookworm-slim)
#   MIRROR  apt source(s) passed to mmdebstrap: a mirror URL, a "deb ..." line or a
#           sources.list file. Without one, mmdebstrap uses Debian's default mirror and adds
#           bookworm-updates and bookworm-security. The image's /etc/apt/sources.list is what is
#           given here, so the printreg build's `apt-get install` uses the same mirror.
#
# Needs root, mmdebstrap and podman (Debian: apt-get install mmdebstrap podman). Like the
# official slim image, it is the "minbase" variant (essential packages + apt) with a merged /usr
# set up by mmdebstrap's hook (not the usrmerge package, which would pull in perl), without
# manual pages, documentation other than copyright files, and translations, and with the same
# apt clean-up after every install (no .deb files or package caches left in a layer). Takes
# about a minute and a half. Set SOURCE_DATE_EPOCH for a reproducible tarball.
set -euo pipefail

tag=${1:-localhost/debian:bookworm-slim}
shift || true

for tool in mmdebstrap podman; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool is missing (Debian: apt-get install $tool)" >&2
        exit 1
    fi
done

# The image's tar goes straight into podman: no file is left behind. The customize hook's "$1"
# (the new root) is expanded by the shell mmdebstrap runs it in, hence the single quotes.
# shellcheck disable=SC2016
nice -n 19 mmdebstrap \
    --variant=minbase \
    --mode=auto \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --customize-hook='cat > "$1/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
rm -f "$1"/var/cache/apt/*.bin' \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    bookworm - "$@" \
    | podman import \
        --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --message "debian bookworm minbase (mmdebstrap)" \
        - "$tag"

podman image ls "$tag"
