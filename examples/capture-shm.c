/*
 * capture-shm — capture an output or a toplevel with ext-image-copy-capture-v1
 * into shared-memory buffers.
 *
 * usage: capture-shm [options] [OUTFILE]
 *
 *   -o NAME        capture the wl_output called NAME (default: the first one)
 *   -t IDENTIFIER  capture the ext-foreign-toplevel-list toplevel IDENTIFIER
 *   -a APP_ID      capture the first toplevel whose app_id is APP_ID
 *   -l             list outputs and toplevels, then exit
 *   -f FORMAT      xrgb8888, argb8888, xbgr8888 or abgr8888
 *                  (default: the first of these the compositor advertises)
 *   -c             ask the compositor to paint cursors
 *   --stride N     allocate buffers with stride N instead of width * 4
 *   --raw          write the buffer bytes as received (height * stride bytes)
 *   --loop N       capture N frames in a row, alternating between two buffers,
 *                  and print per-frame latency plus a summary
 *   --timeout MS   give up when a frame is not ready after MS (default 5000)
 *
 * -l prints one line per output and toplevel (the title runs to the end):
 *   output NAME mode=WxH
 *   toplevel IDENTIFIER app_id=APP_ID title=TITLE
 *
 * OUTFILE ending in .png is written as PNG (RGBA for argb/abgr, else RGB),
 * "-" writes a binary PPM to stdout (raw bytes with --raw), anything else is
 * written as PPM. Without OUTFILE nothing is written. PNG and PPM are turned
 * upright according to the frame's transform event; --raw is not. Alpha is
 * copied as-is, i.e. still premultiplied as wl_shm defines it.
 *
 * Every captured frame prints one line to stderr:
 *   format=0x%08x width=W height=H stride=S transform=T damage=x,y,wxh;...
 * followed by " presentation_time=SEC.NSEC" when the compositor sent one.
 * --loop also prints "frame I latency_ms=... damage=..." per frame and
 * "frames=N fps=... latency_p50_ms=... latency_p90_ms=..." at the end, to
 * stdout (stderr when stdout carries the image). After the first frame a
 * compositor only completes a capture once the source changes, so --loop on
 * a static screen ends in a timeout.
 *
 * Exit status: 0 success, 1 error, 2 usage, 3 timeout, 4 capture failed or
 * session stopped, 5 protocol error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "ext-foreign-toplevel-list-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"

#define MAX_FORMATS 64

enum exit_code {
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
	EXIT_FAILED = 4,
	EXIT_PROTOCOL = 5,
};

struct rect {
	int32_t x, y, width, height;
};

struct output {
	struct wl_list link;
	struct wl_output *wl_output;
	char *name;
	int32_t width, height;
};

struct toplevel {
	struct wl_list link;
	struct ext_foreign_toplevel_handle_v1 *handle;
	char *identifier, *app_id, *title;
};

struct buffer {
	/* The pool lives as long as the buffer so that a protocol error about
	 * it (e.g. a bad --stride) names wl_shm_pool, not a destroyed object. */
	struct wl_shm_pool *pool;
	struct wl_buffer *wl_buffer;
	void *data;
	size_t size;
	uint32_t width, height, stride, format;
	bool used;
	/* Damage reported while the other buffer was being filled: this buffer
	 * misses it, so it goes into our damage_buffer on reuse. */
	struct wl_array missed; /* struct rect */
};

/* One batch of session constraints, complete once `done` arrives. */
struct constraints {
	uint32_t width, height;
	uint32_t formats[MAX_FORMATS];
	int n_formats;
};

struct frame_result {
	bool finished, failed; /* finished on either ready or failed */
	uint32_t reason, transform;
	bool have_time;
	uint64_t tv_sec;
	uint32_t tv_nsec;
	struct wl_array damage; /* struct rect */
};

struct state {
	struct wl_display *display;
	struct wl_shm *shm;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;
	struct ext_foreign_toplevel_image_capture_source_manager_v1 *toplevel_sources;
	struct ext_foreign_toplevel_list_v1 *toplevel_list;
	bool want_toplevels;
	struct wl_list outputs, toplevels;

