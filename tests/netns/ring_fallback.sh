#!/usr/bin/env bash
# offload_tcp.sh with spigotd's packet: ports reading through recvmmsg, the
# path a port falls back to when its TPACKET_V2 ring cannot be set up
# (SPIGOT_TEST_RING=off asks for it with packet:IFNAME:noring).  Besides
# offload_tcp's checks, topo_check_rx asserts every port says so in show
# interfaces ("Rx ring: none, recvmmsg (...), 1 fallbacks").  Workers read
# rings, so these ports run on the control thread alone.
SPIGOT_TEST_RING=off PEER=spigot exec bash "$(dirname "$0")/offload_tcp.sh"
