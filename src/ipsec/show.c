/*
 * show crypto ipsec sa / transform-set, show crypto map, clear crypto sa,
 * in the IOS layouts (see docs/show-formats.txt).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cmdtree.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/ipfmt.h"
#include "ipsec/ipsec_int.h"
#include "net/iface.h"
#include "router.h"

#define U(x) (unsigned long long)(x)

/* What the text and the JSON (docs/JSON.md) both show of one SA, computed once. */
struct sa_view {
	char xf[128];			/* "esp-des esp-sha-hmac " */
	bool timing;			/* a lifetime applies */
	uint64_t left_kb, left_sec;
};

static void sa_view(struct router *r, const struct ipsec_sa *sa, struct sa_view *v)
{
	const struct ipsec_bundle *b = sa->b;
	if (sa->proto == IPPROTO_AH_)
		xf_ah_text(&b->spec.xf, v->xf, sizeof(v->xf));
	else
		xf_esp_text(&b->spec.xf, v->xf, sizeof(v->xf));
	v->timing = b->life_sec || b->life_kb;
	uint64_t now = ev_now(r->ev), hard = b->created_ms + (uint64_t)b->life_sec * 1000;
	uint64_t life = (uint64_t)b->life_kb * 1024;
	v->left_kb = life > sa->bytes ? (life - sa->bytes) / 1024 : 0;
	v->left_sec = hard > now ? (hard - now) / 1000 : 0;
}

static void sa_block(struct router *r, struct strbuf *out, const struct ipsec_sa *sa)
{
	const struct ipsec_bundle *b = sa->b;
	struct sa_view v;
	sa_view(r, sa, &v);
	sb_printf(out, "      spi: 0x%X(%u)\n", sa->spi, sa->spi);
	sb_printf(out, "        transform: %s,\n", v.xf);
	sb_printf(out, "        in use settings ={Tunnel%s, }\n", b->spec.udp_encap ? " UDP-Encaps" : "");
	sb_printf(out, "        slot: 0, conn id: %u, flow_id: %u, crypto map: %s\n", sa->conn_id,
		  sa->flow_id, b->cmap_name);
	sb_puts(out, "        crypto engine type: Software\n");
	if (v.timing) {
		sb_printf(out, "        sa timing: remaining key lifetime (k/sec): (%llu/%llu)\n",
			  U(v.left_kb), U(v.left_sec));
	} else {
		sb_puts(out, "        no sa timing\n");
	}
	if (sa->proto == IPPROTO_ESP_)
		sb_printf(out, "        IV size: %zu bytes\n", sa->enc ? sa->enc->iv_len : 0);
	/* IOS names the window only when it is not the default 64 (the seed's layout). */
	sb_printf(out, "        replay detection support: %s", sa->no_replay ? "N" : "Y");
	if (!sa->no_replay && sa->rw.size != REPLAY_WINDOW_DEFAULT)
		sb_printf(out, "  replay window size: %u", sa->rw.size);
	sb_puts(out, "\n");
}

static void sa_section(struct router *r, struct strbuf *out, const struct ipsec_flowrec *fr,
		       const char *title, uint8_t proto, bool inbound)
{
	sb_printf(out, "     %s sas:\n", title);
	for (const struct ipsec_bundle *b = fr->bundles; b; b = b->fnext) {
		if (sadb_bundle_dead(b))
			continue;
		const struct ipsec_sa *sa = proto == IPPROTO_AH_ ? (inbound ? &b->ah_in : &b->ah_out)
								 : (inbound ? &b->esp_in : &b->esp_out);
		if (sa->used)
			sa_block(r, out, sa);
	}
	sb_puts(out, "\n");
}

/* A flow's peer, endpoints and current outbound SPI, for the text and the JSON. */
struct flow_view {
	uint32_t peer, local, spi;
	uint16_t port;
};

static void flow_view(const struct iface *ifp, const struct ipsec_flowrec *fr, struct flow_view *v)
{
	struct ipsec_bundle *b = ipsec_flow_out_bundle((struct ipsec_flowrec *)fr);
	v->peer = b ? b->spec.peer_addr : fr->peer;
	v->port = b && b->spec.peer_port ? b->spec.peer_port : 500;
	v->local = b ? b->spec.local_addr : ifp->addr;
	v->spi = 0;
	if (b)
		v->spi = b->spec.has_esp ? b->esp_out.spi : b->ah_out.spi;
}