	struct ext_image_copy_capture_session_v1 *session;
	struct constraints pending, current;
	unsigned constraints_serial; /* bumped on every `done` */
	bool stopped;

	bool session_event; /* done or stopped arrived */

	struct frame_result frame;
	int timeout_ms;
};

static const struct {
	const char *name;
	uint32_t format;
	bool bgr_order; /* bytes in memory are R,G,B,A rather than B,G,R,A */
	bool alpha;
} formats[] = {
	{"xrgb8888", WL_SHM_FORMAT_XRGB8888, false, false},
	{"argb8888", WL_SHM_FORMAT_ARGB8888, false, true},
	{"xbgr8888", WL_SHM_FORMAT_XBGR8888, true, false},
	{"abgr8888", WL_SHM_FORMAT_ABGR8888, true, true},
};

static int find_format(uint32_t format) {
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].format == format) {
			return (int)i;
		}
	}
	return -1;
}

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *xstrdup(const char *s) {
	char *copy = strdup(s);
	if (copy == NULL) {
		perror("strdup");
		exit(EXIT_ERROR);
	}
	return copy;
}

static void replace_string(char **dst, const char *src) {
	free(*dst);
	*dst = xstrdup(src);
}

static void add_rect(struct wl_array *rects, struct rect r) {
	struct rect *slot = wl_array_add(rects, sizeof(r));
	if (slot == NULL) {
		perror("wl_array_add");
		exit(EXIT_ERROR);
	}
	*slot = r;
}

/* Exits with the status the header promises for a broken connection. */
static void die_display(struct state *st) {
	int err = wl_display_get_error(st->display);
	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(st->display, &iface, &id);
		fprintf(stderr, "protocol error: interface=%s code=%u id=%u\n",
			iface != NULL ? iface->name : "unknown", code, id);
		exit(EXIT_PROTOCOL);
	}
	fprintf(stderr, "connection error: %s\n", strerror(err));
	exit(EXIT_ERROR);
}

/* Dispatches until *flag is set; a plain wl_display_dispatch could block
 * forever on a compositor that never answers. */
