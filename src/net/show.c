/*
 * Exec commands of src/net, in IOS layouts: show ip interface brief,
 * show interfaces, show ip route, show arp, show ip traffic, clear counters,
 * clear arp-cache (ping is in ping.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/ipfmt.h"
#include "core/json.h"
#include "net/net_priv.h"

static struct iface *iface_arg(struct router *r, const char *name)
{
	return net_iface_by_name(r, name);
}

static bool need_router(struct cli_ctx *ctx)
{
	if (ctx->r)
		return true;
	sb_puts(ctx->out, "% Not available while loading a configuration\n");
	return false;
}

/* `... [IFNAME]`: *ifp is the named interface, or NULL for all of them;
 * false (said to the user) when there is no router or no such interface. */
static bool one_or_all(struct cli_ctx *ctx, const struct cmd_args *a, struct iface **ifp)
{
	*ifp = NULL;
	if (!need_router(ctx))
		return false;
	if (a->argc > 2 && !(*ifp = iface_arg(ctx->r, a->argv[2]))) {
		sb_puts(ctx->out, "% Invalid input detected at '^' marker.\n");
		return false;
	}
	return true;
}

int net_cmd_show_ip_int_brief(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct router *r = ctx->r;
	(void)a;
	if (!need_router(ctx))
		return -1;
	sb_printf(ctx->out, "%-27s%-16s%-4s%-7s%-22s%s\n", "Interface", "IP-Address", "OK?",
		  "Method", "Status", "Protocol");
	for (int i = 0; i < r->niface; i++) {
		const struct iface *ifp = &r->ifaces[i];
		char ip[IP_FMT_LEN];
		sb_printf(ctx->out, "%-27s%-16s%-4s%-7s%-22s%s\n", ifp->name,
			  ifp->has_addr ? ip_fmt(ifp->addr, ip) : "unassigned", "YES", "NVRAM",
			  iface_status(ifp), iface_protocol(ifp));
	}
	return 0;
}

