#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "config/load.h"
#include "ike/ike.h"
#include "ipsec/ipsec.h"
#include "net/capture.h"
#include "net/net.h"
#include "net/syslog.h"
#include "recovery/recovery.h"

struct iface *router_iface(struct router *r, const char *name)
{
	for (int i = 0; i < r->niface; i++)
		if (strcasecmp(r->ifaces[i].name, name) == 0)
			return &r->ifaces[i];
	return NULL;
}

struct iface *router_iface_by_addr(struct router *r, uint32_t addr)
{
	for (int i = 0; i < r->niface; i++)
		if (r->ifaces[i].has_addr && r->ifaces[i].addr == addr)
			return &r->ifaces[i];
	return NULL;
}

bool router_is_local_addr(struct router *r, uint32_t addr)
{
	return router_iface_by_addr(r, addr) != NULL;
}

/* Brings r->ifaces in line with the config; interfaces are never removed
 * (IOS keeps hardware interfaces), only reconfigured. */
static void sync_ifaces(struct router *r)
{
	for (size_t i = 0; i < r->cfg->niface; i++) {
		const struct cfg_iface *ci = &r->cfg->ifaces[i];
		struct iface *ifp = router_iface(r, ci->name);
		if (!ifp) {
			if (r->niface >= ROUTER_MAX_IFACES) {
				log_msg(&r->log, "SYS", SEV_ERR, "NOIFACE",
					"too many interfaces, %s ignored", ci->name);
				continue;
			}
			ifp = &r->ifaces[r->niface];
			memset(ifp, 0, sizeof(*ifp));
			ifp->index = r->niface++;
			ifp->r = r;
			snprintf(ifp->name, sizeof(ifp->name), "%s", ci->name);
		}
		bool was_up = ifp->admin_up;
		ifp->admin_up = !ci->shutdown;
		ifp->has_addr = ci->has_addr;
		ifp->addr = ci->addr;
		ifp->mask = ci->mask;
		ifp->mtu = ci->mtu ? ci->mtu : 1500;
		snprintf(ifp->crypto_map, sizeof(ifp->crypto_map), "%s", ci->crypto_map);
		if (was_up != ifp->admin_up && r->boot_ms)
			log_msg(&r->log, "LINK", SEV_NOTICE, "UPDOWN",
				"Interface %s, changed state to %s", ifp->name,
				ifp->admin_up ? "up" : "administratively down");
	}
}

/* The logger as the config says: levels, console, timestamps, hostname. */
static void log_apply_config(struct router *r)
{
	const struct config *c = r->cfg;
	snprintf(r->log.tag, sizeof(r->log.tag), "%s", c->hostname);
	r->log.buffered = c->logging_buffered;
	r->log.buffer_level = (enum log_sev)c->logging_buffered_level;
	r->log.trap_level = (enum log_sev)c->logging_trap;
	r->log.console = c->logging_console;
	r->log.console_level = (enum log_sev)c->logging_console_level;
	r->log.stamp_log = c->stamp_log;
	r->log.stamp_debug = c->stamp_debug;
	if (c->logging_buffer_size != r->log.size)
		log_set_size(&r->log, c->logging_buffer_size);
}

/* `service timestamps log uptime`: time since router_start (0 before). */
static uint64_t router_uptime_ms(const void *arg)
{
	const struct router *r = arg;
	return r->boot_ms ? ev_now(r->ev) - r->boot_ms : 0;
}

struct router *router_new(struct evloop *ev, struct config *cfg)
{
	struct router *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->ev = ev;
	r->cfg = cfg;
	log_init(&r->log, cfg->logging_buffer_size);
	r->log.uptime_ms = router_uptime_ms;
	r->log.uptime_arg = r;
	log_apply_config(r);
	sync_ifaces(r);
	if (net_init(r) < 0 || ipsec_init(r) < 0 || ike_init(r) < 0 || recovery_init(r) < 0 ||
	    syslog_init(r) < 0 || capture_init(r) < 0) {
		router_free(r);
		return NULL;
	}
	return r;
}

void router_free(struct router *r)
{
	if (!r)
		return;
	ctl_stop(r);
	syslog_free(r);
	capture_free(r);
	recovery_free(r);
	ike_free(r);
	ipsec_free(r);
	net_free(r);
	config_free(r->cfg);
	log_free(&r->log);
	free(r);
}

int router_bind_port(struct router *r, const char *ifname, const char *spec)
{
	struct iface *ifp = router_iface(r, ifname);
	if (!ifp) {
		log_msg(&r->log, "SYS", SEV_ERR, "NOIFACE",
			"--port %s=%s: no interface %s in the configuration", ifname, spec, ifname);
		return -1;
	}
	snprintf(ifp->port_spec, sizeof(ifp->port_spec), "%s", spec);
	return 0;
}

int router_start(struct router *r)
{
	r->boot_ms = ev_now(r->ev) ? ev_now(r->ev) : 1;
	if (net_start(r) < 0)
		return -1;
	if (ike_start(r) < 0)
		return -1;
	recovery_start(r);
	return 0;
}

void router_config_changed(struct router *r)
{
	log_apply_config(r);
	syslog_config_changed(r);
	sync_ifaces(r);
	capture_sync(r);	/* an interface's crypto map may have changed */
	net_config_changed(r);
	ipsec_config_changed(r);
	ike_config_changed(r);
	recovery_config_changed(r);
}

void router_replace_config(struct router *r, struct config *cfg)
{
	config_free(r->cfg);
	r->cfg = cfg;
	router_config_changed(r);
}

int router_reload(struct router *r)
{
	if (!r->config_path[0])
		return -1;
	struct strbuf err, notes;
	sb_init(&err);
	sb_init(&notes);
	struct config *cfg = config_load_file(r->config_path, &err, &notes);
	int rc = 0;
	if (!cfg) {
		/* err is "FILE:LINE: % message\nLINE TEXT\n   ^\n": one log line
		 * with the location, the message and the offending text. */
		char *e = (char *)sb_str(&err);
		char *nl = strchr(e, '\n');
		const char *text = "";
		if (nl) {
			*nl = '\0';
			text = nl + 1;
			char *nl2 = strchr(nl + 1, '\n');
			if (nl2)
				*nl2 = '\0';
		}
		text += strspn(text, " \t");
		log_msg(&r->log, "PARSER", SEV_ERR, "BADCFG", "%s (%s) Reload ignored, nothing applied.",
			e, text);
		rc = -1;
	} else {
		router_replace_config(r, cfg);
		log_msg(&r->log, "SYS", SEV_NOTICE, "CONFIG_I", "Configured from %s by reload (SIGHUP)",
			r->config_path);
	}
	sb_free(&err);
	sb_free(&notes);
	return rc;
}