static void flow_block(struct router *r, struct strbuf *out, const struct iface *ifp,
		       const struct ipsec_flowrec *fr, bool detail)
{
	const struct ipsec_counters *c = &fr->c;
	const struct ipsec_flow *f = &fr->flow;
	struct flow_view v;
	flow_view(ifp, fr, &v);
	uint32_t peer = v.peer, local = v.local;
	uint16_t port = v.port;

	sb_puts(out, "   protected vrf:\n");
	sb_printf(out, "   local  ident (addr/mask/prot/port): (%s/%s/%u/%u)\n",
		  ip_str(f->local).s, ip_str(f->local_mask).s, f->proto, f->local_port);
	sb_printf(out, "   remote ident (addr/mask/prot/port): (%s/%s/%u/%u)\n",
		  ip_str(f->remote).s, ip_str(f->remote_mask).s, f->proto, f->remote_port);
	sb_printf(out, "   current_peer: %s:%u\n", ip_str(peer).s, port);
	sb_printf(out, "     PERMIT, flags={%s}\n", fr->ace >= 0 ? "origin_is_acl," : "");
	sb_printf(out, "    #pkts encaps: %llu, #pkts encrypt: %llu, #pkts digest: %llu\n",
		  U(c->encaps), U(c->encrypt), U(c->digest));
	sb_printf(out, "    #pkts decaps: %llu, #pkts decrypt: %llu, #pkts verify: %llu\n",
		  U(c->decaps), U(c->decrypt), U(c->verify));
	sb_puts(out, "    #pkts compressed: 0, #pkts decompressed: 0\n");
	sb_puts(out, "    #pkts not compressed: 0, #pkts compr. failed: 0\n");
	sb_puts(out, "    #pkts not decompressed: 0, #pkts decompress failed: 0\n");
	if (detail) {
		sb_printf(out, "    #pkts no sa (send) %llu, #pkts invalid sa (rcv) %llu\n",
			  U(c->no_sa_send), U(c->invalid_sa_rcv));
		sb_printf(out, "    #pkts encaps failed (send) %llu, #pkts decaps failed (rcv) %llu\n",
			  U(c->encaps_failed), U(c->decaps_failed));
		sb_printf(out, "    #pkts invalid prot (recv) %llu, #pkts verify failed: %llu\n",
			  U(c->invalid_prot), U(c->verify_failed));
		sb_printf(out, "    #pkts invalid identity (recv) %llu, #pkts invalid len (rcv) %llu\n",
			  U(c->invalid_identity), U(c->invalid_len));
		sb_printf(out, "    #pkts replay rollover (send): %llu, #pkts replay rollover (rcv) %llu\n",
			  U(c->rollover_send), U(c->rollover_rcv));
		sb_printf(out, "    ##pkts replay failed (rcv): %llu\n", U(c->replay_failed));
		sb_printf(out, "    #pkts internal err (send): %llu, #pkts internal err (recv) %llu\n",
			  U(c->internal_send), U(c->internal_recv));
		sb_printf(out, "    #pkts bad pad (rcv) %llu, #pkts cleartext dropped (rcv) %llu\n",
			  U(c->bad_pad), U(c->cleartext));
		sb_printf(out, "    #pkts held (send) %llu, #pkts hold overflow (send) %llu, "
			  "#pkts too big (send) %llu, #pkts prefragmented (send) %llu\n",
			  U(c->held), U(c->hold_overflow), U(c->too_big), U(c->prefrag));
	}
	sb_printf(out, "    #send errors %llu, #recv errors %llu\n\n", U(c->send_errors),
		  U(c->recv_errors));
	sb_printf(out, "     local crypto endpt.: %s, remote crypto endpt.: %s\n",
		  ip_str(local).s, ip_str(peer).s);
	sb_printf(out, "     path mtu %u, media mtu %u\n", ifp->mtu ? ifp->mtu : 1500,
		  ifp->mtu ? ifp->mtu : 1500);
	sb_printf(out, "     current outbound spi: %X\n\n", v.spi);
	sa_section(r, out, fr, "inbound esp", IPPROTO_ESP_, true);
	sa_section(r, out, fr, "inbound ah", IPPROTO_AH_, true);
	sb_puts(out, "     inbound pcp sas:\n\n");
	sa_section(r, out, fr, "outbound esp", IPPROTO_ESP_, false);
	sa_section(r, out, fr, "outbound ah", IPPROTO_AH_, false);
	sb_puts(out, "     outbound pcp sas:\n");
}

