/*
 * Recovery's drop paths each leave a log line a network engineer can find,
 * not only a counter: a rejected INVALID-SPI notify names its sender.
 */
#include <string.h>

#include "config/config.h"
#include "core/evloop.h"
#include "recovery/recovery.h"
#include "router.h"
#include "t.h"

struct taplog {
	char last[1200];
	int n;
};

static void tap(void *arg, const char *line)
{
	struct taplog *t = arg;
	snprintf(t->last, sizeof(t->last), "%s", line);
	t->n++;
}

TEST(recovery_rejected_notify_is_logged_with_its_sender)
{
	struct evloop *ev = ev_new();
	struct router *r = router_new(ev, config_new());
	CHECK(r != NULL);
	if (!r) {
		ev_free(ev);
		return;
	}
	struct taplog t = { .n = 0 };
	r->log.tap = tap;
	r->log.tap_arg = &t;
	recovery_notify_rejected(r, 0x0a000002, ISR_REJECT_UNAUTHENTICATED);
	CHECK(t.n == 1);
	CHECK(strstr(t.last, "%CRYPTO-4-ISR_NOTIFY_IGNORED") != NULL);
	CHECK(strstr(t.last, "from 10.0.0.2 ") != NULL);
	/* A second one within the same second is counted but not logged again. */
	recovery_notify_rejected(r, 0x0a000003, ISR_REJECT_WRONG_PEER);
	CHECK(t.n == 1);
	CHECK(r->log.rate_limited == 1);
	router_free(r);
	ev_free(ev);
}
