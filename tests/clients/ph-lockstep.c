/*
 * ph-lockstep — end-to-end capture latency benchmark.
 *
 * usage: ph-lockstep [--steps N] [--warmup K]
 *        ph-lockstep --stream SECONDS [--warmup K]
 *
 * Maps a fullscreen xdg toplevel on the first output and captures that output
 * with ext-image-copy-capture-v1 (shm, XRGB8888, two buffers in turn).
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
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define PROGRESS_TIMEOUT_MS 5000.0
#define MAX_SURFACE_BUFFERS 4
#define HISTORY 256

struct buffer {
	struct wl_shm_pool *pool;
	struct wl_buffer *wl_buffer;
	uint32_t *data;
	size_t size;
	int width, height, stride;
	bool busy; /* attached to the surface and not yet released */
	bool used; /* captured into before: no full damage needed */
};

struct commit {
	uint32_t colour;
	double time;
	bool seen;
};

struct state {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_output *output;
	int32_t mode_width, mode_height, output_scale, output_transform;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;

	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	bool configured;
	uint32_t configure_serial; /* 0 once acked */
	int32_t configure_width, configure_height, pending_width, pending_height;
	struct buffer surface_buffers[MAX_SURFACE_BUFFERS];
	struct wl_callback *frame_callback;
	bool frame_done; /* wl_surface.frame callback fired */

	struct ext_image_capture_source_v1 *source;
	struct ext_image_copy_capture_session_v1 *session;
	uint32_t cap_width, cap_height, pending_cap_width, pending_cap_height;
	bool have_xrgb, have_argb, pending_xrgb, pending_argb;
	unsigned constraints_serial, allocated_serial;
	bool stopped;
	struct buffer capture_buffers[2];
	int next_capture;

	struct ext_image_copy_capture_frame_v1 *frame; /* in flight */
	struct buffer *frame_buffer;
	bool frame_finished, frame_failed;
	uint32_t frame_reason;
	double ready_time;
};

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void fail(const char *msg) {
	fprintf(stderr, "ph-lockstep: %s\n", msg);
	exit(1);
}

static void die_display(struct state *st) {
	int err = wl_display_get_error(st->display);
	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(st->display, &iface, &id);
		fprintf(stderr, "ph-lockstep: protocol error: interface=%s code=%u id=%u\n",
			iface != NULL ? iface->name : "unknown", code, id);
	} else {
		fprintf(stderr, "ph-lockstep: connection error: %s\n", strerror(err));
	}
	exit(1);
}

/* Reads and dispatches whatever arrives before the deadline. Returns false
 * when the deadline passed with nothing to dispatch. */
static bool dispatch_once(struct state *st, double deadline) {
	if (wl_display_prepare_read(st->display) != 0) {
		if (wl_display_dispatch_pending(st->display) < 0) {
			die_display(st);
		}
		return true;
	}
	if (wl_display_flush(st->display) < 0 && errno != EAGAIN) {
		wl_display_cancel_read(st->display);
		die_display(st);
	}
	struct pollfd pfd = {.fd = wl_display_get_fd(st->display), .events = POLLIN};
	double left = deadline - now_ms();
	int ret = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
	if (ret <= 0) {
		wl_display_cancel_read(st->display);
		return ret < 0 && errno == EINTR;
	}
	if (wl_display_read_events(st->display) < 0 ||
			wl_display_dispatch_pending(st->display) < 0) {
		die_display(st);
	}
	return true;
}

static void wait_for(struct state *st, const bool *flag, double deadline,
		const char *what) {
	while (!*flag) {
		if (!dispatch_once(st, deadline) && now_ms() >= deadline) {
			fprintf(stderr, "ph-lockstep: timeout waiting for %s\n", what);
			exit(1);
		}
	}
}