/*
 * Which interfaces and flows `show crypto ipsec sa [interface|map|peer]`
 * lists: one answer for the text and the JSON rendering.
 */
static bool iface_shown(const struct iface *ifp, enum ipsec_show_filter f, const char *name)
{
	if (!ifp->crypto_map[0])
		return false;
	if (f == SHOW_IFACE && strcasecmp(ifp->name, name))
		return false;
	return f != SHOW_MAP || !strcmp(ifp->crypto_map, name);
}

static bool flow_shown(const struct iface *ifp, const struct ipsec_flowrec *fr,
		       enum ipsec_show_filter f, uint32_t peer)
{
	if (strcmp(fr->cmap, ifp->crypto_map))
		return false;
	if (f != SHOW_PEER)
		return true;
	struct flow_view v;
	flow_view(ifp, fr, &v);
	return v.peer == peer;
}

void ipsec_show_sa(struct router *r, struct strbuf *out, enum ipsec_show_filter f,
		   const char *name, uint32_t peer, bool detail)
{
	struct ipsec_state *st = r->ipsec;
	for (int i = 0; i < r->niface; i++) {
		const struct iface *ifp = &r->ifaces[i];
		if (!iface_shown(ifp, f, name))
			continue;
		bool header = false;
		for (const struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next) {
			if (!flow_shown(ifp, fr, f, peer))
				continue;
			if (!header) {
				sb_printf(out, "\ninterface: %s\n    Crypto map tag: %s, local addr. "
					  "%s\n", ifp->name, ifp->crypto_map, ip_str(ifp->addr).s);
				header = true;
			}
			sb_puts(out, "\n");
			flow_block(r, out, ifp, fr, detail);
		}
		if (!header && f != SHOW_PEER)
			sb_printf(out, "\ninterface: %s\n    Crypto map tag: %s, local addr. "
				  "%s\n", ifp->name, ifp->crypto_map, ip_str(ifp->addr).s);
	}
	if (detail) {
		const struct ipsec_global_counters *g = &st->g;
		sb_puts(out, "\nIPsec drops outside any SA:\n");
		sb_printf(out, "    #pkts invalid spi (esp) %llu, #pkts invalid spi (ah) %llu\n",
			  U(g->inv_spi_esp), U(g->inv_spi_ah));
		sb_printf(out, "    #pkts malformed (esp) %llu, #pkts malformed (ah) %llu\n",
			  U(g->malformed_esp), U(g->malformed_ah));
		sb_printf(out, "    #pkts cleartext on crypto interface %llu, #pkts no route to peer %llu\n",
			  U(g->cleartext), U(g->no_route));
		sb_printf(out, "    #pkts not ESP/AH %llu, #SA installs refused %llu\n", U(g->not_ipsec),
			  U(g->install_failed));
		sb_printf(out, "    #pkts to a non-endpoint address %llu\n", U(g->wrong_dst));
		sb_printf(out, "    #SA bundle state changes refused %llu\n", U(g->state_refused));
	}
}

void ipsec_show_tsets(struct router *r, struct strbuf *out, const char *tag)
{
	const struct config *cfg = r->cfg;
	for (size_t i = 0; i < cfg->ntset; i++) {
		const struct cfg_transform_set *ts = &cfg->tsets[i];
		if (tag && strcmp(ts->name, tag))
			continue;
		char ah[64], esp[128];
		xf_ah_text(ts, ah, sizeof(ah));
		xf_esp_text(ts, esp, sizeof(esp));
		const char *mode = ts->transport ? "Transport" : "Tunnel";
		sb_printf(out, "Transform set %s: ", ts->name);
		bool first = true;
		if (ah[0]) {
			sb_printf(out, "{ %s }\n   will negotiate = { %s,  },\n", ah, mode);
			first = false;
		}
		if (esp[0])
			sb_printf(out, "%s{ %s }\n   will negotiate = { %s,  },\n", first ? "" : "   ",
				  esp, mode);
		sb_puts(out, "\n");
	}
}

