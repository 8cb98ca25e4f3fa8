/*
 * monitor capture (IOS-XE Embedded Packet Capture) and its show commands.
 * A capture is defined and run from exec mode, as on IOS-XE, and is not
 * part of the configuration.  Packets are copied into a linear buffer of
 * records; when the buffer is full, further packets are counted as
 * dropped (IOS-XE's default linear buffer), never stored.
 */
#include "net/capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "config/cmdtree.h"
#include "core/ipfmt.h"
#include "core/pkt.h"
#include "core/wbuf.h"
#include "net/acl.h"
#include "net/iface.h"
#include "router.h"

#define CAP_MAX 8			/* captures defined at once */
#define CAP_BUF_DEFAULT_MB 10		/* IOS-XE's default buffer */
#define CAP_BUF_MAX_MB 100		/* and its maximum */

struct cap_rec {
	struct cap_rec *next;
	uint64_t ts_us;			/* wall clock, for the pcap */
	uint32_t len;
	uint8_t where;			/* CAP_ bit */
	uint8_t data[];
};

struct capture {
	char name[CFG_NAME_MAX];
	char target[CFG_NAME_MAX];	/* interface name, or crypto map name */
	bool cmap;			/* target is a crypto map (spigot extension) */
	uint8_t dir;			/* CAP_IN|CAP_OUT, as typed (both/in/out) */
	int acl;			/* access-list N; 0: match ipv4 any any */
	bool filter_set;
	uint32_t buf_mb;
	bool active;
	struct cap_rec *head, *tail;
	size_t used;			/* bytes of records held */
	uint64_t npkts, dropped;	/* stored; did not fit */
};

struct capture_state {
	struct capture *caps[CAP_MAX];
};

int capture_init(struct router *r)
{
	r->capture = calloc(1, sizeof(*r->capture));
	return r->capture ? 0 : -1;
}

static void cap_clear(struct capture *c)
{
	for (struct cap_rec *x = c->head, *n; x; x = n) {
		n = x->next;
		free(x);
	}
	c->head = c->tail = NULL;
	c->used = 0;
	c->npkts = c->dropped = 0;
}

void capture_free(struct router *r)
{
	if (!r->capture)
		return;
	for (int i = 0; i < CAP_MAX; i++)
		if (r->capture->caps[i]) {
			cap_clear(r->capture->caps[i]);
			free(r->capture->caps[i]);
		}
	free(r->capture);
	r->capture = NULL;
}

/* The CAP_ bits a running capture wants on ifp. */
static uint8_t wants(const struct capture *c, const struct iface *ifp)
{
	if (!c->active)
		return 0;
	if (c->cmap) {
		if (!ifp->crypto_map[0] || strcmp(ifp->crypto_map, c->target))
			return 0;
		return (uint8_t)((c->dir & CAP_IN ? CAP_CMAP_IN : 0) | (c->dir & CAP_OUT ? CAP_CMAP_OUT : 0));
	}
	return strcasecmp(ifp->name, c->target) == 0 ? c->dir : 0;
}

void capture_sync(struct router *r)
{
	struct capture_state *st = r->capture;
	for (int i = 0; i < r->niface; i++) {
		uint8_t m = 0;
		for (int k = 0; st && k < CAP_MAX; k++)
			if (st->caps[k])
				m |= wants(st->caps[k], &r->ifaces[i]);
		r->ifaces[i].cap = m;
	}
}

void capture_packet(struct router *r, struct iface *ifp, const struct pkt *p, uint8_t where)
{
	if (!(ifp->cap & where))
		return;
	struct capture_state *st = r->capture;
	for (int k = 0; k < CAP_MAX; k++) {
		struct capture *c = st->caps[k];
		if (!c || !(wants(c, ifp) & where))
			continue;
		if (c->acl) {
			const struct cfg_acl *acl = config_acl(r->cfg, c->acl);
			struct acl_key key;
			acl_key_from_ip(&key, p->data, p->len);
			if (!acl || acl_eval(acl, &key, NULL) != ACL_PERMIT)
				continue;
		}
		size_t need = sizeof(struct cap_rec) + p->len;
		if (c->used + need > (size_t)c->buf_mb << 20) {
			c->dropped++;
			continue;
		}
		struct cap_rec *x = malloc(need);
		if (!x) {
			c->dropped++;
			continue;
		}
		struct timeval tv;
		gettimeofday(&tv, NULL);
		x->next = NULL;
		x->ts_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
		x->len = (uint32_t)p->len;
		x->where = where;
		memcpy(x->data, p->data, p->len);
		if (c->tail)
			c->tail->next = x;
		else
			c->head = x;
		c->tail = x;
		c->used += need;
		c->npkts++;
	}
}

