/*
 * Quick Crash Detection (RFC 6290) on the router (see ike2_qcd.h).  The
 * token secret must outlive the process (that is the whole point: after a
 * restart we still make the tokens our peers hold), so it lives in a file
 * under the state directory.  The answers it makes go to unauthenticated
 * input, so they are limited per source and in all.
 */
#include "ike/ike2_qcd.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/strbuf.h"
#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "router.h"

struct qcd_src {
	uint32_t addr;
	uint64_t last_ms;		/* 0: free */
};

struct qcd_reconnect {
	char cmap[CFG_NAME_MAX];
	int seq;
	struct ipsec_flow flow;
	uint32_t local, peer;
};

struct ike2_qcd {
	bool on;
	char path[CFG_PATH_MAX + 512];	/* the secret's file while on */
	char status[CFG_PATH_MAX + 640];	/* for show: on/off and why */
	uint64_t refill_ms;
	struct qcd_src src[IKE2_QCD_SOURCES];
	struct qcd_reconnect rc[IKE2_QCD_RECONNECTS];
	size_t nrc;
	uint64_t src_limited, reconnects, file_refused;
	struct log_rl rl;
};

/* ---- the secret's file ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 1 created, 0 another process created it first, -1 failed. */
static int create_secret(const char *path, char *why, size_t whylen)
{
	char tmp[CFG_PATH_MAX + 520], dir[CFG_PATH_MAX + 520];
	uint8_t s[IKEV2_QCD_SECRET];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(why, whylen, "file name too long");
		return -1;
	}
	/* mkostemp opens with O_CREAT|O_EXCL and 0600; fchmod makes it 0600 whatever the umask took. */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create it: %s", strerror(errno));
		return -1;
	}
	int rc = -1;
	if (fchmod(fd, 0600) < 0 || RAND_bytes(s, sizeof(s)) != 1 || write_all(fd, s, sizeof(s)) < 0 ||
	    fsync(fd) < 0)
		snprintf(why, whylen, "cannot write it: %s", strerror(errno ? errno : EIO));
	else
		rc = 1;
	OPENSSL_cleanse(s, sizeof(s));
	if (close(fd) < 0 && rc == 1) {
		snprintf(why, whylen, "cannot write it: %s", strerror(errno));
		rc = -1;
	}
	/* link() never replaces: of two routers starting at once, one secret wins. */
	if (rc == 1 && link(tmp, path) < 0) {
		if (errno == EEXIST) {
			rc = 0;
		} else {
			snprintf(why, whylen, "cannot create it: %s", strerror(errno));
			rc = -1;
		}
	}
	unlink(tmp);
	if (rc == 1) {
		/* The new name must survive a crash too. */
		snprintf(dir, sizeof(dir), "%s", path);
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return rc;
}

static int read_secret(int fd, uint8_t secret[IKEV2_QCD_SECRET], char *why, size_t whylen)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "cannot stat it: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "owned by uid %u, not by the router's uid %u", (unsigned)st.st_uid,
			 (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen, "mode %04o lets group or others at it (chmod 0600)",
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size != IKEV2_QCD_SECRET) {
		snprintf(why, whylen, "%lld bytes, not %d", (long long)st.st_size, IKEV2_QCD_SECRET);
		return -1;
	}
	size_t got = 0;
	while (got < IKEV2_QCD_SECRET) {
		ssize_t n = read(fd, secret + got, IKEV2_QCD_SECRET - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	uint8_t extra;
	if (got != IKEV2_QCD_SECRET || read(fd, &extra, 1) != 0) {
		OPENSSL_cleanse(secret, IKEV2_QCD_SECRET);
		snprintf(why, whylen, "changed while read (not %d bytes)", IKEV2_QCD_SECRET);
		return -1;
	}
	return 0;
}

int ike2_qcd_secret_file(const char *path, uint8_t secret[IKEV2_QCD_SECRET], char *why, size_t whylen)
{
	int made = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		made = create_secret(path, why, whylen);
		if (made < 0)
			return -1;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(why, whylen, errno == ELOOP ? "is a symbolic link" : "cannot open it: %s", strerror(errno));
		return -1;
	}
	int rc = read_secret(fd, secret, why, whylen);
	close(fd);
	return rc < 0 ? -1 : made;
}

/* ---- on, off, and which file ---- */

static struct ike2_qcd *state(struct ike2_glue *g)
{
	if (!g->qcd && !(g->qcd = calloc(1, sizeof(*g->qcd))))
		abort();
	return g->qcd;
}

static void set_off(struct ike2_glue *g, struct ike2_qcd *q, const char *status, enum log_sev sev)
{
	struct router *r = g->ike->r;
	char st[sizeof(q->status)];
	snprintf(st, sizeof(st), "off: %s", status);
	bool was = q->on || strcmp(q->status, st) != 0;
	q->on = false;
	q->path[0] = '\0';
	g->eng.qcd = false;
	OPENSSL_cleanse(g->eng.qcd_secret, sizeof(g->eng.qcd_secret));
	if (was)
		log_msg(&r->log, "CRYPTO", sev, sev <= SEV_ERR ? "IKEV2_QCD_SECRET" : "IKEV2_QCD",
			"Quick Crash Detection off: %s", status);
	snprintf(q->status, sizeof(q->status), "%s", st);
}