static void wait_for(struct state *st, const bool *flag, const char *what) {
	double deadline = now_ms() + st->timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(st->display), .events = POLLIN};
	while (!*flag) {
		if (wl_display_prepare_read(st->display) != 0) {
			if (wl_display_dispatch_pending(st->display) < 0) {
				die_display(st);
			}
			continue;
		}
		if (wl_display_flush(st->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(st->display);
			die_display(st);
		}
		double left = deadline - now_ms();
		int ret = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
		if (ret <= 0) {
			wl_display_cancel_read(st->display);
			if (ret < 0 && errno == EINTR) {
				continue;
			}
			fprintf(stderr, "timeout waiting for %s\n", what);
			exit(EXIT_TIMEOUT);
		}
		if (wl_display_read_events(st->display) < 0 ||
				wl_display_dispatch_pending(st->display) < 0) {
			die_display(st);
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
	wait_for(st, &done, "the compositor");
}

/* wl_output: we only need the name (v4) and the current mode for -l. */
static void output_geometry(void *data, struct wl_output *wl_output, int32_t x,
		int32_t y, int32_t pw, int32_t ph, int32_t subpixel, const char *make,
		const char *model, int32_t transform) {
}

static void output_mode(void *data, struct wl_output *wl_output, uint32_t flags,
		int32_t width, int32_t height, int32_t refresh) {
	struct output *output = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		output->width = width;
		output->height = height;
	}
}

static void output_done(void *data, struct wl_output *wl_output) {
}

static void output_scale(void *data, struct wl_output *wl_output, int32_t factor) {
}

static void output_name(void *data, struct wl_output *wl_output, const char *name) {
	struct output *output = data;
	replace_string(&output->name, name);
}

static void output_description(void *data, struct wl_output *wl_output,
		const char *description) {
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
	.name = output_name,
	.description = output_description,
};

static void toplevel_closed(void *data,
		struct ext_foreign_toplevel_handle_v1 *handle) {
}

static void toplevel_done(void *data,
		struct ext_foreign_toplevel_handle_v1 *handle) {
}

static void toplevel_title(void *data,
		struct ext_foreign_toplevel_handle_v1 *handle, const char *title) {
	struct toplevel *toplevel = data;
	replace_string(&toplevel->title, title);
}

static void toplevel_app_id(void *data,
		struct ext_foreign_toplevel_handle_v1 *handle, const char *app_id) {
	struct toplevel *toplevel = data;
	replace_string(&toplevel->app_id, app_id);
}

static void toplevel_identifier(void *data,
		struct ext_foreign_toplevel_handle_v1 *handle, const char *identifier) {
	struct toplevel *toplevel = data;
	replace_string(&toplevel->identifier, identifier);
}

static const struct ext_foreign_toplevel_handle_v1_listener toplevel_listener = {
	.closed = toplevel_closed,
	.done = toplevel_done,
	.title = toplevel_title,
	.app_id = toplevel_app_id,
	.identifier = toplevel_identifier,
};

static void list_toplevel(void *data, struct ext_foreign_toplevel_list_v1 *list,
		struct ext_foreign_toplevel_handle_v1 *handle) {
	struct state *st = data;
	struct toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (toplevel == NULL) {
		perror("calloc");
		exit(EXIT_ERROR);
	}
	toplevel->handle = handle;
	ext_foreign_toplevel_handle_v1_add_listener(handle, &toplevel_listener, toplevel);
	wl_list_insert(st->toplevels.prev, &toplevel->link);
}

static void list_finished(void *data, struct ext_foreign_toplevel_list_v1 *list) {
}

static const struct ext_foreign_toplevel_list_v1_listener list_listener = {
	.toplevel = list_toplevel,
	.finished = list_finished,
};

static void add_output(struct state *st, struct wl_registry *registry,
		uint32_t name, uint32_t version) {
	struct output *output = calloc(1, sizeof(*output));
	if (output == NULL) {
		perror("calloc");
		exit(EXIT_ERROR);
	}
	output->wl_output = wl_registry_bind(registry, name, &wl_output_interface,
		version < 4 ? version : 4);
	wl_output_add_listener(output->wl_output, &output_listener, output);
	wl_list_insert(st->outputs.prev, &output->link);
}

static void registry_global(void *data, struct wl_registry *registry,
		uint32_t name, const char *interface, uint32_t version) {
	struct state *st = data;
	if (strcmp(interface, wl_output_interface.name) == 0) {
		add_output(st, registry, name, version);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		st->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		st->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		st->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_foreign_toplevel_image_capture_source_manager_v1_interface.name) == 0) {
		st->toplevel_sources = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_foreign_toplevel_list_v1_interface.name) == 0 &&
			st->want_toplevels) {
		/* Binding makes the compositor announce every toplevel, so only
		 * do it when -t, -a or -l need them. */
		st->toplevel_list = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_list_v1_interface, 1);
		ext_foreign_toplevel_list_v1_add_listener(st->toplevel_list,
			&list_listener, st);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry,
		uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void session_buffer_size(void *data,
		struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct state *st = data;
	st->pending.width = width;
	st->pending.height = height;
}

static void session_shm_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format) {
	struct state *st = data;
	if (st->pending.n_formats < MAX_FORMATS) {
		st->pending.formats[st->pending.n_formats++] = format;
	}
}

static void session_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
}

static void session_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
}

static void session_done(void *data,
		struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->current = st->pending;
	/* Each batch re-sends the full format list. */
	st->pending.n_formats = 0;
	st->constraints_serial++;
	st->session_event = true;
}

static void session_stopped(void *data,
		struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->stopped = true;
	st->session_event = true;
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
	struct state *st = data;
	st->frame.transform = transform;
}

static void frame_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct state *st = data;
	add_rect(&st->frame.damage, (struct rect){x, y, width, height});
}

static void frame_presentation_time(void *data,
		struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec) {
	struct state *st = data;
	st->frame.have_time = true;
	st->frame.tv_sec = (uint64_t)tv_sec_hi << 32 | tv_sec_lo;
	st->frame.tv_nsec = tv_nsec;
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct state *st = data;
	st->frame.finished = true;
}

