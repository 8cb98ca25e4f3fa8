/*
 * The configuration model: what the IOS command tree parses into and what
 * `show running-config` renders from.  Every module reads its settings
 * here; only src/config/ writes it (through the command tree).
 *
 * Loading a file builds a fresh struct config and swaps it in only when the
 * whole file parsed, so a bad line never leaves half a file applied.
 * Interactive `configure terminal` edits the live config one command at a
 * time and then calls the router's apply hook (router_config_changed).
 */
#ifndef SPIGOT_CONFIG_H
#define SPIGOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"	/* struct log_stamp */

#define CFG_NAME_MAX 64
#define CFG_MAX_PEERS 8
#define CFG_KEY_MAX 128

/* A line we accept but do not act on, kept verbatim for running-config. */
struct cfg_opaque {
	char *text;		/* the line without its leading indentation */
	char **sub;		/* indented sub-lines, each without indentation */
	size_t nsub;
	int lineno;		/* where it came from, for the "not supported" report */
};

struct cfg_iface {
	char name[CFG_NAME_MAX];	/* canonical IOS name: "FastEthernet0/0" */
	char description[241];
	bool has_addr;
	uint32_t addr, mask;		/* host byte order */
	bool shutdown;
	char crypto_map[CFG_NAME_MAX];	/* "" when none */
	uint32_t mtu;			/* 0: default (1500) */
	struct cfg_opaque extra;	/* sub-lines we keep but do not act on (duplex ...) */
};

struct cfg_route {
	uint32_t prefix, mask;		/* host byte order */
	uint32_t nexthop;		/* 0 when an interface is given */
	char ifname[CFG_NAME_MAX];	/* "" when a next hop is given */
	uint8_t distance;		/* 1 by default */
};

enum cfg_port_op { PORT_ANY = 0, PORT_EQ, PORT_NEQ, PORT_LT, PORT_GT, PORT_RANGE };

struct cfg_ace {
	bool permit;
	bool extended;
	uint8_t proto;			/* 0 = ip (any protocol) */
	uint32_t src, src_wild;		/* wildcard bits set = don't care */
	uint32_t dst, dst_wild;
	enum cfg_port_op sop, dop;
	uint16_t sport[2], dport[2];
	bool log;
	char *remark;			/* non-NULL for "access-list N remark ..." */
};

struct cfg_acl {
	int number;			/* 1-99 standard, 100-199 extended */
	struct cfg_ace *aces;
	size_t nace;
};

enum cfg_ike_enc { IKE_ENC_DES = 1, IKE_ENC_3DES, IKE_ENC_AES128, IKE_ENC_AES192, IKE_ENC_AES256 };
enum cfg_ike_hash { IKE_HASH_SHA1 = 1, IKE_HASH_MD5, IKE_HASH_SHA256, IKE_HASH_SHA384, IKE_HASH_SHA512 };
enum cfg_ike_auth { IKE_AUTH_PSK = 1, IKE_AUTH_RSA_SIG, IKE_AUTH_RSA_ENCR };

struct cfg_isakmp_policy {
	int priority;			/* 1-10000 */
	enum cfg_ike_enc enc;		/* IOS default: des */
	enum cfg_ike_hash hash;		/* IOS default: sha */
	enum cfg_ike_auth auth;		/* IOS default: rsa-sig */
	int group;			/* IOS default: 1 */
	uint32_t lifetime;		/* IOS default: 86400 */
	struct cfg_opaque extra;	/* sub-lines we keep but do not act on */
};

struct cfg_isakmp_key {
	char key[CFG_KEY_MAX];
	int enc_type;			/* 0 or 6 as written ("key 0 1234") ; -1 if absent */
	uint32_t addr, mask;		/* mask 255.255.255.255 when absent */
	bool no_xauth;
};

/* IPsec transforms, one table in src/ipsec/transform.c maps these names. */
enum cfg_xf_ah { XF_AH_NONE = 0, XF_AH_MD5, XF_AH_SHA1, XF_AH_SHA256, XF_AH_SHA384, XF_AH_SHA512 };
enum cfg_xf_enc {
	XF_ENC_NONE = 0, XF_ENC_DES, XF_ENC_3DES, XF_ENC_AES, XF_ENC_GCM, XF_ENC_NULL,
};
enum cfg_xf_auth {
	XF_AUTH_NONE = 0, XF_AUTH_MD5, XF_AUTH_SHA1, XF_AUTH_SHA256, XF_AUTH_SHA384, XF_AUTH_SHA512,
};

