#!/bin/sh
# edge-telemetry's launcher, installed as /usr/local/lib/edge-telemetry/edge-telemetry:
# the unit's ExecStart and the /usr/local/bin/edge-telemetry link both run it.
# It finds the node's Node.js, refuses a line edge-telemetry is not tested on,
# and execs the program (edge-telemetry.mjs beside it) with the V8 flags of
# that line, so the daemon keeps its PID (systemd's MainPID) and its signals.
#
# Which Node.js: $EDGE_TELEMETRY_NODE when set (a drop-in's
# Environment=EDGE_TELEMETRY_NODE=/usr/bin/node-24), and only it; else
# /usr/bin/node when it is a supported line; else the newest supported
# /usr/bin/node-<major> (RHEL 10's versioned nodejs24 package installs
# /usr/bin/node-24 and no /usr/bin/node).
#
# `edge-telemetry --which-node` prints the Node.js it would run and its
# version, and exits 2 when there is none it supports (install.sh asks this);
# `--node-flags` prints the V8 flags it would give it (the tests ask this).
#
# Exit 2, one line on stderr, for no usable Node.js: like a config error, a
# restart cannot fix it (the unit's RestartPreventExitStatus=2).
set -u

# A reload (SIGHUP) or a stray SIGUSR1/SIGUSR2 while this shell runs would be
# its death; ignored here, they stay ignored through the exec until Node
# starts, which restores their defaults until the program's own listeners
# (src/process-guards.ts) are in (npm run bench:signal-window measures it).
# Nothing has been read yet, so an ignored reload loses nothing. (`run`'s
# supervising loop below traps HUP and TERM itself.)
trap '' HUP USR1 USR2

# The lines edge-telemetry is tested on (package.json "engines", CI's lines);
# 20 from 20.16 and 22 from 22.3 on (process.getBuiltinModule, which the
# program loads Node's builtins by); 20 is end of life since 2026-04-30.
SUPPORTED='20.16+, 22.3+, 24 or 26'

fail() {
  printf 'edge-telemetry: %s\n' "$*" >&2
  exit 2
}

# The major of a "vMAJOR.MINOR.PATCH" if that line is supported, else nothing.
supported_major() {
  version=${1#v}
  major=${version%%.*}
  rest=${version#*.}
  minor=${rest%%.*}
  case $major.$minor in
    *[!0-9.]* | .* | *.) return 1 ;;
  esac
  case $major in
    20) [ "$minor" -ge 16 ] || return 1 ;;
    22) [ "$minor" -ge 3 ] || return 1 ;;
    24 | 26) ;;
    *) return 1 ;;
  esac
  printf '%s\n' "$major"
}

# `node --version` returns before V8 starts: a few milliseconds, no flags needed.
version_of() {
  [ -x "$1" ] && [ ! -d "$1" ] || return 1
  # Bounded in time and size: a broken binary or wrapper that never answers,
  # or one that prints without end, must not hang the start or fill memory.
  # Its first line only: a binary that is not Node.js may say more. Nothing
  # printed is "does not run"; anything else supported_major judges.
  if command -v timeout >/dev/null 2>&1; then
    reported=$(timeout 10 "$1" --version 2>/dev/null </dev/null | head -c 256 | head -n 1)
  else
    reported=$("$1" --version 2>/dev/null </dev/null | head -c 256 | head -n 1)
  fi
  [ -n "$reported" ] || return 1
  printf '%s\n' "$reported"
}

if [ -n "${EDGE_TELEMETRY_NODE:-}" ]; then
  node=$EDGE_TELEMETRY_NODE
  version=$(version_of "$node") || fail "EDGE_TELEMETRY_NODE=$node does not run; set it to a Node.js $SUPPORTED binary"
  major=$(supported_major "$version") || fail "EDGE_TELEMETRY_NODE=$node is Node.js $version; edge-telemetry runs on Node.js $SUPPORTED"
