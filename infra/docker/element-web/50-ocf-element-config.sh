#!/bin/sh
# Writes Element's config.json from ELEMENT_CONFIG (JSON, set by infra/src/constructs/matrix-web-client.ts).
set -eu
if [ -z "${ELEMENT_CONFIG:-}" ]; then
  echo "50-ocf-element-config.sh: ELEMENT_CONFIG is not set; Element would not know the fleet's homeserver" >&2
  exit 1
fi
printf '%s\n' "$ELEMENT_CONFIG" > /run/element/config.json
