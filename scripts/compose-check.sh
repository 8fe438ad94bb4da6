#!/usr/bin/env bash
# Bring up compose.yaml's layout (PostgreSQL, two web containers of two processes each, two job
# workers, Caddy with TLS) on loopback ports, run a round trip through the proxy
# (scripts/compose_roundtrip.py: sign-in, case created/read/listed, dashboard, an analytics
# refresh run by a worker), run `printreg backup` in a web container, check that both web
# containers served reads, and take it all down again. Not part of the test suite: it takes minutes (docs/deploy.md, "Build status").
#
# Usage: scripts/compose-check.sh
#
# Environment:
#   OFFLINE=1       build every image from a Debian mirror (no container registry needed):
#                   scripts/build-base-image.sh, deploy/postgres and deploy/caddy, and printreg
#                   on that base; otherwise the registry images named in compose.yaml are used
#   PODMAN_COMPOSE  the compose command (default podman-compose: Debian bookworm's 1.0.3,
#                   which knows no profiles, gets the services named; or a newer one)
#   PYTHON          a Python with printreg's dependencies, for the round trip (default
#                   .venv/bin/python)
#   HTTPS_PORT, HTTP_PORT  the proxy's loopback ports (default 18443 and 18080)
#   BUILD_OPTS      more `podman build` options (e.g. a TLS-inspecting proxy's CA folder,
#                   see Containerfile)
#   KEEP=1          leave the layout running (take it down with `podman-compose -p
#                   printreg-check down -v`)
set -euo pipefail

cd "$(dirname "$0")/.."
PC=${PODMAN_COMPOSE:-podman-compose}
PYTHON=${PYTHON:-.venv/bin/python}
project=printreg-check
password=check-password-$$-$RANDOM

export PRINTREG_SECRET_KEY
PRINTREG_SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')
export PRINTREG_DICOM_UID_SALT POSTGRES_PASSWORD
PRINTREG_DICOM_UID_SALT=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
POSTGRES_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PRINTREG_HOSTNAME=localhost
https_port=${HTTPS_PORT:-18443}
export PRINTREG_HTTPS_PUBLISH=127.0.0.1:$https_port PRINTREG_HTTP_PUBLISH=127.0.0.1:${HTTP_PORT:-18080}
export PRINTREG_SMTP_HOST='' PRINTREG_SMTP_USERNAME='' PRINTREG_SMTP_PASSWORD=''
# podman-compose 1.0.3 has no --profile: it runs any service named, and `up` names them all
if $PC --help 2>&1 | grep -q -- '--profile'; then
    profile=(--profile migrate)
    services=()
else
    profile=()
    services=(db web1 web2 worker1 worker2 proxy)
fi

cleanup() {
    if [[ ${KEEP:-0} != 1 ]]; then
        $PC -p "$project" "${profile[@]}" down -v -t 5 >/dev/null 2>&1 || true
        # podman-compose 1.0.3 leaves the network behind
        podman network rm -f "${project}_default" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

start=$(date +%s)
if [[ ${OFFLINE:-0} == 1 ]]; then
    base=localhost/debian:bookworm-slim
    export PRINTREG_BASE_IMAGE=$base
    export PRINTREG_POSTGRES_IMAGE=localhost/printreg-postgres:15
    export PRINTREG_CADDY_IMAGE=localhost/printreg-caddy:2
    podman image exists "$base" || scripts/build-base-image.sh "$base"
    # shellcheck disable=SC2086  # BUILD_OPTS is a list of options
    nice -n 19 podman build --build-arg "BASE=$base" ${BUILD_OPTS:-} \
        -t "$PRINTREG_POSTGRES_IMAGE" deploy/postgres
    # shellcheck disable=SC2086
    nice -n 19 podman build --build-arg "BASE=$base" ${BUILD_OPTS:-} \
        -t "$PRINTREG_CADDY_IMAGE" deploy/caddy
fi
# --format docker keeps the HEALTHCHECK; built once here so that compose finds the image
# shellcheck disable=SC2086
nice -n 19 podman build --format docker \
    --build-arg "BASE=${PRINTREG_BASE_IMAGE:-docker.io/library/debian:bookworm-slim}" \
    ${BUILD_OPTS:-} -t localhost/printreg:0.1.0 -f Containerfile .
built=$(($(date +%s) - start))

start=$(date +%s)
# the database may still be starting when migrate runs first: try again a few times
for attempt in 1 2 3 4 5; do
    if $PC -p "$project" "${profile[@]}" run --rm migrate; then break; fi
    [[ $attempt == 5 ]] && { echo "printreg db upgrade failed" >&2; exit 1; }
    sleep 5
done
$PC -p "$project" up -d "${services[@]}"
web1=$(podman ps --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=web1" --format '{{.Names}}')
web2=$(podman ps --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=web2" --format '{{.Names}}')
# right after `up`, the network's DNS may not name db yet: try again for a while
for attempt in $(seq 10); do
    podman exec "$web1" printreg synth --facilities 2 --cases 0 --seed 7 && break
    [[ $attempt == 10 ]] && { echo "printreg synth failed" >&2; exit 1; }
    sleep 3
done
printf '%s\n%s\n' "$password" "$password" | podman exec -i "$web1" \
    printreg user add dm@check.example.org --name "Data Manager" --role F0001=data_manager
printf '%s\n%s\n' "$password" "$password" | podman exec -i "$web2" \
    printreg user add admin@check.example.org --name "Admin" --registry-role registry_admin

base_url=https://localhost:$https_port
# Caddy sends requests only to web containers whose /readyz answered its last check (every
# 10 s): wait until both answer, then one check interval more
probe='import urllib.request as u; u.urlopen("http://127.0.0.1:8000/readyz", timeout=4)'
for web in "$web1" "$web2"; do
    for _ in $(seq 90); do
        podman exec "$web" python3.11 -c "$probe" 2>/dev/null && break
        sleep 2
    done
done
sleep 11
for _ in $(seq 90); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 \
        --resolve "localhost:$https_port:127.0.0.1" "$base_url/readyz" || true)
    [[ $code == 200 ]] && break
    sleep 2
done
up=$(($(date +%s) - start))
proxy=$(podman ps --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=proxy" --format '{{.Names}}')
ca=$(mktemp)
podman cp "$proxy:/data/caddy/pki/authorities/local/root.crt" "$ca"
PYTHONPATH=src:. "$PYTHON" scripts/compose_roundtrip.py "$base_url" \
    dm@check.example.org admin@check.example.org "$password" "$ca"
rm -f "$ca"

# `printreg backup` from a web container: its pg_dump against the compose database
podman exec "$web1" printreg backup --out /tmp
echo "ok: printreg backup"

route='GET /api/v1/registries/{registry}/cases/{case_id} 200'
reads1=$(podman logs "$web1" 2>&1 | grep -cF "$route" || true)
reads2=$(podman logs "$web2" 2>&1 | grep -cF "$route" || true)
echo "case reads served: web1 $reads1, web2 $reads2"
((reads1 > 0 && reads2 > 0)) || { echo "one web container served no read" >&2; exit 1; }
echo "images built in ${built} s; layout up and ready in ${up} s"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'printreg|debian' || true