else
  node=
  for candidate in /usr/bin/node /usr/bin/node-26 /usr/bin/node-24 /usr/bin/node-22 /usr/bin/node-20; do
    if version=$(version_of "$candidate") && major=$(supported_major "$version"); then
      node=$candidate
      break
    fi
  done
  if [ -z "$node" ]; then
    if version=$(version_of /usr/bin/node); then
      fail "/usr/bin/node is Node.js $version; edge-telemetry runs on Node.js $SUPPORTED: install one of them (README \"Install\"), or point EDGE_TELEMETRY_NODE at one"
    fi
    fail "no Node.js at /usr/bin/node (or /usr/bin/node-<major>): install Node.js $SUPPORTED (README \"Install\")"
  fi
fi

# The V8 flags, on the command line because Node refuses --lite-mode in
# NODE_OPTIONS. Each memory flag is kept on a line only where an A/B of
# npm run bench:footprint in one run showed it helps there (docs/footprint.md).
# - --max-old-space-size=64, --max-semi-space-size=1: a small, bounded heap
#   (the daemon holds at most maxBufferedSamples samples).
# - --lite-mode: V8 without its optimizing compilers (jitless), which saves
#   memory for a daemon idle between ticks, and is what lets it run under the
#   unit's MemoryDenyWriteExecute=yes. Jitless V8 has no WebAssembly; the
#   bundle takes node:http through require() so that nothing loads Node's
#   undici, which needs it (scripts/package.mjs).
# - --single-threaded-gc: no GC helper threads (-0.3 to -0.6 MB on 20; without
#   it +0.6 on 22, +0.8 on 24, +0.1 on 26).
# - --expose-gc: the daemon runs a memory-reducing collection after each tick
#   and send, and minor ones between a send's steps (src/base/heap-shrink.ts;
#   without it +2.8 MB on 22 and 24, +1.2 on 26).
flags='--max-semi-space-size=1 --max-old-space-size=64 --single-threaded-gc --expose-gc'
# - --gc-memory-reducer-start-delay-ms=1000 (Node 20 only): V8 gives start-up's
#   garbage back after 1 s instead of 8 s. On 22, 24 and 26 the first tick's
#   memory-reducing collection does that, and the flag measured 0.0, -0.2 and
#   0.0 MB there.
# - --no-compilation-cache (V8 12 on: Node 22, 24, 26): V8 caches what
#   vm.compileFunction compiles, by its source, so the YAML parser the daemon
#   compiles for each read and drops (src/base/yaml-parse-evictable.ts) stayed in
#   the heap (~0.4 MB); V8 11 (Node 20) does not cache it. The daemon compiles
#   nothing twice on purpose, so the cache saves it nothing.
# - --no-expose-wasm (V8 11 and 12: Node 20, 22): they print "disabling flag
#   --expose_wasm due to conflicting flags" at every start under --lite-mode
#   unless told first; V8 13 and later have no such flag and refuse it.
# - --disable-sigusr1 (22.14 and later, 24, 26): SIGUSR1 would open Node's
#   inspector, unauthenticated, on 127.0.0.1:9229 in a root process that holds
#   the pull secret; the program's own listener (src/process-guards.ts) shuts
#   it once the program runs, this flag from Node's first instruction on.
#   Node 20 and 22.0-22.13 do not have it.
case $major in
  20) flags="$flags --gc-memory-reducer-start-delay-ms=1000 --no-expose-wasm --lite-mode" ;;
  22) flags="$flags --no-compilation-cache --no-expose-wasm --lite-mode" ;;
  *) flags="$flags --no-compilation-cache --lite-mode" ;;
esac
minor=${version#v}
minor=${minor#*.}
minor=${minor%%.*}
if [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 14 ]; }; then
  flags="$flags --disable-sigusr1"
fi

# For install.sh and the tests: which Node.js, and which flags, nothing run.
case ${1:-} in
  --which-node)
    printf '%s %s\n' "$node" "$version"
    exit 0
    ;;
  --node-flags)
    printf '%s\n' "$flags"
    exit 0
    ;;
esac

here=$(dirname "$(readlink -f "$0")")

# Every command but `run`, and `run` with EDGE_TELEMETRY_RESIDENT=yes: Node.js
# in this process, which keeps its PID and its signals.
if [ "${1:-}" != run ] || [ "${EDGE_TELEMETRY_RESIDENT:-}" = yes ]; then
  # shellcheck disable=SC2086 # $flags is a list of words
  exec "$node" $flags "$here/edge-telemetry.mjs" "$@"
