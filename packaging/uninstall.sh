#!/bin/sh
# Removes what install.sh installed: stops and disables edge-telemetry.service,
# removes the program, the unit and the docs. Keeps the config
# (/etc/edge-telemetry) and the daemon's state (/var/lib/edge-telemetry) unless
# --purge, which removes them and the unit's drop-ins
# (/etc/systemd/system/edge-telemetry.service.d) too. DESTDIR=DIR works as for
# install.sh (nothing is stopped then). For an RPM install use rpm -e instead.
set -eu

dest=${DESTDIR:-}
dest=${dest%/}
purge=no

say() { printf 'uninstall.sh: %s\n' "$*"; }
die() { printf 'uninstall.sh: %s\n' "$*" >&2; exit 1; }

for arg in "$@"; do
  case "$arg" in
    --purge) purge=yes ;;
    -h | --help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (only --purge)" ;;
  esac
done

unit=etc/systemd/system/edge-telemetry.service
if [ -z "$dest" ]; then
  [ "$(id -u)" -eq 0 ] || die "must run as root (or set DESTDIR=DIR to uninstall from under DIR)"
  if command -v rpm >/dev/null 2>&1 && rpm -q edge-telemetry >/dev/null 2>&1; then
    die "edge-telemetry is installed as an RPM here: remove it with rpm -e edge-telemetry (or dnf remove edge-telemetry)"
  fi
  # Only where systemd runs (not in a container build).
  if [ -d /run/systemd/system ] && [ -e "/$unit" ]; then
    systemctl disable --now edge-telemetry.service || say "could not stop or disable edge-telemetry.service; removing it anyway"
  fi
fi

rm -f "$dest/$unit"
rm -rf "$dest/usr/local/lib/edge-telemetry" "$dest/usr/local/share/doc/edge-telemetry"
# Only our link, never a file of someone else's by that name.
link=$dest/usr/local/bin/edge-telemetry
# (An earlier release linked the bundle itself.)
if [ -L "$link" ]; then
  case $(readlink "$link") in
    ../lib/edge-telemetry/edge-telemetry | ../lib/edge-telemetry/edge-telemetry.mjs) rm -f "$link" ;;
  esac
fi

if [ "$purge" = yes ]; then
  rm -rf "$dest/etc/edge-telemetry" "$dest/var/lib/edge-telemetry" "$dest/$unit.d"
  say "removed edge-telemetry, its config, its drop-ins and its state"
else
  say "removed edge-telemetry; kept /etc/edge-telemetry and /var/lib/edge-telemetry (uninstall.sh --purge removes them)"
fi
if [ -z "$dest" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
