#include "core/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 1024

struct io_slot {
	ev_io_fn fn;
	void *arg;
	bool used;
};

struct evloop {
	int epfd;
	bool stop;
	bool virt;
	uint64_t now_ms;
	struct ev_timer **heap;
	size_t nheap, capheap;
	struct io_slot io[MAX_FDS];
	struct {
		ev_prepare_fn fn;
		void *arg;
	} prep[EV_PREPARE_MAX];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ev_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct evloop *ev_new(void)
{
	struct evloop *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0) {
		free(ev);
		return NULL;
	}
	ev->now_ms = mono_ms();
	return ev;
}

void ev_free(struct evloop *ev)
{
	if (!ev)
		return;
	close(ev->epfd);
	free(ev->heap);
	free(ev);
}

int ev_add_fd(struct evloop *ev, int fd, uint32_t events, ev_io_fn fn, void *arg)
{
	if (fd < 0 || fd >= MAX_FDS)
		return -EMFILE;
	struct epoll_event e = { .events = events, .data.fd = fd };
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -errno;
	ev->io[fd] = (struct io_slot){ fn, arg, true };
	return 0;
}

int ev_mod_fd(struct evloop *ev, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &e) < 0)
		return -errno;
	return 0;
}

void ev_del_fd(struct evloop *ev, int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return;
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->io[fd].used = false;
}

/* ---- timer heap (min-heap on when_ms) ---- */

static void heap_set(struct evloop *ev, size_t i, struct ev_timer *t)
{
	ev->heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(struct evloop *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (ev->heap[parent]->when_ms <= t->when_ms)
			break;
		heap_set(ev, i, ev->heap[parent]);
		i = parent;
	}
	heap_set(ev, i, t);
}

static void sift_down(struct evloop *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t mw = t->when_ms;
		if (l < ev->nheap && ev->heap[l]->when_ms < mw) {
			m = l;
			mw = ev->heap[l]->when_ms;
		}
		if (r < ev->nheap && ev->heap[r]->when_ms < mw)
			m = r;
		if (m == i)
			break;
		heap_set(ev, i, ev->heap[m]);
		i = m;
	}
	heap_set(ev, i, t);
}

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *arg)
{
	t->when_ms = 0;
	t->heap_idx = SIZE_MAX;
	t->fn = fn;
	t->arg = arg;
}

bool ev_timer_armed(const struct ev_timer *t) { return t->heap_idx != SIZE_MAX; }

void ev_timer_cancel(struct evloop *ev, struct ev_timer *t)
{
	size_t i = t->heap_idx;
	if (i == SIZE_MAX)
		return;
	t->heap_idx = SIZE_MAX;
	ev->nheap--;
	if (i == ev->nheap)
		return;
	heap_set(ev, i, ev->heap[ev->nheap]);
	sift_up(ev, i);
	sift_down(ev, ev->heap[i]->heap_idx);
}

void ev_timer_arm(struct evloop *ev, struct ev_timer *t, uint64_t ms)
{
	ev_timer_cancel(ev, t);
	if (ev->nheap == ev->capheap) {
		size_t ncap = ev->capheap ? ev->capheap * 2 : 64;
		struct ev_timer **n = realloc(ev->heap, ncap * sizeof(*n));
		if (!n)
			abort();	/* a router that cannot keep time cannot run */
		ev->heap = n;
		ev->capheap = ncap;
	}
	t->when_ms = ev->now_ms + ms;
	heap_set(ev, ev->nheap++, t);
	sift_up(ev, t->heap_idx);
}

uint64_t ev_now(const struct evloop *ev) { return ev->now_ms; }

int ev_run_timers(struct evloop *ev)
{
	int fired = 0;
	while (ev->nheap && ev->heap[0]->when_ms <= ev->now_ms) {
		struct ev_timer *t = ev->heap[0];
		ev_timer_cancel(ev, t);
		t->fn(t->arg);
		fired++;
	}
	return fired;
}

void ev_run_once(struct evloop *ev, int timeout_ms)
{
	if (!ev->virt)
		ev->now_ms = mono_ms();
	ev_run_timers(ev);
	for (int i = 0; i < EV_PREPARE_MAX; i++)
		if (ev->prep[i].fn)
			ev->prep[i].fn(ev->prep[i].arg);
	if (ev->nheap) {
		uint64_t due = ev->heap[0]->when_ms;
		int until = due <= ev->now_ms ? 0 : (int)(due - ev->now_ms > 60000 ? 60000 : due - ev->now_ms);
		if (ev->virt)
			until = 0;
		if (timeout_ms < 0 || until < timeout_ms)
			timeout_ms = until;
	}
	struct epoll_event evs[64];
	int n = epoll_wait(ev->epfd, evs, 64, timeout_ms);
	if (!ev->virt)
		ev->now_ms = mono_ms();
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd >= 0 && fd < MAX_FDS && ev->io[fd].used)
			ev->io[fd].fn(ev->io[fd].arg, evs[i].events);
	}
	ev_run_timers(ev);
}

void ev_run(struct evloop *ev)
{
	while (!ev->stop)
		ev_run_once(ev, -1);
}

void ev_stop(struct evloop *ev) { ev->stop = true; }
bool ev_stopped(const struct evloop *ev) { return ev->stop; }

void ev_set_virtual(struct evloop *ev, uint64_t start_ms)
{
	ev->virt = true;
	ev->now_ms = start_ms;
}

void ev_advance(struct evloop *ev, uint64_t ms)
{
	uint64_t end = ev->now_ms + ms;
	while (ev->nheap && ev->heap[0]->when_ms <= end) {
		if (ev->heap[0]->when_ms > ev->now_ms)
			ev->now_ms = ev->heap[0]->when_ms;
		ev_run_timers(ev);
	}
	ev->now_ms = end;
}

int ev_add_prepare(struct evloop *ev, ev_prepare_fn fn, void *arg)
{
	for (int i = 0; i < EV_PREPARE_MAX; i++)
		if (!ev->prep[i].fn) {
			ev->prep[i].fn = fn;
			ev->prep[i].arg = arg;
			return 0;
		}
	return -1;
}

void ev_del_prepare(struct evloop *ev, ev_prepare_fn fn, void *arg)
{
	for (int i = 0; i < EV_PREPARE_MAX; i++)
		if (ev->prep[i].fn == fn && ev->prep[i].arg == arg)
			ev->prep[i].fn = NULL;
}