fi

# `run`: this shell stays (the unit's MainPID) and runs Node.js as its child
# while there is work; between ticks the daemon saves what it knows in dataDir,
# writes how many seconds to wait into $wake_file and exits, and this shell
# waits in `sleep` (about 3 MB with dash, against Node.js's 45 to 60) until
# then, or until a reload or a stop comes (docs/architecture.md "Waiting
# without Node.js"). EDGE_TELEMETRY_WAKE tells the daemon why it was started.
wake_file=$(mktemp "${TMPDIR:-/tmp}/edge-telemetry-wake.XXXXXX") ||
  fail "cannot make a file in ${TMPDIR:-/tmp} (the unit's PrivateTmp)"
# How the wait is waited. bash (RHEL's /bin/sh) waits in its own `read -t` on
# a FIFO only it holds open: no `sleep` process, whose 1.8 MB would make the
# wait's 3.1 MB (bash's own) 4.9. A trapped signal ends that read at once in
# bash's POSIX mode (as /bin/sh); the traps also write a line into the FIFO,
# which ends it where it would not. dash (Debian's) has no `read -t`: it runs
# `sleep` and waits for it (1.6 MB for dash, 1.8 for sleep).
fifo=
if [ -n "${BASH_VERSION:-}" ]; then
  fifo=$wake_file.wait
  if mkfifo -m 600 "$fifo" 2>/dev/null && exec 3<>"$fifo"; then
    rm -f "$fifo"
  else
    rm -f "$fifo"
    fifo=
  fi
