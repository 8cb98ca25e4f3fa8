/*
 * Data-plane workers for packet: ports (spigotd --workers N).
 *
 * N - 1 sockets on the port's netdev, each with its own TPACKET_V2 ring
 * and a thread of its own, form a PACKET_FANOUT group: the kernel spreads
 * frames over them by flow hash (PACKET_FANOUT_HASH |
 * PACKET_FANOUT_FLAG_DEFRAG: IPv4 fragments are put back together first,
 * so every packet of a flow, fragments included, lands on one worker), so
 * one flow's packets keep their order.  The port's own socket, which the
 * control thread sends with, hears nothing meanwhile (hear_nothing).
 *
 * A worker runs each frame through the fast path (fastpath_wk.c: ESP
 * en/decapsulation for the common cases, from the table the control thread
 * publishes) and punts the rest to the control thread through a bounded
 * queue (mutex + eventfd), where it takes the whole path as any frame
 * does.  It is online for QSBR (core/qsbr.h) only between poll and the end
 * of its batch.  See docs/ARCHITECTURE.md, "Threads".
 *
 * Nothing here touches struct router from a worker: a worker reads its
 * socket, its ring, the port's vnet flag (set before it starts) and the
 * published table, and writes its queue (under the mutex), its counters
 * (atomics, which show reads) and other ports' worker sockets (sendmmsg).
 * Frames the queue has no room for are dropped and counted (queue full),
 * never blocked on.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "net/gso.h"
#include "net/net_priv.h"
#include "net/fastpath.h"
#include "net/fp_int.h"
#include "net/puntq.h"

#ifndef PACKET_FANOUT_FLAG_DEFRAG
#define PACKET_FANOUT_FLAG_DEFRAG 0x8000
#endif

/* Frames a worker may have waiting for the control thread. */
#define WK_QUEUE 4096u
/* How often an idle worker looks at its stop flag. */
#define WK_POLL_MS 100
/* Frames a worker hands over per lock of its queue. */
#define WK_BATCH 256u

struct wk_thread {
	struct port_workers *pw;
	int idx;			/* 1..: the control thread is worker 0 */
	struct port sh;			/* this worker's socket and ring (fd, priv, vnet) */
	pthread_t th;
	bool running;
	int efd;			/* eventfd: frames are waiting in q */
	struct punt_queue q;
	/* Local batch, worker only. */
	struct pkt *b[WK_BATCH];
	uint8_t bvh[WK_BATCH][VNET_HDR_LEN];
	unsigned nb;
	/* What the control thread took out of q, control thread only. */
	struct pkt *d[WK_BATCH];
	uint8_t dvh[WK_BATCH][VNET_HDR_LEN];
	atomic_ullong frames, punts, qfull, nobuf, giants, badhdr;
	struct fp_wk fpw;		/* its fast path (fastpath_wk.c), when fp */
	bool fp;
	const struct fp_tab *tab;	/* worker: the table of the batch in hand */
	uint64_t kernel_drops;		/* control thread: PACKET_STATISTICS summed */
	uint64_t lost_logged;		/* control thread: drops already logged */
	struct log_rl rl;		/* control thread */
};

struct port_workers {
	struct port *pt;
	int n;				/* worker threads besides the control thread */
	uint16_t group;
	atomic_bool stop;
	struct wk_thread *w;
};

/* ---- worker side ---- */

static void wk_flush(struct wk_thread *w)
{
	if (!w->nb)
		return;
	unsigned took = puntq_push(&w->q, w->b, (const uint8_t (*)[VNET_HDR_LEN])w->bvh, w->nb);
	if (took) {
		uint64_t one = 1;
		/* A full eventfd counter (2^64 - 2, never) would only mean it is readable already. */
		ssize_t wr = write(w->efd, &one, sizeof(one));
		(void)wr;
		atomic_fetch_add_explicit(&w->punts, took, memory_order_relaxed);
	}
	if (took < w->nb)
		atomic_fetch_add_explicit(&w->qfull, w->nb - took, memory_order_relaxed);
	for (unsigned i = took; i < w->nb; i++)
		pkt_free(w->b[i]);
	w->nb = 0;
}

