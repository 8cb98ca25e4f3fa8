/*
 * Quick Mode's last step: KEYMAT for every SA of the bundle, the bundle into
 * the SADB (sadb_install), and IKE's record of it.
 */
#include "ike/qm_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "router.h"

void qm_debug_proposal(struct ike_qm *q, const char *what, int part, bool ah, uint32_t spi,
			   uint32_t life_sec, uint32_t life_kb, const char *flags)
{
	struct ike_sa *sa = q->sa;
	char ls[16], rs[16], lp[64], rp[64], xn[64];
	ip_fmt(sa->local, ls);
	ip_fmt(sa->peer, rs);
	qm_net_str(q->flow.local, q->flow.local_mask, q->flow.proto, q->flow.local_port, lp, sizeof(lp));
	qm_net_str(q->flow.remote, q->flow.remote_mask, q->flow.proto, q->flow.remote_port, rp, sizeof(rp));
	char partbuf[32] = "";
	if (part)
		snprintf(partbuf, sizeof(partbuf), " proposal part #%d,", part);
	log_debug(&sa->ike->r->log,
		  "IPSEC(%s):%s (key eng. msg.) %s local= %s, remote= %s, local_proxy= %s, remote_proxy= %s, "
		  "protocol= %s, transform= %s , lifedur= %us and %ukb, spi= 0x%X(%u), conn_id= 0, keysize= %zu, flags= %s",
		  part ? "validate_proposal_request" : "initialize_sas", part ? partbuf : " ,", what, ls, rs,
		  lp, rp, ah ? "AH" : "ESP", ike_xf_name(&q->xf, ah, xn, sizeof(xn)), life_sec, life_kb,
		  spi, spi, ah ? (size_t)0 : xf_enc_keylen(&q->xf) * 8, flags);
}

void ike_key_fingerprint(const uint8_t *k, size_t n, uint32_t *fp)
{
	uint8_t h[PRF_MAX_LEN];
	prf_hash2(IKE_HASH_SHA1, k, n, "", 0, h);
	*fp = wbuf_be32(h);
}

/* KEYMAT (RFC 2409 §5.5) for every SA of the bundle into spec; fingerprints into fp. */
static int derive_keys(struct ike_qm *q, struct sadb_bundle_spec *spec, uint32_t fp[4])
{
	struct ike_sa *sa = q->sa;
	int rc = 0;
	if (q->has_ah) {
		size_t al = xf_ah_keylen(&q->xf);
		spec->ah_in.spi = q->ah_spi_in;
		spec->ah_out.spi = q->ah_spi_out;
		spec->ah_in.auth_key_len = spec->ah_out.auth_key_len = al;
		rc |= ike_keymat(sa, q->gxy, q->gxylen, ISAKMP_PROTO_AH, q->ah_spi_in, q->ni, q->nilen,
				 q->nr, q->nrlen, spec->ah_in.auth_key, al);
		rc |= ike_keymat(sa, q->gxy, q->gxylen, ISAKMP_PROTO_AH, q->ah_spi_out, q->ni, q->nilen,
				 q->nr, q->nrlen, spec->ah_out.auth_key, al);
		ike_key_fingerprint(spec->ah_in.auth_key, al, &fp[0]);
		ike_key_fingerprint(spec->ah_out.auth_key, al, &fp[1]);
	}
	if (q->has_esp) {
		size_t el = xf_enc_keylen(&q->xf), al = xf_esp_auth_keylen(&q->xf);
		uint8_t km[2 * SADB_KEY_MAX];
		struct sadb_sa_keys *ks[2] = { &spec->esp_in, &spec->esp_out };
		uint32_t spis[2] = { q->esp_spi_in, q->esp_spi_out };
		for (int i = 0; i < 2; i++) {
			/* Encryption key first, then the authentication key. */
			rc |= ike_keymat(sa, q->gxy, q->gxylen, ISAKMP_PROTO_ESP, spis[i], q->ni, q->nilen,
					 q->nr, q->nrlen, km, el + al);
			ks[i]->spi = spis[i];
			memcpy(ks[i]->enc_key, km, el);
			ks[i]->enc_key_len = el;
			memcpy(ks[i]->auth_key, km + el, al);
			ks[i]->auth_key_len = al;
			ike_key_fingerprint(km, el + al, &fp[2 + i]);
		}
		OPENSSL_cleanse(km, sizeof(km));
	}
	return rc;
}

/*
 * The one way a negotiated bundle enters the SADB and our records (Quick
 * Mode and IKEv2's Child SAs): sadb_install, then the record (rec brings
 * key_fp and initiator; the rest comes from spec).  Returns the bundle id,
 * or -1 (counted) with nothing left installed.
 */