static void sync_done(void *data, struct wl_callback *callback, uint32_t serial) {
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = {.done = sync_done};

static void roundtrip(struct state *st) {
	bool done = false;
	wl_callback_add_listener(wl_display_sync(st->display), &sync_listener, &done);
	wait_for(st, &done, now_ms() + PROGRESS_TIMEOUT_MS, "the compositor");
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer) {
	struct buffer *buf = data;
	buf->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void buffer_finish(struct buffer *buf) {
	if (buf->wl_buffer != NULL) {
		wl_buffer_destroy(buf->wl_buffer);
		wl_shm_pool_destroy(buf->pool);
		munmap(buf->data, buf->size);
	}
	*buf = (struct buffer){0};
}

static void buffer_init(struct state *st, struct buffer *buf, int width,
		int height, uint32_t format) {
	buffer_finish(buf);
	int stride = width * 4;
	size_t size = (size_t)stride * height;
	int fd = memfd_create("ph-lockstep", MFD_CLOEXEC);
	if (fd < 0 || size == 0 || size > INT32_MAX || ftruncate(fd, (off_t)size) < 0) {
		fail("cannot allocate a shm buffer");
	}
	buf->data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf->data == MAP_FAILED) {
		fail("mmap failed");
	}
	buf->pool = wl_shm_create_pool(st->shm, fd, (int32_t)size);
	buf->wl_buffer = wl_shm_pool_create_buffer(buf->pool, 0, width, height,
		stride, format);
	wl_buffer_add_listener(buf->wl_buffer, &buffer_listener, buf);
	close(fd);
	buf->size = size;
	buf->width = width;
	buf->height = height;
	buf->stride = stride;
}

static void output_geometry(void *data, struct wl_output *wl_output, int32_t x,
		int32_t y, int32_t pw, int32_t ph, int32_t subpixel, const char *make,
		const char *model, int32_t transform) {
	struct state *st = data;
	st->output_transform = transform;
}

static void output_mode(void *data, struct wl_output *wl_output, uint32_t flags,
		int32_t width, int32_t height, int32_t refresh) {
	struct state *st = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		st->mode_width = width;
		st->mode_height = height;
	}
}

static void output_done(void *data, struct wl_output *wl_output) {
}

static void output_scale(void *data, struct wl_output *wl_output, int32_t factor) {
	struct state *st = data;
	st->output_scale = factor;
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void registry_global(void *data, struct wl_registry *registry,
		uint32_t name, const char *interface, uint32_t version) {
	struct state *st = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0 && version >= 4) {
		st->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		st->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		st->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(st->wm_base, &wm_base_listener, st);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && st->output == NULL) {
		st->output = wl_registry_bind(registry, name, &wl_output_interface,
			version < 2 ? version : 2);
		wl_output_add_listener(st->output, &output_listener, st);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		st->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		st->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry,
		uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct state *st = data;
	/* Acked when the next buffer is drawn, so that ack and size agree. */
	st->configure_serial = serial;
	st->configure_width = st->pending_width;
	st->configure_height = st->pending_height;
	st->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel,
		int32_t width, int32_t height, struct wl_array *states) {
	struct state *st = data;
	st->pending_width = width;
	st->pending_height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
	fail("toplevel closed by the compositor");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
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

static void session_buffer_size(void *data,
		struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct state *st = data;
	st->pending_cap_width = width;
	st->pending_cap_height = height;
}

static void session_shm_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format) {
	struct state *st = data;
	st->pending_xrgb |= format == WL_SHM_FORMAT_XRGB8888;
	st->pending_argb |= format == WL_SHM_FORMAT_ARGB8888;
}

static void session_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
}

static void session_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
}

static void session_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->cap_width = st->pending_cap_width;
	st->cap_height = st->pending_cap_height;
	st->have_xrgb = st->pending_xrgb;
	st->have_argb = st->pending_argb;
	st->pending_xrgb = st->pending_argb = false;
	st->constraints_serial++;
}

static void session_stopped(void *data,
		struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	.buffer_size = session_buffer_size,
	.shm_format = session_shm_format,
	.dmabuf_device = session_dmabuf_device,
	.dmabuf_format = session_dmabuf_format,
	.done = session_done,
	.stopped = session_stopped,
};

static void frame_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void frame_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
}

static void frame_presentation_time(void *data,
		struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec) {
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct state *st = data;
	st->ready_time = now_ms();
	st->frame_finished = true;
}

static void frame_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	struct state *st = data;
	st->frame_finished = true;
	st->frame_failed = true;
	st->frame_reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_transform,
	.damage = frame_damage,
	.presentation_time = frame_presentation_time,
	.ready = frame_ready,
	.failed = frame_failed,
};

/* Opaque and distinct for every step below 2^24: multiplying by an odd
 * constant is a bijection modulo 2^24. */
static uint32_t colour_for(uint32_t step) {
	return ((step + 1) * 0x9e3779u ^ 0x5a5a5au) & 0xffffff;
}

/* The surface size in buffer pixels: the configured size if the compositor
 * chose one, else the whole output. */
