/*
 * Weak stand-ins for the SADB (src/ipsec/sadb.c), so IKE links and its
 * exchange tests run before the data plane lands in main.  The real
 * definitions override these at link time; nothing here is used then.
 */
#include "ipsec/sadb.h"

#include <openssl/rand.h>

#define WEAK __attribute__((weak))

WEAK uint32_t sadb_alloc_spi(struct router *r, uint8_t ipproto)
{
	uint32_t spi = 0;
	(void)r;
	(void)ipproto;
	while (spi < 256)
		if (RAND_bytes((unsigned char *)&spi, sizeof(spi)) != 1)
			spi = 0;
	return spi;
}

WEAK void sadb_release_spi(struct router *r, uint8_t ipproto, uint32_t spi)
{
	(void)r;
	(void)ipproto;
	(void)spi;
}

WEAK int sadb_install(struct router *r, const struct sadb_bundle_spec *spec)
{
	/* Ids only need to be unique per router: the SPI pair is. */
	(void)r;
	return (int)((spec->has_esp ? spec->esp_in.spi : spec->ah_in.spi) & 0x7fffffff) | 1;
}

WEAK int sadb_delete_inbound_spi(struct router *r, uint8_t p, uint32_t spi, enum sadb_del_reason w)
{
	(void)r; (void)p; (void)spi; (void)w;
	return 0;
}

WEAK int sadb_delete_outbound_spi(struct router *r, uint32_t peer, uint8_t p, uint32_t spi,
				  enum sadb_del_reason w)
{
	(void)r; (void)peer; (void)p; (void)spi; (void)w;
	return 0;
}

WEAK int sadb_delete_peer(struct router *r, uint32_t peer, enum sadb_del_reason w)
{
	(void)r; (void)peer; (void)w;
	return 0;
}

WEAK int sadb_delete_all(struct router *r, enum sadb_del_reason w)
{
	(void)r; (void)w;
	return 0;
}

WEAK bool sadb_has_outbound_spi(struct router *r, uint32_t peer, uint8_t p, uint32_t spi)
{
	(void)r; (void)peer; (void)p; (void)spi;
	return false;
}

WEAK void sadb_set_km(struct router *r, const struct sadb_km_ops *ops)
{
	(void)r;
	(void)ops;
}
