#!/usr/bin/env bash
# Make sure the system packages that the test suite needs are installed.
#
# Usage: scripts/ensure-system-deps.sh postgresql [chromium] [wrk] [orthanc] [oidc]
#
#   postgresql  PostgreSQL server binaries (initdb, pg_ctl, postgres) under
#               /usr/lib/postgresql/*/bin. Only the binaries are wanted: the tests start
#               a throwaway server of their own (tests/support/pgserver.py), so no Debian
#               cluster is created or started here.
#   chromium    The Debian chromium browser (/usr/bin/chromium).
#   wrk         The HTTP load generator that bench/api.py drives the API with (/usr/bin/wrk).
#   orthanc     The Orthanc DICOM server and its DICOMweb plugin (Debian's orthanc and
#               orthanc-dicomweb). Only the binaries are wanted: the PACS tests start a
#               throwaway Orthanc of their own on a loopback port (tests/support/orthanc.py),
#               so the Debian service is neither started nor enabled here.
#   oidc        Node.js (20 or later) and npm, then the locked packages of the OpenID provider
#               that the single sign-on tests start (tests/support/oidc: `npm ci`, only when its
#               node_modules is missing).
#
# Quiet and quick when everything is already there. When something is missing and we are
# root with apt-get, it is installed (apt-get update runs at most once). When it cannot be
# installed here (not root, or no apt-get), a loud warning goes to stderr and the script still
# exits 0: the tests that need it skip. A failed install as root is an error (non-zero exit).
set -euo pipefail

usage() {
    echo "usage: $0 postgresql [chromium] [wrk] [orthanc] [oidc]" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage

apt_updated=0
created_policy_rc_d=0

cleanup() {
    if [[ $created_policy_rc_d -eq 1 ]]; then
        rm -f /usr/sbin/policy-rc.d
    fi
}
trap cleanup EXIT

warn_loud() {
    {
        echo
        echo "!!! ======================================================================="
        echo "!!! WARNING: $1"
        echo "!!! ======================================================================="
        echo
    } >&2
}

can_apt_install() {
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1
}

apt_update_once() {
    if [[ $apt_updated -eq 0 ]]; then
        echo "ensure-system-deps: apt-get update" >&2
        apt-get update -qq
        apt_updated=1
    fi
}

# Keep package maintainer scripts from starting services (Debian's policy-rc.d convention:
# exit status 101 means "action forbidden"). Only a policy-rc.d that we created is removed.
forbid_service_starts() {
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        created_policy_rc_d=1
    fi
}

apt_install() {
    echo "ensure-system-deps: apt-get install $*" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null
}

have_postgresql() {
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

ensure_postgresql() {
    if have_postgresql; then
        return 0
    fi
    if ! can_apt_install; then
        warn_loud "PostgreSQL is not installed and cannot be installed here: the PostgreSQL tests will be SKIPPED"
        return 0
    fi
    apt_update_once
    forbid_service_starts
    # postgresql-common first, so that the package does not create (let alone start) the
    # Debian "main" cluster: the tests run a server of their own on a loopback port.
    apt_install postgresql-common
    local conf=/etc/postgresql-common/createcluster.conf
    if [[ -f $conf ]] && ! grep -Eq '^[[:space:]]*create_main_cluster[[:space:]]*=[[:space:]]*false' "$conf"; then
        sed -i -E 's/^[#[:space:]]*create_main_cluster[[:space:]]*=.*$/create_main_cluster = false/' "$conf"
        grep -Eq '^create_main_cluster = false' "$conf" || echo 'create_main_cluster = false' >>"$conf"
    fi
    apt_install postgresql
    if ! have_postgresql; then
        echo "ensure-system-deps: installed postgresql but found no /usr/lib/postgresql/*/bin/initdb" >&2
        exit 1
    fi
}

have_chromium() {
    [[ -x /usr/bin/chromium ]]
}

ensure_chromium() {
    if have_chromium; then
        return 0
    fi
    if ! can_apt_install; then
        warn_loud "Chromium is not installed and cannot be installed here: the browser tests will be SKIPPED"
        return 0
    fi
    apt_update_once
    forbid_service_starts
    apt_install chromium
    if ! have_chromium; then
        echo "ensure-system-deps: installed chromium but found no /usr/bin/chromium" >&2
        exit 1
    fi
}

have_wrk() {
    command -v wrk >/dev/null 2>&1
}

ensure_wrk() {
    if have_wrk; then
        return 0
    fi
    if ! can_apt_install; then
        warn_loud "wrk is not installed and cannot be installed here: bench/api.py cannot run"
        return 0
    fi
    apt_update_once
    apt_install wrk
    if ! have_wrk; then
        echo "ensure-system-deps: installed wrk but found no wrk command" >&2
        exit 1
    fi
}

have_orthanc() {
    [[ -x /usr/sbin/Orthanc ]] && compgen -G '/usr/share/orthanc/plugins/libOrthancDicomWeb.so*' >/dev/null
}

ensure_orthanc() {
    if have_orthanc; then
        return 0
    fi
    if ! can_apt_install; then
        warn_loud "Orthanc is not installed and cannot be installed here: the PACS tests will be SKIPPED"
        return 0
    fi
    apt_update_once
    # The package would start (and enable) a system Orthanc on port 4242/8042: the tests run
    # their own on a free loopback port instead.
    forbid_service_starts
    apt_install orthanc orthanc-dicomweb
    if ! have_orthanc; then
        echo "ensure-system-deps: installed orthanc but found no Orthanc command or DICOMweb plugin" >&2
        exit 1
    fi
}

have_node() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
        [[ $(node -p 'process.versions.node.split(".")[0]') -ge 20 ]]
}

ensure_oidc() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/support/oidc"
    if ! have_node; then
        if ! can_apt_install; then
            warn_loud "Node.js 20+ and npm are not installed and cannot be installed here: the single sign-on tests will be SKIPPED"
            return 0
        fi
        apt_update_once
        apt_install nodejs npm
        if ! have_node; then
            warn_loud "Node.js 20 or later is not available from apt here: the single sign-on tests will be SKIPPED"
            return 0
        fi
    fi
    if [[ -d $dir/node_modules/oidc-provider ]]; then
        return 0
    fi
    echo "ensure-system-deps: npm ci in tests/support/oidc" >&2
    if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
        warn_loud "npm ci failed in tests/support/oidc: the single sign-on tests will be SKIPPED"
    fi
}

# Check every argument before installing anything.
for dep in "$@"; do
    case "$dep" in
        postgresql | chromium | wrk | orthanc | oidc) ;;
        *)
            echo "ensure-system-deps: unknown dependency: $dep" >&2
            usage
            ;;
    esac
done

for dep in "$@"; do
    case "$dep" in
        postgresql) ensure_postgresql ;;
        chromium) ensure_chromium ;;
        wrk) ensure_wrk ;;
        orthanc) ensure_orthanc ;;
        oidc) ensure_oidc ;;
    esac
done
