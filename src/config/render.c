/*
 * `show running-config`: the order list says where each block goes; each
 * block renders the way IOS prints it, leaving out what is at its default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"
#include "config/load.h"
#include "core/ipfmt.h"

static void ip(struct strbuf *out, uint32_t a)
{
	char b[IP_FMT_LEN];
	sb_puts(out, ip_fmt(a, b));
}

static void extras(struct strbuf *out, const struct cfg_opaque *x, int which)
{
	/* which: 0 all, 1 only "ip ..."/"no ip ...", 2 the others */
	for (size_t i = 0; i < x->nsub; i++) {
		const char *s = x->sub[i];
		bool ipish = strncmp(s, "ip ", 3) == 0 || strncmp(s, "no ip ", 6) == 0;
		if (which == 0 || (which == 1) == ipish)
			sb_printf(out, " %s\n", s);
	}
}

static void r_policy(struct strbuf *out, const struct cfg_isakmp_policy *p)
{
	sb_printf(out, "crypto isakmp policy %d\n", p->priority);
	static const char *const enc[] = { "", "des", "3des", "aes", "aes 192", "aes 256" };
	static const char *const hash[] = { "", "sha", "md5", "sha256", "sha384", "sha512" };
	static const char *const auth[] = { "", "pre-share", "rsa-sig", "rsa-encr" };
	if (p->enc != IKE_ENC_DES && (unsigned)p->enc < 6)
		sb_printf(out, " encr %s\n", enc[p->enc]);
	if (p->hash != IKE_HASH_SHA1 && (unsigned)p->hash < 6)
		sb_printf(out, " hash %s\n", hash[p->hash]);
	if (p->auth != IKE_AUTH_RSA_SIG && (unsigned)p->auth < 4)
		sb_printf(out, " authentication %s\n", auth[p->auth]);
	if (p->group != 1)
		sb_printf(out, " group %d\n", p->group);
	if (p->lifetime != 86400)
		sb_printf(out, " lifetime %u\n", p->lifetime);
	extras(out, &p->extra, 0);
}

static void r_keys(struct strbuf *out, const struct config *c)
{
	for (size_t i = 0; i < c->nkey; i++) {
		const struct cfg_isakmp_key *k = &c->keys[i];
		sb_puts(out, "crypto isakmp key ");
		if (k->enc_type >= 0)
			sb_printf(out, "%d ", k->enc_type);
		sb_printf(out, "%s address ", k->key);
		ip(out, k->addr);
		if (k->mask != 0xffffffff) {
			sb_puts(out, " ");
			ip(out, k->mask);
		}
		if (k->no_xauth)
			sb_puts(out, " no-xauth");
		sb_puts(out, "\n");
	}
}

static void r_isr(struct strbuf *out, const struct cfg_isr *isr)
{
	if (isr->enabled)
		sb_puts(out, "crypto isakmp invalid-spi-recovery\n");
	if (isr->holddown_sec != 10)
		sb_printf(out, "crypto isakmp invalid-spi-recovery holddown %u\n", isr->holddown_sec);
	if (isr->notify_holddown_sec != 1)
		sb_printf(out, "crypto isakmp invalid-spi-recovery notify-holddown %u\n", isr->notify_holddown_sec);
	if (isr->budget_per_sec != 10)
		sb_printf(out, "crypto isakmp invalid-spi-recovery budget %u\n", isr->budget_per_sec);
	if (isr->max_pending != 64)
		sb_printf(out, "crypto isakmp invalid-spi-recovery max-pending %u\n", isr->max_pending);
	if (!isr->restore_phase2)
		sb_puts(out, "no crypto isakmp invalid-spi-recovery restore-phase2\n");
	if (isr->contact_on_start)
		sb_puts(out, "crypto isakmp invalid-spi-recovery contact-peers-on-start\n");
}

