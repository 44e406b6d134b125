#!/bin/sh
# Installs this edge-telemetry release: copies root/ beside this script into
# place. Run as root on the node, or with DESTDIR=DIR to install under DIR (an
# image build, a test) without being root. Starts nothing: enable the unit
# afterwards (README "Install").
#
# - The program goes under /usr/local, which stays writable on ostree and bootc
#   nodes where /usr is read-only; the unit into /etc/systemd/system.
# - An existing /etc/edge-telemetry/telemetry.yaml is never overwritten: when it
#   differs from this release's, the release's goes beside it as
#   telemetry.yaml.default. Drop-ins in telemetry.d/ are the admin's and never touched.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$here/root
dest=${DESTDIR:-}
dest=${dest%/}

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# No arguments: two releases matched by one glob must not install the first silently.
[ "$#" -eq 0 ] || die "takes no arguments (got: $*); run one release's install.sh, with DESTDIR=DIR to install under DIR"

[ -f "$src/usr/local/lib/edge-telemetry/edge-telemetry.mjs" ] || die "no root/ beside $0: run the install.sh of an unpacked release (npm run package makes one)"

if [ -z "$dest" ]; then
  [ "$(id -u)" -eq 0 ] || die "must run as root: it writes /usr/local, /etc/systemd/system and /etc/edge-telemetry (or set DESTDIR=DIR to install under DIR)"
  if command -v rpm >/dev/null 2>&1 && rpm -q edge-telemetry >/dev/null 2>&1; then
    die "edge-telemetry is installed as an RPM here: upgrade it with the RPM (dnf upgrade), not with install.sh"
  fi
  # The launcher picks the Node.js the unit runs (/usr/bin/node, or the newest
  # /usr/bin/node-<major>) and refuses a line that is not supported; under
  # DESTDIR the node being built may get its Node.js later, so only a real
  # install asks it.
  which_node=$("$src/usr/local/lib/edge-telemetry/edge-telemetry" --which-node 2>&1) || die "${which_node#edge-telemetry: }"
fi

# The program: the launcher, the bundle and, when the release has them, its on-demand chunks.
# Files of an earlier version that this one no longer has are left in place:
# a daemon still running the old version may load them until it restarts.
lib=usr/local/lib/edge-telemetry
for file in "$src/$lib"/*; do
  base=${file##*/}
  case "$base" in
    edge-telemetry | edge-telemetry.mjs) mode=0755 ;;
    *) mode=0644 ;;
  esac
  install -D -m "$mode" "$file" "$dest/$lib/$base"
done
install -d -m 0755 "$dest/usr/local/bin"
ln -sfn ../lib/edge-telemetry/edge-telemetry "$dest/usr/local/bin/edge-telemetry"

install -D -m 0644 "$src/etc/systemd/system/edge-telemetry.service" "$dest/etc/systemd/system/edge-telemetry.service"

# Docs: replaced whole, they are the release's.
doc=usr/local/share/doc/edge-telemetry
rm -rf "$dest/$doc"
(cd "$src/$doc" && find . -type f) | while IFS= read -r file; do
  install -D -m 0644 "$src/$doc/$file" "$dest/$doc/$file"
done

# Config: 0600, the daemon (root) is its only reader and a proxy password may end up in it.
install -d -m 0755 "$dest/etc/edge-telemetry" "$dest/etc/edge-telemetry/telemetry.d"
config=etc/edge-telemetry/telemetry.yaml
if [ -e "$dest/$config" ] || [ -L "$dest/$config" ]; then
  if cmp -s "$src/$config" "$dest/$config"; then
    say "kept /$config (same as this release's)"
  else
    install -m 0600 "$src/$config" "$dest/$config.default"
    say "kept your /$config; this release's default is in /$config.default"
  fi
else
  install -m 0600 "$src/$config" "$dest/$config"
fi

say "installed edge-telemetry into ${dest:-/}"
if [ -z "$dest" ]; then
  say "it runs on Node.js ${which_node#* } (${which_node%% *})"
  say "next: systemctl daemon-reload && systemctl enable --now edge-telemetry.service (an upgrade: systemctl restart edge-telemetry.service)"
fi
