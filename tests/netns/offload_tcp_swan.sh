#!/usr/bin/env bash
# offload_tcp.sh against strongSwan: charon's IKE and NAT-T ESP reach
# spigot's packet: port with partial UDP checksums (kernel-default offloads).
PEER=swan exec bash "$(dirname "$0")/offload_tcp.sh"