static void surface_size(const struct state *st, int *width, int *height) {
	int scale = st->output_scale > 0 ? st->output_scale : 1;
	if (st->configure_width > 0 && st->configure_height > 0) {
		*width = st->configure_width * scale;
		*height = st->configure_height * scale;
	} else if (st->output_transform & 1) {
		*width = st->mode_height;
		*height = st->mode_width;
	} else {
		*width = st->mode_width;
		*height = st->mode_height;
	}
}

static struct buffer *free_surface_buffer(struct state *st, int width, int height) {
	double deadline = now_ms() + PROGRESS_TIMEOUT_MS;
	for (;;) {
		for (int i = 0; i < MAX_SURFACE_BUFFERS; i++) {
			struct buffer *buf = &st->surface_buffers[i];
			if (buf->busy) {
				continue;
			}
			if (buf->wl_buffer == NULL || buf->width != width ||
					buf->height != height) {
				buffer_init(st, buf, width, height, WL_SHM_FORMAT_XRGB8888);
			}
			return buf;
		}
		/* All attached or held by the compositor: wait for a release. */
		if (!dispatch_once(st, deadline) && now_ms() >= deadline) {
			fail("timeout waiting for a wl_buffer.release");
		}
	}
}

/* Fills a buffer with the colour and commits it; returns the commit time. */
static double commit_colour(struct state *st, uint32_t colour, bool want_frame) {
	if (st->configure_serial != 0) {
		xdg_surface_ack_configure(st->xdg_surface, st->configure_serial);
		st->configure_serial = 0;
	}
	int width, height;
	surface_size(st, &width, &height);
	if (width <= 0 || height <= 0) {
		fail("no surface size: neither configure nor output mode gave one");
	}
	struct buffer *buf = free_surface_buffer(st, width, height);
	uint32_t pixel = 0xff000000 | colour;
	size_t n = (size_t)width * height;
	for (size_t i = 0; i < n; i++) {
		buf->data[i] = pixel;
	}
	int scale = st->output_scale > 0 ? st->output_scale : 1;
	wl_surface_set_buffer_scale(st->surface, scale);
	wl_surface_attach(st->surface, buf->wl_buffer, 0, 0);
	wl_surface_damage_buffer(st->surface, 0, 0, width, height);
	if (want_frame) {
		st->frame_done = false;
		st->frame_callback = wl_surface_frame(st->surface);
		wl_callback_add_listener(st->frame_callback, &frame_callback_listener, st);
	}
	buf->busy = true;
	double t = now_ms();
	wl_surface_commit(st->surface);
	wl_display_flush(st->display);
	return t;
}

static void ensure_capture_buffers(struct state *st) {
	if (st->allocated_serial == st->constraints_serial) {
		return;
	}
	uint32_t format;
	if (st->have_xrgb) {
		format = WL_SHM_FORMAT_XRGB8888;
	} else if (st->have_argb) {
		format = WL_SHM_FORMAT_ARGB8888;
	} else {
		fail("the capture session offers neither XRGB8888 nor ARGB8888");
	}
	for (int i = 0; i < 2; i++) {
		buffer_init(st, &st->capture_buffers[i], (int)st->cap_width,
			(int)st->cap_height, format);
	}
	st->allocated_serial = st->constraints_serial;
}

static void start_capture(struct state *st) {
	ensure_capture_buffers(st);
	struct buffer *buf = &st->capture_buffers[st->next_capture];
	st->next_capture ^= 1;
	st->frame_buffer = buf;
	st->frame_finished = st->frame_failed = false;
	st->frame = ext_image_copy_capture_session_v1_create_frame(st->session);
	ext_image_copy_capture_frame_v1_add_listener(st->frame, &frame_listener, st);
	ext_image_copy_capture_frame_v1_attach_buffer(st->frame, buf->wl_buffer);
	/* Every step repaints the whole output, so the compositor's own damage
	 * refreshes the centre; only a fresh buffer needs everything. */
	if (!buf->used) {
		ext_image_copy_capture_frame_v1_damage_buffer(st->frame, 0, 0,
			buf->width, buf->height);
		buf->used = true;
	}
	ext_image_copy_capture_frame_v1_capture(st->frame);
	wl_display_flush(st->display);
}

/* Handles a finished frame. Returns true with the centre pixel on success,
 * false after a recoverable failure (the caller captures again). */
