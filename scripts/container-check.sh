#!/usr/bin/env bash
# Build the printreg image and check that it runs: a web container (the image's own command,
# `printreg serve --workers 2`) and a job worker on one SQLite data volume, published on a
# loopback port only; /healthz, /readyz (database, migrations, a worker seen) and the image's
# HEALTHCHECK must answer. Prints the build time and image size. Not part of the test suite:
# it takes minutes (docs/deploy.md, "Build status", has the figures).
#
# Usage: scripts/container-check.sh
#
# Environment:
#   BASE        base image (default docker.io/library/debian:bookworm-slim). A localhost/...
#               name that does not exist yet is made by scripts/build-base-image.sh.
#   TAG         image to build (default localhost/printreg:0.1.0)
#   PORT        loopback port for the web container (default 18000)
#   BUILD_OPTS  more `podman build` options, e.g. the CA folder of a TLS-inspecting proxy:
#               BUILD_OPTS="-v /usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro"
#   KEEP=1      leave the containers and the volume for a look (removed otherwise)
#
# On a host whose podman needs other defaults (see docs/deploy.md, "Build status"), point
# CONTAINERS_CONF at a containers.conf before running this script.
set -euo pipefail

cd "$(dirname "$0")/.."
BASE=${BASE:-docker.io/library/debian:bookworm-slim}
TAG=${TAG:-localhost/printreg:0.1.0}
PORT=${PORT:-18000}
name=printreg-check-$$
volume=$name-data

cleanup() {
    if [[ ${KEEP:-0} != 1 ]]; then
        podman rm -f -t 5 "$name-web" "$name-worker" >/dev/null 2>&1 || true
        podman volume rm -f "$volume" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

if [[ $BASE == localhost/* ]] && ! podman image exists "$BASE"; then
    scripts/build-base-image.sh "$BASE"
fi

# --format docker: the OCI image format has no HEALTHCHECK.
start=$(date +%s)
# shellcheck disable=SC2086  # BUILD_OPTS is a list of options
nice -n 19 podman build --format docker --build-arg "BASE=$BASE" ${BUILD_OPTS:-} \
    -t "$TAG" -f Containerfile .
build_seconds=$(($(date +%s) - start))
size=$(podman image inspect --format '{{.Size}}' "$TAG")

secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')
salt=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
env=(
    -e "PRINTREG_SECRET_KEY=$secret"
    -e "PRINTREG_DICOM_UID_SALT=$salt"
    -e "PRINTREG_DATABASE_URL=sqlite:////var/lib/printreg/data/printreg.db"
    -e "PRINTREG_JOB_RUNNER=queue"
)
podman volume create "$volume" >/dev/null
podman run --rm --network none "${env[@]}" -v "$volume:/var/lib/printreg/data" "$TAG" \
    printreg db upgrade
podman run -d --name "$name-worker" --network none "${env[@]}" \
    -v "$volume:/var/lib/printreg/data" "$TAG" printreg worker >/dev/null
podman run -d --name "$name-web" -p "127.0.0.1:$PORT:8000" "${env[@]}" \
    -v "$volume:/var/lib/printreg/data" "$TAG" >/dev/null

status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT$1" || true; }
start=$(date +%s)
until [[ $(status /healthz) == 200 ]]; do
    if (($(date +%s) - start > 90)); then
        echo "web container did not answer /healthz within 90 s:" >&2
        podman logs --tail 40 "$name-web" >&2
        exit 1
    fi
    sleep 1
done
ready_seconds=$(($(date +%s) - start))
# the worker's first heartbeat may come a moment after the web process is up
for _ in $(seq 30); do
    [[ $(status /readyz) == 200 ]] && break
    sleep 1
done
echo "/healthz: $(curl -s --max-time 5 "http://127.0.0.1:$PORT/healthz")"
echo "/readyz:  $(curl -s --max-time 5 "http://127.0.0.1:$PORT/readyz")"
[[ $(status /readyz) == 200 ]] || { echo "/readyz is not 200" >&2; exit 1; }
podman healthcheck run "$name-web" && echo "HEALTHCHECK: healthy"
echo "web processes: $(podman top "$name-web" args | grep -c 'multiprocessing.spawn' || true)"

echo "image $TAG on $BASE: $((size / 1000000)) MB, built in ${build_seconds} s," \
    "answered /healthz ${ready_seconds} s after start"
