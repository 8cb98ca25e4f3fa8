/*
 * IKE's records of the bundles it installed: what `show`, rekeying, DELETE
 * and INITIAL-CONTACT find by bundle ID or SPI (the SADB is the authority).
 */
#include "ike/qm_int.h"

#include "router.h"

/* ---- records of what we installed ---- */

int ike_record_add(struct ike_state *ike, const struct ike_record *rec)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		if (!ike->rec[i].used) {
			ike->rec[i] = *rec;
			ike->rec[i].used = true;
			return i;
		}
	}
	return -1;
}

/*
 * A bundle we could not track could never be deleted, rekeyed or shown:
 * check for room before the message that commits us (QM2 / QM3) goes out.
 */
bool ike_record_room(struct ike_state *ike)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (!ike->rec[i].used)
			return true;
	ike->st.record_full++;
	return false;
}

struct ike_record *ike_record_by_id(struct ike_state *ike, int id)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++)
		if (ike->rec[i].used && ike->rec[i].id == id)
			return &ike->rec[i];
	return NULL;
}

void ike_record_del_spi(struct ike_state *ike, uint32_t peer, uint8_t ipproto, uint32_t spi,
			bool inbound)
{
	for (int i = 0; i < IKE_MAX_RECORDS; i++) {
		struct ike_record *c = &ike->rec[i];
		if (!c->used || c->peer != peer)
			continue;
		uint32_t s = ipproto == IPPROTO_AH_ ? (inbound ? c->ah_spi_in : c->ah_spi_out)
					   : (inbound ? c->esp_spi_in : c->esp_spi_out);
		bool has = ipproto == IPPROTO_AH_ ? c->has_ah : c->has_esp;
		if (has && s == spi)
			c->used = false;
	}
}

