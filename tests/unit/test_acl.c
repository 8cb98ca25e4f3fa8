#include "t.h"

#include <stdio.h>

#include "ike/qm_int.h"
#include "net/acl.h"
#include "test_ipv4_helpers.h"

static struct cfg_ace std_ace(bool permit, uint32_t src, uint32_t wild)
{
	return (struct cfg_ace){ .permit = permit, .src = src, .src_wild = wild };
}

static struct cfg_ace ext(bool permit, uint8_t proto, uint32_t s, uint32_t sw, uint32_t d,
			  uint32_t dw)
{
	return (struct cfg_ace){ .permit = permit, .extended = true, .proto = proto, .src = s,
				 .src_wild = sw, .dst = d, .dst_wild = dw };
}

static struct acl_key key(uint32_t s, uint32_t d, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (struct acl_key){ .src = s, .dst = d, .proto = proto, .sport = sp, .dport = dp,
				 .has_ports = proto == 6 || proto == 17, .first_frag = true };
}

TEST(acl_standard_host_any_wildcard_and_implicit_deny)
{
	/* access-list 10 deny host 10.0.0.5 / permit 10.0.0.0 0.0.0.255 / permit 172.16.0.0 0.0.255.255 */
	struct cfg_ace aces[] = {
		std_ace(false, IP4(10, 0, 0, 5), 0),
		std_ace(true, IP4(10, 0, 0, 0), 0x000000ff),
		std_ace(true, IP4(172, 16, 0, 0), 0x0000ffff),
	};
	struct cfg_acl acl = { 10, aces, 3 };
	size_t idx = 99;
	struct acl_key k = key(IP4(10, 0, 0, 5), IP4(1, 1, 1, 1), 1, 0, 0);
	CHECK(acl_eval(&acl, &k, &idx) == ACL_DENY && idx == 0);
	k.src = IP4(10, 0, 0, 6);
	CHECK(acl_eval(&acl, &k, &idx) == ACL_PERMIT && idx == 1);
	k.src = IP4(10, 0, 1, 6);
	CHECK(acl_eval(&acl, &k, NULL) == ACL_NOMATCH);	/* implicit deny */
	k.src = IP4(172, 16, 200, 1);
	CHECK(acl_eval(&acl, &k, &idx) == ACL_PERMIT && idx == 2);
	/* Non-contiguous wildcard: 10.0.0.0 0.0.255.0 matches 10.0.X.0 only. */
	struct cfg_ace odd = std_ace(true, IP4(10, 0, 0, 0), 0x0000ff00);
	k.src = IP4(10, 0, 77, 0);
	CHECK(acl_ace_match(&odd, &k));
	k.src = IP4(10, 0, 77, 1);
	CHECK(!acl_ace_match(&odd, &k));
	/* any = 0.0.0.0 255.255.255.255 */
	struct cfg_ace any = std_ace(true, 0, 0xffffffff);
	k.src = IP4(203, 0, 113, 9);
	CHECK(acl_ace_match(&any, &k));
	/* Standard lists look at the source only. */
	struct cfg_ace h = std_ace(true, IP4(1, 1, 1, 1), 0);
	k = key(IP4(2, 2, 2, 2), IP4(1, 1, 1, 1), 1, 0, 0);
	CHECK(!acl_ace_match(&h, &k));
	CHECK(acl_eval(NULL, &k, NULL) == ACL_NOMATCH);
}