/* ---- commands ---- */

static struct capture *cap_find(struct router *r, const char *name)
{
	for (int k = 0; k < CAP_MAX; k++)
		if (r->capture->caps[k] && strcmp(r->capture->caps[k]->name, name) == 0)
			return r->capture->caps[k];
	return NULL;
}

static struct capture *cap_get(struct cli_ctx *ctx, const char *name)
{
	struct capture *c = cap_find(ctx->r, name);
	if (c)
		return c;
	for (int k = 0; k < CAP_MAX; k++)
		if (!ctx->r->capture->caps[k]) {
			c = calloc(1, sizeof(*c));
			if (!c)
				break;
			snprintf(c->name, sizeof(c->name), "%s", name);
			c->buf_mb = CAP_BUF_DEFAULT_MB;
			ctx->r->capture->caps[k] = c;
			return c;
		}
	sb_printf(ctx->out, "%% Maximum number of captures (%d) reached\n", CAP_MAX);
	return NULL;
}

static uint8_t dir_of(const struct cmd_args *a)
{
	if (cmd_has(a, "in"))
		return CAP_IN;
	if (cmd_has(a, "out"))
		return CAP_OUT;
	return CAP_IN | CAP_OUT;
}

static bool refuse_active(struct cli_ctx *ctx, const struct capture *c)
{
	if (!c->active)
		return false;
	sb_printf(ctx->out, "%% Capture %s is active: stop it before changing it\n", c->name);
	return true;
}

static int mon_target(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_get(ctx, a->argv[2]);
	if (!c || refuse_active(ctx, c))
		return -1;
	bool cmap = cmd_has(a, "crypto-map");
	const char *t = a->argv[4];
	if (!cmap && !router_iface(ctx->r, t)) {
		sb_printf(ctx->out, "%% Interface %s does not exist\n", t);
		return -1;
	}
	snprintf(c->target, sizeof(c->target), "%s", t);
	c->cmap = cmap;
	c->dir = dir_of(a);
	return 0;
}

static int mon_match(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_get(ctx, a->argv[2]);
	if (!c || refuse_active(ctx, c))
		return -1;
	uint32_t n = 0;
	if (cmd_after_u32(a, "access-list", &n) && !config_acl(ctx->r->cfg, (int)n)) {
		sb_printf(ctx->out, "%% Access list %u does not exist\n", n);
		return -1;
	}
	c->acl = (int)n;
	c->filter_set = true;
	return 0;
}

static int mon_buffer(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_get(ctx, a->argv[2]);
	uint32_t mb;
	if (!c || refuse_active(ctx, c) || !cmd_after_u32(a, "size", &mb))
		return -1;
	c->buf_mb = mb;
	return 0;
}

static int mon_start(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_find(ctx->r, a->argv[2]);
	if (!c || !c->target[0]) {
		sb_printf(ctx->out, "%% Capture %s has no interface or crypto-map attached\n", a->argv[2]);
		return -1;
	}
	if (!c->active) {
		cap_clear(c);
		c->active = true;
		capture_sync(ctx->r);
	}
	sb_printf(ctx->out, "Started capture point : %s\n", c->name);
	return 0;
}

static int mon_stop(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_find(ctx->r, a->argv[2]);
	if (!c) {
		sb_printf(ctx->out, "%% Capture %s does not exist\n", a->argv[2]);
		return -1;
	}
	c->active = false;
	capture_sync(ctx->r);
	sb_printf(ctx->out, "Stopped capture point : %s\n", c->name);
	return 0;
}

static int mon_clear(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_find(ctx->r, a->argv[2]);
	if (!c)
		return -1;
	cap_clear(c);
	return 0;
}

static int mon_incomplete(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	sb_puts(ctx->out, "% Incomplete command.\n\n");
	return -1;
}

/* `no monitor capture NAME`: the whole capture point goes. */
static int no_mon(struct cli_ctx *ctx, const struct cmd_args *a)
{
	for (int k = 0; k < CAP_MAX; k++) {
		struct capture *c = ctx->r->capture->caps[k];
		if (c && strcmp(c->name, a->argv[2]) == 0) {
			cap_clear(c);
			free(c);
			ctx->r->capture->caps[k] = NULL;
		}
	}
	capture_sync(ctx->r);
	return 0;
}

