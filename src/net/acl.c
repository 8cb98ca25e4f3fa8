/*
 * Numbered access lists as IOS evaluates them: first match wins, and a
 * packet no entry matches is denied (the caller sees ACL_NOMATCH).
 */
#include "net/acl.h"

#include "core/wbuf.h"

void acl_key_from_ip(struct acl_key *key, const uint8_t *ip, size_t len)
{
	*key = (struct acl_key){ 0 };
	struct wbuf_rd rd;
	uint8_t vhl;
	uint16_t off;
	wbuf_rd_init(&rd, ip, len);
	if (!wbuf_peek_u8(&rd, 0, &vhl) || !wbuf_peek_u16(&rd, 6, &off) || len < 20)
		return;
	key->proto = ip[9];
	key->src = wbuf_be32(ip + 12);
	key->dst = wbuf_be32(ip + 16);
	key->first_frag = (off & 0x1fff) == 0;
	size_t hlen = (size_t)(vhl & 0x0f) * 4;
	/* Ports exist only in the first fragment, and only if the header is really there. */
	if (key->first_frag && (key->proto == 6 || key->proto == 17) && hlen >= 20 &&
	    len >= hlen + 4) {
		key->sport = wbuf_be16(ip + hlen);
		key->dport = wbuf_be16(ip + hlen + 2);
		key->has_ports = true;
	}
}

bool acl_port_match(enum cfg_port_op op, const uint16_t v[2], uint16_t port, bool all_ports)
{
	if (op == PORT_ANY)
		return true;
	/* Every port is inside no entry that names a port (not even `neq`). */
	if (all_ports)
		return false;
	switch (op) {
	case PORT_EQ: return port == v[0];
	case PORT_NEQ: return port != v[0];
	case PORT_LT: return port < v[0];
	case PORT_GT: return port > v[0];
	case PORT_RANGE: return port >= v[0] && port <= v[1];
	default: return false;
	}
}

static bool port_match(enum cfg_port_op op, const uint16_t v[2], bool has, uint16_t port)
{
	/* An entry that names ports cannot match a packet whose ports we cannot see. */
	if (op != PORT_ANY && !has)
		return false;
	return acl_port_match(op, v, port, false);
}

bool acl_ace_match(const struct cfg_ace *ace, const struct acl_key *key)
{
	if (ace->remark)
		return false;
	if ((key->src & ~ace->src_wild) != (ace->src & ~ace->src_wild))
		return false;
	if (!ace->extended)
		return true;
	if ((key->dst & ~ace->dst_wild) != (ace->dst & ~ace->dst_wild))
		return false;
	if (ace->proto && ace->proto != key->proto)
		return false;
	if (ace->sop == PORT_ANY && ace->dop == PORT_ANY)
		return true;
	if (key->proto != 6 && key->proto != 17)
		return false;
	/*
	 * A non-initial fragment carries no ports.  IOS ("Access Control Lists
	 * and IP Fragments"): a permit entry with ports matches it on layer-3
	 * alone; a deny entry with ports does not, and evaluation goes on.
	 */
	if (!key->first_frag)
		return ace->permit;
	return port_match(ace->sop, ace->sport, key->has_ports, key->sport) &&
	       port_match(ace->dop, ace->dport, key->has_ports, key->dport);
}

enum acl_result acl_eval(const struct cfg_acl *acl, const struct acl_key *key,
			 size_t *matched_index)
{
	if (!acl)
		return ACL_NOMATCH;
	for (size_t i = 0; i < acl->nace; i++) {
		if (acl_ace_match(&acl->aces[i], key)) {
			if (matched_index)
				*matched_index = i;
			return acl->aces[i].permit ? ACL_PERMIT : ACL_DENY;
		}
	}
	return ACL_NOMATCH;
}