static void r_tset(struct strbuf *out, const struct cfg_transform_set *t)
{
	sb_printf(out, "crypto ipsec transform-set %s", t->name);
	if (t->ah)
		sb_printf(out, " %s", cfg_xf_ah_name(t->ah));
	if (t->esp_enc) {
		sb_printf(out, " %s", cfg_xf_enc_name(t->esp_enc));
		if (t->esp_keybits)
			sb_printf(out, " %u", t->esp_keybits);
	}
	if (t->esp_auth)
		sb_printf(out, " %s", cfg_xf_auth_name(t->esp_auth));
	sb_puts(out, "\n");
	if (t->transport)
		sb_puts(out, " mode transport\n");
	extras(out, &t->extra, 0);
}

static void hex(struct strbuf *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(out, "%02x", b[i]);
}

static void r_cmap(struct strbuf *out, const struct cfg_cmap_entry *e)
{
	sb_printf(out, "crypto map %s %d %s\n", e->name, e->seq, e->manual ? "ipsec-manual" : "ipsec-isakmp");
	if (e->description[0])
		sb_printf(out, " description %s\n", e->description);
	for (size_t i = 0; i < e->npeers; i++) {
		sb_puts(out, " set peer ");
		ip(out, e->peers[i]);
		sb_puts(out, "\n");
	}
	for (int d = 0; d < 2; d++) {
		const char *dir = d ? "outbound" : "inbound";
		const struct cfg_session_key *ah = &e->ah_key[d], *esp = &e->esp_key[d];
		if (ah->set) {
			sb_printf(out, " set session-key %s ah %u ", dir, ah->spi);
			hex(out, ah->auth, ah->auth_len);
			sb_puts(out, "\n");
		}
		if (esp->set) {
			sb_printf(out, " set session-key %s esp %u", dir, esp->spi);
			if (esp->cipher_len) {
				sb_puts(out, " cipher ");
				hex(out, esp->cipher, esp->cipher_len);
			}
			if (esp->auth_len) {
				sb_puts(out, " authenticator ");
				hex(out, esp->auth, esp->auth_len);
			}
			sb_puts(out, "\n");
		}
	}
	if (e->life_sec)
		sb_printf(out, " set security-association lifetime seconds %u\n", e->life_sec);
	if (e->life_kb)
		sb_printf(out, " set security-association lifetime kilobytes %u\n", e->life_kb);
	if (e->ntsets) {
		sb_puts(out, " set transform-set");
		for (size_t i = 0; i < e->ntsets; i++)
			sb_printf(out, " %s", e->tsets[i]);
		sb_puts(out, "\n");
	}
	if (e->pfs_group)
		sb_printf(out, " set pfs group%d\n", e->pfs_group);
	if (e->ikev2_profile[0])
		sb_printf(out, " set ikev2-profile %s\n", e->ikev2_profile);
	if (e->acl)
		sb_printf(out, " match address %d\n", e->acl);
	extras(out, &e->extra, 0);
}

static void r_iface(struct strbuf *out, const struct cfg_iface *f)
{
	sb_printf(out, "interface %s\n", f->name);
	if (f->description[0])
		sb_printf(out, " description %s\n", f->description);
	if (f->has_addr) {
		sb_puts(out, " ip address ");
		ip(out, f->addr);
		sb_puts(out, " ");
		ip(out, f->mask);
		sb_puts(out, "\n");
	} else {
		sb_puts(out, " no ip address\n");
	}
	if (f->mtu)
		sb_printf(out, " ip mtu %u\n", f->mtu);
	extras(out, &f->extra, 1);
	if (f->shutdown)
		sb_puts(out, " shutdown\n");
	extras(out, &f->extra, 2);
	if (f->crypto_map[0])
		sb_printf(out, " crypto map %s\n", f->crypto_map);
}

