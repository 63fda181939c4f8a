#!/usr/bin/env bash
# Swift on the build machines: a Debian 13 (trixie) chroot with Debian's
# swiftlang (Swift 6.0.3), made once with debootstrap from the machine's own
# Debian mirror and kept in /var/cache/minqing-swift (ADR 0013). Lean: no
# recommends, and dpkg leaves out what `swift build`/`swift test` never use
# (LLDB, SourceKit, clangd, DocC, embedded-Swift and static-SDK modules).
#
#   ios/swift-chroot.sh ensure          make the chroot if it is not there yet
#   ios/swift-chroot.sh run DIR CMD...  run CMD in the chroot, in DIR of this repo
#
# `run` binds this repository at /src (the host's target/ with it) in a private
# mount namespace: the mounts end with the command, whatever happens.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${MINQING_SWIFT_CACHE:-/var/cache/minqing-swift}"
recipe=1 # bump when the recipe below changes: a new chroot is made beside the old
chroot_dir="$cache/trixie-swift-6.0.3-r$recipe"

mirror() {
  # The machine's own Debian mirror (deb822 or one-line sources), else Debian's.
  local m
  m="$(sed -n 's/^URIs: *\([^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
  [[ -n "$m" ]] || m="$(awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)"
  echo "${m:-http://deb.debian.org/debian}"
}

ensure() {
  [[ -f "$chroot_dir/.ready" ]] && return 0
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  [[ -f "$chroot_dir/.ready" ]] && return 0
  local start=$SECONDS
  command -v debootstrap >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
  local tmp="$chroot_dir.partial"
  rm -rf --one-file-system "$tmp"
  echo "swift-chroot: debootstrap trixie from $(mirror) into $chroot_dir"
  debootstrap --variant=minbase trixie "$tmp" "$(mirror)" >"$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log"; exit 1; }
  cat >"$tmp/etc/dpkg/dpkg.cfg.d/minqing-lean" <<'CFG'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/libexec/swift/lib/swift/embedded/*
path-exclude=/usr/libexec/swift/lib/swift_static/*
path-exclude=/usr/libexec/swift/lib/liblldb*
path-exclude=/usr/libexec/swift/bin/lldb*
path-exclude=/usr/libexec/swift/lib/libsourcekitdInProc.so
path-exclude=/usr/libexec/swift/bin/sourcekit-lsp
path-exclude=/usr/libexec/swift/bin/clangd
path-exclude=/usr/libexec/swift/bin/docc
path-exclude=/usr/libexec/swift/bin/swift-format
CFG
  DEBIAN_FRONTEND=noninteractive chroot "$tmp" sh -c \
    'apt-get update -q && apt-get install -y -q --no-install-recommends swiftlang libc6-dev && apt-get clean && rm -rf /var/lib/apt/lists/*' \
    >"$cache/install.log" 2>&1 || { tail -20 "$cache/install.log"; exit 1; }
  mkdir -p "$tmp/src"
  # (The toolchain finds its libraries through $ORIGIN, which needs /proc.)
  unshare --mount --propagation private -- /bin/sh -ec \
    'mount -t proc proc "$1/proc"; chroot "$1" swift --version 2>/dev/null' sh "$tmp" | head -1 >"$tmp/.ready"
  grep -q '^Swift version' "$tmp/.ready" || { echo "swift-chroot: swift does not run" >&2; exit 1; }
  mv "$tmp" "$chroot_dir"
  # Older recipes' chroots go (they hold no mounts: those live only in `run`'s namespace).
  for old in "$cache"/trixie-swift-*; do
    [[ "$old" == "$chroot_dir" ]] || rm -rf --one-file-system "$old"
  done
  echo "swift-chroot: made in $(( SECONDS - start )) s, $(du -sh "$chroot_dir" | cut -f1): $(cat "$chroot_dir/.ready")"
}

run() {
  local dir="$1"
  shift
  ensure
  local cmd
  printf -v cmd '%q ' "$@"
  # A clean environment inside, plus the MINQING_* variables the tests read.
  local envs=(HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8) v
  for v in $(compgen -e | grep '^MINQING_' || true); do envs+=("$v=${!v}"); done
  unshare --mount --propagation private -- /bin/sh -ec '
    c="$1"; r="$2"; shift 2
    mount -t proc proc "$c/proc"
    mount --rbind /dev "$c/dev"
    mount --bind "$r" "$c/src"
    exec chroot "$c" /usr/bin/env -i "$@"
  ' sh "$chroot_dir" "$root" "${envs[@]}" /bin/sh -c "cd /src/$dir && $cmd"
}

case "${1:-}" in
  ensure) ensure ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 ensure | run DIR CMD..." >&2; exit 2 ;;
esac
