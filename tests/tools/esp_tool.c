/*
 * esp_tool: spigot's ESP/AH transforms on files, for checkers we did not
 * write (scapy, tshark).
 *
 *   esp_tool encap -x "XFORM WORDS" [-a SPI:AHKEY] [-e SPI:ENCKEY:AUTHKEY]
 *                  -s SRC -d DST [-n COUNT] [-l LEN] [-u] -o OUT.pcap [-i INNER.pcap]
 *       encapsulates COUNT ICMP echoes 10.0.0.1 -> 10.0.2.2 (LEN bytes each,
 *       LEN may be "var" for varying sizes) on an SA bundle from SRC to DST;
 *       writes the outer packets (and the inner ones) as pcap, linktype 228.
 *   esp_tool decap -x ... -a ... -e ... -s SRC -d DST -r IN.pcap [-i INNER.pcap] [-u]
 *       feeds IN.pcap to spigot's input as packets from SRC to DST; prints
 *       "delivered N dropped M"; exit 0 only when every packet was delivered
 *       (and equals the matching packet of INNER.pcap when given).
 * Keys are hex; GCM's encryption key includes the 4-byte salt (RFC 4106).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/evloop.h"
#include "core/wbuf.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "router.h"

static struct pkt_queue delivered;

static void cap(struct router *r, struct pkt *p)
{
	(void)r;
	pktq_push(&delivered, p);
}

static int die(const char *m)
{
	fprintf(stderr, "esp_tool: %s\n", m);
	exit(2);
}

static size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (s[0] && s[0] != ':' && s[1] && n < cap) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			die("bad hex");
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static uint32_t ip(const char *s)
{
	unsigned a, b, c, d;
	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		die("bad address");
	return a << 24 | b << 16 | c << 8 | d;
}

static void parse_xf(const char *words, struct cfg_transform_set *ts)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", words);
	memset(ts, 0, sizeof(*ts));
	snprintf(ts->name, sizeof(ts->name), "tool");
	char *prev_enc = NULL;
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (w[0] >= '0' && w[0] <= '9') {
			if (!prev_enc)
				die("key size without a cipher");
			ts->esp_keybits = (uint16_t)atoi(w);
			continue;
		}
		const struct xf_alg *a = xf_by_name(w, 0);
		if (!a)
			die("unknown transform");
		if (a->kind == XF_KIND_AH)
			ts->ah = (enum cfg_xf_ah)a->id;
		else if (a->kind == XF_KIND_ESP_AUTH)
			ts->esp_auth = (enum cfg_xf_auth)a->id;
		else {
			ts->esp_enc = (enum cfg_xf_enc)a->id;
			prev_enc = w;
		}
	}
	const char *why;
	if (xf_validate(ts, &why) < 0)
		die(why);
}

static void sa_arg(const char *arg, struct sadb_sa_keys *k, bool esp)
{
	memset(k, 0, sizeof(*k));
	k->spi = (uint32_t)strtoul(arg, NULL, 0);
	const char *c = strchr(arg, ':');
	if (!c)
		return;
	c++;
	if (!esp) {
		k->auth_key_len = hex(c, k->auth_key, sizeof(k->auth_key));
		return;
	}
	k->enc_key_len = hex(c, k->enc_key, sizeof(k->enc_key));
	c = strchr(c, ':');
	if (c)
		k->auth_key_len = hex(c + 1, k->auth_key, sizeof(k->auth_key));
}

static void pcap_header(FILE *f)
{
	uint32_t h[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 228 };
	fwrite(h, sizeof(h), 1, f);
}

static void pcap_write(FILE *f, const uint8_t *p, size_t n, uint32_t i)
{
	uint32_t h[4] = { 1700000000 + i, 0, (uint32_t)n, (uint32_t)n };
	fwrite(h, sizeof(h), 1, f);
	fwrite(p, n, 1, f);
}

/* Reads the next record; returns its length or -1 at the end. */
static long pcap_next(FILE *f, uint8_t *buf, size_t cap)
{
	uint32_t h[4];
	if (fread(h, sizeof(h), 1, f) != 1)
		return -1;
	if (h[2] > cap || fread(buf, h[2], 1, f) != 1)
		die("truncated pcap");
	return (long)h[2];
}

static FILE *pcap_open(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint32_t h[6];
	if (!f || fread(h, sizeof(h), 1, f) != 1 || h[0] != 0xa1b2c3d4 || (h[5] != 228 && h[5] != 101))
		die("cannot read pcap (want linktype 228 or 101, microsecond, little-endian)");
	return f;
}

