#!/usr/bin/env bash
# Installs the Debian packages eodclear needs to build, run and test. Idempotent: packages already
# present are left alone. Run as root (or through sudo) on Debian 12 (bookworm).
set -euo pipefail

packages=(
  # build
  cmake g++ ninja-build pkg-config
  # libraries
  librdkafka-dev librocksdb-dev libprotobuf-dev protobuf-compiler prometheus-cpp-dev
  libhowardhinnant-date-dev tzdata libcli11-dev libssl-dev
  # tests
  libgtest-dev libgmock-dev python3 python3-kafka python3-protobuf kcat
  prometheus prometheus-pushgateway
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