static bool finish_capture(struct state *st, uint32_t *centre) {
	ext_image_copy_capture_frame_v1_destroy(st->frame);
	st->frame = NULL;
	if (st->frame_failed) {
		if (st->stopped ||
				st->frame_reason != EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS) {
			fprintf(stderr, "ph-lockstep: capture failed reason=%u\n", st->frame_reason);
			exit(1);
		}
		/* Constraints changed; new buffers follow the next `done`. */
		roundtrip(st);
		return false;
	}
	const struct buffer *buf = st->frame_buffer;
	*centre = buf->data[(size_t)buf->height / 2 * (buf->stride / 4) + buf->width / 2] &
		0xffffff;
	return true;
}

/* Captures until the centre shows the colour; returns the number of
 * captures and the ready time of the matching one. */
static int capture_until(struct state *st, uint32_t colour, double *ready_time) {
	double deadline = now_ms() + PROGRESS_TIMEOUT_MS;
	for (int captures = 1;; captures++) {
		start_capture(st);
		wait_for(st, &st->frame_finished, deadline, "the committed colour to be captured");
		uint32_t centre;
		if (finish_capture(st, &centre) && centre == colour) {
			*ready_time = st->ready_time;
			return captures;
		}
	}
}

static int compare_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double percentile(double *values, int n, double p) {
	if (n == 0) {
		return 0;
	}
	qsort(values, n, sizeof(double), compare_double);
	int rank = (int)ceil(p / 100.0 * n);
	return values[(rank < 1 ? 1 : rank > n ? n : rank) - 1];
}

static void run_lockstep(struct state *st, int steps, int warmup) {
	double *latencies = calloc(steps, sizeof(double));
	if (latencies == NULL) {
		fail("out of memory");
	}
	long captures = 0;
	double start = 0;
	for (int k = 1; k <= warmup + steps; k++) {
		if (k == warmup + 1) {
			start = now_ms();
		}
		uint32_t colour = colour_for(k);
		double committed = commit_colour(st, colour, false);
		double ready;
		int n = capture_until(st, colour, &ready);
		if (k > warmup) {
			latencies[k - warmup - 1] = ready - committed;
			captures += n;
		}
	}
	double elapsed = now_ms() - start;
	printf("lockstep size=%ux%u steps=%d p50_ms=%.3f p90_ms=%.3f "
		"steps_per_s=%.2f captures_per_step=%.2f\n",
		st->cap_width, st->cap_height, steps,
		percentile(latencies, steps, 50), percentile(latencies, steps, 90),
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
			fail("out of memory");
		}
	}
	(*values)[(*len)++] = value;
}

static void run_stream(struct state *st, double seconds, int warmup) {
	double *latencies = NULL;
	size_t n_latencies = 0, cap = 0;
	struct commit *history = calloc(HISTORY, sizeof(*history));
	if (history == NULL) {
		fail("out of memory");
	}
	uint32_t n_commits = 0;
	long readies = 0;
	int skipped = 0;
	double start = now_ms(), end = start + seconds * 1000;
	double progress = start;

	/* Step 0 is already on screen, so stream colours start at step 1. */
	history[0] = (struct commit){colour_for(1), commit_colour(st, colour_for(1), true), false};
	n_commits = 1;
	start_capture(st);
	for (double now = start; now < end; now = now_ms()) {
		double deadline = progress + PROGRESS_TIMEOUT_MS;
		dispatch_once(st, deadline < end ? deadline : end);
		if (now_ms() > deadline) {
			fail("no commit was captured for 5 s");
		}
		if (st->frame_done) {
			uint32_t colour = colour_for(n_commits + 1);
			double t = commit_colour(st, colour, true);
			history[n_commits % HISTORY] = (struct commit){colour, t, false};
			n_commits++;
		}
		if (st->frame_finished) {
			uint32_t centre;
			if (finish_capture(st, &centre)) {
				readies++;
				double latency;
				bool found;
				match_commit(history, n_commits, centre, st->ready_time,
					&latency, &found);
				if (found && skipped++ >= warmup) {
					append(&latencies, &n_latencies, &cap, latency);
				}
				if (found) {
					progress = st->ready_time;
				}
			}
			start_capture(st);
		}
	}
	double elapsed = (now_ms() - start) / 1000;
	printf("stream size=%ux%u client_fps=%.2f captured_fps=%.2f latency_p50_ms=%.3f\n",
		st->cap_width, st->cap_height, n_commits / elapsed, readies / elapsed,
		percentile(latencies, (int)n_latencies, 50));
	free(latencies);
	free(history);
}

