#!/bin/sh
# Installs a gateway release from an unpacked bundle, or rolls back to the previous one. POSIX sh
# (tested with dash; written for busybox sh too), so it needs nothing the box does not already have.
#
#   sh install.sh [install] [--root DIR] [--board NAME] [--no-start] [--health-timeout SECONDS]
#   sh install.sh rollback  [--root DIR] [--reason TEXT]
#   sh install.sh apply BUNDLE.tar [--root DIR] [--health-timeout SECONDS]   (what gateway-update.service runs)
#   sh install.sh status    [--root DIR]
#
# Release layout (the same for first install, updates and rollbacks):
#   /opt/gateway/releases/{version}-{commit}/   one folder per release: gateway, units, install.sh, manifest
#   /opt/gateway/current  -> releases/…         what systemd runs; switched atomically (rename of a symlink)
#   /opt/gateway/previous -> releases/…         what a rollback goes back to
#   /usr/local/bin/gateway -> /opt/gateway/current/gateway
#   /etc/gateway/gateway.yaml                   the box's config: written only when absent, never replaced
#   /etc/gateway/gateway.env                    GATEWAY_BOARD=… (--board)
#   /var/lib/gateway/                           data (SQLite store); outside releases, survives everything
#   /etc/systemd/system/gateway.service, gateway-rollback.service, gateway-{update,reboot}.{path,service},
#                                               and their multi-user.target.wants/ links
#   /etc/sysusers.d/gateway.conf, /etc/tmpfiles.d/gateway.conf   user `gateway`, groups, directory owners
#
# --root DIR installs into a mounted root file system (an SD card image): nothing is run there;
# systemd-sysusers and systemd-tmpfiles create the user and fix owners on the box's first boot.
# Without --root the running system is changed: user created, units reloaded, service (re)started.
# The release folder name carries the commit because development builds share a version number.
set -eu

