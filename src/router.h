/*
 * One process is one router.  struct router ties the modules together;
 * nothing in spigot is global except the packet pool, so tests can run two
 * routers in one process (tests/exchange).
 *
 * Ownership: src/net owns interfaces, ports, ARP, routes and IPv4;
 * src/ipsec owns the SADB and crypto-map application; src/ike owns IKE SAs;
 * src/recovery owns the invalid-SPI policy; src/config owns `cfg`.
 */
#ifndef SPIGOT_ROUTER_H
#define SPIGOT_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/evloop.h"
#include "core/log.h"
#include "net/iface.h"

struct net_state;
struct ipsec_state;
struct ike_state;
struct recovery_state;
struct ctl_server;
struct syslog_state;
struct capture_state;

#define ROUTER_MAX_IFACES 64

/* debug flags, as `debug crypto isakmp` etc. set them */
#define DBG_ISAKMP 0x1
#define DBG_IPSEC 0x2
#define DBG_IP_PACKET 0x4
#define DBG_ICMP 0x8
#define DBG_IKEV2 0x10

struct router {
	struct evloop *ev;
	struct logger log;
	struct config *cfg;
	char config_path[512];		/* for `write memory`; "" when none */
	char state_dir[512];		/* spigotd --state-dir / $STATE_DIRECTORY; "" when none */
	uint64_t boot_ms;

	struct iface ifaces[ROUTER_MAX_IFACES];
	int niface;

	struct net_state *net;
	struct ipsec_state *ipsec;
	struct ike_state *ike;
	struct recovery_state *rec;
	struct ctl_server *ctl;
	struct syslog_state *syslog;	/* logging host (src/net/syslog.c) */
	struct capture_state *capture;	/* monitor capture (src/net/capture.c) */

	uint32_t debug;
	/* Data-plane threads (spigotd --workers); 0 or 1: the control thread alone. */
	int workers;
};

/* Creates a router around a loaded config (takes ownership of cfg). */
struct router *router_new(struct evloop *ev, struct config *cfg);
void router_free(struct router *r);
/* Binds an interface to a port spec before router_start. Returns 0 or -1 (logged). */
int router_bind_port(struct router *r, const char *ifname, const char *spec);
/* Opens ports, brings up services (IKE on UDP 500/4500). */
int router_start(struct router *r);
/* The config changed (interactive command or reload): bring everything in line. */
void router_config_changed(struct router *r);
/* Replaces the whole config (file load), then applies it. */
void router_replace_config(struct router *r, struct config *cfg);

/*
 * SIGHUP / `systemctl reload`: re-reads config_path and applies it with the
 * rule of a load: a file with a bad line applies nothing, logs
 * %PARSER-3-BADCFG with FILE:LINE and returns -1.  0 when applied.
 */
int router_reload(struct router *r);

struct iface *router_iface(struct router *r, const char *name);
/* The interface whose address is addr, or NULL. */
struct iface *router_iface_by_addr(struct router *r, uint32_t addr);
bool router_is_local_addr(struct router *r, uint32_t addr);

#endif