fi
child=
sleeper=
hup=0
forwarded=0
term=0
stop_tries=0
# The child's exit status by `wait`; `wait` returns early (above 128) when a
# trapped signal comes, so it is asked again while the child is not reaped.
wait_for() {
  while :; do
    wait "$1"
    status=$?
    kill -0 "$1" 2>/dev/null || return "$status"
  done
}
# A reload goes to Node.js when it runs (it reloads itself; one already
# exiting to wait asks for a wait of 0, and the next one reads the config);
# during a wait it ends the wait. A stop goes to Node.js too (it makes its
# last send and exits), and is remembered: one exiting to wait leaves the
# last send to the next Node.js.
# Only while a read waits: lines written at other times (signals while Node.js
# runs) would fill the FIFO, and a full FIFO would block this trap for ever.
reading=0
end_wait() {
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
  [ "$reading" -eq 0 ] || echo >&3
}
on_hup() {
  if [ -n "$child" ]; then
    forwarded=1
    kill -HUP "$child" 2>/dev/null
  else
    hup=1
  fi
  end_wait
}
on_term() {
  term=1
  [ -z "$child" ] || kill -TERM "$child" 2>/dev/null
  end_wait
}
# Waits $1 seconds, or until a reload or a stop ends the wait.
wait_seconds() {
  if [ -n "$fifo" ]; then
    # Lines a trap wrote while no read ran would end this wait at once.
    while read -r -t 0.001 _ <&3; do :; done
    reading=1
    [ "$term" -eq 1 ] || [ "$hup" -eq 1 ] || read -r -t "$1" _ <&3
    reading=0
  else
    sleep "$1" &
    sleeper=$!
    # A reload or a stop that came before $sleeper was known could not end it.
    if [ "$term" -eq 1 ] || [ "$hup" -eq 1 ]; then kill "$sleeper" 2>/dev/null; fi
    # Not "Terminated" in the journal when a reload or a stop ends the wait.
    wait_for "$sleeper" 2>/dev/null
    sleeper=
  fi
}
trap 'rm -f "$wake_file"' EXIT
trap on_hup HUP
trap on_term TERM INT
reason=start
# The dataDir whose lock this shell holds for the next Node.js (the wait's
# second line): a dataDir edited meanwhile takes effect at the next start.
held_dir=
while :; do
  : >"$wake_file"
  forwarded=0
  # shellcheck disable=SC2086 # $flags is a list of words
  EDGE_TELEMETRY_WAKE=$reason EDGE_TELEMETRY_WAKE_FILE=$wake_file EDGE_TELEMETRY_LAUNCHER_PID=$$ \
    EDGE_TELEMETRY_DATA_DIR=$held_dir "$node" $flags "$here/edge-telemetry.mjs" "$@" 3<&- &
  child=$!
  # Not "Hangup" in the journal for a Node.js a reload reached before its handler (below).
  wait_for "$child" 2>/dev/null
  status=$?
  child=
  wait=$(head -c 32 "$wake_file" 2>/dev/null | head -n 1)
  # A Node.js that wrote no wait (it died before its handlers, and is started
  # again for the reload or the stop it owes) leaves the held dataDir as it was.
  named=
  { IFS= read -r _ && IFS= read -r named; } 2>/dev/null <"$wake_file" || :
  [ -z "$wait" ] || held_dir=$named
  case $wait in
    resident)
      # Resident for good (samplingInterval under a minute, or a buffer in
      # memory): having read only the config, the daemon asks this shell to give
      # way to it, so that the unit carries no shell beside Node.js (1.6 MB under
      # dash, 3.1 under bash). Node.js gets this PID, the MainPID, and reads the
      # config again. A stop meanwhile is owed its last send (below).
      # As at the top: ignored until Node.js's own handlers are in; a reload now
      # loses nothing, since that Node.js reads the config anyway.
      trap '' HUP USR1 USR2
      # A stop checked last, with its trap still in: one that came before goes the stop's way.
      if [ "$term" -eq 0 ]; then
        trap - EXIT
        rm -f "$wake_file"
        if [ -n "$fifo" ]; then
          fifo=
          exec 3<&-
        fi
        trap - TERM INT
        if [ "$term" -eq 0 ]; then
          export EDGE_TELEMETRY_WAKE="$reason" EDGE_TELEMETRY_LAUNCHER_PID="$$" EDGE_TELEMETRY_DATA_DIR="$held_dir"
          # shellcheck disable=SC2086 # $flags is a list of words
          exec "$node" $flags "$here/edge-telemetry.mjs" "$@"
        fi
        # The stop came while handing over (its trap ran before it was reset).
        trap on_term TERM INT
        trap 'rm -f "$wake_file"' EXIT
      fi
      trap on_hup HUP
      reason=stop
      continue
      ;;
    '' | *[!0-9.]*)
      # Ended without asking to wait: stopped, disabled, or failed. A death by
      # the SIGHUP forwarded before Node.js could handle it is no failure: the
      # same start again (a wake becomes a reload; a start read nothing yet).
      # One by SIGTERM or SIGINT before its handler is the stop's, owed its
      # last send.
      if [ "$status" -eq 129 ] && [ "$forwarded" -eq 1 ]; then
        [ "$reason" != wake ] || reason=reload
        continue
      fi
      if { [ "$status" -eq 143 ] || [ "$status" -eq 130 ]; } && [ "$term" -eq 1 ] && [ "$reason" != stop ]; then
        reason=stop
        continue
      fi
      # The Node.js started for the last send died by the stop's own signal:
      # systemd signals every process of the unit's cgroup, and looks again for
      # processes forked meanwhile, so it can reach one this shell started for
      # that send before Node.js's handlers are in. Again, a moment later (at
      # most twice more): the last send is owed.
      if { [ "$status" -eq 143 ] || [ "$status" -eq 130 ]; } && [ "$term" -eq 1 ] && [ "$stop_tries" -lt 2 ]; then
        stop_tries=$((stop_tries + 1))
        sleep 0.2 2>/dev/null
        continue
      fi
      exit "$status"
      ;;
  esac
  # A reload sent to a Node.js that was already exiting to wait: that process
  # dropped it, so it is the next one's, at once.
  [ "$forwarded" -eq 0 ] || hup=1
  if [ "$term" -eq 0 ] && [ "$hup" -eq 0 ]; then
    wait_seconds "$wait"
  fi
  if [ "$term" -eq 1 ]; then
    reason=stop
  elif [ "$hup" -eq 1 ]; then
    hup=0
    reason=reload
  else
    reason=wake
  fi
done
