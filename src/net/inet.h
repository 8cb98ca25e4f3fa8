/* IPv4 header layout and Internet checksums (RFC 1071, RFC 1624). */
#ifndef SPIGOT_INET_H
#define SPIGOT_INET_H

#include <stddef.h>
#include <stdint.h>

#include "core/wire.h"

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

#define ICMP_ECHOREPLY 0
#define ICMP_UNREACH 3
#define ICMP_SOURCEQUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIMXCEED 11
#define ICMP_PARAMPROB 12

#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTO 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_TIMXCEED_INTRANS 0
#define ICMP_TIMXCEED_REASS 1

/* Offsets into the IPv4 header. */
#define IPH_VHL 0
#define IPH_TOS 1
#define IPH_LEN 2
#define IPH_ID 4
#define IPH_OFF 6
#define IPH_TTL 8
#define IPH_PROTO 9
#define IPH_SUM 10
#define IPH_SRC 12
#define IPH_DST 16

/* One's-complement sum of len bytes added to sum (not folded). */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum);
/* Folds and complements a sum into a checksum. */
uint16_t inet_fold(uint32_t sum);
/* The checksum of a buffer. */
uint16_t inet_cksum(const void *data, size_t len);
/* RFC 1624 eqn. 3: checksum after a 16-bit word changed from old to new. */
uint16_t inet_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_);
/* Pseudo-header sum for UDP/TCP. */
uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* Recomputes the IPv4 header checksum in place. */
void ip_set_cksum(uint8_t *ip);

#endif
