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
  # The unit runs /usr/bin/node. Under DESTDIR the node being built may get its
  # Node later, so only a real install checks it.
  [ -x /usr/bin/node ] || die "/usr/bin/node not found: install Node.js 20.11 or later first (RHEL: dnf module install nodejs:20, or dnf install nodejs on RHEL 10)"
  node_version=$(/usr/bin/node -p process.versions.node 2>/dev/null) || die "/usr/bin/node does not run"
  major=${node_version%%.*}
  minor=${node_version#*.}
  minor=${minor%%.*}
  case "$major.$minor" in
    *[!0-9.]* | .* | *.) die "/usr/bin/node reports version '$node_version'; edge-telemetry needs Node.js 20.11 or later" ;;
  esac
  if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 11 ]; } || [ "$major" -eq 21 ]; then
    die "/usr/bin/node is Node.js $node_version; edge-telemetry needs 20.11 or later (21 is not supported): upgrade Node.js first"
  fi
fi

# The program: the bundle and, when the release has them, its on-demand chunks.
# Files of an earlier version that this one no longer has are left in place:
# a daemon still running the old version may load them until it restarts.
lib=usr/local/lib/edge-telemetry
for file in "$src/$lib"/*; do
  base=${file##*/}
  case "$base" in
    edge-telemetry.mjs) mode=0755 ;;
    *) mode=0644 ;;
  esac
  install -D -m "$mode" "$file" "$dest/$lib/$base"
done
install -d -m 0755 "$dest/usr/local/bin"
ln -sfn ../lib/edge-telemetry/edge-telemetry.mjs "$dest/usr/local/bin/edge-telemetry"

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
  say "next: systemctl daemon-reload && systemctl enable --now edge-telemetry.service (an upgrade: systemctl restart edge-telemetry.service)"
fi
