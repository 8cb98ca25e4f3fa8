#include "t.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "crypto/dh.h"

/* RFC 3526 §3, the 2048-bit MODP group (group 14). */
static const char *modp2048 =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
	"15728E5A8AACAA68FFFFFFFFFFFFFFFF";

static void agree(int group)
{
	struct dh *a = dh_new(group), *b = dh_new(group);
	uint8_t pa[DH_MAX_PUB], pb[DH_MAX_PUB], sa[DH_MAX_PUB], sb[DH_MAX_PUB];
	CHECK(a && b);
	if (!a || !b)
		goto out;
	size_t pl = dh_pub_len(group), sl = dh_secret_len(group);
	CHECK(dh_public(a, pa, sizeof(pa)) == (int)pl);
	CHECK(dh_public(b, pb, sizeof(pb)) == (int)pl);
	CHECK(dh_derive(a, pb, pl, sa, sizeof(sa)) == (int)sl);
	CHECK(dh_derive(b, pa, pl, sb, sizeof(sb)) == (int)sl);
	CHECK_MEM(sa, sb, sl);
	CHECK(memcmp(pa, pb, pl) != 0);
	/* Wrong lengths and degenerate values are refused. */
	CHECK(dh_derive(a, pb, pl - 1, sa, sizeof(sa)) < 0);
	memset(pb, 0, pl);
	CHECK(dh_derive(a, pb, pl, sa, sizeof(sa)) < 0);
	pb[pl - 1] = 1;
	CHECK(dh_derive(a, pb, pl, sa, sizeof(sa)) < 0);
out:
	dh_free(a);
	dh_free(b);
}

TEST(dh_modp_agreement_both_ways)
{
	agree(1);
	agree(2);
	agree(5);
	agree(14);
	agree(24);
}

TEST(dh_ecp_agreement_both_ways)
{
	agree(19);
	agree(20);
	agree(21);
	CHECK(dh_pub_len(19) == 64 && dh_secret_len(19) == 32);
	CHECK(dh_pub_len(21) == 132 && dh_secret_len(21) == 66);
	CHECK(!dh_supported(3) && !dh_new(3));
}

TEST(dh_group14_prime_is_rfc3526)
{
	uint8_t p[512], want[256];
	CHECK(dh_prime(14, p, sizeof(p)) == 256);
	t_hex(modp2048, want, sizeof(want));
	CHECK_MEM(p, want, 256);
	/* p - 1 = p-1 ends in ...FE; group 2 shares the first 64 bits and the pi digits. */
	CHECK(dh_prime(2, p, sizeof(p)) == 128);
	CHECK_MEM(p, want, 16);
	CHECK(p[127] == 0xFF && p[120] == 0xFF);
	/* Safe primes: p and (p-1)/2 prime. */
	BIGNUM *bp = BN_bin2bn(want, 256, NULL), *q = BN_dup(bp);
	BN_CTX *ctx = BN_CTX_new();
	BN_rshift1(q, q);
	CHECK(BN_check_prime(bp, ctx, NULL) == 1 && BN_check_prime(q, ctx, NULL) == 1);
	BN_free(bp);
	BN_free(q);
	BN_CTX_free(ctx);
	CHECK(dh_prime(19, p, sizeof(p)) < 0);
}

static void kat(int group, const char *ipriv, const char *rpriv, const char *ipub, const char *rpub,
		const char *shared)
{
	uint8_t i[128], r[128], gi[256], gr[256], s[128], out[128];
	size_t il = t_hex(ipriv, i, sizeof(i)), rl = t_hex(rpriv, r, sizeof(r));
	size_t gil = t_hex(ipub, gi, sizeof(gi)), grl = t_hex(rpub, gr, sizeof(gr));
	size_t sl = t_hex(shared, s, sizeof(s));
	struct dh *a = dh_new_priv(group, i, il, gi, gil), *b = dh_new_priv(group, r, rl, gr, grl);
	CHECK(a && b);
	if (a && b) {
		uint8_t pub[256];
		CHECK(dh_public(a, pub, sizeof(pub)) == (int)gil);
		CHECK_MEM(pub, gi, gil);
		CHECK(dh_derive(a, gr, grl, out, sizeof(out)) == (int)sl);
		CHECK_MEM(out, s, sl);
		CHECK(dh_derive(b, gi, gil, out, sizeof(out)) == (int)sl);
		CHECK_MEM(out, s, sl);
		/* A point off the curve is refused. */
		gr[grl - 1] ^= 1;
		CHECK(dh_derive(a, gr, grl, out, sizeof(out)) < 0);
	}
	dh_free(a);
	dh_free(b);
}

TEST(dh_ecp_known_answers)
{
	/* RFC 5903 §8.1, group 19. */
	kat(19, "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
	    "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
	    "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C37725811805271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
	    "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF6356FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
	    "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");
	/* RFC 5114 Appendix A.7 and A.8: the same P-384 and P-521 curves as groups 20 and 21. */
	kat(20, "d27335ea71664af244dd14e9fd1260715dfd8a7965571c48d709ee7a7962a156d706a90cbcb5df2986f05feadb9376f1",
	    "52d1791fdb4b70f89c0f00d456c2f7023b6125262c36a7df1f80231121cce3d39be52e00c194a4132c4a6c768bcd94d2",
	    "793148f1787634d5da4c6d9074417d05e057ab62f82054d10ee6b0403d6279547e6a8ea9d1fd77427d016fe27a8b8c66c6c41294331d23e6f480f4fb4cd40504c947392e94f4c3f06b8f398bb29e42368f7a685923de3b67baced214a1a1d128",
	    "5cd42ab9c41b5347f74b8d4efb708b3d5b36db65915359b44abc17647b6b9999789d72a84865ae2f223f12b5a1abc120e171458feaa939aaa3a8bfac46b404bd8f6d5b348c0fa4d80ceca16356ca933240bde8723415a8ece035b0edf36755de",
	    "5ea1fc4af7256d2055981b110575e0a8cae53160137d904c59d926eb1b8456e427aa8a4540884c37de159a58028abc0e");
	kat(21, "0113f82da825735e3d97276683b2b74277bad27335ea71664af2430cc4f33459b9669ee78b3ffb9b8683015d344dcbfef6fb9af4c6c470be254516cd3c1a1fb47362",
	    "00cee3480d8645a17d249f2776d28bae616952d1791fdb4b70f7c3378732aa1b22928448bcd1dc2496d435b01048066ebe4f72903c361b1a9dc1193dc2c9d0891b96",
	    "01ebb34dd75721abf8adc9dbed17889cbb9765d90a7c60f2cef007bb0f2b26e14881fd4442e689d61cb2dd046ee30e3ffd20f9a45bbdf6413d583a2dbf59924fd35c00f6b632d194c0388e22d8437e558c552ae195adfd153f92d74908351b2f8c4eda94edb0916d1b53c020b5eecaed1a5fc38a233e4830587bb2ee3489b3b42a5a86a4",
	    "010ebfafc6e85e08d24bfffcc1a4511db0e634beeb1b6dec8c5939ae44766201af6200430ba97c8ac6a0e9f08b33ce7e9feeb5ba4ee5e0d81510c24295b8a08d023500a4a6ec300df9e257b0372b5e7abfef093436719a77887ebb0b18cf8099b9f4212b6e30a1419c18e029d36863cc9d448f4dba4d2a0e60711be572915fbd4fef2695",
	    "00cdea89621cfa46b132f9e4cfe2261cde2d4368eb5656634c7cc98c7a00cde54ed1866a0dd3e6126c9d2f845daff82ceb1da08f5d87521bb0ebeca77911169c20cc");
}
