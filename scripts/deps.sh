#!/bin/sh
# Install the Debian packages rbpattn needs to build and test, if any is missing.
# Runs apt-get only when something is missing (and as root, or through sudo when available).
set -eu
pkgs="cmake make gcc g++ pkg-config libopenblas-dev libcmocka-dev zlib1g-dev libpng-dev python3-numpy python3-pip doxygen"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "rbpattn: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
