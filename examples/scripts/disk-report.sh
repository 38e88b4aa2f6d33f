#!/usr/bin/env bash
# Prints how full the workspace filesystem is; a small CronJob example.
set -euo pipefail
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) disk report"
df -h . | tail -n 1