int ike_install_bundle(struct ike_state *ike, const struct sadb_bundle_spec *spec,
		       struct ike_record *rec)
{
	int id = sadb_install(ike->r, spec);
	if (id < 0) {
		ike->st.install_fail++;
		return -1;
	}
	rec->id = id;
	snprintf(rec->cmap_name, sizeof(rec->cmap_name), "%s", spec->cmap_name ? spec->cmap_name : "");
	rec->cmap_seq = spec->cmap_seq;
	rec->flow = spec->flow;
	rec->local = spec->local_addr;
	rec->peer = spec->peer_addr;
	rec->has_ah = spec->has_ah;
	rec->has_esp = spec->has_esp;
	rec->ah_spi_in = spec->ah_in.spi;
	rec->ah_spi_out = spec->ah_out.spi;
	rec->esp_spi_in = spec->esp_in.spi;
	rec->esp_spi_out = spec->esp_out.spi;
	rec->xf = spec->xf;
	rec->life_sec = spec->life_sec;
	rec->life_kb = spec->life_kb;
	rec->ike_conn_id = spec->ike_conn_id;
	rec->udp_encap = spec->udp_encap;
	rec->peer_port = spec->peer_port;
	rec->installed_ms = ev_now(ike->r->ev);
	if (ike_record_add(ike, rec) >= 0) {
		ike->st.installs++;
		return id;
	}
	/* Room was checked before the committing message went out, so this is
	 * a bug, not a flood: still, never leave a bundle in the SADB that
	 * nothing tracks. */
	ike->st.record_full++;
	ike->st.install_fail++;
	if (spec->has_esp)
		sadb_delete_inbound_spi(ike->r, IPPROTO_ESP_, spec->esp_in.spi, SADB_DEL_CLEAR);
	else if (spec->has_ah)
		sadb_delete_inbound_spi(ike->r, IPPROTO_AH_, spec->ah_in.spi, SADB_DEL_CLEAR);
	return -1;
}

/* IOS's `debug crypto ipsec` lines for a bundle just created. */
static void debug_installed(struct ike_qm *q, int id)
{
	struct ike_sa *sa = q->sa;
	char xn[64], ps[16], ls[16];
	ip_fmt(sa->peer, ps);
	ip_fmt(sa->local, ls);
	uint32_t cid = 5120 + 4 * (uint32_t)((id - 1) % 1000);
	if (q->has_ah) {
		qm_debug_proposal(q, "INBOUND", 0, true, q->ah_spi_in, q->life_sec, q->life_kb, "0x2");
		qm_debug_proposal(q, "OUTBOUND", 0, true, q->ah_spi_out, q->life_sec, q->life_kb, "0xA");
	}
	if (q->has_esp) {
		qm_debug_proposal(q, "INBOUND", 0, false, q->esp_spi_in, q->life_sec, q->life_kb, "0x2");
		qm_debug_proposal(q, "OUTBOUND", 0, false, q->esp_spi_out, q->life_sec, q->life_kb, "0xA");
	}
	struct { bool on, ah; uint32_t spi; const char *dst; uint32_t cid; } sas[4] = {
		{ q->has_ah, true, q->ah_spi_in, ls, cid + 1 },
		{ q->has_ah, true, q->ah_spi_out, ps, cid + 2 },
		{ q->has_esp, false, q->esp_spi_in, ls, cid + 3 },
		{ q->has_esp, false, q->esp_spi_out, ps, cid + 4 },
	};
	for (int i = 0; i < 4; i++)
		if (sas[i].on)
			log_debug(&sa->ike->r->log,
				  "IPSEC(create_sa): sa created, (sa) sa_dest= %s, sa_prot= %d, sa_spi= 0x%X(%u), sa_trans= %s , sa_conn_id= %u",
				  sas[i].dst, sas[i].ah ? IPPROTO_AH_ : IPPROTO_ESP_, sas[i].spi, sas[i].spi,
				  ike_xf_name(&q->xf, sas[i].ah, xn, sizeof(xn)), sas[i].cid);
}

/* KEYMAT for all SAs of the bundle, then sadb_install and our record of it. */
int qm_install(struct ike_qm *q)
{
	struct ike_sa *sa = q->sa;
	struct ike_state *ike = sa->ike;
	struct sadb_bundle_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.cmap_name = q->cmap_name;
	spec.cmap_seq = q->cmap_seq;
	spec.flow = q->flow;
	spec.local_addr = sa->local;
	spec.peer_addr = sa->peer;
	spec.peer_port = sa->peer_port;
	spec.udp_encap = natt_udp_encap(sa);
	spec.xf = q->xf;
	spec.has_ah = q->has_ah;
	spec.has_esp = q->has_esp;
	spec.life_sec = q->life_sec;
	spec.life_kb = q->life_kb;
	spec.ike_conn_id = sa->conn_id;
	struct ike_record rec;
	memset(&rec, 0, sizeof(rec));
	rec.initiator = q->initiator;
	int rc = derive_keys(q, &spec, rec.key_fp);
	if (rc)
		ike->st.install_fail++;
	int id = rc ? -1 : ike_install_bundle(ike, &spec, &rec);
	OPENSSL_cleanse(&spec, sizeof(spec));
	if (id < 0)
		return -1;
	q->spis_owned = false;
	q->bundle_id = id;
	ike->st.p2_ok++;
	if (ike_dbg_ipsec(ike))
		debug_installed(q, id);
	return 0;
}
