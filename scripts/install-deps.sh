#!/bin/sh
# Install the Debian packages racelab needs, if any is missing.
# Usage: scripts/install-deps.sh PACKAGE...
# Uses apt-get as root, sudo apt-get otherwise; says what to do when
# neither works. Installs nothing when everything is present.
set -eu

missing=""
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo"
else
    echo "racelab: missing Debian packages:$missing" >&2
    echo "racelab: run as root, or install them: sudo apt-get install$missing" >&2
    exit 1
fi

echo "racelab: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $as_root apt-get install -y --no-install-recommends $missing >/dev/null; then
    echo "racelab: refreshing the package lists and trying again" >&2
    $as_root apt-get update >/dev/null
    # shellcheck disable=SC2086
    $as_root apt-get install -y --no-install-recommends $missing >/dev/null
fi
