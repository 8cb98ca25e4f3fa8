/*
 * The one transform table (issue 13 item 1) and what reads it: config
 * keywords, Quick Mode attributes, key lengths; and its "manual keys
 * allowed" column refusing counter-nonce modes with ipsec-manual (issue 9
 * finding 7), at the command and at load.
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "config/load.h"
#include "config/transform.h"
#include "core/strbuf.h"

TEST(transform_table_is_consistent)
{
	size_t n;
	const struct xf_alg *t = xf_table(&n);
	CHECK(n >= 19);
	for (size_t i = 0; i < n; i++) {
		const struct xf_alg *a = &t[i];
		/* Every row has IKEv1 and IKEv2 identities of the right kind. */
		CHECK(a->ikev2_id != 0);
		CHECK(a->ikev2_type == (a->kind == XF_KIND_ESP_ENC ? IKEV2_XF_ENCR : IKEV2_XF_INTEG));
		CHECK(a->kind == XF_KIND_ESP_AUTH ? a->ike_auth != 0 : a->ike_id != 0);
		/* A nonce that is the sequence number never meets manual keys. */
		CHECK(!a->aead || !a->manual_ok);
		/* The keyword leads back to the row's enum value. */
		int id = a->kind == XF_KIND_AH ? (int)xf_ah_by_cfg_name(a->cfg_name)
			 : a->kind == XF_KIND_ESP_ENC ? (int)xf_enc_by_cfg_name(a->cfg_name)
						      : (int)xf_auth_by_cfg_name(a->cfg_name);
		CHECK(id == a->id);
	}
	/* RFC 7296 / IANA numbers the issue names. */
	CHECK(xf_esp_enc(XF_ENC_AES, 256)->ikev2_id == 12);
	CHECK(xf_esp_enc(XF_ENC_GCM, 0)->ikev2_id == 20);
	CHECK(xf_esp_auth(XF_AUTH_SHA256)->ikev2_id == 12);
}

TEST(transform_quick_mode_attributes_and_key_lengths)
{
	struct cfg_transform_set ts = { .ah = XF_AH_SHA1, .esp_enc = XF_ENC_AES, .esp_keybits = 256,
					.esp_auth = XF_AUTH_SHA256 };
	CHECK(xf_ike_ah_id(&ts) == 3 && xf_ike_ah_auth(&ts) == 2 && xf_ah_keylen(&ts) == 20);
	CHECK(xf_ike_esp_id(&ts) == 12 && xf_ike_esp_auth(&ts) == 5 && xf_ike_keybits(&ts) == 256);
	CHECK(xf_enc_keylen(&ts) == 32 && xf_esp_auth_keylen(&ts) == 32);
	ts.esp_keybits = 0;	/* IOS default: 128 */
	CHECK(xf_ike_keybits(&ts) == 128 && xf_enc_keylen(&ts) == 16);
	ts.esp_enc = XF_ENC_GCM;
	ts.esp_auth = XF_AUTH_NONE;
	CHECK(xf_ike_esp_id(&ts) == 20 && xf_enc_keylen(&ts) == 20);	/* key || salt */
	ts.esp_enc = XF_ENC_NONE;	/* authentication-only ESP is proposed as esp-null */
	ts.esp_auth = XF_AUTH_MD5;
	CHECK(xf_ike_esp_id(&ts) == 11 && xf_ike_keybits(&ts) == 0);
	ts.esp_enc = XF_ENC_DES;
	CHECK(xf_ike_esp_id(&ts) == 2 && xf_ike_keybits(&ts) == 0 && xf_enc_keylen(&ts) == 8);
}

static int run(struct cli_ctx *ctx, struct strbuf *out, const char *line)
{
	sb_reset(out);
	return cmd_execute(ctx, line);
}

TEST(transform_gcm_refused_with_manual_keys_at_the_command)
{
	struct config *cfg = config_new();
	struct strbuf out;
	sb_init(&out);
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.out = &out;
	ctx.mode = MODE_CONFIG;
	ctx.bad_arg = -1;
	CHECK(run(&ctx, &out, "crypto ipsec transform-set g esp-gcm 256") == 0);
	CHECK(run(&ctx, &out, "exit") == 0);
	CHECK(run(&ctx, &out, "crypto ipsec transform-set c esp-aes esp-sha-hmac") == 0);
	CHECK(run(&ctx, &out, "exit") == 0);
	CHECK(run(&ctx, &out, "crypto map m 10 ipsec-manual") == 0);
	CHECK(run(&ctx, &out, "set transform-set g") < 0);
	CHECK(strstr(sb_str(&out), "% esp-gcm cannot be used with manual keys") != NULL);
	struct cfg_cmap_entry *e = &cfg->cmaps[0];
	CHECK(e->ntsets == 0);	/* nothing applied */
	CHECK(run(&ctx, &out, "set transform-set c") == 0);
	CHECK(e->ntsets == 1);
	/* Redefining the set a manual map uses as GCM is refused too. */
	CHECK(run(&ctx, &out, "exit") == 0);
	CHECK(run(&ctx, &out, "crypto ipsec transform-set c esp-gcm") < 0);
	CHECK(strstr(sb_str(&out), "% esp-gcm cannot be used with manual keys") != NULL);
	CHECK(config_tset(cfg, "c")->esp_enc == XF_ENC_AES);
	/* ipsec-isakmp maps take GCM as before. */
	CHECK(run(&ctx, &out, "crypto map m 20 ipsec-isakmp") == 0);
	CHECK(run(&ctx, &out, "set transform-set g") == 0);
	sb_free(&out);
	config_free(cfg);
}

TEST(transform_gcm_refused_with_manual_keys_at_load)
{
	static const char text[] =
		"crypto ipsec transform-set g esp-gcm\n"
		"!\n"
		"crypto map m 10 ipsec-manual\n"
		" set peer 10.2.2.2\n"
		" set transform-set g\n"
		" match address 101\n";
	struct strbuf err;
	sb_init(&err);
	struct config *c = config_load_string(text, "m.cfg", &err, NULL);
	CHECK(c == NULL);
	CHECK(strstr(sb_str(&err), "m.cfg:5: % esp-gcm cannot be used with manual keys") != NULL);
	if (c)
		config_free(c);
	sb_free(&err);
}