static void addr_text(struct strbuf *out, uint32_t a, uint32_t wild)
{
	if (wild == 0)
		sb_printf(out, " host %s", ip_str(a).s);
	else if (wild == 0xffffffffu)
		sb_puts(out, " any");
	else
		sb_printf(out, " %s %s", ip_str(a).s, ip_str(wild).s);
}

static void port_text(struct strbuf *out, enum cfg_port_op op, const uint16_t *p)
{
	static const char *ops[] = { "", "eq", "neq", "lt", "gt", "range" };
	if (op == PORT_ANY || op > PORT_RANGE)
		return;
	sb_printf(out, " %s %u", ops[op], p[0]);
	if (op == PORT_RANGE)
		sb_printf(out, " %u", p[1]);
}

static void ace_text(struct strbuf *out, int number, const struct cfg_ace *a)
{
	if (a->remark) {
		sb_printf(out, "access-list %d remark %s", number, a->remark);
		return;
	}
	sb_printf(out, "access-list %d %s", number, a->permit ? "permit" : "deny");
	if (!a->extended) {
		addr_text(out, a->src, a->src_wild);
		return;
	}
	switch (a->proto) {
	case 0: sb_puts(out, " ip"); break;
	case 1: sb_puts(out, " icmp"); break;
	case 6: sb_puts(out, " tcp"); break;
	case 17: sb_puts(out, " udp"); break;
	case 47: sb_puts(out, " gre"); break;
	case 50: sb_puts(out, " esp"); break;
	case 51: sb_puts(out, " ahp"); break;
	default: sb_printf(out, " %u", a->proto); break;
	}
	addr_text(out, a->src, a->src_wild);
	port_text(out, a->sop, a->sport);
	addr_text(out, a->dst, a->dst_wild);
	port_text(out, a->dop, a->dport);
	if (a->log)
		sb_puts(out, " log");
}

void ipsec_show_map(struct router *r, struct strbuf *out, const char *tag)
{
	const struct config *cfg = r->cfg;
	struct ipsec_state *st = r->ipsec;
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		if (tag && strcmp(e->name, tag))
			continue;
		sb_printf(out, "Crypto Map \"%s\" %d %s\n", e->name, e->seq,
			  e->manual ? "ipsec-manual" : "ipsec-isakmp");
		if (e->description[0])
			sb_printf(out, "        Description: %s\n", e->description);
		for (size_t j = 0; j < e->npeers; j++)
			sb_printf(out, "        Peer = %s\n", ip_str(e->peers[j]).s);
		const struct cfg_acl *acl = e->acl ? config_acl(cfg, e->acl) : NULL;
		if (acl) {
			sb_printf(out, "        %s IP access list %d\n",
				  acl->number < 100 ? "Standard" : "Extended", acl->number);
			for (size_t j = 0; j < acl->nace; j++) {
				if (acl->aces[j].remark)
					continue;
				sb_puts(out, "            ");
				ace_text(out, acl->number, &acl->aces[j]);
				sb_puts(out, "\n");
			}
		} else if (e->acl) {
			sb_printf(out, "        Extended IP access list %d (not defined)\n", e->acl);
		} else {
			sb_puts(out, "        No matching address list set.\n");
		}
		/* The peer the entry's SAs actually use, else the first configured. */
		uint32_t cur = e->npeers ? e->peers[0] : 0;
		for (const struct ipsec_bundle *b = st->bundles; b; b = b->next)
			if (!strcmp(b->cmap_name, e->name) && b->spec.cmap_seq == e->seq && !sadb_bundle_dead(b))
				cur = b->spec.peer_addr;
		if (cur)
			sb_printf(out, "        Current peer: %s\n", ip_str(cur).s);
		if (!e->manual) {
			sb_printf(out, "        Security association lifetime: %u kilobytes/%u seconds\n",
				  config_cmap_life_kb(cfg, e), config_cmap_life_sec(cfg, e));
			if (e->pfs_group)
				sb_printf(out, "        PFS (Y/N): Y\n        DH group:  group%d\n",
					  e->pfs_group);
			else
				sb_puts(out, "        PFS (Y/N): N\n");
		}
		sb_puts(out, "        Transform sets={ ");
		for (size_t j = 0; j < e->ntsets; j++)
			sb_printf(out, "%s, ", e->tsets[j]);
		sb_puts(out, "}\n");
		if (e->manual) {
			static const char *dir[2] = { "Inbound", "Outbound" };
			for (int d = 0; d < 2; d++) {
				if (e->ah_key[d].set)
					sb_printf(out, "        %s ah spi: %u,\n", dir[d], e->ah_key[d].spi);
				if (e->esp_key[d].set)
					sb_printf(out, "        %s esp spi: %u,\n", dir[d], e->esp_key[d].spi);
			}
		}
		if (i + 1 == cfg->ncmap || strcmp(cfg->cmaps[i + 1].name, e->name)) {
			sb_printf(out, "        Interfaces using crypto map %s:\n", e->name);
			for (int j = 0; j < r->niface; j++)
				if (!strcmp(r->ifaces[j].crypto_map, e->name))
					sb_printf(out, "                %s\n", r->ifaces[j].name);
		}
		sb_puts(out, "\n");
	}
}

