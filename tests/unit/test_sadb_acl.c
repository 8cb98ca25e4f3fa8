/*
 * A minimal ACL matcher for the IPsec tests while src/net's acl.c has not
 * landed.  Weak: once the real one is linked, it wins and these vanish.
 */
#include "core/wbuf.h"
#include "net/acl.h"

__attribute__((weak)) void acl_key_from_ip(struct acl_key *key, const uint8_t *ip, size_t len)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	*key = (struct acl_key){ 0 };
	key->src = wbuf_be32(ip + 12);
	key->dst = wbuf_be32(ip + 16);
	key->proto = ip[9];
	key->first_frag = (wbuf_be16(ip + 6) & 0x1fff) == 0;
	if ((key->proto == 6 || key->proto == 17) && key->first_frag && len >= hl + 4) {
		key->sport = wbuf_be16(ip + hl);
		key->dport = wbuf_be16(ip + hl + 2);
		key->has_ports = true;
	}
}

static bool port_ok(enum cfg_port_op op, const uint16_t *p, uint16_t v)
{
	switch (op) {
	case PORT_ANY: return true;
	case PORT_EQ: return v == p[0];
	case PORT_NEQ: return v != p[0];
	case PORT_LT: return v < p[0];
	case PORT_GT: return v > p[0];
	case PORT_RANGE: return v >= p[0] && v <= p[1];
	}
	return false;
}

__attribute__((weak)) bool acl_ace_match(const struct cfg_ace *a, const struct acl_key *k)
{
	if (a->remark)
		return false;
	if ((k->src & ~a->src_wild) != (a->src & ~a->src_wild))
		return false;
	if (!a->extended)
		return true;
	if ((k->dst & ~a->dst_wild) != (a->dst & ~a->dst_wild))
		return false;
	if (a->proto && a->proto != k->proto)
		return false;
	if ((a->sop || a->dop) && !k->has_ports)
		return false;
	return port_ok(a->sop, a->sport, k->sport) && port_ok(a->dop, a->dport, k->dport);
}

__attribute__((weak)) enum acl_result acl_eval(const struct cfg_acl *acl, const struct acl_key *key,
					       size_t *matched_index)
{
	for (size_t i = 0; i < acl->nace; i++) {
		if (!acl_ace_match(&acl->aces[i], key))
			continue;
		if (matched_index)
			*matched_index = i;
		return acl->aces[i].permit ? ACL_PERMIT : ACL_DENY;
	}
	return ACL_NOMATCH;
}