static void r_routes(struct strbuf *out, const struct config *c)
{
	for (size_t i = 0; i < c->nroute; i++) {
		const struct cfg_route *r = &c->routes[i];
		sb_puts(out, "ip route ");
		ip(out, r->prefix);
		sb_puts(out, " ");
		ip(out, r->mask);
		sb_puts(out, " ");
		if (r->ifname[0])
			sb_puts(out, r->ifname);
		else
			ip(out, r->nexthop);
		if (r->distance != 1)
			sb_printf(out, " %u", r->distance);
		sb_puts(out, "\n");
	}
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 0: return "ip";
	case 1: return "icmp";
	case 2: return "igmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ahp";
	case 88: return "eigrp";
	case 89: return "ospf";
	case 103: return "pim";
	default: return NULL;
	}
}

static void r_addr(struct strbuf *out, uint32_t a, uint32_t w)
{
	if (w == 0xffffffff) {
		sb_puts(out, " any");
	} else if (w == 0) {
		sb_puts(out, " host ");
		ip(out, a);
	} else {
		sb_puts(out, " ");
		ip(out, a);
		sb_puts(out, " ");
		ip(out, w);
	}
}

static void r_port(struct strbuf *out, uint8_t proto, uint16_t p)
{
	const char *n = cfg_port_name(p, proto);
	if (n)
		sb_printf(out, " %s", n);
	else
		sb_printf(out, " %u", p);
}

static void r_ports(struct strbuf *out, uint8_t proto, enum cfg_port_op op, const uint16_t p[2])
{
	static const char *const ops[] = { "", "eq", "neq", "lt", "gt", "range" };
	if (op == PORT_ANY || (unsigned)op > PORT_RANGE)
		return;
	sb_printf(out, " %s", ops[op]);
	r_port(out, proto, p[0]);
	if (op == PORT_RANGE)
		r_port(out, proto, p[1]);
}

static void r_acl(struct strbuf *out, const struct cfg_acl *acl)
{
	for (size_t i = 0; i < acl->nace; i++) {
		const struct cfg_ace *e = &acl->aces[i];
		sb_printf(out, "access-list %d", acl->number);
		if (e->remark) {
			sb_printf(out, " remark %s\n", e->remark);
			continue;
		}
		sb_puts(out, e->permit ? " permit" : " deny");
		if (!e->extended) {
			if (e->src_wild == 0xffffffff) {
				sb_puts(out, " any");
			} else {
				sb_puts(out, " ");
				ip(out, e->src);
				if (e->src_wild) {
					sb_puts(out, " ");
					ip(out, e->src_wild);
				}
			}
		} else {
			const char *pn = proto_name(e->proto);
			if (pn)
				sb_printf(out, " %s", pn);
			else
				sb_printf(out, " %u", e->proto);
			r_addr(out, e->src, e->src_wild);
			r_ports(out, e->proto, e->sop, e->sport);
			r_addr(out, e->dst, e->dst_wild);
			r_ports(out, e->proto, e->dop, e->dport);
		}
		if (e->log)
			sb_puts(out, " log");
		sb_puts(out, "\n");
	}
}