static void frame_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	struct state *st = data;
	st->frame.finished = true;
	st->frame.failed = true;
	st->frame.reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_transform,
	.damage = frame_damage,
	.presentation_time = frame_presentation_time,
	.ready = frame_ready,
	.failed = frame_failed,
};

static void buffer_finish(struct buffer *buf) {
	if (buf->wl_buffer != NULL) {
		wl_buffer_destroy(buf->wl_buffer);
		wl_shm_pool_destroy(buf->pool);
		munmap(buf->data, buf->size);
	}
	wl_array_release(&buf->missed);
	*buf = (struct buffer){0};
}

static void buffer_init(struct state *st, struct buffer *buf, uint32_t width,
		uint32_t height, uint32_t stride, uint32_t format) {
	buffer_finish(buf);
	size_t size = (size_t)stride * height;
	int fd = memfd_create("capture-shm", MFD_CLOEXEC);
	if (fd < 0 || size == 0 || size > INT32_MAX || ftruncate(fd, (off_t)size) < 0) {
		fprintf(stderr, "cannot allocate a %zu byte buffer: %s\n", size,
			size == 0 || size > INT32_MAX ? "bad size" : strerror(errno));
		exit(EXIT_ERROR);
	}
	buf->data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf->data == MAP_FAILED) {
		perror("mmap");
		exit(EXIT_ERROR);
	}
	buf->pool = wl_shm_create_pool(st->shm, fd, (int32_t)size);
	buf->wl_buffer = wl_shm_pool_create_buffer(buf->pool, 0, (int32_t)width,
		(int32_t)height, (int32_t)stride, format);
	close(fd);
	buf->size = size;
	buf->width = width;
	buf->height = height;
	buf->stride = stride;
	buf->format = format;
}

static bool format_advertised(const struct constraints *c, uint32_t format) {
	for (int i = 0; i < c->n_formats; i++) {
		if (c->formats[i] == format) {
			return true;
		}
	}
	return false;
}

/* Picks the requested format, or the first advertised one we can convert. */
static uint32_t choose_format(const struct state *st, int requested) {
	const struct constraints *c = &st->current;
	if (requested >= 0) {
		if (!format_advertised(c, formats[requested].format)) {
			fprintf(stderr, "format %s is not advertised\n", formats[requested].name);
			exit(EXIT_ERROR);
		}
		return formats[requested].format;
	}
	for (int i = 0; i < c->n_formats; i++) {
		if (find_format(c->formats[i]) >= 0) {
			return c->formats[i];
		}
	}
	fprintf(stderr, "no supported shm format advertised\n");
	exit(EXIT_ERROR);
}

static void wait_for_constraints(struct state *st) {
	st->session_event = false;
	wait_for(st, &st->session_event, "buffer constraints");
	if (st->stopped) {
		fprintf(stderr, "session stopped\n");
		exit(EXIT_FAILED);
	}
}

/* Builds the damage_buffer requests: everything on first use, else whatever
 * changed while this buffer was not the one being filled. */
static void damage_for_reuse(struct ext_image_copy_capture_frame_v1 *frame,
		struct buffer *buf) {
	if (!buf->used) {
		ext_image_copy_capture_frame_v1_damage_buffer(frame, 0, 0,
			(int32_t)buf->width, (int32_t)buf->height);
	}
	struct rect *r;
	wl_array_for_each(r, &buf->missed) {
		/* Negative origins are a protocol error; clip them away. */
		int32_t x = r->x > 0 ? r->x : 0, y = r->y > 0 ? r->y : 0;
		int32_t width = r->width - (x - r->x), height = r->height - (y - r->y);
		if (buf->used && width > 0 && height > 0) {
			ext_image_copy_capture_frame_v1_damage_buffer(frame, x, y,
				width, height);
		}
	}
	buf->used = true;
	buf->missed.size = 0;
}

static void note_damage(struct state *st, struct buffer *bufs, int n,
		const struct buffer *filled) {
	for (int i = 0; i < n; i++) {
		struct buffer *buf = &bufs[i];
		if (buf == filled || !buf->used) {
			continue;
		}
		struct rect *r;
		wl_array_for_each(r, &st->frame.damage) {
			add_rect(&buf->missed, *r);
		}
	}
}

