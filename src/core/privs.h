/*
 * Capabilities: spigotd run by systemd as user spigot gets CAP_NET_RAW and
 * CAP_NET_ADMIN as ambient capabilities only to open packet: and tun:
 * ports, which happens once at start; afterwards it needs none, so it drops
 * them all (no libcap: one prctl and one capset).
 */
#ifndef SPIGOT_PRIVS_H
#define SPIGOT_PRIVS_H

/* Clears the ambient, inheritable, permitted and effective sets.
 * 0, or -1 with errno. */
int privs_drop_all(void);
/* The process's effective capability set (bits of CAP_*), for tests and logs. */
unsigned long long privs_effective(void);

#endif