void cfg_render_body(const struct config *c, struct strbuf *out)
{
	const struct cfg_order *o = c->order;
	for (size_t i = 0; o && i < o->n; i++) {
		const struct ord_item *it = &o->v[i];
		switch (it->kind) {
		case ORD_BANG:
			sb_printf(out, "%s\n", it->text);
			break;
		case ORD_OPAQUE:
			if (it->idx < c->nopaque) {
				const struct cfg_opaque *x = &c->opaque[it->idx];
				/*
				 * An indented line that belonged to no block (after an
				 * indented "exit") would join the block rendered above it
				 * on reload; a "!" keeps it apart.  Reloaded, that "!" is
				 * kept in place, so the next rendering adds none.
				 */
				if ((x->text[0] == ' ' || x->text[0] == '\t') && i > 0 &&
				    o->v[i - 1].kind != ORD_BANG)
					sb_puts(out, "!\n");
				sb_printf(out, "%s\n", x->text);
				extras(out, x, 0);
			}
			break;
		case ORD_HOSTNAME:
			sb_printf(out, "hostname %s\n", c->hostname);
			break;
		case ORD_LOGGING:
			cfg_render_logging(out, c);
			break;
		case ORD_TIMESTAMPS:
			cfg_render_timestamps(out, c);
			break;
		case ORD_POLICY: {
			const struct cfg_isakmp_policy *p = cfg_policy_get((struct config *)c, atoi(it->key));
			if (p)
				r_policy(out, p);
			break;
		}
		case ORD_KEYS:
			r_keys(out, c);
			break;
		case ORD_ISR:
			r_isr(out, &c->isr);
			break;
		case ORD_KEEPALIVE:
			if (c->isakmp_keepalive) {
				sb_printf(out, "crypto isakmp keepalive %u", c->isakmp_keepalive);
				if (c->isakmp_keepalive_retry != 2 || c->isakmp_keepalive_periodic)
					sb_printf(out, " %u", c->isakmp_keepalive_retry);
				if (c->isakmp_keepalive_periodic)
					sb_puts(out, " periodic");
				sb_puts(out, "\n");
			}
			break;
		case ORD_NATKA:
			if (c->nat_keepalive)
				sb_printf(out, "crypto isakmp nat keepalive %u\n", c->nat_keepalive);
			break;
		case ORD_IPSEC_LIFE:
			if (c->ipsec_life_sec != CFG_IPSEC_LIFE_SEC_DEFAULT)
				sb_printf(out, "crypto ipsec security-association lifetime seconds %u\n",
					  c->ipsec_life_sec);
			if (c->ipsec_life_kb != CFG_IPSEC_LIFE_KB_DEFAULT)
				sb_printf(out, "crypto ipsec security-association lifetime kilobytes %u\n",
					  c->ipsec_life_kb);
			break;
		case ORD_REPLAY:
			if (c->replay_window != 64)
				sb_printf(out, "crypto ipsec security-association replay window-size %u\n",
					  c->replay_window);
			break;
		case ORD_NATT:
			if (!c->natt_enabled)
				sb_puts(out, "no crypto ipsec nat-transparency udp-encapsulation\n");
			break;
		case ORD_TSET: {
			const struct cfg_transform_set *t = config_tset(c, it->key);
			if (t)
				r_tset(out, t);
			break;
		}
		case ORD_CMAP: {
			char name[CFG_NAME_MAX];
			int seq;
			if (sscanf(it->key, "%63s %d", name, &seq) == 2) {
				const struct cfg_cmap_entry *e = cfg_cmap_get((struct config *)c, name, seq);
				if (e)
					r_cmap(out, e);
			}
			break;
		}
		case ORD_IFACE: {
			const struct cfg_iface *f = config_iface(c, it->key);
			if (f)
				r_iface(out, f);
			break;
		}
		case ORD_ROUTES:
			r_routes(out, c);
			break;
		case ORD_ACL: {
			const struct cfg_acl *a = config_acl(c, atoi(it->key));
			if (a)
				r_acl(out, a);
			break;
		}
		case ORD_V2_PROPOSAL:
		case ORD_V2_POLICY:
		case ORD_V2_KEYRING:
		case ORD_V2_PROFILE:
		case ORD_V2_QCD:
		case ORD_V2_FRAG:
		case ORD_V2_COOKIE:
			cfg_render_v2(out, c, it->kind, it->key);
			break;
		}
	}
	sb_puts(out, "end\n");
}

void config_render(const struct config *cfg, struct strbuf *out)
{
	struct strbuf body;
	sb_init(&body);
	cfg_render_body(cfg, &body);
	sb_printf(out, "Building configuration...\n\nCurrent configuration : %zu bytes\n", body.len);
	sb_puts(out, sb_str(&body));
	sb_free(&body);
}
