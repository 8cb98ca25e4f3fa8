/* Main Mode + Quick Mode between two in-process routers. */
#include "../unit/t.h"
#include "xlab.h"

#include <stdlib.h>
#include <string.h>

static const struct xl_opts seed;

TEST(ike_xchg_seed_comes_up)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct ike_sa *a = xl_sa(x, 0), *b = xl_sa(x, 1);
	CHECK(a && b);
	if (a && b) {
		CHECK(a->state == QM_IDLE && b->state == QM_IDLE);
		CHECK(a->initiator && !b->initiator);
		CHECK(memcmp(a->icookie, b->icookie, 8) == 0 && memcmp(a->rcookie, b->rcookie, 8) == 0);
		CHECK(a->pol.lifetime == 180 && b->pol.group == 1);
		CHECK(a->peer_dpd && b->peer_dpd);
	}
	CHECK(xl_crosswise(x));
	const struct ike_record *ra = xl_record(x, 0, 0);
	if (ra) {
		CHECK(ra->life_sec == 3600 && ra->life_kb == 4608000);
		CHECK(ra->flow.local == x->inside[0] && ra->flow.remote == x->inside[1]);
		CHECK(ra->initiator);
	}
	CHECK(xl_ike(x, 0)->st.p1_ok == 1 && xl_ike(x, 1)->st.p1_ok == 1);
	CHECK(xl_ike(x, 0)->st.installs == 1 && xl_ike(x, 1)->st.installs == 1);
	CHECK(xl_ike(x, 0)->st.retransmits == 0);
	/* The IOS debug lines of the seed's step 4 on the responder. */
	CHECK(xl_log_has(x, 1, "IPSEC(validate_proposal_request): proposal part #1, (key eng. msg.) INBOUND local= 10.2.2.2, remote= 10.1.1.1, local_proxy= 10.0.2.2/255.255.255.255/0/0 (type=1), remote_proxy= 10.0.0.1/255.255.255.255/0/0 (type=1), protocol= AH, transform= ah-sha-hmac , lifedur= 0s and 0kb, spi= 0x0(0), conn_id= 0, keysize= 0, flags= 0x2"));
	CHECK(xl_log_has(x, 1, "protocol= ESP, transform= esp-des esp-sha-hmac"));
	CHECK(xl_log_has(x, 1, "IPSEC(spi_response): getting spi "));
	CHECK(xl_log_has(x, 1, "for SA from 10.2.2.2 to 10.1.1.1 for prot 2"));
	CHECK(xl_log_has(x, 0, "IPSEC(create_sa): sa created, (sa) sa_dest= 10.2.2.2, sa_prot= 51"));
	CHECK(xl_log_has(x, 0, "New State = QM_IDLE"));
	xl_free(x);
}

TEST(ike_xchg_acquire_merged_while_negotiating)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_acquire(x, 0);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_crosswise(x));
	CHECK(xl_ike(x, 0)->st.acquire_dup == 2);
	CHECK(xl_ike(x, 1)->st.installs == 1);
	xl_free(x);
}

static void run_groups(int group, enum cfg_ike_enc enc, enum cfg_ike_hash hash, int pfs)
{
	struct xl_opts o;
	memset(&o, 0, sizeof(o));
	o.pol_a = o.pol_b = (struct cfg_isakmp_policy){ 10, enc, hash, IKE_AUTH_PSK, group, 86400 };
	o.ts_a = o.ts_b = (struct cfg_transform_set){ "aes", XF_AH_NONE, XF_ENC_AES, 256, XF_AUTH_SHA256, false };
	o.pfs_a = o.pfs_b = pfs;
	struct xlab *x = xl_new(&o);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	CHECK(xl_sa(x, 0) && xl_sa(x, 1));
	CHECK(xl_nrecords(x, 0) == 1 && xl_nrecords(x, 1) == 1);
	const struct ike_record *a = xl_record(x, 0, 0), *b = xl_record(x, 1, 0);
	if (a && b) {
		CHECK(!a->has_ah && a->has_esp);
		CHECK(a->esp_spi_in == b->esp_spi_out && a->esp_spi_out == b->esp_spi_in);
		CHECK(a->key_fp[2] == b->key_fp[3] && a->key_fp[3] == b->key_fp[2]);
		CHECK(a->xf.esp_keybits == 256);
	}
	xl_free(x);
}