struct cfg_transform_set {
	char name[CFG_NAME_MAX];
	enum cfg_xf_ah ah;
	enum cfg_xf_enc esp_enc;
	uint16_t esp_keybits;		/* aes/gcm: 128/192/256; 0 = default */
	enum cfg_xf_auth esp_auth;
	bool transport;			/* `mode transport`; tunnel is the default */
	struct cfg_opaque extra;	/* sub-lines we keep but do not act on */
};

/* One manually keyed SA (`set session-key ...`). */
struct cfg_session_key {
	bool set;
	uint32_t spi;
	uint8_t cipher[64];
	size_t cipher_len;
	uint8_t auth[64];
	size_t auth_len;
};

struct cfg_cmap_entry {
	char name[CFG_NAME_MAX];
	int seq;
	bool manual;			/* ipsec-manual; else ipsec-isakmp */
	uint32_t peers[CFG_MAX_PEERS];
	size_t npeers;
	char tsets[6][CFG_NAME_MAX];	/* IOS allows up to 6 */
	size_t ntsets;
	int acl;			/* match address N; 0 = none */
	int pfs_group;			/* 0 = no PFS */
	uint32_t life_sec;		/* 0 = global default */
	uint32_t life_kb;		/* 0 = global default */
	char description[241];
	/* manual keys: [0] inbound, [1] outbound */
	struct cfg_session_key esp_key[2];
	struct cfg_session_key ah_key[2];
	struct cfg_opaque extra;	/* sub-lines we keep but do not act on */
	int key_lineno;			/* file line of the last key/transform change (load errors) */
	char ikev2_profile[CFG_NAME_MAX];	/* set ikev2-profile NAME; "" = IKEv1 */
	int ikev2_profile_line;		/* its file line (load errors) */
};

/* spigot extensions under `crypto isakmp invalid-spi-recovery ...`. */
struct cfg_isr {
	bool enabled;			/* crypto isakmp invalid-spi-recovery */
	uint32_t holddown_sec;		/* per-peer recovery initiation hold-down */
	uint32_t notify_holddown_sec;	/* per (peer, SPI) notify hold-down */
	uint32_t budget_per_sec;	/* global recovery initiations per second */
	uint32_t max_pending;		/* bounded table of pending recoveries */
	bool restore_phase2;		/* bring a peer's IPsec SAs back after recovery / INITIAL-CONTACT */
	bool contact_on_start;		/* Main Mode + INITIAL-CONTACT to every static peer at start */
};

/*
 * crypto ikev2 ... (IOS 15.x / IOS-XE "Configuring Internet Key Exchange
 * Version 2").  Algorithms are kept as IKEv2 transform IDs (RFC 7296
 * §3.3.2, IANA); their IOS keywords come from the one table in
 * config/transform.c (xf2_*), and DH groups are the group numbers.
 */
#define CFG_V2_MAX_ALG 8		/* algorithms of one kind in a proposal */
#define CFG_V2_MAX_PROP 8		/* proposals in a policy */
#define CFG_V2_MAX_MATCH 8		/* match lines in a policy / profile */
#define CFG_PATH_MAX 256		/* a file named in the configuration */
#define CFG_V2_QCD_FILE_DEFAULT "ikev2-qcd.key"	/* in the state directory (spigotd --state-dir) */
#define CFG_V2_FRAG_MTU 576		/* crypto ikev2 fragmentation: IOS's default mtu (IPv4) */
#define CFG_V2_LIFETIME 86400		/* IOS's IKEv2 SA lifetime default, seconds */
#define CFG_V2_DPD_RETRY 2		/* what a profile without dpd holds */

struct cfg_ikev2_alg {
	uint16_t id;			/* IKEv2 transform ID (ENCR/INTEG/PRF) or DH group */
	uint16_t bits;			/* ENCR key length (128/192/256); 0 otherwise */
};

struct cfg_ikev2_proposal {
	char name[CFG_NAME_MAX];
	struct cfg_ikev2_alg encr[CFG_V2_MAX_ALG], integ[CFG_V2_MAX_ALG];
	struct cfg_ikev2_alg prf[CFG_V2_MAX_ALG], group[CFG_V2_MAX_ALG];
	size_t nencr, ninteg, nprf, ngroup;	/* in the order written (preference) */
	int lineno;			/* where it was defined (load errors) */
	struct cfg_opaque extra;	/* sub-lines we keep but do not act on */
};

