/* The IPsec module's life cycle: state, config changes, test hooks. */
#include <stdlib.h>

#include <openssl/rand.h>

#include "core/pkt.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "net/net.h"
#include "router.h"

static int default_output(struct router *r, struct iface *out_if, struct pkt *p, uint32_t peer)
{
	uint32_t nh = peer;
	struct iface *ifp = route_lookup(r, peer, &nh);
	if (!ifp) {
		if (!out_if) {
			r->ipsec->g.no_route++;
			pkt_free(p);
			return -1;
		}
		ifp = out_if;
		nh = peer;
	}
	return ip_output_iface(r, ifp, p, nh);
}

int ipsec_init(struct router *r)
{
	struct ipsec_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->r = r;
	if (RAND_bytes((unsigned char *)&st->hash_seed, sizeof(st->hash_seed)) != 1)
		st->hash_seed = 0x5eed;
	st->next_conn_id = CONN_ID_BASE;
	st->output = default_output;
	st->deliver = ipv4_input;
	r->ipsec = st;
	ipsec_flows_rebuild(st);
	ipsec_manual_sync(st);
	return 0;
}

void ipsec_free(struct router *r)
{
	struct ipsec_state *st = r->ipsec;
	if (!st)
		return;
	/* IKE is already gone: nobody to tell about these deletions. */
	st->km = NULL;
	sadb_delete_all(r, SADB_DEL_CONFIG);
	while (st->flows) {
		struct ipsec_flowrec *fr = st->flows;
		st->flows = fr->next;
		pktq_flush(&fr->held);
		free(fr);
	}
	crypto_legacy_unload(&st->legacy);
	free(st);
	r->ipsec = NULL;
}

void ipsec_config_changed(struct router *r)
{
	ipsec_flows_rebuild(r->ipsec);
	ipsec_manual_sync(r->ipsec);
}

void ipsec_set_output(struct router *r, ipsec_output_fn fn) { r->ipsec->output = fn; }
void ipsec_set_deliver(struct router *r, ipsec_deliver_fn fn) { r->ipsec->deliver = fn; }
