/*
 * Quick Mode proxy identities (RFC 2407 §4.6.2): a flow as ID payloads and
 * back, and whether a crypto map's ACL, seen from our side, permits a flow
 * the peer proposes.
 */
#include "ike/qm_int.h"

#include <stdio.h>
#include <string.h>

#include "net/acl.h"
#include "router.h"

/* ---- proxy identities ---- */

void qm_flow_id(uint32_t addr, uint32_t mask, uint8_t proto, uint16_t port, uint8_t *data,
		    struct isakmp_id *id)
{
	wbuf_st32(data, addr);
	wbuf_st32(data + 4, mask);
	id->type = mask == 0xffffffffu ? ID_IPV4_ADDR : ID_IPV4_ADDR_SUBNET;
	id->proto = proto;
	id->port = port;
	id->data = data;
	id->len = id->type == ID_IPV4_ADDR ? 4 : 8;
}

bool qm_id_to_net(const struct isakmp_pl *pl, uint32_t *addr, uint32_t *mask, uint8_t *proto,
		      uint16_t *port)
{
	struct isakmp_id id;
	if (isakmp_parse_id(pl->body, pl->len, &id) != ISAKMP_OK)
		return false;
	*proto = id.proto;
	*port = id.port;
	if (id.type == ID_IPV4_ADDR) {
		*addr = wbuf_be32(id.data);
		*mask = 0xffffffffu;
		return true;
	}
	if (id.type == ID_IPV4_ADDR_SUBNET) {
		*mask = wbuf_be32(id.data + 4);
		*addr = wbuf_be32(id.data) & *mask;
		return true;
	}
	return false;
}

void qm_net_str(uint32_t a, uint32_t m, uint8_t proto, uint16_t port, char *buf, size_t n)
{
	char as[16], ms[16];
	ip_fmt(a, as);
	ip_fmt(m, ms);
	snprintf(buf, n, "%s/%s/%u/%u (type=%d)", as, ms, proto, port, m == 0xffffffffu ? 1 : 4);
}

/* Is net (a/m) inside the ACE side (addr, wildcard)? */
static bool inside(uint32_t a, uint32_t m, uint32_t ace, uint32_t wild)
{
	uint32_t acemask = ~wild;
	return (acemask & ~m) == 0 && (a & acemask) == (ace & acemask);
}

/* Does the ACL, seen from our side, permit the proposed flow (local = our side)? */
bool qm_acl_mirrors(const struct cfg_acl *acl, const struct ipsec_flow *f)
{
	for (size_t i = 0; acl && i < acl->nace; i++) {
		const struct cfg_ace *ace = &acl->aces[i];
		if (!ace->permit || ace->remark)
			continue;
		uint32_t dwild = ace->extended ? ace->dst_wild : 0xffffffffu;
		if (!inside(f->local, f->local_mask, ace->src, ace->src_wild) ||
		    !inside(f->remote, f->remote_mask, ace->dst, dwild))
			continue;
		if (ace->proto && ace->proto != f->proto)
			continue;
		/* A proxy port of 0 is every port (RFC 2407 §4.6.2). */
		if (!acl_port_match(ace->sop, ace->sport, f->local_port, f->local_port == 0) ||
		    !acl_port_match(ace->dop, ace->dport, f->remote_port, f->remote_port == 0))
			continue;
		return true;
	}
	return false;
}

bool qm_map_applied_at(const struct config *cfg, const char *map, uint32_t local)
{
	for (size_t i = 0; i < cfg->niface; i++)
		if (cfg->ifaces[i].has_addr && cfg->ifaces[i].addr == local &&
		    strcmp(cfg->ifaces[i].crypto_map, map) == 0)
			return true;
	return false;
}
