#!/usr/bin/env bash
# Issue #6's figures on the 128 MiB busybox guest 'tiny' with one memory snapshot (qemu:///system, set up by
# scripts/real-host/setup.sh): export and import time and the bytes copied, File -> File, File -> Block and
# Block -> File. The Block domain is a disk pool on a loop device (scripts/real-host/block-setup.sh). One run each.
set -euo pipefail
ROOT=/var/lib/portal-real
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/real-host/setup.sh" "$ROOT" >/dev/null
device=$(bash "$repo/scripts/real-host/block-setup.sh" "$ROOT" | tail -1)
trap 'bash "$repo/scripts/real-host/block-teardown.sh" "$ROOT" >/dev/null' EXIT
dotnet run -c Release --project "$repo/benchmarks/Portal.Benchmarks" -- --export-import --block-device "$device"