TEST(acl_extended_protocols_and_ports)
{
	/* access-list 150 permit ip host 10.0.0.1 host 10.0.2.2 (the seed) */
	struct cfg_ace seed = ext(true, 0, IP4(10, 0, 0, 1), 0, IP4(10, 0, 2, 2), 0);
	struct acl_key k = key(IP4(10, 0, 0, 1), IP4(10, 0, 2, 2), 1, 0, 0);
	CHECK(acl_ace_match(&seed, &k));
	k = key(IP4(10, 0, 0, 1), IP4(10, 0, 2, 3), 17, 1, 2);
	CHECK(!acl_ace_match(&seed, &k));
	k = key(IP4(10, 0, 2, 2), IP4(10, 0, 0, 1), 1, 0, 0);
	CHECK(!acl_ace_match(&seed, &k));	/* direction matters */
	/* permit tcp any host 10.1.1.1 eq 22 */
	struct cfg_ace ssh = ext(true, 6, 0, 0xffffffff, IP4(10, 1, 1, 1), 0);
	ssh.dop = PORT_EQ;
	ssh.dport[0] = 22;
	k = key(IP4(9, 9, 9, 9), IP4(10, 1, 1, 1), 6, 40000, 22);
	CHECK(acl_ace_match(&ssh, &k));
	k.dport = 23;
	CHECK(!acl_ace_match(&ssh, &k));
	k = key(IP4(9, 9, 9, 9), IP4(10, 1, 1, 1), 17, 40000, 22);
	CHECK(!acl_ace_match(&ssh, &k));	/* udp is not tcp */
	/* permit udp any range 500 4500 any gt 1023 / lt / neq */
	struct cfg_ace u = ext(true, 17, 0, 0xffffffff, 0, 0xffffffff);
	u.sop = PORT_RANGE;
	u.sport[0] = 500;
	u.sport[1] = 4500;
	u.dop = PORT_GT;
	u.dport[0] = 1023;
	k = key(1, 2, 17, 500, 1024);
	CHECK(acl_ace_match(&u, &k));
	k.sport = 4500;
	CHECK(acl_ace_match(&u, &k));
	k.sport = 4501;
	CHECK(!acl_ace_match(&u, &k));
	k.sport = 600;
	k.dport = 1023;
	CHECK(!acl_ace_match(&u, &k));
	u.dop = PORT_LT;
	CHECK(!acl_ace_match(&u, &k));
	k.dport = 1022;
	CHECK(acl_ace_match(&u, &k));
	u.dop = PORT_NEQ;
	u.dport[0] = 53;
	k.dport = 53;
	CHECK(!acl_ace_match(&u, &k));
	k.dport = 54;
	CHECK(acl_ace_match(&u, &k));
	/* Remarks never match. */
	struct cfg_ace rem = ext(true, 0, 0, 0xffffffff, 0, 0xffffffff);
	rem.remark = "a remark";
	CHECK(!acl_ace_match(&rem, &k));
	/* First match wins: deny tcp any any eq 80, permit ip any any. */
	struct cfg_ace aces[] = { ext(false, 6, 0, 0xffffffff, 0, 0xffffffff),
				  ext(true, 0, 0, 0xffffffff, 0, 0xffffffff) };
	aces[0].dop = PORT_EQ;
	aces[0].dport[0] = 80;
	struct cfg_acl acl = { 101, aces, 2 };
	k = key(1, 2, 6, 1000, 80);
	CHECK(acl_eval(&acl, &k, NULL) == ACL_DENY);
	k.dport = 443;
	CHECK(acl_eval(&acl, &k, NULL) == ACL_PERMIT);
}

TEST(acl_key_from_packets_and_fragments)
{
	uint8_t b[128];
	size_t n = tr_udp(b, IP4(10, 0, 0, 1), IP4(10, 0, 2, 2), 500, 4500, "x", 1);
	struct acl_key k;
	acl_key_from_ip(&k, b, n);
	CHECK(k.src == IP4(10, 0, 0, 1) && k.dst == IP4(10, 0, 2, 2) && k.proto == 17);
	CHECK(k.has_ports && k.sport == 500 && k.dport == 4500 && k.first_frag);
	/* A non-initial fragment has no ports: a port deny passes it on, a port permit takes it. */
	b[6] = 0x00;
	b[7] = 0x10;
	acl_key_from_ip(&k, b, n);
	CHECK(!k.first_frag && !k.has_ports);
	struct cfg_ace deny80 = ext(false, 17, 0, 0xffffffff, 0, 0xffffffff);
	deny80.dop = PORT_EQ;
	deny80.dport[0] = 4500;
	CHECK(!acl_ace_match(&deny80, &k));
	deny80.permit = true;
	CHECK(acl_ace_match(&deny80, &k));
	/* A first fragment too short to hold the ports: an entry naming ports cannot match. */
	n = tr_ip(b, IP4(10, 0, 0, 1), IP4(10, 0, 2, 2), 17, 64, 1, 0x2000, "ab", 2);
	acl_key_from_ip(&k, b, n);
	CHECK(k.first_frag && !k.has_ports);
	CHECK(!acl_ace_match(&deny80, &k));
	/* Junk never crashes and yields an empty key. */
	acl_key_from_ip(&k, b, 3);
	CHECK(k.src == 0 && k.proto == 0);
}