/* A frame for the control thread (vh NULL: a packet the fast path decapsulated). */
static void wk_punt(void *arg, struct pkt *p, const uint8_t *vh)
{
	struct wk_thread *w = arg;
	if (w->sh.vnet) {
		if (vh)
			memcpy(w->bvh[w->nb], vh, VNET_HDR_LEN);
		else
			memset(w->bvh[w->nb], 0, VNET_HDR_LEN);
	}
	w->b[w->nb++] = p;
	if (w->nb == WK_BATCH)
		wk_flush(w);
}

static void wk_deliver(void *arg, struct pkt *p, const uint8_t *vh)
{
	struct wk_thread *w = arg;
	atomic_fetch_add_explicit(&w->frames, 1, memory_order_relaxed);
	if (w->fp)
		fp_wk_frame(&w->fpw, w->tab, p, vh, wk_punt, w);
	else
		wk_punt(w, p, vh);
}

static void wk_event(void *arg, enum ring_event ev, size_t len)
{
	(void)len;
	struct wk_thread *w = arg;
	atomic_ullong *c = ev == RING_EV_GIANT ? &w->giants : ev == RING_EV_NOBUF ? &w->nobuf : &w->badhdr;
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void *wk_main(void *arg)
{
	struct wk_thread *w = arg;
	const struct ring_sink sk = { .deliver = wk_deliver, .event = wk_event, .arg = w };
	struct qsbr *q = w->fp ? &w->fpw.fp->q : NULL;
	while (!atomic_load_explicit(&w->pw->stop, memory_order_acquire)) {
		struct pollfd pfd = { .fd = w->sh.fd, .events = POLLIN };
		/* Asleep in poll it holds no table: the control thread need not wait for it. */
		if (q)
			qsbr_offline(q, w->fpw.slot);
		int n = poll(&pfd, 1, WK_POLL_MS);
		if (q)
			qsbr_online(q, w->fpw.slot);
		if (n <= 0)
			continue;
		if (q)
			w->tab = atomic_load_explicit(&w->fpw.fp->tab, memory_order_acquire);
		packet_ring_walk(&w->sh, &sk);
		if (q) {
			fp_enc_flush(&w->fpw, w->tab);
			fp_gro_flush(&w->fpw, w->tab);
			fp_wk_flush(&w->fpw);
			w->tab = NULL;
		}
		wk_flush(w);
		if (q)
			qsbr_quiescent(q, w->fpw.slot);
	}
	if (q)
		qsbr_offline(q, w->fpw.slot);
	pkt_pool_drain();	/* this thread's free list would outlive it */
	return NULL;
}

/* ---- control side ---- */

/* A worker cannot log (the logger is the control thread's): its drops are logged here. */
static void wk_log_lost(struct wk_thread *w)
{
	struct port *pt = w->pw->pt;
	struct router *r = pt->ifp->r;
	uint64_t qfull = atomic_load_explicit(&w->qfull, memory_order_relaxed);
	uint64_t nobuf = atomic_load_explicit(&w->nobuf, memory_order_relaxed);
	uint64_t giants = atomic_load_explicit(&w->giants, memory_order_relaxed);
	uint64_t bad = atomic_load_explicit(&w->badhdr, memory_order_relaxed);
	uint64_t lost = qfull + nobuf + giants + bad;
	if (lost == w->lost_logged)
		return;
	uint32_t sup = 0;
	if (!log_rl_allow(&w->rl, ev_now(r->ev), 10000, 1, &sup))
		return;
	log_msg(&r->log, "LINK", SEV_WARNING, "WORKERDROP",
		"Interface %s: worker %d dropped %llu frames (%llu punt queue full, %llu no buffer, "
		"%llu giants, %llu bad headers so far)", pt->ifp->name, w->idx,
		(unsigned long long)(lost - w->lost_logged), (unsigned long long)qfull,
		(unsigned long long)nobuf, (unsigned long long)giants, (unsigned long long)bad);
	w->lost_logged = lost;
}

/*
 * The control thread takes what a worker queued, as one input batch: up
 * to WK_BATCH frames per lock, so a worker is held off for a copy of
 * pointers, never for the processing.
 */
static void wk_drain(void *arg, uint32_t events)
{
	(void)events;
	struct wk_thread *w = arg;
	struct port *pt = w->pw->pt;
	struct router *r = pt->ifp->r;
	uint64_t cnt;
	if (read(w->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	net_batch_begin(r);
	for (unsigned total = 0; total < WK_QUEUE;) {
		unsigned n = puntq_pop(&w->q, w->d, w->dvh, WK_BATCH);
		if (!n)
			break;
		total += n;
		for (unsigned i = 0; i < n; i++) {
			if (w->d[i]->flags & PKT_F_FP_DECAP) {
				w->d[i]->flags &= ~PKT_F_FP_DECAP;
				ipsec_fp_deliver(r, w->d[i]);
			} else if (pt->vnet)
				port_input_vnet(pt, w->d[i], w->dvh[i]);
			else
				port_input(pt, w->d[i]);
		}
	}
	net_batch_end(r);
	wk_log_lost(w);
	if (puntq_len(&w->q)) {
		uint64_t one = 1;
		ssize_t wr = write(w->efd, &one, sizeof(one));
		(void)wr;
	}
}

/* on: the socket takes no frame (a one-instruction classic BPF "return 0"); off: every frame again. */
static int hear_nothing(int fd, bool on)
{
	if (!on)
		return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0);
	struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &none };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static int fanout_join(int fd, uint16_t group)
{
	uint32_t v = group | (uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
	return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, sizeof(v));
}

/* A worker's own socket: the port's options, its own ring, bound, in the group. */
static int wk_open(struct port_workers *pw, struct wk_thread *w, unsigned ifindex, char *why,
		   size_t whylen)
{
	struct port *pt = pw->pt;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1, sz = 4 << 20;
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (pt->vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		snprintf(why, whylen, "PACKET_VNET_HDR: %s", strerror(errno));
		close(fd);
		return -1;
	}
	w->sh.fd = fd;
	w->sh.vnet = pt->vnet;
	w->sh.ifp = pt->ifp;
	if (packet_ring_setup(&w->sh, why, whylen) < 0) {
		close(fd);
		w->sh.fd = -1;
		return -1;
	}
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 || fanout_join(fd, pw->group) < 0) {
		snprintf(why, whylen, "bind/PACKET_FANOUT: %s", strerror(errno));
		packet_ring_close(&w->sh);
		close(fd);
		w->sh.fd = -1;
		return -1;
	}
	return 0;
}

static void close_fd(void *arg) { close((int)(intptr_t)arg); }

static void wk_free(struct port_workers *pw)
{
	struct router *r = pw->pt->ifp->r;
	atomic_store_explicit(&pw->stop, true, memory_order_release);
	for (int i = 0; i < pw->n; i++) {
		struct wk_thread *w = &pw->w[i];
		if (w->running)
			pthread_join(w->th, NULL);
		if (w->fp)
			fastpath_detach(r, &w->fpw);
		if (w->efd >= 0) {
			ev_del_fd(r->ev, w->efd);
			close(w->efd);
		}
		puntq_free(&w->q);
		if (w->sh.fd >= 0) {
			packet_ring_close(&w->sh);
			/*
			 * Other ports' workers may still send with it from the table
			 * in force: closed (and its number free for reuse) only when
			 * none can.
			 */
			fastpath_retire(r, close_fd, (void *)(intptr_t)w->sh.fd);
			fastpath_dirty(r);
		}
	}
	free(pw->w);
	free(pw);
}

static int wk_start_one(struct port_workers *pw, struct wk_thread *w, unsigned ifindex, char *why,
			size_t whylen)
{
	struct router *r = pw->pt->ifp->r;
	if (wk_open(pw, w, ifindex, why, whylen) < 0)
		return -1;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || ev_add_fd(r->ev, w->efd, EPOLLIN, wk_drain, w) < 0) {
		snprintf(why, whylen, "eventfd: %s", strerror(errno));
		return -1;
	}
	/* Without a fast-path slot the worker still reads and punts. */
	w->fp = fastpath_attach(r, &w->fpw, w->idx, pw->pt->ifp->index, pw->pt->vnet) == 0;
	int rc = pthread_create(&w->th, NULL, wk_main, w);
	if (rc) {
		snprintf(why, whylen, "pthread_create: %s", strerror(rc));
		return -1;
	}
	w->running = true;
	return 0;
}

