/*
 * ph-lockstep — end-to-end capture latency benchmark.
 *
 * usage: ph-lockstep [--steps N] [--warmup K]
 *        ph-lockstep --stream SECONDS [--warmup K]
 *
 * Maps a fullscreen xdg toplevel on the first output and captures that output
 * with ext-image-copy-capture-v1 (shm, XRGB8888, two buffers in turn): the
 * rig of rig.h.
 *
 * Lock-step mode: for each step, commit a new opaque solid colour, then
 * capture the output until its centre pixel shows that colour. The latency is
 * the time from the commit to the `ready` of the first matching capture. The
 * first K steps are warm-up and not counted. Prints one line:
 *   lockstep size=WxH steps=N p50_ms=... p90_ms=... steps_per_s=... captures_per_step=...
 *
 * Stream mode: commit a new colour on every frame callback while capturing
 * continuously with one frame in flight; each colour's latency is the time
 * from its commit to the first capture showing it. Prints one line:
 *   stream size=WxH client_fps=... captured_fps=... latency_p50_ms=...
 *
 * Exits non-zero after 5 s without progress or on any error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "rig.h"

#define HISTORY 256

struct commit {
	uint32_t colour;
	double time;
	bool seen;
};

struct state {
	struct rig rig;
	struct wl_callback *frame_callback;
	bool frame_done; /* wl_surface.frame callback fired */
};

