/*
 * The event loop: epoll for descriptors, a binary heap of timers on
 * CLOCK_MONOTONIC.  Single-threaded; callbacks run to completion.
 *
 * Time is read once per loop iteration (ev_now) so that everything handled
 * in one iteration agrees on "now".  Tests may run a loop with a virtual
 * clock (ev_set_virtual) and advance it by hand: exchange tests drive two
 * routers' timers (retransmits, lifetimes) without sleeping.
 */
#ifndef SPIGOT_EVLOOP_H
#define SPIGOT_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;

typedef void (*ev_io_fn)(void *arg, uint32_t events);
typedef void (*ev_timer_fn)(void *arg);

/* Embedded in its owner; zero-initialise, then ev_timer_init. */
struct ev_timer {
	uint64_t when_ms;	/* absolute, ev_now() clock */
	size_t heap_idx;	/* SIZE_MAX when not armed */
	ev_timer_fn fn;
	void *arg;
};

struct evloop *ev_new(void);
void ev_free(struct evloop *ev);

/* events: EPOLLIN / EPOLLOUT. Returns 0 or -errno. */
int ev_add_fd(struct evloop *ev, int fd, uint32_t events, ev_io_fn fn, void *arg);
int ev_mod_fd(struct evloop *ev, int fd, uint32_t events);
void ev_del_fd(struct evloop *ev, int fd);

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *arg);
/* (Re)arms t to fire after ms milliseconds. */
void ev_timer_arm(struct evloop *ev, struct ev_timer *t, uint64_t ms);
void ev_timer_cancel(struct evloop *ev, struct ev_timer *t);
bool ev_timer_armed(const struct ev_timer *t);

/* Milliseconds on the loop's clock (monotonic, or virtual in tests). */
uint64_t ev_now(const struct evloop *ev);
/* Microseconds, read fresh from CLOCK_MONOTONIC (for RTTs and benchmarks). */
uint64_t ev_now_us(void);

/* One iteration: waits at most timeout_ms (-1: until the next timer). */
void ev_run_once(struct evloop *ev, int timeout_ms);
/*
 * fn(arg) runs once per loop turn after the timers, before the loop waits:
 * the last chance to act on what this turn's events changed (the data-plane
 * workers' table is published there).  At most EV_PREPARE_MAX of them.
 */
#define EV_PREPARE_MAX 4
typedef void (*ev_prepare_fn)(void *arg);
int ev_add_prepare(struct evloop *ev, ev_prepare_fn fn, void *arg);
void ev_del_prepare(struct evloop *ev, ev_prepare_fn fn, void *arg);
/* Runs until ev_stop(). */
void ev_run(struct evloop *ev);
void ev_stop(struct evloop *ev);
bool ev_stopped(const struct evloop *ev);

/* Virtual clock for tests: time only moves by ev_advance(). */
void ev_set_virtual(struct evloop *ev, uint64_t start_ms);
/* Moves the virtual clock forward, firing due timers in order. */
void ev_advance(struct evloop *ev, uint64_t ms);
/* Fires every timer already due; returns how many fired. */
int ev_run_timers(struct evloop *ev);

#endif