/* pcap (libpcap 2.4, microseconds, LINKTYPE_RAW): what tshark and Wireshark open. */
static int mon_export(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture *c = cap_find(ctx->r, a->argv[2]);
	if (!c) {
		sb_printf(ctx->out, "%% Capture %s does not exist\n", a->argv[2]);
		return -1;
	}
	const char *path = a->argv[4];
	if (strncmp(path, "flash:", 6) == 0)	/* IOS-XE habit: flash:NAME is ./NAME */
		path += 6;
	FILE *f = fopen(path, "wb");
	if (!f) {
		sb_printf(ctx->out, "%% Failed to open %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* written in our byte order; the magic tells readers which */
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101 };
	bool ok = fwrite(&h, sizeof(h), 1, f) == 1;
	uint64_t n = 0;
	for (const struct cap_rec *x = c->head; x && ok; x = x->next, n++) {
		uint32_t rh[4] = { (uint32_t)(x->ts_us / 1000000u), (uint32_t)(x->ts_us % 1000000u), x->len,
				   x->len };
		ok = fwrite(rh, sizeof(rh), 1, f) == 1 && fwrite(x->data, x->len, 1, f) == 1;
	}
	if (fclose(f) != 0)
		ok = false;
	if (!ok) {
		sb_printf(ctx->out, "%% Failed to write %s\n", path);
		return -1;
	}
	sb_printf(ctx->out, "Exported Successfully: %llu packets to %s\n", (unsigned long long)n, path);
	return 0;
}

/* ---- show monitor capture ---- */

static const char *dir_name(uint8_t d)
{
	return d == (CAP_IN | CAP_OUT) ? "BOTH" : d == CAP_IN ? "INPUT" : "OUTPUT";
}

static void show_status(struct strbuf *o, const struct capture *c)
{
	sb_printf(o, "Status Information for Capture %s\n  Target Type:\n", c->name);
	if (!c->target[0])
		sb_puts(o, "   None\n");
	else
		sb_printf(o, "   %s: %s, Direction: %s\n", c->cmap ? "Crypto map" : "Interface", c->target,
			  dir_name(c->dir));
	sb_printf(o, "   Status : %s\n", c->active ? "Active" : "Inactive");
	sb_puts(o, "  Filter Details:\n");
	if (c->acl)
		sb_printf(o, "   Access-list: %d\n", c->acl);
	else
		sb_puts(o, "   IPv4\n    Source IP:  any\n    Destination IP:  any\n   Protocol: any\n");
	sb_printf(o, "  Buffer Details:\n   Buffer Type: LINEAR (default)\n   Buffer Size (in MB): %u\n",
		  c->buf_mb);
	sb_printf(o, "   Packets captured: %llu, dropped (buffer full): %llu, bytes used: %zu\n",
		  (unsigned long long)c->npkts, (unsigned long long)c->dropped, c->used);
	sb_puts(o, "  Limit Details:\n   Number of Packets to capture: 0 (no limit)\n"
		   "   Packet Capture duration: 0 (no limit)\n   Packet Size to capture: 0 (no limit)\n"
		   "   Packet sampling rate: 0 (no sampling)\n");
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 50: return "ESP";
	case 51: return "AH";
	}
	return "IPv4";
}

/* tshark's one-line summary, as IOS-XE prints it. */
static void summary(struct strbuf *o, const struct cap_rec *x)
{
	const uint8_t *ip = x->data;
	if (x->len < 20 || ip[0] >> 4 != 4) {
		sb_printf(o, "IPv4 %u [malformed]", x->len);
		return;
	}
	char s[IP_FMT_LEN], d[IP_FMT_LEN];
	size_t hl = (size_t)(ip[0] & 15) * 4;
	const uint8_t *l4 = ip + hl;
	size_t l4len = x->len > hl ? x->len - hl : 0;
	sb_printf(o, "%s -> %s %s %u", ip_fmt(wbuf_be32(ip + 12), s), ip_fmt(wbuf_be32(ip + 16), d),
		  proto_name(ip[9]), x->len);
	if (ip[9] == 1 && l4len >= 8 && (l4[0] == 8 || l4[0] == 0))
		sb_printf(o, " Echo (ping) %s  id=0x%04x, seq=%u, ttl=%u",
			  l4[0] == 8 ? "request" : "reply", wbuf_be16(l4 + 4), wbuf_be16(l4 + 6), ip[8]);
	else if (ip[9] == 50 && l4len >= 8)
		sb_printf(o, " ESP (SPI=0x%08x)", wbuf_be32(l4));
	else if (ip[9] == 51 && l4len >= 8)
		sb_printf(o, " AH (SPI=0x%08x)", wbuf_be32(l4 + 4));
	else if ((ip[9] == 17 || ip[9] == 6) && l4len >= 4)
		sb_printf(o, " %u -> %u", wbuf_be16(l4), wbuf_be16(l4 + 2));
}

