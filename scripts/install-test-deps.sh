#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to (real peers, not mocks). Idempotent: skips
# apt-get entirely when every package is already there. Each module adds its peers to this list.
set -euo pipefail
PACKAGES=(
  mosquitto            # MQTT broker (uplink, remote management)
  mosquitto-clients    # mosquitto_sub/pub for tests and people
  sip-tester           # sipp: SIP peer for registrar/proxy tests
  sipvicious           # svmap/svwar/svcrack: SIP scanners as hostile input for the SIP engine
  python3-pymodbus     # real Modbus TCP/RTU peer
  socat                # pseudo-terminal pairs (RS-485, LoRa modem)
  qemu-user            # run the arm64 executable
  libc6-arm64-cross    # arm64 loader/libc for qemu-aarch64 -L
  iproute2             # network namespaces for multi-host tests
  util-linux           # unshare (mount namespaces for fake sysfs)
  openssl              # test certificates for mqtts://
  keepalived           # checks the HA example (keepalived -t)
  systemd              # systemd-analyze/sysusers/tmpfiles check the units (nothing is started)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing test packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The broker is started by each test on its own port; the packaged service is not needed.
$SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true