static void fmt_ago(char *buf, size_t n, uint64_t now, uint64_t then)
{
	if (!then) {
		snprintf(buf, n, "never");
		return;
	}
	uint64_t s = (now - then) / 1000;
	if (s < 86400)
		snprintf(buf, n, "%02llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
	else if (s < 7 * 86400)
		snprintf(buf, n, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
	else
		snprintf(buf, n, "%lluw%llud", (unsigned long long)(s / (7 * 86400)),
			 (unsigned long long)(s / 86400 % 7));
}

static void show_one(struct router *r, struct iface *ifp, struct strbuf *out)
{
	struct if_rate *rt = &NET(r)->rate[ifp->index];
	const struct iface_counters *c = &ifp->c;
	uint64_t now = ev_now(r->ev);
	char buf[64], buf2[64];
	sb_printf(out, "%s is %s, line protocol is %s\n", ifp->name, iface_status(ifp),
		  iface_protocol(ifp));
	if (!ifp->port) {
		sb_puts(out, "  Hardware is not bound to a port\n");
	} else if (ifp->port->ether) {
		net_fmt_mac(buf, sizeof(buf), ifp->port->mac);
		sb_printf(out, "  Hardware is Ethernet (%s), address is %s (bia %s)\n", ifp->port_spec,
			  buf, buf);
	} else {
		sb_printf(out, "  Hardware is %s link (%s)\n",
			  ifp->port->ops == &port_tun_ops ? "TUN" :
			  ifp->port->ops == &port_udp_ops ? "UDP" : "memory",
			  ifp->port_spec);
	}
	const struct cfg_iface *ci = config_iface(r->cfg, ifp->name);
	if (ci && ci->description[0])
		sb_printf(out, "  Description: %s\n", ci->description);
	if (ifp->has_addr)
		sb_printf(out, "  Internet address is %s/%u\n", ip_fmt(ifp->addr, buf),
			  route_mask_len(ifp->mask));
	sb_printf(out, "  MTU %u bytes, BW 100000 Kbit/sec, DLY 100 usec,\n", ifp->mtu);
	sb_puts(out, "     reliability 255/255, txload 1/255, rxload 1/255\n");
	sb_puts(out, "  Encapsulation ARPA, loopback not set\n");
	sb_puts(out, "  Keepalive set (10 sec)\n");
	if (ifp->port && ifp->port->ether)
		sb_puts(out, "  ARP type: ARPA, ARP Timeout 04:00:00\n");
	fmt_ago(buf, sizeof(buf), now, ifp->last_input_ms);
	fmt_ago(buf2, sizeof(buf2), now, ifp->last_output_ms);
	sb_printf(out, "  Last input %s, output %s, output hang never\n", buf, buf2);
	fmt_ago(buf, sizeof(buf), now, rt->cleared_ms);
	sb_printf(out, "  Last clearing of \"show interface\" counters %s\n", buf);
	sb_printf(out,
		  "  Input queue: 0/75/%llu/0 (size/max/drops/flushes); Total output drops: %llu\n",
		  (unsigned long long)(c->in_drops + c->in_frag_drops),
		  (unsigned long long)c->out_drops);
	sb_puts(out, "  Queueing strategy: fifo\n");
	sb_puts(out, "  Output queue: 0/40 (size/max)\n");
	sb_printf(out, "  5 minute input rate %llu bits/sec, %llu packets/sec\n",
		  (unsigned long long)rt->in_bps, (unsigned long long)rt->in_pps);
	sb_printf(out, "  5 minute output rate %llu bits/sec, %llu packets/sec\n",
		  (unsigned long long)rt->out_bps, (unsigned long long)rt->out_pps);
	sb_printf(out, "     %llu packets input, %llu bytes, 0 no buffer\n",
		  (unsigned long long)c->in_pkts, (unsigned long long)c->in_bytes);
	sb_printf(out, "     Received %llu broadcasts (0 IP multicasts)\n",
		  (unsigned long long)rt->in_bcast);
	sb_puts(out, "     0 runts, 0 giants, 0 throttles\n");
	sb_printf(out, "     %llu input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n",
		  (unsigned long long)c->in_errors);
	sb_puts(out, "     0 watchdog\n");
	sb_puts(out, "     0 input packets with dribble condition detected\n");
	sb_printf(out, "     %llu packets output, %llu bytes, 0 underruns\n",
		  (unsigned long long)c->out_pkts, (unsigned long long)c->out_bytes);
	sb_printf(out, "     %llu output errors, 0 collisions, 0 interface resets\n",
		  (unsigned long long)c->out_errors);
	sb_printf(out, "     %llu unknown protocol drops\n", (unsigned long long)rt->unknown_proto);
	if (ifp->port && ifp->port->vnet) {
		/* Not IOS: what spigot did for the host's checksum and segmentation offloads. */
		sb_printf(out, "     Offload: %llu checksums finished, %llu super-frames segmented "
			  "into %llu frames\n", (unsigned long long)c->gso.csum,
			  (unsigned long long)c->gso.frames, (unsigned long long)c->gso.segs);
		sb_printf(out, "     Offload: %llu bad offload headers, %llu segments lost (no buffer)\n",
			  (unsigned long long)c->gso.bad, (unsigned long long)c->gso.nomem);
	}
	if (ifp->port && ifp->port->ops == &port_packet_ops) {
		/* Not IOS: how a packet: port reads, and what the kernel dropped for us. */
		char how[64];
		packet_ring_stats(ifp->port);
		if (packet_ring_on(ifp->port)) {
			packet_ring_describe(ifp->port, how, sizeof(how));
			sb_printf(out, "     Rx ring: %s, %llu frames dropped by the kernel (ring full)\n",
				  how, (unsigned long long)c->ring_drops);
		} else {
			sb_printf(out, "     Rx ring: none, recvmmsg (%s), %llu fallbacks\n",
				  ifp->port->noring, (unsigned long long)c->ring_fallbacks);
		}
		workers_port_show(ifp->port, out);
	}
	sb_puts(out, "     0 babbles, 0 late collision, 0 deferred\n");
	sb_puts(out, "     0 lost carrier, 0 no carrier\n");
	sb_puts(out, "     0 output buffer failures, 0 output buffers swapped out\n");
}

/* `--json show interfaces` (docs/JSON.md): the same fields as show_one. */
static void show_one_json(struct router *r, struct iface *ifp, struct json *j)
{
	struct if_rate *rt = &NET(r)->rate[ifp->index];
	const struct iface_counters *c = &ifp->c;
	char buf[64];
	json_obj_begin(j, NULL);
	json_str(j, "name", ifp->name);
	json_str(j, "status", iface_status(ifp));
	json_str(j, "protocol", iface_protocol(ifp));
	json_str(j, "port", ifp->port ? ifp->port_spec : NULL);
	if (ifp->port && ifp->port->ether) {
		net_fmt_mac(buf, sizeof(buf), ifp->port->mac);
		json_str(j, "mac", buf);
	} else {
		json_null(j, "mac");
	}
	const struct cfg_iface *ci = config_iface(r->cfg, ifp->name);
	json_str(j, "description", ci && ci->description[0] ? ci->description : NULL);
	if (ifp->has_addr) {
		snprintf(buf, sizeof(buf), "%s/%u", ip_str(ifp->addr).s, route_mask_len(ifp->mask));
		json_str(j, "address", buf);
	} else {
		json_null(j, "address");
	}
	json_u64(j, "mtu", ifp->mtu);
	json_str(j, "crypto_map", ifp->crypto_map[0] ? ifp->crypto_map : NULL);
	json_obj_begin(j, "counters");
	json_u64(j, "packets_input", c->in_pkts);
	json_u64(j, "bytes_input", c->in_bytes);
	json_u64(j, "input_errors", c->in_errors);
	json_u64(j, "input_drops", c->in_drops + c->in_frag_drops);
	json_u64(j, "broadcasts_input", rt->in_bcast);
	json_u64(j, "packets_output", c->out_pkts);
	json_u64(j, "bytes_output", c->out_bytes);
	json_u64(j, "output_errors", c->out_errors);
	json_u64(j, "output_drops", c->out_drops);
	json_u64(j, "unknown_protocol_drops", rt->unknown_proto);
	json_obj_end(j);
	json_obj_begin(j, "rate_5min");
	json_u64(j, "input_bps", rt->in_bps);
	json_u64(j, "input_pps", rt->in_pps);
	json_u64(j, "output_bps", rt->out_bps);
	json_u64(j, "output_pps", rt->out_pps);
	json_obj_end(j);
	json_obj_end(j);
}

static int show_interfaces_json(struct cli_ctx *ctx, struct iface *only)
{
	struct router *r = ctx->r;
	struct json j;
	json_doc_begin(&j, ctx->out, "show interfaces");
	json_arr_begin(&j, "interfaces");
	for (int i = 0; i < r->niface; i++)
		if (!only || only == &r->ifaces[i])
			show_one_json(r, &r->ifaces[i], &j);
	json_arr_end(&j);
	json_doc_end(&j);
	ctx->json_done = true;
	return 0;
}

int net_cmd_show_interfaces(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct router *r = ctx->r;
	struct iface *ifp;
	if (!one_or_all(ctx, a, &ifp))
		return -1;
	if (ifp) {
		if (ctx->json)
			return show_interfaces_json(ctx, ifp);
		show_one(r, ifp, ctx->out);
		return 0;
	}
	if (ctx->json)
		return show_interfaces_json(ctx, NULL);
	for (int i = 0; i < r->niface; i++)
		show_one(r, &r->ifaces[i], ctx->out);
	return 0;
}

/* ---- show ip route ---- */

static uint8_t classful_len(uint32_t a)
{
	if (a < 0x80000000u)
		return 8;
	if (a < 0xc0000000u)
		return 16;
	if (a < 0xe0000000u)
		return 24;
	return 0;
}

static int cmp_show(const void *x, const void *y)
{
	const struct route *a = *(const struct route *const *)x, *b = *(const struct route *const *)y;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (a->distance != b->distance)
		return a->distance < b->distance ? -1 : 1;
	return (int)a->type - (int)b->type;
}

static const char *code_of(const struct route *rt)
{
	switch (rt->type) {
	case RT_CONNECTED: return "C";
	case RT_LOCAL: return "L";
	default: return rt->plen == 0 ? "S*" : "S";
	}
}

static void route_line(struct strbuf *out, const struct route *rt, bool sub, bool show_len,
		       bool cont)
{
	char p[IP_FMT_LEN + 3], gw[IP_FMT_LEN];
	ip_fmt(rt->prefix, p);
	if (show_len)
		snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%u", rt->plen);
	if (cont)
		sb_printf(out, "%*s", (int)((sub ? 9 : 6) + strlen(p)), "");
	else
		sb_printf(out, sub ? "%-9s%s" : "%-6s%s", code_of(rt), p);
	if (rt->type != RT_STATIC || !rt->gw) {
		sb_printf(out, " is directly connected, %s\n", rt->ifp->name);
		return;
	}
	sb_printf(out, " [%u/0] via %s\n", rt->distance, ip_fmt(rt->gw, gw));
}

/* Prints the best routes of v[0..n) (sorted), equal-cost duplicates as continuation lines. */
static void print_routes(struct strbuf *out, const struct route **v, size_t n, bool sub,
			 bool show_len)
{
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && v[i - 1]->prefix == v[i]->prefix && v[i - 1]->plen == v[i]->plen;
		if (same && (v[i]->distance != v[i - 1]->distance || v[i]->type != v[i - 1]->type))
			continue;	/* a worse route for the same prefix is not installed */
		route_line(out, v[i], sub, show_len, same);
	}
}

int net_cmd_show_ip_route(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct router *r = ctx->r;
	(void)a;
	if (!need_router(ctx))
		return -1;
	struct strbuf *out = ctx->out;
	const struct route_table *t = &NET(r)->rt;
	sb_puts(out,
		"Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
		"       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
		"       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
		"       E1 - OSPF external type 1, E2 - OSPF external type 2\n"
		"       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
		"       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
		"       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP\n"
		"       + - replicated route, % - next hop override\n\n");
	const struct route *def = route_table_lookup(t, 0);
	if (def && def->plen == 0) {
		char gw[IP_FMT_LEN];
		sb_printf(out, "Gateway of last resort is %s to network 0.0.0.0\n\n",
			  ip_fmt(def->gw, gw));
	} else {
		sb_puts(out, "Gateway of last resort is not set\n\n");
	}
	if (!t->n)
		return 0;
	const struct route **v = malloc(t->n * sizeof(*v));
	const struct route **grp = malloc(t->n * sizeof(*grp));
	bool *done = calloc(t->n, sizeof(bool));
	if (!v || !grp || !done) {
		free(v), free(grp), free(done);
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		v[i] = &t->v[i];
	qsort(v, t->n, sizeof(*v), cmp_show);
	for (size_t i = 0; i < t->n; i++) {
		if (done[i])
			continue;
		uint8_t cl = classful_len(v[i]->prefix);
		if (!cl || v[i]->plen < cl) {
			/* Supernets and the default stand alone. */
			size_t j = i;
			while (j < t->n && v[j]->prefix == v[i]->prefix && v[j]->plen == v[i]->plen) {
				grp[j - i] = v[j];
				done[j++] = true;
			}
			print_routes(out, grp, j - i, false, true);
			continue;
		}
		uint32_t cmask = 0xffffffffu << (32 - cl), major = v[i]->prefix & cmask;
		size_t n = 0, subnets = 0, masks = 0;
		bool seen_len[33] = { false };
		for (size_t j = i; j < t->n; j++) {
			if (done[j] || (v[j]->prefix & cmask) != major || v[j]->plen < cl)
				continue;
			if (n == 0 || grp[n - 1]->prefix != v[j]->prefix || grp[n - 1]->plen != v[j]->plen)
				subnets++;
			if (!seen_len[v[j]->plen]) {
				seen_len[v[j]->plen] = true;
				masks++;
			}
			grp[n++] = v[j];
			done[j] = true;
		}
		char net[IP_FMT_LEN];
		ip_fmt(major, net);
		if (subnets == 1 && grp[0]->plen == cl) {
			print_routes(out, grp, n, false, true);
		} else if (masks == 1) {
			sb_printf(out, "      %s/%u is subnetted, %zu subnet%s\n", net, grp[0]->plen,
				  subnets, subnets == 1 ? "" : "s");
			print_routes(out, grp, n, true, false);
		} else {
			sb_printf(out, "      %s/%u is variably subnetted, %zu subnets, %zu masks\n", net,
				  cl, subnets, masks);
			print_routes(out, grp, n, true, true);
		}
	}
	free(v);
	free(grp);
	free(done);
	return 0;
}

int net_cmd_show_arp(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	arp_show(ctx->r, ctx->out);
	return 0;
}

int net_cmd_clear_arp(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	arp_clear(ctx->r);
	return 0;
}

static void clear_one(struct router *r, struct iface *ifp)
{
	memset(&ifp->c, 0, sizeof(ifp->c));
	struct if_rate *rt = &NET(r)->rate[ifp->index];
	rt->last_in_bytes = rt->last_in_pkts = rt->last_out_bytes = rt->last_out_pkts = 0;
	rt->in_bcast = rt->unknown_proto = 0;
	rt->cleared_ms = ev_now(r->ev) ? ev_now(r->ev) : 1;
}

int net_cmd_clear_counters(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct router *r = ctx->r;
	struct iface *ifp;
	if (!one_or_all(ctx, a, &ifp))
		return -1;
	if (ifp) {
		clear_one(r, ifp);
		log_msg(&r->log, "CLEAR", SEV_NOTICE, "COUNTERS", "Clear counter on interface %s by vty",
			ifp->name);
		return 0;
	}
	for (int i = 0; i < r->niface; i++)
		clear_one(r, &r->ifaces[i]);
	log_msg(&r->log, "CLEAR", SEV_NOTICE, "COUNTERS", "Clear counter on all interfaces by vty");
	return 0;
}

int net_cmd_show_ip_traffic(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	if (!need_router(ctx))
		return -1;
	const struct ip_stats *s = &NET(ctx->r)->st;
	const struct arp_table *t = &NET(ctx->r)->arp;
	struct strbuf *o = ctx->out;
#define U(x) ((unsigned long long)(x))
	sb_puts(o, "IP statistics:\n");
	sb_printf(o, "  Rcvd:  %llu total, %llu local destination\n", U(s->rcvd), U(s->delivered));
	sb_printf(o, "         %llu format errors, %llu checksum errors, %llu bad hop count\n",
		  U(s->bad_hdr - s->bad_cksum), U(s->bad_cksum), U(s->bad_ttl));
	sb_printf(o, "         %llu unknown protocol, 0 not a gateway\n", U(s->unknown_proto));
	sb_printf(o, "  Frags: %llu reassembled, %llu timeouts, %llu couldn't reassemble\n",
		  U(s->reasm_ok), U(s->reasm_timeout), U(s->reasm_fail));
	sb_printf(o, "         %llu fragmented, %llu fragments, %llu couldn't fragment\n",
		  U(s->fragmented), U(s->frag_created), U(s->cant_fragment));
	sb_printf(o, "         %llu fragments received, %llu overlapping, %llu duplicate, "
		     "%llu oversized, %llu no reassembly memory, %llu evicted\n",
		  U(s->frag_rcvd), U(s->frag_overlap), U(s->frag_dup), U(s->frag_oversize),
		  U(s->frag_nomem), U(s->frag_evicted));
	sb_printf(o, "  Bcast: %llu received, 0 sent\n", U(s->bcast_rcvd));
	sb_printf(o, "  Mcast: %llu received, 0 sent\n", U(s->mcast_rcvd));
	sb_printf(o, "  Sent:  %llu generated, %llu forwarded\n", U(s->sent - s->forwarded),
		  U(s->forwarded));
	sb_printf(o, "  Drop:  %llu encapsulation failed, %llu unresolved, 0 no adjacency\n",
		  U(s->encap_failed), U(t->drops_unresolved));
	sb_printf(o, "         %llu no route, 0 unicast RPF, %llu forced drop\n", U(s->no_route),
		  U(s->policy_drops));
	sb_puts(o, "\nICMP statistics:\n");
	sb_printf(o, "  Rcvd: %llu format errors, %llu checksum errors, 0 redirects, %llu unreachable\n",
		  U(s->icmp_bad), U(s->icmp_bad), U(s->icmp_unreach_rcvd));
	sb_printf(o, "        %llu echo, %llu echo reply, 0 mask requests, 0 mask replies, 0 quench\n",
		  U(s->icmp_echo_rcvd), U(s->icmp_echo_reply_rcvd));
	sb_printf(o, "        0 parameter, 0 timestamp, 0 timestamp replies, 0 info request, %llu other\n",
		  U(s->icmp_other_rcvd));
	sb_printf(o, "        0 irdp solicitations, 0 irdp advertisements\n");
	sb_printf(o, "        %llu time exceeded\n", U(s->icmp_ttl_rcvd));
	sb_printf(o, "  Sent: 0 redirects, %llu unreachable, %llu echo, %llu echo reply\n",
		  U(s->icmp_unreach_sent), U(s->icmp_echo_sent), U(s->icmp_echo_reply_sent));
	sb_printf(o, "        0 mask requests, 0 mask replies, 0 quench, 0 timestamp\n");
	sb_printf(o, "        0 info reply, %llu time exceeded, 0 parameter problem\n",
		  U(s->icmp_ttl_sent));
	sb_printf(o, "        %llu rate-limited\n", U(s->icmp_ratelimited));
	sb_puts(o, "\nUDP statistics:\n");
	sb_printf(o, "  Rcvd: %llu total, %llu checksum errors, %llu no port\n", U(s->udp_rcvd),
		  U(s->udp_bad), U(s->udp_no_port));
	sb_printf(o, "  Sent: %llu total, 0 forwarded broadcasts\n", U(s->udp_sent));
	sb_puts(o, "\nARP statistics:\n");
	sb_printf(o, "  Rcvd: %llu requests, %llu replies, 0 reverse, %llu other\n",
		  U(t->requests_in), U(t->replies_in), U(t->drops_bad));
	sb_printf(o, "  Sent: %llu requests, %llu replies (0 proxy), 0 reverse\n", U(t->requests_out),
		  U(t->replies_out));
	sb_printf(o, "  Drop due to input queue full: 0\n");
	sb_printf(o, "  Entries evicted: %llu, unsolicited not learned: %llu, table full: %llu\n",
		  U(t->evicted), U(t->unsolicited_refused), U(t->drops_full));
#undef U
	return 0;
}

static const struct cmd_def net_cmds[] = {
	{ MODE_EXEC, "show ip interface brief", NULL, net_cmd_show_ip_int_brief, NULL },
	{ MODE_EXEC, "show interfaces [ IFNAME ]", NULL, net_cmd_show_interfaces, NULL },
	{ MODE_EXEC, "show ip route", NULL, net_cmd_show_ip_route, NULL },
	{ MODE_EXEC, "show ip traffic", NULL, net_cmd_show_ip_traffic, NULL },
	{ MODE_EXEC, "show arp", NULL, net_cmd_show_arp, NULL },
	{ MODE_EXEC, "show ip arp", NULL, net_cmd_show_arp, NULL },
	{ MODE_EXEC, "clear arp-cache", NULL, net_cmd_clear_arp, NULL },
	{ MODE_EXEC, "clear counters [ IFNAME ]", NULL, net_cmd_clear_counters, NULL },
	{ MODE_EXEC,
	  "ping A.B.C.D [ source { A.B.C.D | IFNAME } ] [ repeat <1-2147483647> ] "
	  "[ size <36-18024> ] [ timeout <0-3600> ] [ df-bit ]",
	  "ping:Send echo messages;source:specify source address or name;"
	  "repeat:specify repeat count;size:specify datagram size;"
	  "timeout:specify timeout interval;df-bit:enable do not fragment bit in IP header",
	  net_cmd_ping, NULL },
};
CMD_REGISTER(net_cmds)