static bool bundle_matches(const struct ipsec_bundle *b, enum ipsec_show_filter f, const char *map,
			   uint32_t addr, uint8_t proto, uint32_t spi)
{
	switch (f) {
	case SHOW_ALL: return true;
	case SHOW_PEER: return b->spec.peer_addr == addr;
	case SHOW_MAP: return !strcmp(b->cmap_name, map);
	case SHOW_IFACE: {
		/* by SPI: the SA whose destination is addr, either direction */
		const struct ipsec_sa *in = proto == IPPROTO_AH_ ? &b->ah_in : &b->esp_in;
		const struct ipsec_sa *out = proto == IPPROTO_AH_ ? &b->ah_out : &b->esp_out;
		return (in->used && in->spi == spi && b->spec.local_addr == addr) ||
		       (out->used && out->spi == spi && b->spec.peer_addr == addr);
	}
	}
	return false;
}

int ipsec_clear_sa(struct router *r, enum ipsec_show_filter f, const char *map, uint32_t addr,
		   uint8_t proto, uint32_t spi, bool counters)
{
	struct ipsec_state *st = r->ipsec;
	int n = 0;
	if (!counters) {
		struct ipsec_bundle *b, *next;
		for (b = st->bundles; b; b = next) {
			next = b->next;
			if (!bundle_matches(b, f, map, addr, proto, spi))
				continue;
			/* Before the delete: a flow only IKE knew goes with its last bundle. */
			memset(&b->fr->c, 0, sizeof(b->fr->c));
			sadb_bundle_delete(st, b, SADB_DEL_CLEAR);
			n++;
		}
	}
	for (struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next) {
		bool hit = f == SHOW_ALL || (f == SHOW_MAP && !strcmp(fr->cmap, map)) ||
			   (f == SHOW_PEER && fr->peer == addr);
		if (hit)
			memset(&fr->c, 0, sizeof(fr->c));
	}
	if (counters)
		memset(&st->g, 0, sizeof(st->g));
	/* IOS re-creates manual SAs at once: they are configuration. */
	ipsec_manual_sync(st);
	return n;
}

/* ---- `--json show crypto ipsec sa` (docs/JSON.md): the same walk and views ---- */

