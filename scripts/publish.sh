#!/usr/bin/env bash
# Publishes the portal for a server: a folder to copy and run with `dotnet Portal.dll` (framework-dependent, linux-x64),
# its assemblies precompiled to native code (ReadyToRun), so a start spends less time in the JIT: measured here, the
# first 200 on /healthz came after 1.9-2.0 s instead of 2.8-2.9 s (1,000 VMs, benchmarks/README.md, "Cold start").
# Usage: scripts/publish.sh [OUTPUT_DIR]   (default: publish/portal)
set -euo pipefail
# A relative OUTPUT_DIR is taken from where the script is started.
out="$(realpath -m "${1:-$(dirname "$0")/../publish/portal}")"
cd "$(dirname "$0")/.."
source scripts/common.sh
need_npm
need_dotnet
dotnet publish Portal/Portal.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -nologo -v q -o "$out"
echo "Published to $out. Run it from that folder (its appsettings.json is read from the content root); the machine needs libvirt0:"
echo "  cd $out && Portal__DataDirectory=/var/lib/portal dotnet Portal.dll --urls http://0.0.0.0:5080"