static void frame_callback_done(void *data, struct wl_callback *callback,
		uint32_t time) {
	struct state *st = data;
	st->frame_done = true;
	st->frame_callback = NULL;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_callback_listener = {
	.done = frame_callback_done,
};

/* Opaque and distinct for every step below 2^24: multiplying by an odd
 * constant is a bijection modulo 2^24. */
static uint32_t colour_for(uint32_t step) {
	return ((step + 1) * 0x9e3779u ^ 0x5a5a5au) & 0xffffff;
}

/* Fills a buffer with the colour and commits it; returns the commit time. */
static double commit_colour(struct state *st, uint32_t colour, bool want_frame) {
	struct rig_buffer *buf = rig_attach_buffer(&st->rig, NULL);
	uint32_t pixel = 0xff000000 | colour;
	size_t n = (size_t)buf->width * buf->height;
	for (size_t i = 0; i < n; i++) {
		buf->data[i] = pixel;
	}
	wl_surface_damage_buffer(st->rig.surface, 0, 0, buf->width, buf->height);
	if (want_frame) {
		st->frame_done = false;
		st->frame_callback = wl_surface_frame(st->rig.surface);
		wl_callback_add_listener(st->frame_callback, &frame_callback_listener, st);
	}
	return rig_commit(&st->rig, buf);
}

static void start_capture(struct rig *rig) {
	struct rig_buffer *buf = rig_capture_begin(rig);
	/* Every step repaints the whole output, so the compositor's own damage
	 * refreshes the centre; only a fresh buffer needs everything. */
	if (!buf->used) {
		ext_image_copy_capture_frame_v1_damage_buffer(rig->frame, 0, 0,
			buf->width, buf->height);
	}
	rig_capture(rig);
}

/* Handles a finished frame. Returns true with the centre pixel on success,
 * false after a recoverable failure (the caller captures again). */
static bool finish_capture(struct rig *rig, uint32_t *centre) {
	if (!rig_capture_finish(rig)) {
		return false;
	}
	const struct rig_buffer *buf = rig->frame_buffer;
	*centre = rig_captured_pixel(rig, buf->width / 2, buf->height / 2);
	return true;
}

/* Captures until the centre shows the colour; returns the number of
 * captures and the ready time of the matching one. */
static int capture_until(struct rig *rig, uint32_t colour, double *ready_time) {
	double deadline = rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS;
	for (int captures = 1;; captures++) {
		start_capture(rig);
		rig_wait_for(rig, &rig->frame_finished, deadline,
			"the committed colour to be captured");
		uint32_t centre;
		if (finish_capture(rig, &centre) && centre == colour) {
			*ready_time = rig->ready_time;
			return captures;
		}
	}
}

static void run_lockstep(struct state *st, int steps, int warmup) {
	double *latencies = calloc(steps, sizeof(double));
	if (latencies == NULL) {
		rig_fail("out of memory");
	}
	long captures = 0;
	double start = 0;
	for (int k = 1; k <= warmup + steps; k++) {
		if (k == warmup + 1) {
			start = rig_now_ms();
		}
		uint32_t colour = colour_for(k);
		double committed = commit_colour(st, colour, false);
		double ready;
		int n = capture_until(&st->rig, colour, &ready);
		if (k > warmup) {
			latencies[k - warmup - 1] = ready - committed;
			captures += n;
		}
	}
	double elapsed = rig_now_ms() - start;
	printf("lockstep size=%ux%u steps=%d p50_ms=%.3f p90_ms=%.3f "
		"steps_per_s=%.2f captures_per_step=%.2f\n",
		st->rig.cap_width, st->rig.cap_height, steps,
		rig_percentile(latencies, steps, 50), rig_percentile(latencies, steps, 90),
		steps * 1000.0 / elapsed, (double)captures / steps);
	free(latencies);
}

/* Records the latency of the colour a capture shows, the first time only. */
static void match_commit(struct commit *history, uint32_t n_commits,
		uint32_t centre, double ready, double *latency, bool *found) {
	*found = false;
	uint32_t oldest = n_commits > HISTORY ? n_commits - HISTORY : 0;
	for (uint32_t i = n_commits; i-- > oldest;) {
		struct commit *c = &history[i % HISTORY];
		if (c->colour == centre) {
			if (!c->seen) {
				c->seen = true;
				*latency = ready - c->time;
				*found = true;
			}
			return;
		}
	}
}

static void append(double **values, size_t *len, size_t *cap, double value) {
	if (*len == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*values = realloc(*values, *cap * sizeof(double));
		if (*values == NULL) {
			rig_fail("out of memory");
		}
	}
	(*values)[(*len)++] = value;
}

static void run_stream(struct state *st, double seconds, int warmup) {
	struct rig *rig = &st->rig;
	double *latencies = NULL;
	size_t n_latencies = 0, cap = 0;
	struct commit *history = calloc(HISTORY, sizeof(*history));
	if (history == NULL) {
		rig_fail("out of memory");
	}
	uint32_t n_commits = 0;
	long readies = 0;
	int skipped = 0;
	double start = rig_now_ms(), end = start + seconds * 1000;
	double progress = start;

	/* Step 0 is already on screen, so stream colours start at step 1. */
	history[0] = (struct commit){colour_for(1), commit_colour(st, colour_for(1), true), false};
	n_commits = 1;
	start_capture(rig);
	for (double now = start; now < end; now = rig_now_ms()) {
		double deadline = progress + RIG_PROGRESS_TIMEOUT_MS;
		rig_dispatch(rig, deadline < end ? deadline : end);
		if (rig_now_ms() > deadline) {
			rig_fail("no commit was captured for 5 s");
		}
		if (st->frame_done) {
			uint32_t colour = colour_for(n_commits + 1);
			double t = commit_colour(st, colour, true);
			history[n_commits % HISTORY] = (struct commit){colour, t, false};
			n_commits++;
		}
		if (rig->frame_finished) {
			uint32_t centre;
			if (finish_capture(rig, &centre)) {
				readies++;
				double latency;
				bool found;
				match_commit(history, n_commits, centre, rig->ready_time,
					&latency, &found);
				if (found && skipped++ >= warmup) {
					append(&latencies, &n_latencies, &cap, latency);
				}
				if (found) {
					progress = rig->ready_time;
				}
			}
			start_capture(rig);
		}
	}
	double elapsed = (rig_now_ms() - start) / 1000;
	printf("stream size=%ux%u client_fps=%.2f captured_fps=%.2f latency_p50_ms=%.3f\n",
		rig->cap_width, rig->cap_height, n_commits / elapsed, readies / elapsed,
		n_latencies > 0 ? rig_percentile(latencies, (int)n_latencies, 50) : 0);
	free(latencies);
	free(history);
}

int main(int argc, char *argv[]) {
	static const struct option long_opts[] = {
		{"steps", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"stream", required_argument, NULL, 'S'},
		{0},
	};
	rig_set_program("ph-lockstep");
	int steps = 200, warmup = 10;
	double stream = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 's': steps = (int)rig_parse_number(optarg, 1, 1000000); break;
		case 'w': warmup = (int)rig_parse_number(optarg, 0, 1000000); break;
		case 'S': stream = rig_parse_number(optarg, 0.001, 86400); break;
		default:
			fprintf(stderr, "usage: ph-lockstep [--steps N] [--warmup K] "
				"[--stream SECONDS]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ph-lockstep: unexpected argument: %s\n", argv[optind]);
		return 2;
	}

	struct state st = {0};
	rig_start(&st.rig);
	/* Nothing is timed before the output shows the window. */
	commit_colour(&st, colour_for(0), false);
	double ready;
	capture_until(&st.rig, colour_for(0), &ready);
	if (stream > 0) {
		run_stream(&st, stream, warmup);
	} else {
		run_lockstep(&st, steps, warmup);
	}
	if (st.frame_callback != NULL) {
		wl_callback_destroy(st.frame_callback);
	}
	rig_finish(&st.rig);
	return 0;
}
