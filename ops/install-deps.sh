#!/usr/bin/env bash
# Installs the Debian packages eodclear needs to build, run and test, and fetches the Apache Kafka
# broker the kafka-real tests start. Idempotent: packages already present are left alone, and the
# broker is fetched once. Run as root (or through sudo) on Debian 12 (bookworm).
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
  # the real Apache Kafka broker of the kafka-real tests and ops/kafka/ (jars fetched below)
  openjdk-17-jre-headless maven
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The pinned Apache Kafka broker and its runtime dependencies, from Maven Central, into
# $EODCLEAR_KAFKA_HOME (default ~/.cache/eodclear/kafka-<version>) for the invoking user; nothing is
# fetched when a complete copy is there (docs/kafka.md).
/usr/bin/python3 "$(dirname "$0")/kafka/kafka_local.py" fetch
