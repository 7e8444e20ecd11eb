#!/usr/bin/env bash
# Install the Debian packages Rempart needs (video decoding for vPDQ, PostgreSQL for CI),
# only those missing, so `make` works on a fresh Debian machine.
set -euo pipefail
pkgs=(ffmpeg pkg-config libavcodec-dev libavformat-dev libavdevice-dev libavfilter-dev
      libswscale-dev libswresample-dev libavutil-dev)
if [[ "${WITH_POSTGRES:-0}" == "1" ]]; then pkgs+=(postgresql); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
