/* Numbered IP access lists: standard (1-99, 1300-1999) and extended
 * (100-199, 2000-2699), remarks, IOS port names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_int.h"

struct pname {
	const char *name;
	uint16_t port;
};

static const struct pname tcp_ports[] = {
	{ "bgp", 179 },	    { "chargen", 19 }, { "cmd", 514 },	  { "daytime", 13 },
	{ "discard", 9 },   { "domain", 53 },  { "echo", 7 },	  { "exec", 512 },
	{ "finger", 79 },   { "ftp", 21 },     { "ftp-data", 20 }, { "gopher", 70 },
	{ "hostname", 101 }, { "ident", 113 }, { "irc", 194 },	  { "klogin", 543 },
	{ "kshell", 544 },  { "login", 513 },  { "lpd", 515 },	  { "nntp", 119 },
	{ "pop2", 109 },    { "pop3", 110 },   { "smtp", 25 },	  { "sunrpc", 111 },
	{ "tacacs", 49 },   { "talk", 517 },   { "telnet", 23 },  { "time", 37 },
	{ "uucp", 540 },    { "whois", 43 },   { "www", 80 },
};

static const struct pname udp_ports[] = {
	{ "biff", 512 },     { "bootpc", 68 },	    { "bootps", 67 },	     { "discard", 9 },
	{ "dnsix", 195 },    { "domain", 53 },	    { "echo", 7 },	     { "isakmp", 500 },
	{ "mobile-ip", 434 }, { "nameserver", 42 }, { "netbios-dgm", 138 }, { "netbios-ns", 137 },
	{ "netbios-ss", 139 }, { "non500-isakmp", 4500 }, { "ntp", 123 },    { "rip", 520 },
	{ "snmp", 161 },     { "snmptrap", 162 },   { "sunrpc", 111 },	     { "syslog", 514 },
	{ "tacacs", 49 },    { "talk", 517 },	    { "tftp", 69 },	     { "time", 37 },
	{ "who", 513 },	     { "xdmcp", 177 },
};

#define N(a) (sizeof(a) / sizeof(a[0]))

bool cfg_port_parse(const char *s, uint8_t proto, uint16_t *port)
{
	uint32_t v;
	if (cmd_parse_u32(s, &v)) {
		if (v > 65535)
			return false;
		*port = (uint16_t)v;
		return true;
	}
	const struct pname *t = proto == 6 ? tcp_ports : udp_ports;
	size_t n = proto == 6 ? N(tcp_ports) : N(udp_ports);
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(s, t[i].name) == 0) {
			*port = t[i].port;
			return true;
		}
	return false;
}

const char *cfg_port_name(uint16_t port, uint8_t proto)
{
	const struct pname *t = proto == 6 ? tcp_ports : udp_ports;
	size_t n = proto == 6 ? N(tcp_ports) : N(udp_ports);
	if (proto != 6 && proto != 17)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (t[i].port == port)
			return t[i].name;
	return NULL;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "ip", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
	{ "esp", 50 }, { "ahp", 51 }, { "eigrp", 88 }, { "ospf", 89 }, { "pim", 103 },
};

static bool std_number(int n) { return (n >= 1 && n <= 99) || (n >= 1300 && n <= 1999); }

static struct cfg_acl *acl_get_or_add(struct cli_ctx *ctx, int number)
{
	struct config *c = ctx->cfg;
	struct cfg_acl *acl = cfg_acl_get(c, number);
	if (acl)
		return acl;
	struct cfg_acl *n = realloc(c->acls, sizeof(*n) * (c->nacl + 1));
	if (!n)
		abort();
	c->acls = n;
	acl = &c->acls[c->nacl++];
	memset(acl, 0, sizeof(*acl));
	acl->number = number;
	char key[16];
	snprintf(key, sizeof(key), "%d", number);
	cfg_order_touch(c, ctx->loading, ORD_ACL, key);
	return acl;
}

static void acl_append(struct cli_ctx *ctx, int number, const struct cfg_ace *ace)
{
	struct cfg_acl *acl = acl_get_or_add(ctx, number);
	struct cfg_ace *n = realloc(acl->aces, sizeof(*n) * (acl->nace + 1));
	if (!n)
		abort();
	acl->aces = n;
	acl->aces[acl->nace++] = *ace;
}

/* {A.B.C.D WILD | host A.B.C.D | any} at *i; `wild_optional` for standard lists. */
static int parse_addr(struct cli_ctx *ctx, const struct cmd_args *a, int *i, uint32_t *addr,
		      uint32_t *wild, bool wild_optional)
{
	if (*i >= a->argc)
		return -1;
	if (strcmp(a->argv[*i], "any") == 0) {
		*addr = 0;
		*wild = 0xffffffff;
		(*i)++;
		return 0;
	}
	if (strcmp(a->argv[*i], "host") == 0) {
		if (*i + 1 >= a->argc || !cmd_parse_ip(a->argv[*i + 1], addr))
			return cmd_bad(ctx, a, *i + 1);
		*wild = 0;
		*i += 2;
		return 0;
	}
	if (!cmd_parse_ip(a->argv[*i], addr))
		return cmd_bad(ctx, a, *i);
	(*i)++;
	*wild = 0;
	if (*i < a->argc && cmd_parse_ip(a->argv[*i], wild)) {
		(*i)++;
	} else if (!wild_optional) {
		return cmd_bad(ctx, a, *i);
	}
	*addr &= ~*wild;	/* IOS stores the address masked by the wildcard */
	return 0;
}