/* Captures one frame into buf. Returns false only when the constraints
 * changed under us and the caller should reallocate and retry. */
static bool capture_frame(struct state *st, struct buffer *buf, double *latency_ms) {
	unsigned serial = st->constraints_serial;
	wl_array_release(&st->frame.damage);
	st->frame = (struct frame_result){0};
	struct ext_image_copy_capture_frame_v1 *frame =
		ext_image_copy_capture_session_v1_create_frame(st->session);
	ext_image_copy_capture_frame_v1_add_listener(frame, &frame_listener, st);
	ext_image_copy_capture_frame_v1_attach_buffer(frame, buf->wl_buffer);
	damage_for_reuse(frame, buf);
	/* Timed before the flush: the compositor may well run (and finish the
	 * copy) before flush returns to us. */
	double start = now_ms();
	ext_image_copy_capture_frame_v1_capture(frame);
	wl_display_flush(st->display);
	wait_for(st, &st->frame.finished, "the frame");
	*latency_ms = now_ms() - start;
	ext_image_copy_capture_frame_v1_destroy(frame);
	if (st->frame.failed) {
		if (st->frame.reason ==
				EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS &&
				st->constraints_serial != serial) {
			return false;
		}
		fprintf(stderr, "failed reason=%u\n", st->frame.reason);
		exit(EXIT_FAILED);
	}
	return true;
}

static void print_damage(FILE *f, const struct frame_result *fr) {
	const char *sep = "";
	fputs("damage=", f);
	const struct rect *r;
	wl_array_for_each(r, &fr->damage) {
		fprintf(f, "%s%d,%d,%dx%d", sep, r->x, r->y, r->width, r->height);
		sep = ";";
	}
}

static void print_metadata(const struct state *st, const struct buffer *buf) {
	const struct frame_result *fr = &st->frame;
	fprintf(stderr, "format=0x%08x width=%u height=%u stride=%u transform=%u ",
		buf->format, buf->width, buf->height, buf->stride, fr->transform);
	print_damage(stderr, fr);
	if (fr->have_time) {
		fprintf(stderr, " presentation_time=%llu.%09u",
			(unsigned long long)fr->tv_sec, fr->tv_nsec);
	}
	fputc('\n', stderr);
}

/* Maps a pixel of the upright image to the buffer pixel it came from. The
 * buffer holds the upright image with `transform` applied, in the wlroots /
 * wl_output sense; bw and bh are the buffer's dimensions. */
static void upright_to_buffer(uint32_t transform, uint32_t ux, uint32_t uy,
		uint32_t bw, uint32_t bh, uint32_t *bx, uint32_t *by) {
	switch (transform) {
	case WL_OUTPUT_TRANSFORM_90:
		*bx = uy; *by = bh - 1 - ux; break;
	case WL_OUTPUT_TRANSFORM_180:
		*bx = bw - 1 - ux; *by = bh - 1 - uy; break;
	case WL_OUTPUT_TRANSFORM_270:
		*bx = bw - 1 - uy; *by = ux; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED:
		*bx = bw - 1 - ux; *by = uy; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED_90:
		*bx = uy; *by = ux; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED_180:
		*bx = ux; *by = bh - 1 - uy; break;
	case WL_OUTPUT_TRANSFORM_FLIPPED_270:
		*bx = bw - 1 - uy; *by = bh - 1 - ux; break;
	default:
		*bx = ux; *by = uy; break;
	}
}

/* Converts the buffer to upright 8-bit RGB or RGBA rows. */
static uint8_t *convert(const struct buffer *buf, uint32_t transform, int channels,
		uint32_t *out_w, uint32_t *out_h) {
	bool swap = transform & 1; /* 90, 270 and their flipped forms */
	uint32_t w = swap ? buf->height : buf->width;
	uint32_t h = swap ? buf->width : buf->height;
	bool bgr = formats[find_format(buf->format)].bgr_order;
	uint8_t *out = malloc((size_t)w * h * channels);
	if (out == NULL) {
		perror("malloc");
		exit(EXIT_ERROR);
	}
	uint8_t *dst = out;
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t bx, by;
			upright_to_buffer(transform, x, y, buf->width, buf->height, &bx, &by);
			const uint8_t *p = (const uint8_t *)buf->data +
				(size_t)by * buf->stride + (size_t)bx * 4;
			*dst++ = bgr ? p[0] : p[2];
			*dst++ = p[1];
			*dst++ = bgr ? p[2] : p[0];
			if (channels == 4) {
				*dst++ = p[3];
			}
		}
	}
	*out_w = w;
	*out_h = h;
	return out;
}

