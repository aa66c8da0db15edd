#!/bin/sh
# Installs the Debian packages the build and tests need, only those missing:
# one `apt-get update`, then one `apt-get install -y`, with sudo when not root.
PKGS="gcc make pkg-config zlib1g-dev libzstd-dev libisal-dev libstemmer-dev libutf8proc-dev libcmocka-dev"
[ -n "$TRAWL_EXTRA_PKGS" ] && PKGS="$PKGS $TRAWL_EXTRA_PKGS"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq >&2 && \
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2 || {
	echo "deps: could not install:$missing" >&2; exit 1; }
