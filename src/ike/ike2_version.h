/* IKE major versions above 2 on the IKEv2 side (ike2_version.c). */
#ifndef SPIGOT_IKE2_VERSION_H
#define SPIGOT_IKE2_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike2_glue;

/* true: major version 2, for the engine; false: counted, maybe answered, dropped. */
bool ike2_version_ok(struct ike2_glue *g, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
		     const uint8_t *data, size_t len);

#endif