/*
 * Issue 13 item 5: one port matcher.  A packet's port is a number (0 is
 * port 0); a Quick Mode proxy identity's port 0 means every port (RFC 2407
 * §4.6.2), which only an entry naming no port covers.  The crypto map's
 * ACL check of a proposed flow (qm_acl_mirrors) and the packet filter
 * (acl_ace_match) must agree on both.
 */
TEST(acl_one_port_matcher_packet_port_vs_any_port_proxy)
{
	static const struct {
		enum cfg_port_op op;
		uint16_t v0, v1;
		uint16_t port;
		bool packet, proxy;	/* a packet with this port; a proxy ID with this port */
	} rows[] = {
		{ PORT_ANY, 0, 0, 0, true, true },
		{ PORT_ANY, 0, 0, 53, true, true },
		{ PORT_EQ, 53, 0, 53, true, true },
		{ PORT_EQ, 53, 0, 54, false, false },
		{ PORT_EQ, 0, 0, 0, true, false },	/* proxy port 0 is every port, not port 0 */
		{ PORT_EQ, 53, 0, 0, false, false },
		{ PORT_NEQ, 53, 0, 54, true, true },
		{ PORT_NEQ, 53, 0, 0, true, false },	/* every port includes 53 */
		{ PORT_LT, 1024, 0, 53, true, true },
		{ PORT_LT, 1024, 0, 0, true, false },
		{ PORT_GT, 1023, 0, 8080, true, true },
		{ PORT_GT, 1023, 0, 0, false, false },
		{ PORT_RANGE, 0, 100, 0, true, false },
		{ PORT_RANGE, 10, 100, 100, true, true },
		{ PORT_RANGE, 10, 100, 101, false, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const uint16_t v[2] = { rows[i].v0, rows[i].v1 };
		CHECK(acl_port_match(rows[i].op, v, rows[i].port, false) == rows[i].packet);
		CHECK(acl_port_match(rows[i].op, v, rows[i].port, rows[i].port == 0) == rows[i].proxy);
		/* The same through the two users: a UDP packet to that port, and the
		 * flow a peer proposes with that port on our side's far end. */
		struct cfg_ace a = ext(true, 17, 0, 0xffffffff, 0, 0xffffffff);
		a.dop = rows[i].op;
		a.dport[0] = rows[i].v0;
		a.dport[1] = rows[i].v1;
		struct acl_key k = key(IP4(10, 0, 0, 1), IP4(10, 0, 2, 2), 17, 1234, rows[i].port);
		CHECK(acl_ace_match(&a, &k) == rows[i].packet);
		struct cfg_acl acl = { 101, &a, 1 };
		struct ipsec_flow f = { IP4(10, 0, 0, 0), 0xffffff00, IP4(10, 0, 2, 0), 0xffffff00, 17, 0,
					rows[i].port };
		bool m = qm_acl_mirrors(&acl, &f);
		CHECK(m == rows[i].proxy);
		if (m != rows[i].proxy)
			fprintf(stderr, "row %zu: proxy port %u against op %d %u-%u: %d\n", i, rows[i].port,
				rows[i].op, rows[i].v0, rows[i].v1, m);
	}
}