static struct pkt *icmp(size_t len, uint16_t seq)
{
	struct pkt *p = pkt_alloc();
	uint8_t *h = p->data;
	memset(h, 0, len);
	ipsec_ip_header(h, len, 0, false, seq, 64, 1, 0x0a000001, 0x0a000202);
	h[20] = 8;
	wbuf_st16(h + 24, 0x1234);
	wbuf_st16(h + 26, seq);
	for (size_t i = 28; i < len; i++)
		h[i] = (uint8_t)(0xab + i);
	wbuf_st16(h + 22, inet_cksum(h + 20, len - 20));
	p->len = len;
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: esp_tool encap|decap ...");
	bool enc = !strcmp(argv[1], "encap");
	struct cfg_transform_set ts;
	memset(&ts, 0, sizeof(ts));
	struct sadb_sa_keys ah = { 0 }, esp = { 0 };
	const char *out = NULL, *in = NULL, *inner = NULL, *xf = NULL, *lenarg = "100";
	uint32_t src = 0, dst = 0;
	int count = 10, c;
	bool udp = false;
	optind = 2;
	while ((c = getopt(argc, argv, "x:a:e:s:d:n:l:o:r:i:u")) != -1) {
		switch (c) {
		case 'x': xf = optarg; break;
		case 'a': sa_arg(optarg, &ah, false); break;
		case 'e': sa_arg(optarg, &esp, true); break;
		case 's': src = ip(optarg); break;
		case 'd': dst = ip(optarg); break;
		case 'n': count = atoi(optarg); break;
		case 'l': lenarg = optarg; break;
		case 'o': out = optarg; break;
		case 'r': in = optarg; break;
		case 'i': inner = optarg; break;
		case 'u': udp = true; break;
		default: die("bad option");
		}
	}
	if (!xf || !src || !dst)
		die("need -x, -s and -d");
	parse_xf(xf, &ts);

	struct evloop *ev = ev_new();
	struct config *cfg = config_new();
	cfg->ipsec_life_sec = 3600;
	cfg->ipsec_life_kb = 4608000;
	cfg->replay_window = 64;
	struct router *r = router_new(ev, cfg);
	r->log.to_stderr = true;
	ipsec_set_deliver(r, cap);
	pktq_init(&delivered, 100000);

	struct sadb_bundle_spec s;
	memset(&s, 0, sizeof(s));
	s.cmap_name = "tool";
	s.cmap_seq = 1;
	s.local_addr = enc ? src : dst;
	s.peer_addr = enc ? dst : src;
	s.peer_port = udp ? 4500 : 500;
	s.udp_encap = udp;
	s.xf = ts;
	s.has_ah = ts.ah != XF_AH_NONE;
	s.has_esp = ts.esp_enc != XF_ENC_NONE || ts.esp_auth != XF_AUTH_NONE;
	s.ah_in = s.ah_out = ah;
	s.esp_in = s.esp_out = esp;
	s.life_sec = 3600;
	s.life_kb = 4608000;
	if (sadb_install(r, &s) < 0)
		die("SA bundle refused (see log)");
	struct ipsec_bundle *b = r->ipsec->bundles;
	int rc = 0;

	if (enc) {
		FILE *fo = out ? fopen(out, "wb") : NULL, *fi = inner ? fopen(inner, "wb") : NULL;
		if (!fo)
			die("need -o");
		pcap_header(fo);
		if (fi)
			pcap_header(fi);
		for (int i = 0; i < count; i++) {
			size_t len = strcmp(lenarg, "var") ? (size_t)atoi(lenarg)
							   : (size_t)(28 + (i * 37) % 1400);
			struct pkt *p = icmp(len < 28 ? 28 : len, (uint16_t)(i + 1));
			if (fi)
				pcap_write(fi, p->data, p->len, (uint32_t)i);
			if (ipsec_encap_bundle(b, p, (uint16_t)(0x100 + i)) != DROP_NONE)
				die("encapsulation failed");
			pcap_write(fo, p->data, p->len, (uint32_t)i);
			pkt_free(p);
		}
		fclose(fo);
		if (fi)
			fclose(fi);
	} else {
		if (!in)
			die("need -r");
		FILE *fr = pcap_open(in), *fi = inner ? pcap_open(inner) : NULL;
		static uint8_t buf[65536], want[65536];
		long n;
		int total = 0, mismatched = 0;
		while ((n = pcap_next(fr, buf, sizeof(buf))) >= 0) {
			struct pkt *p = pkt_alloc();
			total++;
			if (udp) {
				/* IPv4 + UDP header, then ESP */
				if (n < 28)
					die("short UDP packet");
				memcpy(p->data, buf + 28, (size_t)n - 28);
				p->len = (size_t)n - 28;
				ipsec_input_udp(r, p, src, 4500, dst);
			} else {
				memcpy(p->data, buf, (size_t)n);
				p->len = (size_t)n;
				ipsec_input(r, p);
			}
			struct pkt *d = pktq_pop(&delivered);
			long wn = fi ? pcap_next(fi, want, sizeof(want)) : -1;
			if (d && fi && (wn != (long)d->len || memcmp(want, d->data, d->len))) {
				mismatched++;
				fprintf(stderr, "packet %d: inner differs\n", total);
			}
			if (d)
				pkt_free(d);
			else
				fprintf(stderr, "packet %d: dropped\n", total);
		}
		const struct ipsec_counters *cn = &b->fr->c;
		printf("delivered %llu dropped %d\n", (unsigned long long)cn->decaps,
		       total - (int)cn->decaps);
		if ((int)cn->decaps != total || mismatched || total == 0)
			rc = 1;
		fclose(fr);
		if (fi)
			fclose(fi);
	}
	router_free(r);
	ev_free(ev);
	return rc;
}