static int parse_ports(struct cli_ctx *ctx, const struct cmd_args *a, int *i, uint8_t proto,
		       enum cfg_port_op *op, uint16_t port[2])
{
	*op = PORT_ANY;
	if (*i >= a->argc)
		return 0;
	const char *w = a->argv[*i];
	static const struct {
		const char *kw;
		enum cfg_port_op op;
	} ops[] = { { "eq", PORT_EQ }, { "neq", PORT_NEQ }, { "lt", PORT_LT }, { "gt", PORT_GT },
		    { "range", PORT_RANGE } };
	for (size_t k = 0; k < N(ops); k++) {
		if (strcmp(w, ops[k].kw) != 0)
			continue;
		if (proto != 6 && proto != 17)
			return cmd_bad(ctx, a, *i);	/* ports only for tcp/udp */
		int first = *i + 1;
		if (first >= a->argc || !cfg_port_parse(a->argv[first], proto, &port[0]))
			return cmd_bad(ctx, a, first);
		*i = first + 1;
		if (ops[k].op == PORT_RANGE) {
			if (*i >= a->argc || !cfg_port_parse(a->argv[*i], proto, &port[1]) || port[1] < port[0])
				return cmd_bad(ctx, a, *i);
			(*i)++;
		}
		*op = ops[k].op;
		return 0;
	}
	return 0;
}

/* Standard and extended entries end alike: an optional "log", then nothing. */
static int ace_finish(struct cli_ctx *ctx, const struct cmd_args *a, int i, int num,
		      struct cfg_ace *ace)
{
	if (i < a->argc && strcmp(a->argv[i], "log") == 0) {
		ace->log = true;
		i++;
	}
	if (i != a->argc)
		return cmd_bad(ctx, a, i);
	acl_append(ctx, num, ace);
	return 0;
}

static int acl_std_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ace ace;
	memset(&ace, 0, sizeof(ace));
	uint32_t num;
	if (!cmd_parse_u32(a->argv[1], &num))
		return cmd_bad(ctx, a, 1);
	ace.permit = strcmp(a->argv[2], "permit") == 0;
	int i = 3;
	if (parse_addr(ctx, a, &i, &ace.src, &ace.src_wild, true) < 0)
		return -1;
	ace.dst_wild = 0xffffffff;
	return ace_finish(ctx, a, i, (int)num, &ace);
}

static int acl_ext_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ace ace;
	memset(&ace, 0, sizeof(ace));
	uint32_t num, pv;
	if (!cmd_parse_u32(a->argv[1], &num))
		return cmd_bad(ctx, a, 1);
	ace.extended = true;
	ace.permit = strcmp(a->argv[2], "permit") == 0;
	bool named = false;
	for (size_t k = 0; k < N(protos); k++)
		if (strcmp(a->argv[3], protos[k].name) == 0) {
			ace.proto = protos[k].proto;
			named = true;
		}
	if (!named) {
		if (!cmd_parse_u32(a->argv[3], &pv) || pv > 255)
			return cmd_bad(ctx, a, 3);
		ace.proto = (uint8_t)pv;
	}
	int i = 4;
	if (parse_addr(ctx, a, &i, &ace.src, &ace.src_wild, false) < 0)
		return -1;
	if (parse_ports(ctx, a, &i, ace.proto, &ace.sop, ace.sport) < 0)
		return -1;
	if (parse_addr(ctx, a, &i, &ace.dst, &ace.dst_wild, false) < 0)
		return -1;
	if (parse_ports(ctx, a, &i, ace.proto, &ace.dop, ace.dport) < 0)
		return -1;
	return ace_finish(ctx, a, i, (int)num, &ace);
}