struct cfg_ikev2_policy {
	char name[CFG_NAME_MAX];
	char proposals[CFG_V2_MAX_PROP][CFG_NAME_MAX];	/* proposal NAME, in order */
	int proposal_line[CFG_V2_MAX_PROP];	/* their file lines (load errors) */
	size_t nproposal;
	uint32_t match_local[CFG_V2_MAX_MATCH];	/* match address local A.B.C.D */
	size_t nmatch_local;		/* 0: matches any local address */
	int lineno;
	struct cfg_opaque extra;
};

struct cfg_ikev2_psk {
	char key[CFG_KEY_MAX];		/* "" when not configured */
	int enc_type;			/* 0 or 6 as written; -1 if absent */
};

struct cfg_ikev2_kr_peer {
	char name[CFG_NAME_MAX];	/* peer NAME */
	char description[241];
	bool has_addr;
	uint32_t addr, mask;		/* address A.B.C.D [MASK]; mask /32 when absent */
	bool psk_both;			/* written as `pre-shared-key KEY` (no local/remote) */
	struct cfg_ikev2_psk psk_local, psk_remote;
	struct cfg_opaque extra;
};

struct cfg_ikev2_keyring {
	char name[CFG_NAME_MAX];
	struct cfg_ikev2_kr_peer *peers;	/* in the order written */
	size_t npeer;
	struct cfg_opaque extra;
};

enum cfg_ikev2_auth { CFG_V2_AUTH_NONE = 0, CFG_V2_AUTH_PSK };

struct cfg_ikev2_match {
	uint32_t addr, mask;		/* match identity remote address A.B.C.D [MASK] */
};

struct cfg_ikev2_profile {
	char name[CFG_NAME_MAX];
	char description[241];
	struct cfg_ikev2_match match_remote[CFG_V2_MAX_MATCH];
	size_t nmatch_remote;
	bool has_id_local;
	uint32_t id_local;		/* identity local address; else the local address */
	enum cfg_ikev2_auth auth_local, auth_remote;
	char keyring[CFG_NAME_MAX];	/* keyring local NAME; "" = none */
	int keyring_line;
	uint32_t dpd_interval;		/* 0: DPD off (IOS default) */
	uint32_t dpd_retry;
	bool dpd_periodic;		/* else on-demand */
	uint32_t lifetime;		/* seconds, CFG_V2_LIFETIME by default */
	int lineno;
	struct cfg_opaque extra;	/* sub-lines we keep but do not act on */
};

/* logging host A.B.C.D [transport udp port N] */
#define CFG_LOG_HOSTS 8
struct cfg_log_host {
	uint32_t addr;			/* host byte order */
	uint16_t port;			/* 514 by default */
};

struct config {
	char hostname[CFG_NAME_MAX];	/* default "Router" */

	struct cfg_iface *ifaces;
	size_t niface;
	struct cfg_route *routes;
	size_t nroute;
	struct cfg_acl *acls;
	size_t nacl;

	struct cfg_isakmp_policy *policies;	/* kept sorted by priority */
	size_t npolicy;
	struct cfg_isakmp_key *keys;
	size_t nkey;
	struct cfg_isr isr;
	uint32_t isakmp_keepalive;	/* 0: DPD off */
	uint32_t isakmp_keepalive_retry;	/* default 2 */
	bool isakmp_keepalive_periodic;	/* else on-demand */
	uint32_t nat_keepalive;		/* crypto isakmp nat keepalive; 0 = off */
	bool natt_enabled;		/* crypto ipsec nat-transparency udp-encapsulation */

	struct cfg_ikev2_proposal *v2_proposals;	/* in the order configured */
	size_t nv2_proposal;
	struct cfg_ikev2_policy *v2_policies;
	size_t nv2_policy;
	struct cfg_ikev2_keyring *v2_keyrings;
	size_t nv2_keyring;
	struct cfg_ikev2_profile *v2_profiles;
	size_t nv2_profile;
	/*
	 * Quick Crash Detection (RFC 6290), a spigot extension: on unless
	 * `no crypto ikev2 quick-crash-detection`; the secret's file, "" for
	 * CFG_V2_QCD_FILE_DEFAULT in the state directory (a relative path is too).
	 */
	bool v2_qcd_off;
	char v2_qcd_file[CFG_PATH_MAX];
	uint16_t v2_frag_mtu;		/* crypto ikev2 fragmentation [mtu N]; 0 = off */
	/* crypto ikev2 cookie-challenge <1-1000>: COOKIE (RFC 7296 §2.6) from this many half-open IKE SAs; 0 off (IOS's default). */
	unsigned v2_cookie_challenge;

