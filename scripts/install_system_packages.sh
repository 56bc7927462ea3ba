#!/usr/bin/env bash
# Debian packages the platform uses, installed only when missing.
set -euo pipefail
# command -> Debian package. nfdump reads nfcapd files (nfcapd collects NetFlow in the
# real-data tests); softflowd turns packet captures into sampled NetFlow for those tests;
# chromium and its WebDriver open the Dagster UI in the browser test, and chromium prints the
# report pages to PDF; pdftotext (poppler-utils) reads those PDFs back in the report tests.
declare -A wanted=(
    [nfdump]=nfdump
    [nfcapd]=nfdump
    [softflowd]=softflowd
    [chromium]=chromium
    [chromedriver]=chromium-driver
    [pdftotext]=poppler-utils
)
# Spark runs on the JVM: Java 17 when the Spark engine's extras are wanted (scripts/setup.sh).
if [ "${TRAFFICREPORT_WITH_SPARK:-0}" = 1 ]; then
    wanted[java]=openjdk-17-jre-headless
fi
missing=()
for command in "${!wanted[@]}"; do
    command -v "$command" >/dev/null || missing+=("${wanted[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# nfdump provides two of the commands: ask apt for each package once.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "Installing Debian packages: ${missing[*]}"
# apt and dpkg print a few lines per package even with -qq: keep them unless apt fails.
apt_log="$(mktemp)"
trap 'rm -f "$apt_log"' EXIT
if ! {
    "${sudo_cmd[@]}" apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
            --no-install-recommends "${missing[@]}"
} >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "Installing ${missing[*]} failed (apt output above)" >&2
    exit 1
fi
