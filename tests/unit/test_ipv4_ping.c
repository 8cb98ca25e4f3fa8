#include "t.h"

#include "config/cmdtree.h"
#include "core/pkt.h"
#include "net/net_priv.h"
#include "net/port_mem.h"
#include "test_ipv4_helpers.h"

struct pair {
	struct evloop *ev;
	struct router *a, *b;
	struct mem_link *l;
};

static void pair_new(struct pair *p, uint32_t a_mtu)
{
	struct tr_if a_ifs[] = {
		{ "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, "mem:", false, a_mtu },
		{ "FastEthernet0/1", IP4(10, 0, 0, 1), 0xffffff00, "mem:", false, 0 },
	};
	struct tr_if b_ifs[] = {
		{ "Ethernet1/0", IP4(10, 1, 1, 2), 0xffffff00, "mem:", false, 0 },
		{ "Ethernet1/1", IP4(10, 0, 2, 2), 0xffffff00, "mem:", false, 0 },
	};
	struct cfg_route ra = { IP4(10, 0, 2, 0), 0xffffff00, IP4(10, 1, 1, 2), "", 1 };
	struct cfg_route rb = { IP4(10, 0, 0, 0), 0xffffff00, IP4(10, 1, 1, 1), "", 1 };
	p->ev = ev_new();
	ev_set_virtual(p->ev, 1000);
	p->a = tr_new(p->ev, "A", a_ifs, 2, &ra, 1);
	p->b = tr_new(p->ev, "B", b_ifs, 2, &rb, 1);
	p->l = mem_link_new(&p->a->ifaces[0], &p->b->ifaces[0], NULL);
}

static void pair_free(struct pair *p)
{
	mem_link_free(p->l);
	tr_free(p->a);
	tr_free(p->b);
	ev_free(p->ev);
}

/* Runs a ping command to completion on the virtual clock; returns its status. */
static int run_ping(struct pair *p, struct router *r, struct strbuf *sb, int argc,
		    const char *const *argv)
{
	struct cli_ctx ctx = { .r = r, .out = sb };
	struct cmd_args a = { .argc = argc };
	for (int i = 0; i < argc; i++)
		a.argv[i] = argv[i];
	int rc = net_cmd_ping(&ctx, &a);
	if (rc != CMD_ASYNC)
		return rc;
	for (int i = 0; i < 100000 && ctx.pending; i++)
		ev_advance(p->ev, 5);
	return ctx.pending ? -2 : 0;
}

static int count(const char *s, char c)
{
	int n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

TEST(ping_extended_source_repeat_30)
{
	struct pair p;
	pair_new(&p, 0);
	struct strbuf sb;
	sb_init(&sb);
	const char *argv[] = { "ping", "10.0.2.2", "source", "10.0.0.1", "repeat", "30" };
	CHECK(run_ping(&p, p.a, &sb, 6, argv) == 0);
	const char *want = "Type escape sequence to abort.\n"
			   "Sending 30, 100-byte ICMP Echos to 10.0.2.2, timeout is 2 seconds:\n"
			   "Packet sent with a source address of 10.0.0.1\n"
			   "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
			   "Success rate is 100 percent (30/30), round-trip min/avg/max = ";
	CHECK(strncmp(sb_str(&sb), want, strlen(want)) == 0);
	CHECK(strstr(sb_str(&sb), " ms\n") != NULL);
	/* B saw 30 echoes from 10.0.0.1, and A's inside interface sent nothing. */
	CHECK(NET(p.b)->st.icmp_echo_rcvd == 30);
	CHECK(p.a->ifaces[1].c.out_pkts == 0);
	/* And the other way round, from B's interface by name. */
	sb_reset(&sb);
	const char *argv2[] = { "ping", "10.0.0.1", "source", "Ethernet1/1", "repeat", "30" };
	CHECK(run_ping(&p, p.b, &sb, 6, argv2) == 0);
	CHECK(strstr(sb_str(&sb), "Packet sent with a source address of 10.0.2.2\n"));
	CHECK(strstr(sb_str(&sb), "Success rate is 100 percent (30/30)"));
	sb_free(&sb);
	pair_free(&p);
	CHECK(pkt_in_use() == 0);
}

TEST(ping_total_loss_prints_dots_and_no_rtt)
{
	struct pair p;
	pair_new(&p, 0);
	struct mem_link_opts o = { .loss_pct = 100 };
	mem_link_set_opts(p.l, &o);
	struct strbuf sb;
	sb_init(&sb);
	const char *argv[] = { "ping", "10.0.2.2" };
	uint64_t t0 = ev_now(p.ev);
	CHECK(run_ping(&p, p.a, &sb, 2, argv) == 0);
	CHECK_STR(sb_str(&sb), "Type escape sequence to abort.\n"
			       "Sending 5, 100-byte ICMP Echos to 10.0.2.2, timeout is 2 seconds:\n"
			       ".....\n"
			       "Success rate is 0 percent (0/5)\n");
	/* Five 2-second timeouts, one after the other. */
	CHECK(ev_now(p.ev) - t0 >= 10000 && ev_now(p.ev) - t0 < 10100);
	sb_free(&sb);
	pair_free(&p);
}

TEST(ping_wraps_at_70_and_counts_partial_loss)
{
	struct pair p;
	pair_new(&p, 0);
	struct mem_link_opts o = { .loss_pct = 20, .seed = 99 };
	mem_link_set_opts(p.l, &o);
	struct strbuf sb;
	sb_init(&sb);
	const char *argv[] = { "ping", "10.0.2.2", "repeat", "100", "timeout", "1" };
	CHECK(run_ping(&p, p.a, &sb, 6, argv) == 0);
	const char *s = sb_str(&sb);
	const char *body = strstr(s, "seconds:\n");
	CHECK(body != NULL);
	if (body) {
		body += 9;
		const char *nl = strchr(body, '\n');
		CHECK(nl && nl - body == 70);
		const char *nl2 = nl ? strchr(nl + 1, '\n') : NULL;
		CHECK(nl2 && nl2 - nl - 1 == 30);
		int ok = count(body, '!'), lost = count(body, '.') - 0;
		/* The '.' count includes none from the text after the bar. */
		char want[64];
		snprintf(want, sizeof(want), "Success rate is %d percent (%d/100)", ok, ok);
		CHECK(strstr(s, want) != NULL);
		CHECK(ok + lost == 100 && ok > 50 && ok < 100);
	}
	sb_free(&sb);
	pair_free(&p);
}

TEST(ping_df_bit_too_big_prints_M)
{
	struct pair p;
	pair_new(&p, 1400);
	struct strbuf sb;
	sb_init(&sb);
	const char *argv[] = { "ping", "10.0.2.2", "size", "1500", "df-bit" };
	CHECK(run_ping(&p, p.a, &sb, 5, argv) == 0);
	CHECK(strstr(sb_str(&sb), "\nMMMMM\nSuccess rate is 0 percent (0/5)\n") != NULL);
	/* Without DF it fragments and gets through. */
	sb_reset(&sb);
	const char *argv2[] = { "ping", "10.0.2.2", "size", "1500" };
	CHECK(run_ping(&p, p.a, &sb, 4, argv2) == 0);
	CHECK(strstr(sb_str(&sb), "Sending 5, 1500-byte ICMP Echos"));
	CHECK(strstr(sb_str(&sb), "\n!!!!!\nSuccess rate is 100 percent (5/5)"));
	CHECK(NET(p.b)->st.reasm_ok == 5);
	sb_free(&sb);
	pair_free(&p);
}

TEST(ping_concurrent_sessions_and_cancel)
{
	struct pair p;
	pair_new(&p, 0);
	/* A 1 ms link, so that the pings are still running when the session goes. */
	struct mem_link_opts o = { .delay_ms = 1 };
	mem_link_set_opts(p.l, &o);
	struct strbuf s1, s2, s3;
	sb_init(&s1);
	sb_init(&s2);
	sb_init(&s3);
	struct cli_ctx c1 = { .r = p.a, .out = &s1 }, c2 = { .r = p.a, .out = &s2 },
		       c3 = { .r = p.a, .out = &s3 };
	struct cmd_args a1 = { .argc = 4, .argv = { "ping", "10.0.2.2", "repeat", "20" } };
	struct cmd_args a2 = { .argc = 4, .argv = { "ping", "10.1.1.2", "repeat", "20" } };
	struct cmd_args a3 = { .argc = 4, .argv = { "ping", "10.0.2.2", "repeat", "1000" } };
	CHECK(net_cmd_ping(&c1, &a1) == CMD_ASYNC);
	CHECK(net_cmd_ping(&c2, &a2) == CMD_ASYNC);
	CHECK(net_cmd_ping(&c3, &a3) == CMD_ASYNC);
	for (int i = 0; i < 3; i++)
		ev_advance(p.ev, 1);
	/* The third session goes away mid-ping. */
	CHECK(c3.pending && c3.cancel);
	if (c3.pending && c3.cancel)
		c3.cancel(c3.pending);
	size_t len3 = s3.len;
	for (int i = 0; i < 10000 && (c1.pending || c2.pending); i++)
		ev_advance(p.ev, 5);
	CHECK(strstr(sb_str(&s1), "Success rate is 100 percent (20/20)"));
	CHECK(strstr(sb_str(&s2), "Success rate is 100 percent (20/20)"));
	CHECK(s3.len == len3);
	CHECK(NET(p.a)->pings == NULL);
	sb_free(&s1);
	sb_free(&s2);
	sb_free(&s3);
	pair_free(&p);
}

TEST(ping_own_address_and_bad_arguments)
{
	struct pair p;
	pair_new(&p, 0);
	struct strbuf sb;
	sb_init(&sb);
	const char *argv[] = { "ping", "10.0.0.1" };
	CHECK(run_ping(&p, p.a, &sb, 2, argv) == 0);
	CHECK(strstr(sb_str(&sb), "Success rate is 100 percent (5/5)"));
	sb_reset(&sb);
	const char *bad[] = { "ping", "10.0.2.2", "source", "10.9.9.9" };
	CHECK(run_ping(&p, p.a, &sb, 4, bad) == -1);
	CHECK_STR(sb_str(&sb),
		  "% Invalid source address- IP address not on any of our up interfaces\n");
	sb_reset(&sb);
	const char *bad2[] = { "ping", "10.0.2.2", "size", "20" };
	CHECK(run_ping(&p, p.a, &sb, 4, bad2) == -1);
	/* No route: each echo times out. */
	sb_reset(&sb);
	const char *nr[] = { "ping", "192.0.2.1", "repeat", "2", "timeout", "0" };
	CHECK(run_ping(&p, p.a, &sb, 6, nr) == 0);
	CHECK(strstr(sb_str(&sb), "\n..\nSuccess rate is 0 percent (0/2)\n"));
	sb_free(&sb);
	pair_free(&p);
}

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

TEST(ping_over_real_udp_ports_on_loopback)
{
	struct evloop *ev = ev_new();
	int pa = free_udp_port(), pb = free_udp_port();
	char sa[64], sb_[64];
	snprintf(sa, sizeof(sa), "udp:%d:127.0.0.1:%d", pa, pb);
	snprintf(sb_, sizeof(sb_), "udp:%d:localhost:%d", pb, pa);
	struct tr_if a_ifs[] = { { "FastEthernet0/0", IP4(10, 1, 1, 1), 0xffffff00, sa, false, 0 } };
	struct tr_if b_ifs[] = { { "Ethernet1/0", IP4(10, 1, 1, 2), 0xffffff00, sb_, false, 0 } };
	struct router *a = tr_new(ev, "A", a_ifs, 1, NULL, 0);
	struct router *b = tr_new(ev, "B", b_ifs, 1, NULL, 0);
	CHECK(a && b);
	if (a && b) {
		struct strbuf sb;
		sb_init(&sb);
		struct cli_ctx ctx = { .r = a, .out = &sb };
		struct cmd_args args = { .argc = 6,
					 .argv = { "ping", "10.1.1.2", "repeat", "50", "size", "3000" } };
		CHECK(net_cmd_ping(&ctx, &args) == CMD_ASYNC);
		uint64_t end = ev_now_us() + 10 * 1000000ULL;
		while (ctx.pending && ev_now_us() < end)
			ev_run_once(ev, 50);
		CHECK(strstr(sb_str(&sb), "Success rate is 100 percent (50/50)") != NULL);
		/* 3000-byte echoes crossed as three fragments each way. */
		CHECK(a->ifaces[0].c.out_pkts == 150 && b->ifaces[0].c.out_pkts == 150);
		CHECK(NET(a)->st.reasm_ok == 50 && NET(b)->st.reasm_ok == 50);
		sb_free(&sb);
	}
	tr_free(a);
	tr_free(b);
	ev_free(ev);
}