TEST(ike_xchg_group14_aes256_sha256)
{
	run_groups(14, IKE_ENC_AES256, IKE_HASH_SHA256, 0);
}

TEST(ike_xchg_group19_3des_md5_pfs2)
{
	run_groups(19, IKE_ENC_3DES, IKE_HASH_MD5, 2);
}

TEST(ike_xchg_group20_aes128_sha384_pfs19)
{
	run_groups(20, IKE_ENC_AES128, IKE_HASH_SHA384, 19);
}

TEST(ike_xchg_group5_aes192_sha512)
{
	run_groups(5, IKE_ENC_AES192, IKE_HASH_SHA512, 0);
}

TEST(ike_xchg_show_isakmp_sa)
{
	struct xlab *x = xl_new(&seed);
	xl_acquire(x, 0);
	xl_run(x, 3000);
	struct strbuf sb;
	sb_init(&sb);
	ike_show_sa(x->r[0], &sb, false);
	CHECK_STR(sb_str(&sb),
		  "f_vrf/i_vrf   dst             src             state          conn-id slot status\n"
		  "/             10.2.2.2        10.1.1.1        QM_IDLE              1    0 ACTIVE\n");
	sb_reset(&sb);
	/* Each router lists its peer as dst, as the seed's Router B does. */
	ike_show_sa(x->r[1], &sb, false);
	CHECK(strstr(sb_str(&sb), "/             10.1.1.1        10.2.2.2        QM_IDLE              1    0 ACTIVE\n"));
	sb_reset(&sb);
	ike_show_sa(x->r[0], &sb, true);
	CHECK(strstr(sb_str(&sb), "10.1.1.1        10.2.2.2        des  sha    psk  1  00:02:5"));
	sb_reset(&sb);
	ike_show_policy(x->r[0], &sb);
	CHECK(strstr(sb_str(&sb), "Global IKE policy\nProtection suite of priority 1\n"
				  "\tencryption algorithm:   DES - Data Encryption Standard (56 bit keys).\n"
				  "\thash algorithm:         Secure Hash Standard\n"
				  "\tauthentication method:  Pre-Shared Key\n"
				  "\tDiffie-Hellman group:   #1 (768 bit)\n"
				  "\tlifetime:               180 seconds, no volume limit\n"
				  "Default protection suite\n"));
	sb_reset(&sb);
	ike_show_session(x->r[0], &sb, false);
	CHECK(strstr(sb_str(&sb), "Interface: FastEthernet0/0\nSession status: UP-ACTIVE\nPeer: 10.2.2.2 port 500\n"
				  "  IKE SA: local 10.1.1.1/500 remote 10.2.2.2/500 Active\n"
				  "  IPSEC FLOW: permit ip host 10.0.0.1 host 10.0.2.2\n"
				  "        Active SAs: 4, origin: crypto map\n"));
	sb_reset(&sb);
	/* clear crypto isakmp: the row stays as (deleted), the peer hears of it, IPsec SAs stay. */
	CHECK(ike_clear(x->r[1], 0) == 1);
	xl_run(x, 500);
	ike_show_sa(x->r[1], &sb, false);
	CHECK(strstr(sb_str(&sb), "MM_NO_STATE          1    0 ACTIVE (deleted)\n"));
	CHECK(xl_sa(x, 0) == NULL);
	CHECK(xl_nrecords(x, 0) == 1 && xl_nrecords(x, 1) == 1);
	sb_reset(&sb);
	ike_show_stats(x->r[0], &sb);
	CHECK(strstr(sb_str(&sb), "Delete: 1 received"));
	sb_free(&sb);
	xl_free(x);
}
