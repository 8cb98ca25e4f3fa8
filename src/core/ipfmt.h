/* IPv4 addresses as text: the one dotted-quad formatter for shows and logs. */
#ifndef SPIGOT_IPFMT_H
#define SPIGOT_IPFMT_H

#include <stdint.h>

#define IP_FMT_LEN 16		/* "255.255.255.255" and its NUL */

/*
 * Writes ip (host byte order) into buf and returns buf, so a printf call can
 * take several addresses, each formatted into its own buffer.
 */
const char *ip_fmt(uint32_t ip, char buf[IP_FMT_LEN]);

/*
 * The same, as a value for one printf argument: ip_str(a).s lives until the
 * end of the full expression, so `log(..., "%s -> %s", ip_str(a).s,
 * ip_str(b).s)` needs no buffers.
 */
struct ip_str {
	char s[IP_FMT_LEN];
};
struct ip_str ip_str(uint32_t ip);

#endif
