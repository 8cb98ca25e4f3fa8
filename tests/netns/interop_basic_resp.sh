#!/usr/bin/env bash
# interop_basic.sh with strongSwan initiating and spigot responding.
ROLE=responder exec bash "$(dirname "$0")/interop_basic.sh" "$@"
