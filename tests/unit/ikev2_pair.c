/* The fake host of two IKEv2 engines (see ikev2_pair.h). */
#include "ikev2_pair.h"

#include <stdlib.h>
#include <string.h>

static int send_cb(void *arg, uint32_t local, uint32_t peer, const uint8_t *msg, size_t len)
{
	struct v2p_side *s = arg;
	struct v2p *p = s->p;
	(void)local;
	(void)peer;
	if (p->nq == V2P_QMAX || len > V2P_MAXMSG)
		return -1;
	p->q[p->nq].to = s == &p->s[0] ? 1 : 0;
	p->q[p->nq].len = len;
	memcpy(p->q[p->nq].d, msg, len);
	p->nq++;
	return 0;
}

static bool conf_cb(void *arg, uint32_t local, uint32_t peer, struct ikev2_peer_conf *out)
{
	struct v2p_side *s = arg;
	(void)local;
	(void)peer;
	*out = s->conf;
	return true;
}

static uint32_t spi_cb(void *arg)
{
	struct v2p_side *s = arg;
	return s->next_spi++;
}

static void up_cb(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c)
{
	struct v2p_side *s = arg;
	s->nup++;
	if (!s->sa)
		s->sa = sa;
	if (s->nlive < V2P_LIVE)
		s->live[s->nlive++] = *c;
}

static void down_cb(void *arg, struct ikev2_sa *sa, uint32_t spi_in, uint32_t spi_out)
{
	struct v2p_side *s = arg;
	(void)sa;
	s->ndown++;
	s->last_down_in = spi_in;
	s->last_down_out = spi_out;
	for (size_t i = 0; i < s->nlive; i++)
		if (s->live[i].spi_in == spi_in && s->live[i].spi_out == spi_out) {
			s->live[i] = s->live[--s->nlive];
			return;
		}
	abort();	/* the engine took down a Child SA it never gave us */
}

static void ike_down_cb(void *arg, struct ikev2_sa *sa)
{
	struct v2p_side *s = arg;
	s->nike_down++;
	if (s->sa == sa)
		s->sa = NULL;
}

static void rekeyed_cb(void *arg, struct ikev2_sa *old, struct ikev2_sa *nsa)
{
	struct v2p_side *s = arg;
	s->nrekeyed++;
	if (s->sa == old)
		s->sa = nsa;
}

static uint64_t now_cb(void *arg)
{
	struct v2p_side *s = arg;
	return s->p->now;
}

struct v2p *v2p_new(void)
{
	static const struct ikev2_suite cbc14 = { IKEV2_ENCR_AES_CBC, 256, IKEV2_AUTH_HMAC_SHA2_256_128,
						  IKEV2_PRF_HMAC_SHA2_256, 14 };
	static const struct ikev2_child_suite esp_cbc = { IKEV2_ENCR_AES_CBC, 128, IKEV2_AUTH_HMAC_SHA1_96 };
	struct v2p *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	for (int i = 0; i < 2; i++) {
		struct v2p_side *s = &p->s[i];
		s->p = p;
		s->host = (struct ikev2_host){ .arg = s, .send = send_cb, .conf = conf_cb, .spi_alloc = spi_cb,
					       .child_up = up_cb, .child_down = down_cb, .ike_down = ike_down_cb,
					       .ike_rekeyed = rekeyed_cb, .now_ms = now_cb };
		ikev2_engine_init(&s->eng, &s->host);
		s->next_spi = i ? 0xb0000001 : 0xa0000001;
		struct ikev2_peer_conf *c = &s->conf;
		c->ike[c->nike++] = cbc14;
		c->child[c->nchild++] = esp_cbc;
		memcpy(c->psk_local, "cisco123", 8);
		memcpy(c->psk_remote, "cisco123", 8);
		c->psk_local_len = c->psk_remote_len = 8;
		c->id_local = i ? V2P_B : V2P_A;
		c->id_remote = i ? V2P_A : V2P_B;
		struct ikev2_range a_lan = { 0, 0, 65535, 0x0a000000, 0x0a0000ff };
		struct ikev2_range b_lan = { 0, 0, 65535, 0x0a000200, 0x0a0002ff };
		c->local_ts = i ? b_lan : a_lan;
		c->remote_ts = i ? a_lan : b_lan;
	}
	return p;
}

void v2p_free(struct v2p *p)
{
	for (int i = 0; i < 2; i++)
		ikev2_engine_free(&p->s[i].eng);
	free(p);
}

void v2p_drop(struct v2p *p, size_t i)
{
	if (i >= p->nq)
		return;
	memmove(p->q + i, p->q + i + 1, (p->nq - i - 1) * sizeof(p->q[0]));
	p->nq--;
}

void v2p_deliver(struct v2p *p, size_t i)
{
	static struct v2p_dgram d;
	if (i >= p->nq)
		return;
	d = p->q[i];
	v2p_drop(p, i);
	struct v2p_side *to = &p->s[d.to];
	for (int k = 0; k <= p->dup; k++)
		ikev2_input(&to->eng, d.to ? V2P_B : V2P_A, d.to ? V2P_A : V2P_B, d.d, d.len);
}

void v2p_pump(struct v2p *p)
{
	for (int rounds = 0; rounds < 200 && p->nq; rounds++)
		v2p_deliver(p, 0);
}

bool v2p_up(struct v2p *p)
{
	struct ikev2_sa *sa = ikev2_initiate(&p->s[0].eng, V2P_A, V2P_B);
	v2p_pump(p);
	return sa && sa->state == IKEV2_S_READY && p->s[1].sa && p->s[1].sa->state == IKEV2_S_READY &&
	       p->s[0].sa == sa && p->s[0].nlive == 1 && p->s[1].nlive == 1;
}

const struct ikev2_child *v2p_live_by_in(const struct v2p_side *s, uint32_t spi_in)
{
	for (size_t i = 0; i < s->nlive; i++)
		if (s->live[i].spi_in == spi_in)
			return &s->live[i];
	return NULL;
}

bool v2p_crosswise(const struct v2p *p)
{
	const struct v2p_side *a = &p->s[0], *b = &p->s[1];
	if (a->nlive != b->nlive)
		return false;
	for (size_t i = 0; i < a->nlive; i++) {
		const struct ikev2_child *x = &a->live[i], *y = v2p_live_by_in(b, x->spi_out);
		size_t n = x->enc_key_len + x->integ_key_len;
		if (!y || y->spi_out != x->spi_in || !n || memcmp(x->key_out, y->key_in, n) ||
		    memcmp(x->key_in, y->key_out, n) || !memcmp(x->key_in, x->key_out, n))
			return false;
	}
	return true;
}

size_t v2p_ike_count(const struct v2p_side *s)
{
	size_t n = 0;
	for (const struct ikev2_sa *sa = s->eng.sas; sa; sa = sa->next)
		n += sa->state != IKEV2_S_DEAD;
	return n;
}
