#include "core/ipfmt.h"

#include <stdio.h>

const char *ip_fmt(uint32_t ip, char buf[IP_FMT_LEN])
{
	snprintf(buf, IP_FMT_LEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff);
	return buf;
}

struct ip_str ip_str(uint32_t ip)
{
	struct ip_str s;
	ip_fmt(ip, s.s);
	return s;
}
