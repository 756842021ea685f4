# Shared by run-portal.sh and test-all.sh: install what is missing, quietly, without recommends.
set -euo pipefail

need_apt() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo ">> installing: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_dotnet() {
  command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet on PATH)." >&2; exit 1; }
}

# The portal's build runs `npm ci` in frontend/ (xterm.js and noVNC for the consoles). A node that already brings its
# own npm is kept; otherwise Debian's nodejs and npm are installed.
need_npm() {
  command -v npm >/dev/null && command -v node >/dev/null && return 0
  need_apt nodejs npm
}
