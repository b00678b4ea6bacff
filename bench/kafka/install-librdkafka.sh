#!/usr/bin/env bash
# Installs @confluentinc/kafka-javascript (librdkafka) for bench/kafka only, outside the repo in
# ~/.cache/torghut-alpaca/bench/. The npm package ships librdkafka as source, no binary: a plain
# `npm install` fails offline (the prebuilt download goes to GitHub, the fallback build downloads
# OpenSSL, zlib, zstd and curl sources). CKJS_LINKING=dynamic builds it against Debian's
# libssl-dev and zlib1g-dev instead (a C/C++ toolchain, make and python3 needed; 2-10 minutes on
# 2 cores). Prints the install directory on success; exits non-zero with npm's log tail otherwise.
set -euo pipefail
version="${CKJS_VERSION:-1.10.1}"
dir="${HOME}/.cache/torghut-alpaca/bench/confluent-kafka-javascript-${version}"
if [[ -f "${dir}/.installed" ]]; then
  echo "${dir}"
  exit 0
fi
rm -rf "${dir}.tmp"
mkdir -p "${dir}.tmp"
cd "${dir}.tmp"
echo '{"name":"bench-librdkafka","private":true}' >package.json
if ! CKJS_LINKING=dynamic npm install --no-audit --no-fund "@confluentinc/kafka-javascript@${version}" >install.log 2>&1; then
  tail -n 15 install.log >&2
  exit 1
fi
touch .installed
cd /
rm -rf "${dir}"
mv "${dir}.tmp" "${dir}"
echo "${dir}"