static int acl_remark_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t num;
	if (!cmd_parse_u32(a->argv[1], &num))
		return cmd_bad(ctx, a, 1);
	if (strlen(a->argv[3]) > 100)
		return cmd_bad(ctx, a, 3);
	struct cfg_ace ace;
	memset(&ace, 0, sizeof(ace));
	ace.extended = !std_number((int)num);
	ace.remark = strdup(a->argv[3]);
	if (!ace.remark)
		abort();
	acl_append(ctx, (int)num, &ace);
	return 0;
}

/* IOS: any "no access-list N ..." removes the whole numbered list. */
static int no_acl_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t num;
	if (a->argc < 2 || !cmd_parse_u32(a->argv[1], &num)) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	struct config *c = ctx->cfg;
	struct cfg_acl *acl = cfg_acl_get(c, (int)num);
	if (!acl)
		return 0;
	for (size_t j = 0; j < acl->nace; j++)
		free(acl->aces[j].remark);
	free(acl->aces);
	size_t i = (size_t)(acl - c->acls);
	memmove(acl, acl + 1, sizeof(*acl) * (c->nacl - i - 1));
	c->nacl--;
	char key[16];
	snprintf(key, sizeof(key), "%u", num);
	cfg_order_remove(c, ORD_ACL, key);
	return 0;
}

#define ADDR_SPEC "{ A.B.C.D A.B.C.D | host A.B.C.D | any }"
#define PORT_SPEC "[ { eq | neq | lt | gt } PORT | range PORT PORT ]"
#define ACL_HELP                                                                                 \
	"<1-99>:IP standard access list;<100-199>:IP extended access list;"                      \
	"<1300-1999>:IP standard access list (expanded range);"                                  \
	"<2000-2699>:IP extended access list (expanded range);"                                  \
	"A.B.C.D:Address to match;A.B.C.D:Wildcard bits;A.B.C.D:Destination address;"          \
	"A.B.C.D:Destination wildcard bits;"                                                     \
	"ip:Any Internet Protocol;icmp:Internet Control Message Protocol;"                        \
	"igmp:Internet Gateway Message Protocol;tcp:Transmission Control Protocol;"               \
	"udp:User Datagram Protocol;gre:Cisco's GRE tunneling;esp:Encapsulation Security Payload;" \
	"ahp:Authentication Header Protocol;eigrp:Cisco's EIGRP routing protocol;"                \
	"ospf:OSPF routing protocol;pim:Protocol Independent Multicast;"                          \
	"<0-255>:An IP protocol number;eq:Match only packets on a given port number;"             \
	"neq:Match only packets not on a given port number;"                                      \
	"lt:Match only packets with a lower port number;"                                         \
	"gt:Match only packets with a greater port number;"                                       \
	"range:Match only packets in the range of port numbers;LINE:Comment up to 100 characters"

static const struct cmd_def acl_cmds[] = {
	{ MODE_CONFIG,
	  "access-list { <1-99> | <1300-1999> } { permit | deny } { A.B.C.D [ A.B.C.D ] | host A.B.C.D | any } [ log ]",
	  ACL_HELP, acl_std_fn, no_acl_fn },
	{ MODE_CONFIG,
	  "access-list { <100-199> | <2000-2699> } { permit | deny } "
	  "{ ip | icmp | igmp | tcp | udp | gre | esp | ahp | eigrp | ospf | pim | <0-255> } " ADDR_SPEC
	  " " PORT_SPEC " " ADDR_SPEC " " PORT_SPEC " [ log ]",
	  ACL_HELP, acl_ext_fn, no_acl_fn },
	{ MODE_CONFIG, "access-list { <1-99> | <100-199> | <1300-1999> | <2000-2699> } remark LINE",
	  ACL_HELP, acl_remark_fn, no_acl_fn },
};
CMD_REGISTER(acl_cmds)