static const char *where_name(uint8_t w)
{
	switch (w) {
	case CAP_IN: return "in";
	case CAP_OUT: return "out";
	case CAP_CMAP_IN: return "decrypted";
	default: return "to-encrypt";
	}
}

static void show_buffer(struct strbuf *o, const struct capture *c, bool brief)
{
	uint64_t t0 = c->head ? c->head->ts_us : 0;
	unsigned i = 0;
	if (brief) {
		sb_puts(o, " -------------------------------------------------------------------------------\n"
			   " #   size   timestamp     source             destination      dscp    protocol\n"
			   " -------------------------------------------------------------------------------\n");
		for (const struct cap_rec *x = c->head; x; x = x->next, i++) {
			char s[IP_FMT_LEN] = "?", d[IP_FMT_LEN] = "?";
			unsigned dscp = 0;
			const char *pn = "IPv4";
			if (x->len >= 20) {
				ip_fmt(wbuf_be32(x->data + 12), s);
				ip_fmt(wbuf_be32(x->data + 16), d);
				dscp = x->data[1] >> 2;
				pn = proto_name(x->data[9]);
			}
			uint64_t dt = x->ts_us - t0;
			sb_printf(o, "%4u %5u %5llu.%06llu   %-16s ->  %-16s %2u  %-3s  %s\n", i, x->len,
				  (unsigned long long)(dt / 1000000), (unsigned long long)(dt % 1000000), s, d,
				  dscp, dscp ? "" : "BE", pn);
		}
		return;
	}
	for (const struct cap_rec *x = c->head; x; x = x->next, i++) {
		uint64_t dt = x->ts_us - t0;
		sb_printf(o, "%4u %5llu.%06llu %-10s ", i + 1, (unsigned long long)(dt / 1000000),
			  (unsigned long long)(dt % 1000000), where_name(x->where));
		summary(o, x);
		sb_puts(o, "\n");
	}
}

static int show_mon(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct capture_state *st = ctx->r->capture;
	const char *name = a->argc > 3 ? a->argv[3] : NULL;
	if (name && strcmp(name, "buffer") != 0) {
		struct capture *c = cap_find(ctx->r, name);
		if (!c) {
			sb_printf(ctx->out, "%% Capture point %s does not exist\n", name);
			return -1;
		}
		if (cmd_has(a, "buffer"))
			show_buffer(ctx->out, c, cmd_has(a, "brief"));
		else
			show_status(ctx->out, c);
		return 0;
	}
	for (int k = 0; k < CAP_MAX; k++)
		if (st->caps[k])
			show_status(ctx->out, st->caps[k]);
	return 0;
}

static const struct cmd_def capture_cmds[] = {
	{ MODE_EXEC, "monitor capture WORD { interface IFNAME | crypto-map WORD } { both | in | out }",
	  "monitor:Monitoring different system events;capture:Packet capture;WORD:Name of the capture;"
	  "crypto-map:Capture at a crypto map: before encryption, after decryption (spigot);"
	  "both:Inbound and outbound;in:Inbound only;out:Outbound only",
	  mon_target, no_mon },
	{ MODE_EXEC, "monitor capture WORD { match ipv4 any any | access-list <1-199> }",
	  "match:Describe filters inline;ipv4:IPv4 packets;any:Any address;"
	  "access-list:Filter by an access list;<1-199>:Access list number",
	  mon_match, no_mon },
	{ MODE_EXEC, "monitor capture WORD buffer size <1-100>",
	  "buffer:Buffer options;size:Total size of the buffer;<1-100>:Buffer size in MB", mon_buffer,
	  no_mon },
	{ MODE_EXEC, "monitor capture WORD start", "start:Enable Capture", mon_start, no_mon },
	{ MODE_EXEC, "monitor capture WORD stop", "stop:Disable Capture", mon_stop, no_mon },
	{ MODE_EXEC, "monitor capture WORD clear", "clear:Clear capture buffer", mon_clear, no_mon },
	{ MODE_EXEC, "monitor capture WORD export WORD",
	  "export:Export the captured packets to a pcap file;WORD:File name (flash:NAME or a path)",
	  mon_export, no_mon },
	{ MODE_EXEC, "monitor capture WORD", NULL, mon_incomplete, no_mon },
	{ MODE_EXEC, "show monitor capture [ WORD [ buffer [ brief ] ] ]",
	  "monitor:Monitoring information;capture:Packet capture information;buffer:Captured packets;"
	  "brief:One line per packet", show_mon, NULL },
};
CMD_REGISTER(capture_cmds)
