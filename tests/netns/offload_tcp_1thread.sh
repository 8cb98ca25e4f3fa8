#!/usr/bin/env bash
# offload_tcp.sh with spigotd --workers 1: the data plane on the control
# thread alone, as on a one-core host (the default elsewhere is one worker
# per core, tests/netns/workers.sh), with the kernel's default offloads.
SPIGOT_TEST_WORKERS=1 exec bash "$(dirname "$0")/offload_tcp.sh"