static bool ends_with(const char *s, const char *suffix) {
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool write_png(const char *path, const uint8_t *pixels, uint32_t w,
		uint32_t h, int channels) {
	png_image image = {
		.version = PNG_IMAGE_VERSION,
		.width = w,
		.height = h,
		.format = channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB,
	};
	if (!png_image_write_to_file(&image, path, 0, pixels, 0, NULL)) {
		fprintf(stderr, "writing %s: %s\n", path, image.message);
		return false;
	}
	return true;
}

static bool write_ppm(FILE *f, const uint8_t *pixels, uint32_t w, uint32_t h) {
	fprintf(f, "P6\n%u %u\n255\n", w, h);
	return fwrite(pixels, 3, (size_t)w * h, f) == (size_t)w * h;
}

static bool write_file(FILE *f, const void *data, size_t size) {
	return fwrite(data, 1, size, f) == size;
}

static void write_output(const char *path, const struct buffer *buf,
		uint32_t transform, bool raw) {
	bool to_stdout = strcmp(path, "-") == 0;
	bool png = !raw && !to_stdout && ends_with(path, ".png");
	if (!raw && buf->stride < buf->width * 4) {
		fprintf(stderr, "stride %u is too small to convert, use --raw\n", buf->stride);
		exit(EXIT_ERROR);
	}
	bool ok;
	if (png) {
		int channels = formats[find_format(buf->format)].alpha ? 4 : 3;
		uint32_t w, h;
		uint8_t *pixels = convert(buf, transform, channels, &w, &h);
		ok = write_png(path, pixels, w, h, channels);
		free(pixels);
	} else {
		FILE *f = to_stdout ? stdout : fopen(path, "wb");
		if (f == NULL) {
			perror(path);
			exit(EXIT_ERROR);
		}
		if (raw) {
			ok = write_file(f, buf->data, (size_t)buf->stride * buf->height);
		} else {
			uint32_t w, h;
			uint8_t *pixels = convert(buf, transform, 3, &w, &h);
			ok = write_ppm(f, pixels, w, h);
			free(pixels);
		}
		ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
		if (!ok) {
			perror(path);
		}
	}
	if (!ok) {
		exit(EXIT_ERROR);
	}
}

static int compare_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *sorted, int n, double p) {
	int rank = (int)ceil(p / 100.0 * n);
	if (rank < 1) {
		rank = 1;
	}
	return sorted[(rank > n ? n : rank) - 1];
}

static void list(struct state *st) {
	struct output *output;
	wl_list_for_each(output, &st->outputs, link) {
		printf("output %s mode=%dx%d\n", output->name ? output->name : "",
			output->width, output->height);
	}
	struct toplevel *toplevel;
	wl_list_for_each(toplevel, &st->toplevels, link) {
		printf("toplevel %s app_id=%s title=%s\n",
			toplevel->identifier ? toplevel->identifier : "",
			toplevel->app_id ? toplevel->app_id : "",
			toplevel->title ? toplevel->title : "");
	}
}

struct options {
	const char *output_name, *toplevel_id, *app_id, *path;
	int format; /* index into formats, -1 for any */
	bool list, cursors, raw;
	uint32_t stride;
	int loop;
};

