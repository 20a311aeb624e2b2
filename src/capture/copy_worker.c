#define _GNU_SOURCE /* sched_getcpu, pthread_setaffinity_np */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/util/log.h>
#include "capture/internal.h"

/*
 * One helper thread that takes bands of a large copy while the event loop's
 * thread copies the others. A single thread's memcpy of a 1080p frame is
 * about 0.9 ms here and a second CPU brings the pair to about 0.6 ms
 * (docs/benchmarks.md). The caller never waits for the helper to arrive:
 * bands are claimed from a shared counter, so a helper that is asleep or
 * has no CPU just leaves them all to the caller, and the caller only waits
 * for bands the helper is already copying.
 */
struct capture_copy_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a new job, or stop */
	pthread_cond_t idle; /* the helper left a job */
	/* The job; written under lock while the helper is not in one. */
	capture_copy_band_fn band;
	void *data;
	int bands;
	unsigned int job; /* counts jobs, under lock */
	bool stop; /* under lock */
	bool busy; /* the helper is copying bands of the current job, under lock */
	atomic_int next_band;
	/* The CPUs this process may use; the helper is kept off the caller's. */
	cpu_set_t allowed;
	int helper_kept_off; /* the CPU the helper's affinity excludes, -1: none yet */
};

static void *worker_main(void *arg) {
	struct capture_copy_worker *worker = arg;
	unsigned int seen = 0;
	pthread_mutex_lock(&worker->lock);
	for (;;) {
		while (!worker->stop && worker->job == seen) {
			pthread_cond_wait(&worker->wake, &worker->lock);
		}
		if (worker->stop) {
			break;
		}
		seen = worker->job;
		/* A job the caller has already claimed whole is over: leave it. */
		if (atomic_load(&worker->next_band) >= worker->bands) {
			continue;
		}
		worker->busy = true;
		capture_copy_band_fn band = worker->band;
		void *data = worker->data;
		int bands = worker->bands;
		pthread_mutex_unlock(&worker->lock);
		for (int i; (i = atomic_fetch_add(&worker->next_band, 1)) < bands;) {
			band(data, i);
		}
		pthread_mutex_lock(&worker->lock);
		worker->busy = false;
		pthread_cond_signal(&worker->idle);
	}
	pthread_mutex_unlock(&worker->lock);
	return NULL;
}

struct capture_copy_worker *capture_copy_worker_create(void) {
	struct capture_copy_worker *worker = calloc(1, sizeof(*worker));
	if (worker == NULL) {
		return NULL;
	}
	if (sched_getaffinity(0, sizeof(worker->allowed), &worker->allowed) != 0 ||
			CPU_COUNT(&worker->allowed) < 2) {
		wlr_log(WLR_INFO, "capture: one CPU, copies stay on one thread");
		free(worker);
		return NULL;
	}
	worker->helper_kept_off = -1;
	pthread_mutex_init(&worker->lock, NULL);
	pthread_cond_init(&worker->wake, NULL);
	pthread_cond_init(&worker->idle, NULL);
	/*
	 * Process signals (SIGTERM, SIGCHLD...) are read through the event
	 * loop's signalfd on the main thread; the helper must not take them.
	 * Faults stay deliverable: a client that shrinks its pool during a copy
	 * gets wlroots' SIGBUS handler on whichever thread touched it.
	 */
	sigset_t block, old;
	sigfillset(&block);
	sigdelset(&block, SIGBUS);
	sigdelset(&block, SIGSEGV);
	sigdelset(&block, SIGFPE);
	sigdelset(&block, SIGILL);
	pthread_sigmask(SIG_SETMASK, &block, &old);
	int err = pthread_create(&worker->thread, NULL, worker_main, worker);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		wlr_log(WLR_ERROR, "capture: no copy helper thread: %s", strerror(err));
		pthread_cond_destroy(&worker->idle);
		pthread_cond_destroy(&worker->wake);
		pthread_mutex_destroy(&worker->lock);
		free(worker);
		return NULL;
	}
	pthread_setname_np(worker->thread, "pinhole-copy");
	wlr_log(WLR_DEBUG, "capture: copy helper thread started (%d CPUs)",
		CPU_COUNT(&worker->allowed));
	return worker;
}

void capture_copy_worker_destroy(struct capture_copy_worker *worker) {
	if (worker == NULL) {
		return;
	}
	pthread_mutex_lock(&worker->lock);
	worker->stop = true;
	pthread_cond_signal(&worker->wake);
	pthread_mutex_unlock(&worker->lock);
	pthread_join(worker->thread, NULL);
	pthread_cond_destroy(&worker->idle);
	pthread_cond_destroy(&worker->wake);
	pthread_mutex_destroy(&worker->lock);
	free(worker);
}

/*
 * Left to the scheduler, the helper is often woken on the caller's own CPU
 * (it was the last to run there) and then copies nothing until the caller
 * is done: in a test of this design that happened in 20-80% of the copies.
 */
static void keep_helper_off_this_cpu(struct capture_copy_worker *worker) {
	int cpu = sched_getcpu();
	if (cpu < 0 || cpu == worker->helper_kept_off || !CPU_ISSET(cpu, &worker->allowed)) {
		return;
	}
	cpu_set_t others = worker->allowed;
	CPU_CLR(cpu, &others);
	if (pthread_setaffinity_np(worker->thread, sizeof(others), &others) == 0) {
		worker->helper_kept_off = cpu;
	}
}

void capture_copy_worker_run(struct capture_copy_worker *worker, int bands,
		capture_copy_band_fn band, void *data) {
	if (worker == NULL || bands < 2) {
		for (int i = 0; i < bands; i++) {
			band(data, i);
		}
		return;
	}
	keep_helper_off_this_cpu(worker);
	pthread_mutex_lock(&worker->lock);
	worker->band = band;
	worker->data = data;
	worker->bands = bands;
	atomic_store(&worker->next_band, 0);
	worker->job++;
	pthread_cond_signal(&worker->wake);
	pthread_mutex_unlock(&worker->lock);

	for (int i; (i = atomic_fetch_add(&worker->next_band, 1)) < bands;) {
		band(data, i);
	}

	/* Every band is claimed; wait for the ones the helper is copying. */
	pthread_mutex_lock(&worker->lock);
	while (worker->busy) {
		pthread_cond_wait(&worker->idle, &worker->lock);
	}
	pthread_mutex_unlock(&worker->lock);
}
