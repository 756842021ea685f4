#!/usr/bin/env bash
# Runs the portal on http://127.0.0.1:${PORT:-5080} against the embedded libvirt test driver with demo VMs.
# The first start creates user 'admin'; its password is Portal__AdminPassword, or is generated and printed below.
# LOG_FORMAT=json writes the console log as one JSON object per line (Logging__Console__FormatterName=json).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
need_apt libvirt0 libvirt-clients
need_npm
need_dotnet
dotnet build Portal/Portal.csproj -c Release -nologo -v q
export Portal__DataDirectory="${Portal__DataDirectory:-$PWD/data}"
if [ "${LOG_FORMAT:-}" = json ]; then
  export Logging__Console__FormatterName=json Logging__Console__FormatterOptions__TimestampFormat="yyyy-MM-ddTHH:mm:ss.fffZ"
fi
app="$PWD/Portal/bin/Release/net10.0"
# The content root is the app's folder, so that its appsettings.json (copied there by the build) is read: started
# from the repository root, the portal would otherwise log every SQL command at Information.
exec dotnet "$app/Portal.dll" --contentRoot "$app" --urls "http://127.0.0.1:${PORT:-5080}"