	struct cfg_transform_set *tsets;
	size_t ntset;
	struct cfg_cmap_entry *cmaps;	/* sorted by (name, seq) */
	size_t ncmap;
	uint32_t ipsec_life_sec;	/* crypto ipsec security-association lifetime seconds; 3600 */
	uint32_t ipsec_life_kb;		/* ... kilobytes; 4608000 */
	uint32_t replay_window;		/* ... replay window-size; 64 */

	bool logging_buffered;
	uint32_t logging_buffer_size;	/* default 8192 */
	uint8_t logging_buffered_level;	/* logging buffered SIZE LEVEL; 7 debugging */
	uint8_t logging_trap;		/* logging trap LEVEL; 6 informational */
	bool logging_console;		/* `no logging console` clears it; default on */
	uint8_t logging_console_level;	/* logging console LEVEL; 7 debugging */
	struct log_stamp stamp_log;	/* service timestamps log ...; datetime msec */
	struct log_stamp stamp_debug;	/* service timestamps debug ...; datetime msec */
	uint8_t logging_facility;	/* logging facility; 23 (local7) */
	char logging_source_if[CFG_NAME_MAX];	/* logging source-interface; "" */
	struct cfg_log_host log_hosts[CFG_LOG_HOSTS];	/* logging host, in order */
	size_t nlog_host;

	/* Everything accepted but not acted on, in file order, with its place. */
	struct cfg_opaque *opaque;
	size_t nopaque;
	/* Private to src/config: the order of top-level blocks for running-config. */
	void *order;
};

/* IOS's `crypto ipsec security-association lifetime` defaults. */
#define CFG_IPSEC_LIFE_SEC_DEFAULT 3600u
#define CFG_IPSEC_LIFE_KB_DEFAULT 4608000u

struct config *config_new(void);	/* IOS defaults */
void config_free(struct config *cfg);	/* wipes keys */

/* Lookups used by the rest of the router. */
const struct cfg_iface *config_iface(const struct config *cfg, const char *name);
const struct cfg_acl *config_acl(const struct config *cfg, int number);
const struct cfg_transform_set *config_tset(const struct config *cfg, const char *name);
/* The crypto map entry `crypto map NAME SEQ`, or NULL. */
const struct cfg_cmap_entry *config_cmap_entry(const struct config *cfg, const char *name, int seq);
/* The lifetimes an entry's SAs get: its own `set security-association
 * lifetime`, else the global one, else IOS's default. */
uint32_t config_cmap_life_sec(const struct config *cfg, const struct cfg_cmap_entry *e);
uint32_t config_cmap_life_kb(const struct config *cfg, const struct cfg_cmap_entry *e);
/* The pre-shared key for a peer: the most specific matching address/mask. */
const struct cfg_isakmp_key *config_key_for(const struct config *cfg, uint32_t peer);
/* True when addr is named by `set peer` in any crypto map entry. */
bool config_is_static_peer(const struct config *cfg, uint32_t addr);
/* crypto ikev2 lookups by name; NULL when absent. */
/* IOS's smart defaults, used when no `crypto ikev2 policy` is configured. */
const struct cfg_ikev2_proposal *config_v2_default_proposal(void);
const struct cfg_ikev2_policy *config_v2_default_policy(void);
/*
 * A proposal IOS would use: encryption and group; CBC with integrity,
 * AES-GCM without integrity and with prf; not both kinds.  0, or -1 with why.
 */
int config_v2_proposal_check(const struct cfg_ikev2_proposal *p, const char **why);
const struct cfg_ikev2_proposal *config_v2_proposal(const struct config *cfg, const char *name);
const struct cfg_ikev2_policy *config_v2_policy(const struct config *cfg, const char *name);
const struct cfg_ikev2_keyring *config_v2_keyring(const struct config *cfg, const char *name);
const struct cfg_ikev2_profile *config_v2_profile(const struct config *cfg, const char *name);
/* "local7" for 23: the name `logging facility` takes (cmd_logging.c). */
const char *config_facility_name(uint8_t code);

#endif