void ike2_qcd_apply(struct ike_state *ike)
{
	struct ike2_glue *g = ike->v2;
	if (!g)
		return;
	struct router *r = ike->r;
	const struct config *cfg = r->cfg;
	struct ike2_qcd *q = state(g);
	char path[sizeof(q->path)], why[CFG_PATH_MAX + 160];
	const char *file = cfg->v2_qcd_file[0] ? cfg->v2_qcd_file : CFG_V2_QCD_FILE_DEFAULT;
	if (cfg->v2_qcd_off) {
		set_off(g, q, "no crypto ikev2 quick-crash-detection", SEV_INFO);
		return;
	}
	if (file[0] == '/') {
		snprintf(path, sizeof(path), "%s", file);
	} else if (r->state_dir[0]) {
		snprintf(path, sizeof(path), "%s/%s", r->state_dir, file);
	} else {
		snprintf(why, sizeof(why), "no state directory for %s (spigotd --state-dir)", file);
		set_off(g, q, why, SEV_NOTICE);
		return;
	}
	if (q->on && strcmp(q->path, path) == 0)
		return;
	uint8_t secret[IKEV2_QCD_SECRET];
	int rc = ike2_qcd_secret_file(path, secret, why, sizeof(why));
	if (rc < 0 || ikev2_qcd_set(&g->eng, secret, sizeof(secret)) < 0) {
		char st[sizeof(q->status)];
		snprintf(st, sizeof(st), "%s: %s", path, rc < 0 ? why : "unusable secret");
		/* Read again on every config change until it is fixed; logged when the reason changes. */
		q->file_refused++;
		set_off(g, q, st, SEV_ERR);
		OPENSSL_cleanse(secret, sizeof(secret));
		return;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	q->on = true;
	snprintf(q->path, sizeof(q->path), "%s", path);
	snprintf(q->status, sizeof(q->status), "on, secret in %s", path);
	q->refill_ms = ike2_now(g);
	log_msg(&r->log, "CRYPTO", SEV_INFO, "IKEV2_QCD", "Quick Crash Detection on: secret %s %s",
		rc == 1 ? "created in" : "read from", path);
}

/* ---- limits on the answers ---- */

bool ike2_qcd_allow(void *arg, uint32_t peer)
{
	struct ike2_glue *g = arg;
	struct ike2_qcd *q = state(g);
	uint64_t now = ike2_now(g);
	/* The engine's budget is the global limit: IKE2_QCD_PER_SEC, refilled as time passes. */
	uint64_t add = (now - q->refill_ms) * IKE2_QCD_PER_SEC / 1000;
	if (add) {
		uint64_t b = g->eng.qcd_budget + add;
		g->eng.qcd_budget = b > IKE2_QCD_PER_SEC ? IKE2_QCD_PER_SEC : (unsigned)b;
		q->refill_ms = now;
	}
	/* One a second per source; a full table gives up its stalest entry. */
	struct qcd_src *slot = NULL, *old = &q->src[0];
	for (size_t i = 0; i < IKE2_QCD_SOURCES; i++) {
		struct qcd_src *s = &q->src[i];
		if (s->last_ms && s->addr == peer) {
			slot = s;
			break;
		}
		if (s->last_ms < old->last_ms)
			old = s;
	}
	if (slot && now - slot->last_ms < IKE2_QCD_SOURCE_MS) {
		q->src_limited++;
		log_msg_rl(&g->ike->r->log, &q->rl, now, 1000, "CRYPTO", SEV_WARNING, "IKEV2_QCD_LIMIT",
			   "IKEv2 QCD answer to %s not sent: at most one a second per source", ip_str(peer).s);
		return false;
	}
	if (!slot)
		slot = old;
	slot->addr = peer;
	slot->last_ms = now ? now : 1;
	return true;
}

/* ---- the taker: start again what the peer lost ---- */

void ike2_qcd_lost(void *arg, struct ikev2_sa *sa)
{
	struct ike2_glue *g = arg;
	struct ike2_qcd *q = state(g);
	struct ike2_track *t = ike2_track_of(g, sa);
	log_msg(&g->ike->r->log, "CRYPTO", SEV_NOTICE, "IKEV2_QCD_PEER_LOST",
		"IKEv2 SA %u with %s: the peer lost it (its Quick Crash Detection token matched): deleting it",
		t ? t->id : 0, ip_str(sa->peer).s);
	/* An SA we started for traffic is started again; one the peer started waits for traffic. */
	if (!t || !t->has_flow || q->nrc == IKE2_QCD_RECONNECTS)
		return;
	struct qcd_reconnect *c = &q->rc[q->nrc++];
	snprintf(c->cmap, sizeof(c->cmap), "%s", t->cmap);
	c->seq = t->seq;
	c->flow = t->flow;
	c->local = sa->local;
	c->peer = sa->peer;
}

void ike2_qcd_after_input(struct ike2_glue *g)
{
	struct ike2_qcd *q = g->qcd;
	while (q && q->nrc) {
		struct qcd_reconnect c = q->rc[--q->nrc];
		const struct cfg_cmap_entry *e = config_cmap_entry(g->ike->r->cfg, c.cmap, c.seq);
		if (!e || !ike2_entry_wants(g->ike, e))
			continue;
		q->reconnects++;
		ike2_acquire(g->ike, e, &c.flow, c.local, c.peer, 0);
	}
}

void ike2_qcd_info(const struct ike2_glue *g, struct ike2_qcd_info *out)
{
	const struct ike2_qcd *q = g->qcd;
	memset(out, 0, sizeof(*out));
	out->status = q && q->status[0] ? q->status : "off";
	if (!q)
		return;
	out->on = q->on;
	out->path = q->on ? q->path : NULL;
	out->reconnects = q->reconnects;
	out->src_limited = q->src_limited;
	out->file_refused = q->file_refused;
}

void ike2_qcd_free(struct ike2_glue *g)
{
	free(g->qcd);
	g->qcd = NULL;
}
