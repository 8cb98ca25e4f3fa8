/* Numbered access lists (standard 1-99, extended 100-199) applied to packets. */
#ifndef SPIGOT_ACL_H
#define SPIGOT_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* The fields an ACE can look at, pulled out of a packet once. */
struct acl_key {
	uint32_t src, dst;	/* host byte order */
	uint8_t proto;
	uint16_t sport, dport;	/* 0 unless TCP/UDP with the header present */
	bool has_ports;
	bool first_frag;	/* offset 0 (ports are only there in the first fragment) */
};

enum acl_result { ACL_NOMATCH = 0, ACL_PERMIT, ACL_DENY };

/* Fills key from an IPv4 packet already validated by ipv4_input. */
void acl_key_from_ip(struct acl_key *key, const uint8_t *ip, size_t len);
/* First matching entry decides; no match is IOS's implicit deny (ACL_NOMATCH). */
enum acl_result acl_eval(const struct cfg_acl *acl, const struct acl_key *key,
			 size_t *matched_index);
bool acl_ace_match(const struct cfg_ace *ace, const struct acl_key *key);
/*
 * The one port matcher.  port is a port number, 0 included, unless
 * all_ports: then it stands for every port (a Quick Mode proxy identity
 * with port 0, RFC 2407 §4.6.2), which only an entry naming no port covers.
 */
bool acl_port_match(enum cfg_port_op op, const uint16_t v[2], uint16_t port, bool all_ports);

#endif
