#!/usr/bin/env bash
# Runs the portal on http://127.0.0.1:${PORT:-5080} against the embedded libvirt test driver with demo VMs.
# The first start creates user 'admin'; its password is Portal__AdminPassword, or is generated and printed below.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
need_apt libvirt0 libvirt-clients
need_npm
need_dotnet
dotnet build Portal/Portal.csproj -c Release -nologo -v q
export Portal__DataDirectory="${Portal__DataDirectory:-$PWD/data}"
exec dotnet Portal/bin/Release/net10.0/Portal.dll --urls "http://127.0.0.1:${PORT:-5080}"