int workers_port_start(struct port *pt, const char *ifname, unsigned ifindex)
{
	struct router *r = pt->ifp->r;
	char why[120] = "";
	if (r->workers <= 1)
		return 0;
	struct port_workers *pw = NULL;
	if (!packet_ring_on(pt)) {
		snprintf(why, sizeof(why), "workers read receive rings, and this port has none");
		goto fail_nopw;
	}
	pw = calloc(1, sizeof(*pw));
	if (!pw || !(pw->w = calloc((size_t)r->workers - 1, sizeof(*pw->w)))) {
		free(pw);
		snprintf(why, sizeof(why), "out of memory");
		goto fail_nopw;
	}
	pw->pt = pt;
	/* Fan-out group ids are per network namespace: the pid keeps two routers' apart. */
	pw->group = (uint16_t)((unsigned)getpid() * 31u + ifindex);
	for (int i = 0; i < r->workers - 1; i++) {
		pw->w[i] = (struct wk_thread){ .pw = pw, .idx = i + 1, .efd = -1 };
		pw->w[i].sh.fd = -1;
		pw->n = i + 1;
		if (puntq_init(&pw->w[i].q, WK_QUEUE) < 0) {
			snprintf(why, sizeof(why), "out of memory");
			goto fail;
		}
	}
	/*
	 * The workers read the netdev; the port's own socket, still the
	 * control thread's to send with, hears nothing from now on (a filter
	 * that takes no byte), so that a frame is read once, by a worker, and
	 * reaches the control thread only when punted.
	 */
	if (hear_nothing(pt->fd, true) < 0) {
		snprintf(why, sizeof(why), "SO_ATTACH_FILTER: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < pw->n; i++)
		if (wk_start_one(pw, &pw->w[i], ifindex, why, sizeof(why)) < 0) {
			hear_nothing(pt->fd, false);
			goto fail;
		}
	pt->wk = pw;
	return 0;
fail:
	wk_free(pw);
fail_nopw:
	log_msg(&r->log, "LINK", SEV_WARNING, "NOWORKERS",
		"Interface %s: packet:%s has no data-plane workers, the control thread reads it (%s)",
		pt->ifp->name, ifname, why);
	return -1;
}

void workers_port_stop(struct port *pt)
{
	if (!pt->wk)
		return;
	wk_free(pt->wk);
	pt->wk = NULL;
}

void workers_port_show(struct port *pt, struct strbuf *out)
{
	struct port_workers *pw = pt->wk;
	if (!pw)
		return;
	sb_printf(out, "     Workers: %d threads (PACKET_FANOUT hash+defrag, group %u), %s\n", pw->n + 1,
		  pw->group, pw->w[0].fp ? "fast path on: ESP en/decapsulated by the workers"
					 : "frames punted to the control thread");
	if (pw->w[0].fp)
		fastpath_show(pw->pt->ifp->r, out);
	for (int i = 0; i < pw->n; i++) {
		struct wk_thread *w = &pw->w[i];
		struct tpacket_stats st;
		socklen_t len = sizeof(st);
		if (getsockopt(w->sh.fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			w->kernel_drops += st.tp_drops;
		sb_printf(out, "       worker %d: %llu frames, %llu punted, %llu queue full, "
			       "%llu no buffer, %llu giants, %llu bad headers, %llu ring full\n",
			  w->idx, atomic_load(&w->frames), atomic_load(&w->punts), atomic_load(&w->qfull),
			  atomic_load(&w->nobuf), atomic_load(&w->giants), atomic_load(&w->badhdr),
			  (unsigned long long)w->kernel_drops);
		if (w->fp)
			sb_printf(out, "         fast path: %llu encapsulated, %llu decapsulated, "
				       "%llu forwarded, %llu handed to the control thread\n",
				  atomic_load(&w->fpw.encaps), atomic_load(&w->fpw.decaps),
				  atomic_load(&w->fpw.forwarded), atomic_load(&w->fpw.punts));
		if (w->fp && pw->pt->vnet)
			sb_printf(out, "         toward hosts: %llu TCP super-frames of %llu segments\n",
				  atomic_load(&w->fpw.gro_frames), atomic_load(&w->fpw.gro_segs));
	}
}

int workers_port_txfd(const struct port *pt, int idx)
{
	const struct port_workers *pw = pt ? pt->wk : NULL;
	if (!pw || idx < 1 || idx > pw->n || !pw->w[idx - 1].running)
		return -1;
	return pw->w[idx - 1].sh.fd;
}
