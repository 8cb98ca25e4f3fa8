/*
 * Numbers on the wire that more than one layer reads or writes: IP protocol
 * numbers, the IPv4 and UDP header sizes, IKE's UDP ports.  Each fact is
 * defined here once; a layer's own formats stay with the layer (ICMP types
 * and the IPv4 header offsets in net/inet.h, ESP/AH header sizes in
 * ipsec/ipsec_int.h, ISAKMP's payload and notify numbers in ike/isakmp.h).
 */
#ifndef SPIGOT_WIRE_H
#define SPIGOT_WIRE_H

/* IP protocol numbers (IANA).  The trailing _ keeps clear of <netinet/in.h>. */
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51

#define IP_HLEN 20		/* IPv4 header without options */
#define UDP_HLEN 8

/* IKE's UDP ports: ISAKMP (RFC 2408) and NAT traversal (RFC 3947, 3948). */
#define UDP_PORT_IKE 500
#define UDP_PORT_IKE_NATT 4500
#define NON_ESP_MARKER_LEN 4	/* RFC 3948 §2.2: four zero bytes before IKE on UDP 4500 */

#endif
