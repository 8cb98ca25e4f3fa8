#!/usr/bin/env bash
# offload_tcp.sh with every veth's offloads off (SPIGOT_TEST_OFFLOADS=off):
# the other way the netns tests can run; spigot must see no offloaded frame.
SPIGOT_TEST_OFFLOADS=off PEER=spigot exec bash "$(dirname "$0")/offload_tcp.sh"