static struct ext_image_capture_source_v1 *create_source(struct state *st,
		const struct options *opt) {
	if (opt->toplevel_id != NULL || opt->app_id != NULL) {
		if (st->toplevel_list == NULL) {
			fprintf(stderr, "compositor lacks ext-foreign-toplevel-list-v1\n");
			exit(EXIT_ERROR);
		}
		struct toplevel *toplevel;
		wl_list_for_each(toplevel, &st->toplevels, link) {
			const char *have = opt->toplevel_id ? toplevel->identifier : toplevel->app_id;
			const char *want = opt->toplevel_id ? opt->toplevel_id : opt->app_id;
			if (have != NULL && strcmp(have, want) == 0) {
				if (st->toplevel_sources == NULL) {
					fprintf(stderr, "compositor cannot capture toplevels\n");
					exit(EXIT_ERROR);
				}
				return ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
					st->toplevel_sources, toplevel->handle);
			}
		}
		fprintf(stderr, "no such toplevel\n");
		exit(EXIT_ERROR);
	}
	struct output *output;
	wl_list_for_each(output, &st->outputs, link) {
		if (opt->output_name == NULL ||
				(output->name != NULL && strcmp(output->name, opt->output_name) == 0)) {
			if (st->output_sources == NULL) {
				fprintf(stderr, "compositor cannot capture outputs\n");
				exit(EXIT_ERROR);
			}
			return ext_output_image_capture_source_manager_v1_create_source(
				st->output_sources, output->wl_output);
		}
	}
	fprintf(stderr, "no such output\n");
	exit(EXIT_ERROR);
}

static void usage(FILE *f) {
	fprintf(f, "usage: capture-shm [-o NAME | -t IDENTIFIER | -a APP_ID] [-l] "
		"[-f FORMAT] [-c]\n"
		"                   [--stride N] [--raw] [--loop N] [--timeout MS] "
		"[OUTFILE]\n");
}

static long parse_number(const char *arg, long min, long max) {
	char *end;
	errno = 0;
	long value = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || value < min || value > max) {
		fprintf(stderr, "invalid number: %s\n", arg);
		usage(stderr);
		exit(EXIT_USAGE);
	}
	return value;
}