static void setup_globals(struct state *st) {
	st->display = wl_display_connect(NULL);
	if (st->display == NULL) {
		fail("cannot connect to the Wayland display");
	}
	st->registry = wl_display_get_registry(st->display);
	wl_registry_add_listener(st->registry, &registry_listener, st);
	roundtrip(st);
	roundtrip(st); /* output mode and scale */
	if (st->compositor == NULL || st->shm == NULL || st->wm_base == NULL ||
			st->output == NULL || st->copy_manager == NULL ||
			st->output_sources == NULL) {
		fail("missing wl_compositor v4, wl_shm, xdg_wm_base, wl_output or "
			"ext-image-copy-capture-v1 with output sources");
	}
}

/* Maps the fullscreen window and waits until the output shows it. */
static void setup_window(struct state *st) {
	st->surface = wl_compositor_create_surface(st->compositor);
	st->xdg_surface = xdg_wm_base_get_xdg_surface(st->wm_base, st->surface);
	xdg_surface_add_listener(st->xdg_surface, &xdg_surface_listener, st);
	st->xdg_toplevel = xdg_surface_get_toplevel(st->xdg_surface);
	xdg_toplevel_add_listener(st->xdg_toplevel, &toplevel_listener, st);
	xdg_toplevel_set_title(st->xdg_toplevel, "ph-lockstep");
	xdg_toplevel_set_app_id(st->xdg_toplevel, "ph-lockstep");
	xdg_toplevel_set_fullscreen(st->xdg_toplevel, st->output);
	wl_surface_commit(st->surface);
	wait_for(st, &st->configured, now_ms() + PROGRESS_TIMEOUT_MS, "configure");

	st->source = ext_output_image_capture_source_manager_v1_create_source(
		st->output_sources, st->output);
	st->session = ext_image_copy_capture_manager_v1_create_session(
		st->copy_manager, st->source, 0);
	ext_image_copy_capture_session_v1_add_listener(st->session, &session_listener, st);
	commit_colour(st, colour_for(0), false);
	double deadline = now_ms() + PROGRESS_TIMEOUT_MS;
	while (st->constraints_serial == 0) {
		if (st->stopped) {
			fail("capture session stopped");
		}
		if (!dispatch_once(st, deadline) && now_ms() >= deadline) {
			fail("timeout waiting for capture constraints");
		}
	}
	double ready;
	capture_until(st, colour_for(0), &ready);
}

static void cleanup(struct state *st) {
	if (st->frame_callback != NULL) {
		wl_callback_destroy(st->frame_callback);
	}
	if (st->frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(st->frame);
	}
	for (int i = 0; i < 2; i++) {
		buffer_finish(&st->capture_buffers[i]);
	}
	for (int i = 0; i < MAX_SURFACE_BUFFERS; i++) {
		buffer_finish(&st->surface_buffers[i]);
	}
	ext_image_copy_capture_session_v1_destroy(st->session);
	ext_image_capture_source_v1_destroy(st->source);
	xdg_toplevel_destroy(st->xdg_toplevel);
	xdg_surface_destroy(st->xdg_surface);
	wl_surface_destroy(st->surface);
	ext_output_image_capture_source_manager_v1_destroy(st->output_sources);
	ext_image_copy_capture_manager_v1_destroy(st->copy_manager);
	wl_output_destroy(st->output);
	xdg_wm_base_destroy(st->wm_base);
	wl_shm_destroy(st->shm);
	wl_compositor_destroy(st->compositor);
	wl_registry_destroy(st->registry);
	wl_display_disconnect(st->display);
}

static double parse_number(const char *arg, double min, double max) {
	char *end;
	errno = 0;
	double value = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(value >= min && value <= max)) {
		fprintf(stderr, "ph-lockstep: invalid number: %s\n", arg);
		exit(2);
	}
	return value;
}

int main(int argc, char *argv[]) {
	static const struct option long_opts[] = {
		{"steps", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"stream", required_argument, NULL, 'S'},
		{0},
	};
	int steps = 200, warmup = 10;
	double stream = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 's': steps = (int)parse_number(optarg, 1, 1000000); break;
		case 'w': warmup = (int)parse_number(optarg, 0, 1000000); break;
		case 'S': stream = parse_number(optarg, 0.001, 86400); break;
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
	setup_globals(&st);
	setup_window(&st);
	if (stream > 0) {
		run_stream(&st, stream, warmup);
	} else {
		run_lockstep(&st, steps, warmup);
	}
	cleanup(&st);
	return 0;
}
