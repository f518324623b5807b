#!/usr/bin/env bash
# Installs the real peers the interop tests talk to (Debian packages), when missing:
# Event::RPC with JSON::XS, CBOR::XS, Sereal and AnyEvent; neovim; chromium for the browser test; haproxy and
# nats-server for the scaling-out tests.
# Runs as root in CI; elsewhere uses sudo if it can, and otherwise says what to install.
set -euo pipefail
packages=(perl libjson-xs-perl libcbor-xs-perl libsereal-encoder-perl libsereal-decoder-perl libevent-rpc-perl libanyevent-perl neovim chromium haproxy nats-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "setup-peers: please install these Debian packages: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup-peers: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