static void json_sas(struct json *j, struct router *r, const struct ipsec_flowrec *fr, const char *key,
		     uint8_t proto, bool inbound)
{
	json_arr_begin(j, key);
	for (const struct ipsec_bundle *b = fr->bundles; b; b = b->fnext) {
		if (sadb_bundle_dead(b))
			continue;
		const struct ipsec_sa *sa = proto == IPPROTO_AH_ ? (inbound ? &b->ah_in : &b->ah_out)
								 : (inbound ? &b->esp_in : &b->esp_out);
		if (!sa->used)
			continue;
		struct sa_view v;
		sa_view(r, sa, &v);
		size_t n = strlen(v.xf);
		while (n && v.xf[n - 1] == ' ')
			v.xf[--n] = '\0';
		char hex[16];
		snprintf(hex, sizeof(hex), "0x%X", sa->spi);
		json_obj_begin(j, NULL);
		json_u64(j, "spi", sa->spi);
		json_str(j, "spi_hex", hex);
		json_str(j, "transform", v.xf);
		json_str(j, "mode", b->spec.udp_encap ? "Tunnel UDP-Encaps" : "Tunnel");
		json_u64(j, "conn_id", sa->conn_id);
		json_u64(j, "flow_id", sa->flow_id);
		json_str(j, "crypto_map", b->cmap_name);
		if (v.timing) {
			json_u64(j, "remaining_kb", v.left_kb);
			json_u64(j, "remaining_sec", v.left_sec);
		} else {
			json_null(j, "remaining_kb");
			json_null(j, "remaining_sec");
		}
		if (sa->proto == IPPROTO_ESP_)
			json_u64(j, "iv_size", sa->enc ? sa->enc->iv_len : 0);
		json_bool(j, "replay_detection", !sa->no_replay);
		if (sa->no_replay)
			json_null(j, "replay_window");
		else
			json_u64(j, "replay_window", sa->rw.size);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_ident(struct json *j, const char *key, uint32_t a, uint32_t m, uint8_t proto, uint16_t port)
{
	json_obj_begin(j, key);
	json_ip(j, "addr", a);
	json_ip(j, "mask", m);
	json_u64(j, "prot", proto);
	json_u64(j, "port", port);
	json_obj_end(j);
}

static void json_flow(struct json *j, struct router *r, const struct iface *ifp,
		      const struct ipsec_flowrec *fr)
{
	const struct ipsec_counters *c = &fr->c;
	const struct ipsec_flow *f = &fr->flow;
	struct flow_view v;
	flow_view(ifp, fr, &v);
	json_obj_begin(j, NULL);
	json_ident(j, "local_ident", f->local, f->local_mask, f->proto, f->local_port);
	json_ident(j, "remote_ident", f->remote, f->remote_mask, f->proto, f->remote_port);
	json_ip(j, "current_peer", v.peer);
	json_u64(j, "current_peer_port", v.port);
	json_ip(j, "local_crypto_endpt", v.local);
	json_ip(j, "remote_crypto_endpt", v.peer);
	json_u64(j, "path_mtu", ifp->mtu ? ifp->mtu : 1500);
	char hex[16];
	snprintf(hex, sizeof(hex), "%X", v.spi);
	json_str(j, "current_outbound_spi", hex);
	json_obj_begin(j, "counters");
	static const struct {
		const char *name;
		size_t off;
	} ctr[] = {
#define C(x) { #x, offsetof(struct ipsec_counters, x) }
		C(encaps), C(encrypt), C(digest), C(decaps), C(decrypt), C(verify),
		C(send_errors), C(recv_errors), C(no_sa_send), C(invalid_sa_rcv),
		C(encaps_failed), C(decaps_failed), C(invalid_prot), C(verify_failed),
		C(invalid_identity), C(invalid_len), C(rollover_send), C(rollover_rcv),
		C(replay_failed), C(internal_send), C(internal_recv), C(bad_pad), C(held),
		C(hold_overflow), C(too_big), C(prefrag), C(cleartext),
#undef C
	};
	for (size_t i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++)
		json_u64(j, ctr[i].name, *(const uint64_t *)((const char *)c + ctr[i].off));
	json_obj_end(j);
	json_sas(j, r, fr, "inbound_esp_sas", IPPROTO_ESP_, true);
	json_sas(j, r, fr, "inbound_ah_sas", IPPROTO_AH_, true);
	json_sas(j, r, fr, "outbound_esp_sas", IPPROTO_ESP_, false);
	json_sas(j, r, fr, "outbound_ah_sas", IPPROTO_AH_, false);
	json_obj_end(j);
}

static void ipsec_show_sa_json(struct router *r, struct json *j, enum ipsec_show_filter f,
			       const char *name, uint32_t peer)
{
	struct ipsec_state *st = r->ipsec;
	json_arr_begin(j, "interfaces");
	for (int i = 0; i < r->niface; i++) {
		const struct iface *ifp = &r->ifaces[i];
		if (!iface_shown(ifp, f, name))
			continue;
		json_obj_begin(j, NULL);
		json_str(j, "interface", ifp->name);
		json_str(j, "crypto_map", ifp->crypto_map);
		json_ip(j, "local_addr", ifp->addr);
		json_arr_begin(j, "flows");
		for (const struct ipsec_flowrec *fr = st->flows; fr; fr = fr->next) {
			if (flow_shown(ifp, fr, f, peer))
				json_flow(j, r, ifp, fr);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	const struct ipsec_global_counters *g = &st->g;
	json_obj_begin(j, "drops_outside_sa");
	json_u64(j, "invalid_spi_esp", g->inv_spi_esp);
	json_u64(j, "invalid_spi_ah", g->inv_spi_ah);
	json_u64(j, "malformed_esp", g->malformed_esp);
	json_u64(j, "malformed_ah", g->malformed_ah);
	json_u64(j, "cleartext", g->cleartext);
	json_u64(j, "no_route", g->no_route);
	json_u64(j, "not_ipsec", g->not_ipsec);
	json_u64(j, "install_failed", g->install_failed);
	json_u64(j, "state_refused", g->state_refused);
	json_obj_end(j);
}

static void show_sa_any(struct cli_ctx *ctx, enum ipsec_show_filter f, const char *name,
			uint32_t peer, bool detail)
{
	if (!ctx->json) {
		ipsec_show_sa(ctx->r, ctx->out, f, name, peer, detail);
		return;
	}
	struct json j;
	json_doc_begin(&j, ctx->out, "show crypto ipsec sa");
	ipsec_show_sa_json(ctx->r, &j, f, name, peer);
	json_doc_end(&j);
	ctx->json_done = true;
}

static int show_sa_cmd(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t peer = 0;
	if (cmd_has(a, "interface")) {
		/* The command tree hands IFNAME over expanded ("fa0/0" -> FastEthernet0/0). */
		const char *n = cmd_after(a, "interface");
		if (!n || !router_iface(ctx->r, n)) {
			sb_puts(ctx->out, "% Invalid input detected at '^' marker.\n");
			return -1;
		}
		show_sa_any(ctx, SHOW_IFACE, n, 0, false);
	} else if (cmd_after_ip(a, "peer", &peer)) {
		show_sa_any(ctx, SHOW_PEER, NULL, peer, false);
	} else if (cmd_has(a, "map")) {
		show_sa_any(ctx, SHOW_MAP, cmd_after(a, "map"), 0, false);
	} else {
		show_sa_any(ctx, SHOW_ALL, NULL, 0, cmd_has(a, "detail"));
	}
	return 0;
}

static int show_tset_cmd(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ipsec_show_tsets(ctx->r, ctx->out, cmd_after(a, "tag"));
	return 0;
}

static int show_map_cmd(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ipsec_show_map(ctx->r, ctx->out, cmd_after(a, "tag"));
	return 0;
}

static int clear_sa_cmd(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t addr = 0, spi = 0;
	if (cmd_after_ip(a, "peer", &addr)) {
		ipsec_clear_sa(ctx->r, SHOW_PEER, NULL, addr, 0, 0, false);
	} else if (cmd_has(a, "map")) {
		ipsec_clear_sa(ctx->r, SHOW_MAP, cmd_after(a, "map"), 0, 0, 0, false);
	} else if (cmd_after_ip(a, "spi", &addr)) {
		uint8_t proto = cmd_has(a, "ah") ? IPPROTO_AH_ : IPPROTO_ESP_;
		if (!cmd_after_u32(a, proto == IPPROTO_AH_ ? "ah" : "esp", &spi)) {
			sb_puts(ctx->out, "% Incomplete command.\n");
			return -1;
		}
		ipsec_clear_sa(ctx->r, SHOW_IFACE, NULL, addr, proto, spi, false);
	} else {
		ipsec_clear_sa(ctx->r, SHOW_ALL, NULL, 0, 0, 0, cmd_has(a, "counters"));
	}
	return 0;
}

static const struct cmd_def ipsec_cmds[] = {
	{ MODE_EXEC, "show crypto ipsec sa [ interface IFNAME | peer A.B.C.D | map WORD | detail ]",
	  "ipsec:Show IPSEC info;sa:IPSEC SA table;detail:detailed error counters",
	  show_sa_cmd, NULL },
	{ MODE_EXEC, "show crypto ipsec transform-set [ tag WORD ]",
	  "transform-set:Crypto transform sets;tag:Show a transform set with the given tag",
	  show_tset_cmd, NULL },
	{ MODE_EXEC, "show crypto map [ tag WORD ]",
	  "map:Crypto maps;tag:Crypto maps with a given tag", show_map_cmd, NULL },
	{ MODE_EXEC,
	  "clear crypto sa [ peer A.B.C.D | map WORD | spi A.B.C.D { ah | esp } <256-4294967295> | counters ]",
	  "sa:IPSEC SA;spi:Clear SA by SPI;counters:Reset the SA counters", clear_sa_cmd, NULL },
};
CMD_REGISTER(ipsec_cmds)