static void parse_options(int argc, char *argv[], struct options *opt,
		struct state *st) {
	static const struct option long_opts[] = {
		{"stride", required_argument, NULL, 'S'},
		{"raw", no_argument, NULL, 'R'},
		{"loop", required_argument, NULL, 'L'},
		{"timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "o:t:a:lf:ch", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o': opt->output_name = optarg; break;
		case 't': opt->toplevel_id = optarg; break;
		case 'a': opt->app_id = optarg; break;
		case 'l': opt->list = true; break;
		case 'c': opt->cursors = true; break;
		case 'R': opt->raw = true; break;
		case 'S': opt->stride = (uint32_t)parse_number(optarg, 1, INT32_MAX); break;
		case 'L': opt->loop = (int)parse_number(optarg, 1, 1000000); break;
		case 'T': st->timeout_ms = (int)parse_number(optarg, 1, INT32_MAX / 2); break;
		case 'f':
			opt->format = -1;
			for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
				if (strcmp(optarg, formats[i].name) == 0) {
					opt->format = (int)i;
				}
			}
			if (opt->format < 0) {
				fprintf(stderr, "unknown format: %s\n", optarg);
				exit(EXIT_USAGE);
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (optind + 1 < argc) {
		usage(stderr);
		exit(EXIT_USAGE);
	}
	opt->path = optind < argc ? argv[optind] : NULL;
}

/* Captures opt->loop frames alternating between two buffers; returns the one
 * holding the last frame. */
static struct buffer *run_captures(struct state *st, const struct options *opt,
		struct buffer bufs[2], uint32_t *transform) {
	int n = opt->loop > 0 ? opt->loop : 1;
	double *latencies = calloc(n, sizeof(double));
	if (latencies == NULL) {
		perror("calloc");
		exit(EXIT_ERROR);
	}
	bool stdout_busy = opt->path != NULL && strcmp(opt->path, "-") == 0;
	FILE *report = stdout_busy ? stderr : stdout;
	unsigned allocated = 0;
	struct buffer *buf = NULL;
	double start = now_ms();
	for (int i = 0; i < n; i++) {
		if (allocated != st->constraints_serial) {
			/* New constraints (first time or mid-loop): start afresh. */
			uint32_t format = choose_format(st, opt->format);
			uint32_t stride = opt->stride ? opt->stride : st->current.width * 4;
			for (int j = 0; j < 2; j++) {
				buffer_init(st, &bufs[j], st->current.width,
					st->current.height, stride, format);
			}
			allocated = st->constraints_serial;
		}
		buf = &bufs[i % 2];
		double latency;
		if (!capture_frame(st, buf, &latency)) {
			i--;
			continue;
		}
		note_damage(st, bufs, 2, buf);
		latencies[i] = latency;
		print_metadata(st, buf);
		if (opt->loop > 0) {
			fprintf(report, "frame %d latency_ms=%.3f ", i, latency);
			print_damage(report, &st->frame);
			fputc('\n', report);
			fflush(report);
		}
	}
	double elapsed = now_ms() - start;
	if (opt->loop > 0) {
		qsort(latencies, n, sizeof(double), compare_double);
		fprintf(report, "frames=%d fps=%.2f latency_p50_ms=%.3f latency_p90_ms=%.3f\n",
			n, elapsed > 0 ? n * 1000.0 / elapsed : 0.0,
			percentile(latencies, n, 50), percentile(latencies, n, 90));
	}
	free(latencies);
	*transform = st->frame.transform;
	return buf;
}

static void cleanup(struct state *st, struct buffer bufs[2]) {
	wl_array_release(&st->frame.damage);
	buffer_finish(&bufs[0]);
	buffer_finish(&bufs[1]);
	struct output *output, *otmp;
	wl_list_for_each_safe(output, otmp, &st->outputs, link) {
		wl_output_destroy(output->wl_output);
		free(output->name);
		free(output);
	}
	struct toplevel *toplevel, *ttmp;
	wl_list_for_each_safe(toplevel, ttmp, &st->toplevels, link) {
		ext_foreign_toplevel_handle_v1_destroy(toplevel->handle);
		free(toplevel->identifier);
		free(toplevel->app_id);
		free(toplevel->title);
		free(toplevel);
	}
	if (st->toplevel_list != NULL) {
		ext_foreign_toplevel_list_v1_destroy(st->toplevel_list);
	}
	if (st->toplevel_sources != NULL) {
		ext_foreign_toplevel_image_capture_source_manager_v1_destroy(st->toplevel_sources);
	}
	if (st->output_sources != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(st->output_sources);
	}
	if (st->copy_manager != NULL) {
		ext_image_copy_capture_manager_v1_destroy(st->copy_manager);
	}
	if (st->shm != NULL) {
		wl_shm_destroy(st->shm);
	}
	wl_display_disconnect(st->display);
}

int main(int argc, char *argv[]) {
	struct state st = {.timeout_ms = 5000};
	struct options opt = {.format = -1};
	parse_options(argc, argv, &opt, &st);
	wl_list_init(&st.outputs);
	wl_list_init(&st.toplevels);
	st.want_toplevels = opt.list || opt.toplevel_id != NULL || opt.app_id != NULL;

	st.display = wl_display_connect(NULL);
	if (st.display == NULL) {
		fprintf(stderr, "cannot connect to the Wayland display\n");
		return EXIT_ERROR;
	}
	struct wl_registry *registry = wl_display_get_registry(st.display);
	wl_registry_add_listener(registry, &registry_listener, &st);
	roundtrip(&st);
	/* The second roundtrip collects output names and toplevel details. */
	roundtrip(&st);

	struct buffer bufs[2] = {0};
	if (opt.list) {
		list(&st);
	} else {
		if (st.shm == NULL || st.copy_manager == NULL) {
			fprintf(stderr, "compositor lacks wl_shm or ext-image-copy-capture-v1\n");
			return EXIT_ERROR;
		}
		struct ext_image_capture_source_v1 *source = create_source(&st, &opt);
		st.session = ext_image_copy_capture_manager_v1_create_session(
			st.copy_manager, source, opt.cursors ?
			EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS : 0);
		ext_image_copy_capture_session_v1_add_listener(st.session,
			&session_listener, &st);
		wait_for_constraints(&st);

		uint32_t transform;
		struct buffer *buf = run_captures(&st, &opt, bufs, &transform);
		if (opt.path != NULL) {
			write_output(opt.path, buf, transform, opt.raw);
		}
		ext_image_copy_capture_session_v1_destroy(st.session);
		ext_image_capture_source_v1_destroy(source);
	}

	wl_registry_destroy(registry);
	cleanup(&st, bufs);
	return 0;
}
