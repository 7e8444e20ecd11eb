#!/usr/bin/env bash
# Install the Debian packages Rempart needs, only those missing, so `make` works on a fresh
# Debian machine: a compiler and Python headers (pdqhash and vpdq build from source), venv,
# FFmpeg libraries (video decoding for vPDQ), and PostgreSQL for CI (WITH_POSTGRES=1).
set -euo pipefail
pkgs=(build-essential cmake python3-dev python3-venv ffmpeg pkg-config libavcodec-dev libavformat-dev libavdevice-dev libavfilter-dev
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