ACTION=install ROOT="" BOARD="" START=1 HEALTH_TIMEOUT=0 REASON=manual APPLY_FILE=""
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    install|rollback|status) ACTION=$1 ;;
    apply) ACTION=apply; [ $# -ge 2 ] || die "apply needs a bundle file"; APPLY_FILE=$2; shift ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=${2%/}; shift ;;
    --board) [ $# -ge 2 ] || die "--board needs a name"; BOARD=$2; shift ;;
    --no-start) START=0 ;;
    --health-timeout) [ $# -ge 2 ] || die "--health-timeout needs seconds"; HEALTH_TIMEOUT=$2; shift ;;
    --reason) [ $# -ge 2 ] || die "--reason needs text"; REASON=$2; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

HERE=$(cd "$(dirname "$0")" && pwd)
UNITS="gateway.service gateway-rollback.service gateway-update.path gateway-update.service gateway-reboot.path gateway-reboot.service"
BASE=$ROOT/opt/gateway
if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root $ROOT is not a directory"
  LIVE=0
else
  LIVE=1
  [ "$(id -u)" -eq 0 ] || die "run as root (or pass --root DIR to install into a mounted root file system)"
fi
# systemd is driven only when installing onto the running system and it is the init.
SYSTEMD=0
if [ "$LIVE" -eq 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then SYSTEMD=1; fi

# Atomic symlink switch: make the new link beside the old one, then rename over it (rename(2) is
# atomic, so a power cut leaves either the old or the new target, never none). mv -T (GNU coreutils)
# keeps mv from moving the new link *into* the directory the old link points at. Where mv has no -T
# (some busybox builds), fall back to ln -sfn: correct, but not atomic.
switch_link() { # switch_link TARGET LINK
  ln -sfn "$1" "$2.new"
  if ! mv -Tf "$2.new" "$2" 2>/dev/null; then rm -f "$2.new"; ln -sfn "$1" "$2"; fi
}

release_of() { # the release folder name a link points at, or nothing
  [ -L "$BASE/$1" ] && basename "$(readlink "$BASE/$1")" || true
}

json_field() { # json_field KEY FILE: a top-level string field of manifest.json (pretty-printed by the build)
  sed -n "s/^  \"$1\": \"\\([^\"]*\\)\",\{0,1\}\$/\\1/p" "$2" | head -n 1
}

status() {
  echo "current:  $(release_of current)"
  echo "previous: $(release_of previous)"
  for d in "$BASE"/releases/*/; do
    [ -d "$d" ] || continue
    n=$(basename "$d"); mark=""
    [ -e "$d/.failed" ] && mark=" (failed: $(cat "$d/.failed"))"
    echo "release:  $n$mark"
  done
}

restart_service() {
  [ "$SYSTEMD" -eq 1 ] || return 0
  systemctl daemon-reload
  systemctl reset-failed gateway.service 2>/dev/null || true
  systemctl restart gateway.service
}

wait_healthy() { # wait_healthy SECONDS: 0 when `gateway health` passes in time
  end=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    if "$BASE/current/gateway" health --config "$ROOT/etc/gateway/gateway.yaml" >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  return 1
}

rollback() {
  cur=$(release_of current); prev=$(release_of previous)
  [ -n "$prev" ] && [ -d "$BASE/releases/$prev" ] || die "no previous release to roll back to (current: ${cur:-none})"
  [ "$prev" != "$cur" ] || die "previous and current are the same release ($cur)"
  [ ! -e "$BASE/releases/$prev/.failed" ] || die "previous release $prev is marked failed ($(cat "$BASE/releases/$prev/.failed")); not rolling back onto it"
  if [ "$LIVE" -eq 1 ] && ! "$BASE/releases/$prev/gateway" check-config "$ROOT/etc/gateway/gateway.yaml" >/dev/null 2>&1; then
    die "previous release $prev rejects /etc/gateway/gateway.yaml too: the configuration is at fault, not release $cur; fix it (gateway check-config) instead"
  fi
  [ -n "$cur" ] && echo "$REASON $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$BASE/releases/$cur/.failed"
  switch_link "releases/$prev" "$BASE/current"
  [ -n "$cur" ] && switch_link "releases/$cur" "$BASE/previous"
  say "rolled back from ${cur:-none} to $prev ($REASON)"
  restart_service
}

write_system_files() {
  mkdir -p "$ROOT/etc/sysusers.d" "$ROOT/etc/tmpfiles.d" "$ROOT/etc/systemd/system/multi-user.target.wants" "$ROOT/usr/local/bin"
  # sysusers.d(5): a system user with its own group, and the device groups it joins.
  cat > "$ROOT/etc/sysusers.d/gateway.conf" <<'SYSUSERS'
u gateway - "Field gateway" /var/lib/gateway
g dialout -
g gpio -
m gateway dialout
m gateway gpio
SYSUSERS
  # tmpfiles.d(5): config and data directories owned by the service user (applied at every boot).
  # "Z" (recursive) rather than "z" on gateway.yaml: on first boot the file is still root's inside a
  # gateway-owned directory, which tmpfiles refuses to follow as an unsafe path transition.
  cat > "$ROOT/etc/tmpfiles.d/gateway.conf" <<'TMPFILES'
d /etc/gateway 0750 gateway gateway -
Z /etc/gateway - gateway gateway -
d /var/lib/gateway 0750 gateway gateway -
d /var/lib/gateway/update 0750 gateway gateway -
TMPFILES
  for u in $UNITS; do cp "$HERE/$u" "$ROOT/etc/systemd/system/"; done
  ln -sfn ../gateway.service "$ROOT/etc/systemd/system/multi-user.target.wants/gateway.service"
  ln -sfn ../gateway-update.path "$ROOT/etc/systemd/system/multi-user.target.wants/gateway-update.path"
  ln -sfn ../gateway-reboot.path "$ROOT/etc/systemd/system/multi-user.target.wants/gateway-reboot.path"
  ln -sfn /opt/gateway/current/gateway "$ROOT/usr/local/bin/gateway"
}

create_user_live() {
  if command -v systemd-sysusers >/dev/null 2>&1; then systemd-sysusers /etc/sysusers.d/gateway.conf
  else # no systemd-sysusers (minimal images): shadow-utils or busybox
    for g in gateway dialout gpio; do getent group "$g" >/dev/null || groupadd -r "$g" 2>/dev/null || addgroup -S "$g"; done
    id gateway >/dev/null 2>&1 || useradd -r -g gateway -d /var/lib/gateway -s /usr/sbin/nologin gateway 2>/dev/null \
      || adduser -S -G gateway -h /var/lib/gateway -s /sbin/nologin gateway
    for g in dialout gpio; do usermod -aG "$g" gateway 2>/dev/null || addgroup gateway "$g"; done
  fi
  if command -v systemd-tmpfiles >/dev/null 2>&1; then systemd-tmpfiles --create /etc/tmpfiles.d/gateway.conf
  else mkdir -p /var/lib/gateway/update; chown -R gateway:gateway /etc/gateway /var/lib/gateway; chmod 0750 /etc/gateway /var/lib/gateway; fi
}

install_release() {
  cd "$HERE"
  for f in gateway $UNITS gateway.yaml install.sh manifest.json manifest.sig SHA256SUMS; do
    [ -f "$f" ] || die "missing file in bundle: $f"
  done
  # Transfer/extraction integrity. The signature was checked on the whole bundle before unpacking
  # (scripts/flash, or the running gateway for an update); SHA256SUMS is covered by that signature.
  sha256sum -c SHA256SUMS >/dev/null 2>&1 || die "checksum mismatch: $(sha256sum -c SHA256SUMS 2>&1 | grep -v ': OK$' | head -n 3 | tr '\n' ' ')"
  version=$(json_field version manifest.json); commit=$(json_field commit manifest.json)
  [ -n "$version" ] && [ -n "$commit" ] || die "manifest.json has no version/commit"
  if [ "$LIVE" -eq 1 ]; then # the executable must run on this CPU before anything is switched
    ./gateway --version >/dev/null 2>&1 || die "./gateway does not run on this machine ($(uname -m)): wrong arch or CPU (illegal instruction?)"
  fi
  name="$version-$commit"
  mkdir -p "$BASE/releases"
  cur=$(release_of current)
  if [ -d "$BASE/releases/$name" ] && ! cmp -s "$BASE/releases/$name/manifest.json" manifest.json; then
    # Same version and commit but other bytes (a rebuilt dirty tree): keep the running one intact.
    [ "$name" = "$cur" ] && name="$name-$(date +%s)" || rm -rf "$BASE/releases/$name"
  fi
  if [ ! -d "$BASE/releases/$name" ]; then
    stage="$BASE/releases/.staging-$$"
    rm -rf "$stage"; mkdir -p "$stage"
    cp gateway $UNITS gateway.yaml install.sh manifest.json manifest.sig SHA256SUMS "$stage/"
    [ -f keepalived.conf.example ] && cp keepalived.conf.example "$stage/"
    chmod 0755 "$stage/gateway" "$stage/install.sh"
    sync 2>/dev/null || true
    mv "$stage" "$BASE/releases/$name"
    say "installed release $name into $BASE/releases/$name"
  else
    say "release $name is already installed"
  fi
  rm -f "$BASE/releases/$name/.failed"

  mkdir -p "$ROOT/etc/gateway" "$ROOT/var/lib/gateway"
  if [ -e "$ROOT/etc/gateway/gateway.yaml" ]; then say "keeping the existing $ROOT/etc/gateway/gateway.yaml"
  else cp gateway.yaml "$ROOT/etc/gateway/gateway.yaml"; chmod 0640 "$ROOT/etc/gateway/gateway.yaml"; say "wrote the default $ROOT/etc/gateway/gateway.yaml"; fi
  if [ -n "$BOARD" ]; then echo "GATEWAY_BOARD=$BOARD" > "$ROOT/etc/gateway/gateway.env"
  elif [ ! -e "$ROOT/etc/gateway/gateway.env" ]; then echo "GATEWAY_BOARD=sim" > "$ROOT/etc/gateway/gateway.env"; fi
  write_system_files
  [ "$LIVE" -eq 1 ] && create_user_live

  if [ "$cur" != "$name" ]; then
    [ -n "$cur" ] && [ -d "$BASE/releases/$cur" ] && switch_link "releases/$cur" "$BASE/previous"
    switch_link "releases/$name" "$BASE/current"
    say "current -> releases/$name${cur:+ (previous -> releases/$cur)}"
  fi
  # Keep only current and previous: a release is ~100 MB and boxes have small disks.
  keep_prev=$(release_of previous)
  for d in "$BASE"/releases/*/; do
    [ -d "$d" ] || continue
    n=$(basename "$d")
    [ "$n" = "$name" ] || [ "$n" = "$keep_prev" ] || { rm -rf "$d"; say "removed old release $n"; }
  done

  if [ "$SYSTEMD" -eq 1 ]; then
    systemctl daemon-reload
    systemctl enable gateway.service gateway-update.path gateway-reboot.path >/dev/null 2>&1 || true
    systemctl start gateway-update.path gateway-reboot.path >/dev/null 2>&1 || true
    if [ "$START" -eq 1 ]; then
      restart_service
      say "gateway.service restarted; follow it with: journalctl -u gateway -f"
      if [ "$HEALTH_TIMEOUT" -gt 0 ]; then
        if wait_healthy "$HEALTH_TIMEOUT"; then say "healthy"; else
          say "not healthy within $HEALTH_TIMEOUT s; rolling back"
          REASON="unhealthy-after-install"; rollback; exit 1
        fi
      fi
    fi
  elif [ "$LIVE" -eq 0 ]; then
    say "installed into $ROOT; the box creates user 'gateway' and starts the service on its next boot"
  fi
}

# apply: the update path. The bundle is checked by the RUNNING release's executable (the key it was
# built to trust, this machine's arch) before its own install.sh is run; the result goes beside it as
# result.json; the bundle is always removed so gateway-update.path does not fire again.
apply_bundle() {
  f=$APPLY_FILE
  rdir=$(dirname "$f")
  result() { # result OK MESSAGE
    msg=$(printf '%s' "$2" | tr -d '"\\' | tr '\n' ' ')
    printf '{"ok":%s,"release":"%s","message":"%s","ts":"%s"}\n' "$1" "$(release_of current)" "$msg" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$rdir/result.json.tmp"
    mv -f "$rdir/result.json.tmp" "$rdir/result.json"
  }
  [ -f "$f" ] || die "apply: $f does not exist"
  if ! out=$("$BASE/current/gateway" verify-bundle "$f" 2>&1); then
    rm -f "$f"; result false "rejected: $out"; die "apply: rejected: $out"
  fi
  work=$(mktemp -d)
  if ! tar -xf "$f" -C "$work" 2>/dev/null; then rm -rf "$work" "$f"; result false "cannot unpack $f"; die "apply: cannot unpack $f"; fi
  rm -f "$f"
  set -- install --health-timeout "$HEALTH_TIMEOUT"
  [ -n "$ROOT" ] && set -- "$@" --root "$ROOT"
  if out=$(sh "$work/install.sh" "$@" 2>&1); then rc=0; else rc=$?; fi
  rm -rf "$work"
  echo "$out"
  if [ "$rc" -eq 0 ]; then result true "installed"; else result false "$(echo "$out" | tail -n 1)"; fi
  return "$rc"
}

case "$ACTION" in
  install) install_release ;;
  apply) apply_bundle ;;
  rollback) rollback ;;
  status) status ;;
esac
