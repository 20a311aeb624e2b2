/*
 * ph-misbehave: provokes each protocol error and failure of
 * ext-image-copy-capture-v1 on the first wl_output and checks that the
 * compositor answers exactly as the protocol says.
 *
 * Usage: ph-misbehave CASE. Prints one line; exits 0 if the compositor
 * behaved as expected, 1 if not, 2 on usage errors and 77 if the case
 * cannot be run against this compositor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"

#define MAX_FORMATS 256
/* The first capture of a session has no reason to wait for new content. */
#define FRAME_TIMEOUT_MS 5000
#define EXIT_SKIP 77

static struct client client = {.program = "ph-misbehave"};

struct ctx {
	const char *case_name;
	/* client's, for short */
	struct wl_display *display;
	struct wl_shm *shm;
	struct wl_output *output; /* the first */
	struct wl_seat *seat;
	struct ext_output_image_capture_source_manager_v1 *source_manager;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct wl_list sessions, frames, buffers;
	char why[256]; /* why the last helper returning false/NULL failed */
};

struct session {
	struct wl_list link;
	struct ext_image_capture_source_v1 *source;
	struct ext_image_copy_capture_session_v1 *session;
	uint32_t width, height;
	int n_buffer_size, n_done;
	bool size_before_done;
	bool done, stopped;
	uint32_t formats[MAX_FORMATS];
	size_t n_formats;
};

struct frame {
	struct wl_list link;
	struct ext_image_copy_capture_frame_v1 *frame;
	uint32_t width, height; /* to check damage against */
	bool finished, ready, failed;
	uint32_t reason;
	bool got_transform, got_presentation_time;
	int64_t damage_area;
	char problem[160]; /* first protocol violation seen in the events */
};

struct buffer {
	struct wl_list link;
	struct wl_buffer *wl_buffer;
};

static int result(struct ctx *ctx, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints the case's single line; returns its exit status. */
static int result(struct ctx *ctx, bool pass, const char *fmt, ...) {
	printf("%s %s: ", pass ? "PASS" : "FAIL", ctx->case_name);
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
	return pass ? 0 : 1;
}

static bool why(struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records why a helper gave up; returns false for `return why(...)`. */
static bool why(struct ctx *ctx, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vsnprintf(ctx->why, sizeof(ctx->why), fmt, args);
	va_end(args);
	return false;
}

static int fail_why(struct ctx *ctx) {
	return result(ctx, false, "%s", ctx->why);
}

static const char *format_name(uint32_t format, char buf[static 16]) {
	if (format == WL_SHM_FORMAT_ARGB8888) {
		return "ARGB8888";
	} else if (format == WL_SHM_FORMAT_XRGB8888) {
		return "XRGB8888";
	}
	/* Every other wl_shm format is a DRM fourcc. */
	snprintf(buf, 16, "%c%c%c%c", (char)(format & 0xFF),
		(char)((format >> 8) & 0xFF), (char)((format >> 16) & 0xFF),
		(char)(format >> 24));
	return buf;
}

/* Bytes per pixel of the packed formats we can allocate; 0 if unknown. */
static int format_bpp(uint32_t format) {
	static const struct {
		uint32_t format;
		int bpp;
	} formats[] = {
		{ WL_SHM_FORMAT_C8, 1 }, { WL_SHM_FORMAT_R8, 1 },
		{ WL_SHM_FORMAT_RGB332, 1 }, { WL_SHM_FORMAT_BGR233, 1 },
		{ WL_SHM_FORMAT_RGB565, 2 }, { WL_SHM_FORMAT_BGR565, 2 },
		{ WL_SHM_FORMAT_XRGB4444, 2 }, { WL_SHM_FORMAT_XBGR4444, 2 },
		{ WL_SHM_FORMAT_RGBX4444, 2 }, { WL_SHM_FORMAT_BGRX4444, 2 },
		{ WL_SHM_FORMAT_ARGB4444, 2 }, { WL_SHM_FORMAT_ABGR4444, 2 },
		{ WL_SHM_FORMAT_RGBA4444, 2 }, { WL_SHM_FORMAT_BGRA4444, 2 },
		{ WL_SHM_FORMAT_XRGB1555, 2 }, { WL_SHM_FORMAT_XBGR1555, 2 },
		{ WL_SHM_FORMAT_RGBX5551, 2 }, { WL_SHM_FORMAT_BGRX5551, 2 },
		{ WL_SHM_FORMAT_ARGB1555, 2 }, { WL_SHM_FORMAT_ABGR1555, 2 },
		{ WL_SHM_FORMAT_RGBA5551, 2 }, { WL_SHM_FORMAT_BGRA5551, 2 },
		{ WL_SHM_FORMAT_R16, 2 }, { WL_SHM_FORMAT_RG88, 2 },
		{ WL_SHM_FORMAT_GR88, 2 },
		{ WL_SHM_FORMAT_RGB888, 3 }, { WL_SHM_FORMAT_BGR888, 3 },
		{ WL_SHM_FORMAT_ARGB8888, 4 }, { WL_SHM_FORMAT_XRGB8888, 4 },
		{ WL_SHM_FORMAT_ABGR8888, 4 }, { WL_SHM_FORMAT_XBGR8888, 4 },
		{ WL_SHM_FORMAT_RGBA8888, 4 }, { WL_SHM_FORMAT_RGBX8888, 4 },
		{ WL_SHM_FORMAT_BGRA8888, 4 }, { WL_SHM_FORMAT_BGRX8888, 4 },
		{ WL_SHM_FORMAT_XRGB2101010, 4 }, { WL_SHM_FORMAT_XBGR2101010, 4 },
		{ WL_SHM_FORMAT_RGBX1010102, 4 }, { WL_SHM_FORMAT_BGRX1010102, 4 },
		{ WL_SHM_FORMAT_ARGB2101010, 4 }, { WL_SHM_FORMAT_ABGR2101010, 4 },
		{ WL_SHM_FORMAT_RGBA1010102, 4 }, { WL_SHM_FORMAT_BGRA1010102, 4 },
		{ WL_SHM_FORMAT_RG1616, 4 }, { WL_SHM_FORMAT_GR1616, 4 },
		{ WL_SHM_FORMAT_XRGB16161616F, 8 }, { WL_SHM_FORMAT_XBGR16161616F, 8 },
		{ WL_SHM_FORMAT_ARGB16161616F, 8 }, { WL_SHM_FORMAT_ABGR16161616F, 8 },
		{ WL_SHM_FORMAT_XRGB16161616, 8 }, { WL_SHM_FORMAT_XBGR16161616, 8 },
		{ WL_SHM_FORMAT_ARGB16161616, 8 }, { WL_SHM_FORMAT_ABGR16161616, 8 },
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].format == format) {
			return formats[i].bpp;
		}
	}
	return 0;
}

static bool has_format(const uint32_t *formats, size_t n, uint32_t format) {
	for (size_t i = 0; i < n; i++) {
		if (formats[i] == format) {
			return true;
		}
	}
	return false;
}

static void add_format(uint32_t *formats, size_t *n, uint32_t format) {
	if (*n < MAX_FORMATS && !has_format(formats, *n, format)) {
		formats[(*n)++] = format;
	}
}

/* Why the connection is dead, for the result line. */
static const char *describe_error(struct ctx *ctx) {
	static char buf[256];
	int err = wl_display_get_error(ctx->display);
	if (err == EPROTO) {
		const struct wl_interface *interface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(ctx->display,
			&interface, &id);
		snprintf(buf, sizeof(buf), "protocol error %s#%u code %u",
			interface != NULL ? interface->name : "?", id, code);
	} else {
		snprintf(buf, sizeof(buf), "connection lost (%s)",
			strerror(err != 0 ? err : EPIPE));
	}
	return buf;
}

static int64_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Dispatches until *flag is set (flag may be NULL to just wait).
 * Returns 1 once set, 0 on timeout, -1 when the connection died.
 */
static int dispatch_until(struct ctx *ctx, const bool *flag, int timeout_ms) {
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = wl_display_get_fd(ctx->display) };
	while (true) {
		if (wl_display_dispatch_pending(ctx->display) < 0) {
			return -1;
		}
		if (flag != NULL && *flag) {
			return 1;
		}
		if (wl_display_prepare_read(ctx->display) != 0) {
			continue;
		}
		int flushed = wl_display_flush(ctx->display);
		if (flushed < 0 && errno != EAGAIN) {
			wl_display_cancel_read(ctx->display);
			return -1;
		}
		int64_t remaining = deadline - now_ms();
		if (remaining <= 0) {
			wl_display_cancel_read(ctx->display);
			return 0;
		}
		pfd.events = POLLIN | (flushed < 0 ? POLLOUT : 0);
		int ret = poll(&pfd, 1, (int)remaining);
		if (ret > 0) {
			if (wl_display_read_events(ctx->display) < 0) {
				return -1;
			}
		} else {
			wl_display_cancel_read(ctx->display);
			if (ret < 0 && errno != EINTR) {
				return -1;
			}
		}
	}
}

static void session_handle_buffer_size(void *data,
		struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct session *s = data;
	s->width = width;
	s->height = height;
	s->n_buffer_size++;
	if (s->n_done == 0) {
		s->size_before_done = true;
	}
}

static void session_handle_shm_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format) {
	struct session *s = data;
	add_format(s->formats, &s->n_formats, format);
}

static void session_handle_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session,
		struct wl_array *device) {
	/* We only use wl_shm. */
}

static void session_handle_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
	/* We only use wl_shm. */
}

static void session_handle_done(void *data,
		struct ext_image_copy_capture_session_v1 *session) {
	struct session *s = data;
	s->n_done++;
	s->done = true;
}

static void session_handle_stopped(void *data,
		struct ext_image_copy_capture_session_v1 *session) {
	struct session *s = data;
	s->stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	.buffer_size = session_handle_buffer_size,
	.shm_format = session_handle_shm_format,
	.dmabuf_device = session_handle_dmabuf_device,
	.dmabuf_format = session_handle_dmabuf_format,
	.done = session_handle_done,
	.stopped = session_handle_stopped,
};

/* Creates the source and the session; the constraints arrive later. */
static struct session *session_new(struct ctx *ctx, uint32_t options) {
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		abort();
	}
	s->source = ext_output_image_capture_source_manager_v1_create_source(
		ctx->source_manager, ctx->output);
	s->session = ext_image_copy_capture_manager_v1_create_session(
		ctx->copy_manager, s->source, options);
	ext_image_copy_capture_session_v1_add_listener(s->session,
		&session_listener, s);
	wl_list_insert(&ctx->sessions, &s->link);
	return s;
}

static void session_destroy_source(struct session *s) {
	if (s->source != NULL) {
		ext_image_capture_source_v1_destroy(s->source);
		s->source = NULL;
	}
}

static void session_destroy(struct session *s) {
	session_destroy_source(s);
	if (s->session != NULL) {
		ext_image_copy_capture_session_v1_destroy(s->session);
	}
	wl_list_remove(&s->link);
	free(s);
}

/* A session with its constraints, or NULL with ctx->why set. */
static struct session *open_session(struct ctx *ctx) {
	struct session *s = session_new(ctx, 0);
	int ret = dispatch_until(ctx, &s->done, FRAME_TIMEOUT_MS);
	if (ret < 0) {
		why(ctx, "while waiting for constraints: %s", describe_error(ctx));
	} else if (ret == 0) {
		why(ctx, "no session constraints (done) within %d ms",
			FRAME_TIMEOUT_MS);
	} else if (s->n_buffer_size == 0 || s->width == 0 || s->height == 0) {
		why(ctx, "constraints lack a valid buffer_size");
	} else if (s->n_formats == 0) {
		why(ctx, "constraints lack shm_format");
	} else {
		return s;
	}
	return NULL;
}

static void set_problem(struct frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_problem(struct frame *f, const char *fmt, ...) {
	if (f->problem[0] != '\0') {
		return; /* the first one explains best */
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(f->problem, sizeof(f->problem), fmt, args);
	va_end(args);
}

static void frame_handle_transform(void *data,
		struct ext_image_copy_capture_frame_v1 *frame, uint32_t transform) {
	struct frame *f = data;
	f->got_transform = true;
	if (transform > WL_OUTPUT_TRANSFORM_FLIPPED_270) {
		set_problem(f, "invalid transform %u", transform);
	}
}

static void frame_handle_damage(void *data,
		struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct frame *f = data;
	if (x < 0 || y < 0 || width <= 0 || height <= 0 ||
			(int64_t)x + width > f->width ||
			(int64_t)y + height > f->height) {
		set_problem(f, "damage %d,%d %dx%d is empty or outside the "
			"%ux%u buffer", x, y, width, height, f->width, f->height);
	}
	f->damage_area += (int64_t)width * height;
}

static void frame_handle_presentation_time(void *data,
		struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec) {
	struct frame *f = data;
	f->got_presentation_time = true;
	if (tv_nsec > 999999999) {
		set_problem(f, "presentation_time tv_nsec %u out of range", tv_nsec);
	}
}

static void frame_handle_ready(void *data,
		struct ext_image_copy_capture_frame_v1 *frame) {
	struct frame *f = data;
	f->finished = f->ready = true;
	if (!f->got_transform || !f->got_presentation_time) {
		set_problem(f, "ready without %s", !f->got_transform ?
			"transform" : "presentation_time");
	}
	/*
	 * Every frame here is the first of its session, which must carry full
	 * damage; the damage sum can't reach the buffer area otherwise.
	 */
	if (f->damage_area < (int64_t)f->width * f->height) {
		set_problem(f, "first frame of the session lacks full damage");
	}
}

static void frame_handle_failed(void *data,
		struct ext_image_copy_capture_frame_v1 *frame, uint32_t reason) {
	struct frame *f = data;
	f->finished = f->failed = true;
	f->reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_handle_transform,
	.damage = frame_handle_damage,
	.presentation_time = frame_handle_presentation_time,
	.ready = frame_handle_ready,
	.failed = frame_handle_failed,
};

static struct frame *frame_new(struct ctx *ctx, struct session *s) {
	struct frame *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		abort();
	}
	f->width = s->width;
	f->height = s->height;
	f->frame = ext_image_copy_capture_session_v1_create_frame(s->session);
	ext_image_copy_capture_frame_v1_add_listener(f->frame, &frame_listener, f);
	wl_list_insert(&ctx->frames, &f->link);
	return f;
}

static void frame_destroy(struct frame *f) {
	ext_image_copy_capture_frame_v1_destroy(f->frame);
	wl_list_remove(&f->link);
	free(f);
}

static const char *reason_name(uint32_t reason) {
	switch (reason) {
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN:
		return "unknown";
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS:
		return "buffer_constraints";
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED:
		return "stopped";
	default:
		return "invalid reason";
	}
}

/* What the frame got, e.g. "ready" or "failed(stopped)". */
static const char *frame_outcome(const struct frame *f) {
	static char buf[64];
	if (f->ready) {
		return "ready";
	} else if (f->failed) {
		snprintf(buf, sizeof(buf), "failed(%s)", reason_name(f->reason));
		return buf;
	}
	return "no answer";
}

/* The compositor writes into it, we never read it: no need to map it. */
static struct wl_buffer *buffer_new(struct ctx *ctx, int width, int height,
		int stride, uint32_t format) {
	size_t size = (size_t)stride * height;
	int fd = client_memfd(&client, NULL, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(ctx->shm, fd, size);
	struct buffer *buffer = calloc(1, sizeof(*buffer));
	if (buffer == NULL) {
		abort();
	}
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, width, height,
		stride, format);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_list_insert(&ctx->buffers, &buffer->link);
	return buffer->wl_buffer;
}

static void buffer_destroy(struct ctx *ctx, struct wl_buffer *wl_buffer) {
	struct buffer *buffer;
	wl_list_for_each(buffer, &ctx->buffers, link) {
		if (buffer->wl_buffer == wl_buffer) {
			wl_buffer_destroy(wl_buffer);
			wl_list_remove(&buffer->link);
			free(buffer);
			return;
		}
	}
}

/* A buffer matching the constraints: first format, stride width * bpp. */
static struct wl_buffer *valid_buffer(struct ctx *ctx, struct session *s) {
	uint32_t format = s->formats[0];
	int bpp = format_bpp(format) > 0 ? format_bpp(format) : 4;
	return buffer_new(ctx, s->width, s->height, s->width * bpp, format);
}

static void capture_full(struct frame *f, struct wl_buffer *buffer) {
	ext_image_copy_capture_frame_v1_attach_buffer(f->frame, buffer);
	ext_image_copy_capture_frame_v1_damage_buffer(f->frame, 0, 0,
		f->width, f->height);
	ext_image_copy_capture_frame_v1_capture(f->frame);
}

/* Waits for ready or failed; false with ctx->why set if neither came. */
static bool wait_frame(struct ctx *ctx, struct frame *f) {
	int ret = dispatch_until(ctx, &f->finished, FRAME_TIMEOUT_MS);
	if (ret < 0) {
		return why(ctx, "while waiting for the frame: %s",
			describe_error(ctx));
	} else if (ret == 0) {
		return why(ctx, "no ready/failed within %d ms", FRAME_TIMEOUT_MS);
	}
	return true;
}

/* The final check of every case that must not break the connection. */
static bool connection_alive(struct ctx *ctx) {
	if (wl_display_roundtrip(ctx->display) >= 0) {
		return true;
	}
	return why(ctx, "connection broken: %s", describe_error(ctx));
}

static int expect_error(struct ctx *ctx, const struct wl_interface *interface,
		uint32_t code) {
	if (wl_display_roundtrip(ctx->display) >= 0) {
		return result(ctx, false, "no protocol error, expected %s code %u",
			interface->name, code);
	}
	const struct wl_interface *got = NULL;
	uint32_t id = 0;
	uint32_t got_code = 0;
	if (wl_display_get_error(ctx->display) == EPROTO) {
		got_code = wl_display_get_protocol_error(ctx->display, &got, &id);
	}
	bool pass = got != NULL && strcmp(got->name, interface->name) == 0 &&
		got_code == code;
	return result(ctx, pass, "%s, expected %s code %u",
		describe_error(ctx), interface->name, code);
}

static int expect_frame_error(struct ctx *ctx, uint32_t code) {
	return expect_error(ctx, &ext_image_copy_capture_frame_v1_interface, code);
}

/* A session and a frame, as most cases start. */
#define OPEN_FRAME(ctx, s, f) \
	struct session *s = open_session(ctx); \
	if (s == NULL) { \
		return fail_why(ctx); \
	} \
	struct frame *f = frame_new(ctx, s)

static int case_no_buffer(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	ext_image_copy_capture_frame_v1_capture(f->frame);
	return expect_frame_error(ctx,
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER);
}

static int damage_error(struct ctx *ctx, int x, int y, int w, int h) {
	OPEN_FRAME(ctx, s, f);
	ext_image_copy_capture_frame_v1_attach_buffer(f->frame,
		valid_buffer(ctx, s));
	ext_image_copy_capture_frame_v1_damage_buffer(f->frame, x, y, w, h);
	return expect_frame_error(ctx,
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER_DAMAGE);
}

static int case_damage_negative(struct ctx *ctx) {
	return damage_error(ctx, -1, 0, 10, 10);
}

static int case_damage_zero(struct ctx *ctx) {
	return damage_error(ctx, 0, 0, 0, 10);
}

enum after_capture {
	AFTER_ATTACH,
	AFTER_DAMAGE,
	AFTER_CAPTURE,
};

/* The second request goes out with the capture, before any ready. */
static int after_capture_error(struct ctx *ctx, enum after_capture what) {
	OPEN_FRAME(ctx, s, f);
	struct wl_buffer *buffer = valid_buffer(ctx, s);
	capture_full(f, buffer);
	switch (what) {
	case AFTER_ATTACH:
		ext_image_copy_capture_frame_v1_attach_buffer(f->frame, buffer);
		break;
	case AFTER_DAMAGE:
		ext_image_copy_capture_frame_v1_damage_buffer(f->frame, 0, 0, 1, 1);
		break;
	case AFTER_CAPTURE:
		ext_image_copy_capture_frame_v1_capture(f->frame);
		break;
	}
	return expect_frame_error(ctx,
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED);
}

static int case_attach_after_capture(struct ctx *ctx) {
	return after_capture_error(ctx, AFTER_ATTACH);
}

static int case_damage_after_capture(struct ctx *ctx) {
	return after_capture_error(ctx, AFTER_DAMAGE);
}

static int case_capture_twice(struct ctx *ctx) {
	return after_capture_error(ctx, AFTER_CAPTURE);
}

static int case_duplicate_frame(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	(void)f;
	frame_new(ctx, s);
	return expect_error(ctx, &ext_image_copy_capture_session_v1_interface,
		EXT_IMAGE_COPY_CAPTURE_SESSION_V1_ERROR_DUPLICATE_FRAME);
}

static int case_invalid_option(struct ctx *ctx) {
	session_new(ctx, 2);
	return expect_error(ctx, &ext_image_copy_capture_manager_v1_interface,
		EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION);
}

/* Expects ready with well-formed metadata and a connection still alive. */
static int expect_ready(struct ctx *ctx, struct frame *f, const char *what) {
	if (!wait_frame(ctx, f)) {
		return fail_why(ctx);
	}
	if (!f->ready) {
		return result(ctx, false, "%s: got %s, expected ready", what,
			frame_outcome(f));
	}
	if (f->problem[0] != '\0') {
		return result(ctx, false, "%s: ready, but %s", what, f->problem);
	}
	if (!connection_alive(ctx)) {
		return fail_why(ctx);
	}
	return result(ctx, true, "%s: ready", what);
}

static int case_huge_damage(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	ext_image_copy_capture_frame_v1_damage_buffer(f->frame, 0, 0,
		INT32_MAX, INT32_MAX);
	ext_image_copy_capture_frame_v1_attach_buffer(f->frame,
		valid_buffer(ctx, s));
	ext_image_copy_capture_frame_v1_capture(f->frame);
	return expect_ready(ctx, f, "damage INT32_MAX x INT32_MAX");
}

/* Too small a stride can't be tested: wl_shm itself rejects it. */
static int case_large_stride(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	uint32_t format = s->formats[0];
	int bpp = format_bpp(format);
	if (bpp == 0) {
		return result(ctx, false, "first format has unknown bpp");
	}
	/* 16 extra pixels: 64 bytes for 32-bit formats, and a multiple of bpp. */
	char what[64];
	snprintf(what, sizeof(what), "stride %d for width %u",
		(int)(s->width + 16) * bpp, s->width);
	capture_full(f, buffer_new(ctx, s->width, s->height,
		(s->width + 16) * bpp, format));
	return expect_ready(ctx, f, what);
}

/* Expects failed(buffer_constraints) and a connection still alive. */
static int expect_constraints_failure(struct ctx *ctx, struct frame *f,
		const char *what) {
	if (!wait_frame(ctx, f)) {
		return fail_why(ctx);
	}
	if (!f->failed || f->reason !=
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS) {
		return result(ctx, false, "%s: got %s, expected "
			"failed(buffer_constraints)", what, frame_outcome(f));
	}
	if (!connection_alive(ctx)) {
		return fail_why(ctx);
	}
	return result(ctx, true, "%s: failed(buffer_constraints)", what);
}

static int case_wrong_size(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	uint32_t format = s->formats[0];
	int bpp = format_bpp(format) > 0 ? format_bpp(format) : 4;
	capture_full(f, buffer_new(ctx, s->width - 1, s->height,
		(s->width - 1) * bpp, format));
	return expect_constraints_failure(ctx, f, "buffer 1 pixel narrower");
}

static int case_wrong_format(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	/* Only wl_shm's own formats, or wl_shm itself would raise an error. */
	for (int i = 0; i < client.shm_format_count; i++) {
		uint32_t format = client.shm_formats[i];
		int bpp = format_bpp(format);
		if (bpp == 0 || has_format(s->formats, s->n_formats, format)) {
			continue;
		}
		char name[16], what[64];
		snprintf(what, sizeof(what), "unadvertised format %s",
			format_name(format, name));
		capture_full(f, buffer_new(ctx, s->width, s->height,
			s->width * bpp, format));
		return expect_constraints_failure(ctx, f, what);
	}
	printf("SKIP %s: every wl_shm format we can allocate is advertised by "
		"the session\n", ctx->case_name);
	return EXIT_SKIP;
}

static int case_ok_all_formats(struct ctx *ctx) {
	struct session *first = open_session(ctx);
	if (first == NULL) {
		return fail_why(ctx);
	}
	char list[512] = "";
	for (size_t i = 0; i < first->n_formats; i++) {
		uint32_t format = first->formats[i];
		char name[16];
		const char *shown = format_name(format, name);
		int bpp = format_bpp(format);
		if (bpp == 0) {
			return result(ctx, false, "format %s: unknown bpp", shown);
		} else if (!has_format(client.shm_formats, (size_t)client.shm_format_count, format)) {
			return result(ctx, false, "format %s is not a wl_shm format",
				shown);
		}
		/* A fresh session: later captures of one may wait for damage. */
		struct session *s = open_session(ctx);
		if (s == NULL) {
			return fail_why(ctx);
		}
		struct frame *f = frame_new(ctx, s);
		capture_full(f, buffer_new(ctx, s->width, s->height,
			s->width * bpp, format));
		if (!wait_frame(ctx, f)) {
			return fail_why(ctx);
		} else if (!f->ready || f->problem[0] != '\0') {
			return result(ctx, false, "format %s: %s%s%s", shown,
				frame_outcome(f), f->problem[0] ? ", " : "", f->problem);
		}
		frame_destroy(f);
		session_destroy(s);
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", len ? " " : "", shown);
	}
	if (!connection_alive(ctx)) {
		return fail_why(ctx);
	}
	return result(ctx, true, "ready for %s", list);
}

static int case_constraints_once(struct ctx *ctx) {
	struct session *s = session_new(ctx, 0);
	if (wl_display_roundtrip(ctx->display) < 0) {
		return result(ctx, false, "%s", describe_error(ctx));
	}
	bool pass = s->n_buffer_size == 1 && s->size_before_done &&
		s->width > 0 && s->height > 0 && s->n_formats > 0 && s->n_done == 1;
	return result(ctx, pass, "one roundtrip gave %d buffer_size (%ux%u), "
		"%zu shm_format, %d done", s->n_buffer_size, s->width, s->height,
		s->n_formats, s->n_done);
}

/* (a) the source goes first; the session may stop but nothing may break. */
static bool destroy_source_first(struct ctx *ctx, char *out, size_t size) {
	struct session *s = open_session(ctx);
	if (s == NULL) {
		return false;
	}
	session_destroy_source(s);
	struct frame *f = frame_new(ctx, s);
	capture_full(f, valid_buffer(ctx, s));
	if (!wait_frame(ctx, f)) {
		return false;
	}
	snprintf(out, size, "(a) %s", frame_outcome(f));
	bool ok = f->ready || f->reason ==
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
	frame_destroy(f);
	session_destroy(s);
	return ok || why(ctx, "expected ready or failed(stopped)");
}

/* (b) the session goes while its frame is pending, then the frame. */
static bool destroy_session_first(struct ctx *ctx, char *out, size_t size) {
	struct session *s = open_session(ctx);
	if (s == NULL) {
		return false;
	}
	struct frame *f = frame_new(ctx, s);
	capture_full(f, valid_buffer(ctx, s));
	session_destroy(s);
	if (!connection_alive(ctx)) {
		return false;
	}
	snprintf(out, size, " (b) %s", frame_outcome(f));
	frame_destroy(f);
	return true;
}

/* (c) the buffer goes while the capture is pending. */
static bool destroy_buffer_first(struct ctx *ctx, char *out, size_t size) {
	struct session *s = open_session(ctx);
	if (s == NULL) {
		return false;
	}
	struct frame *f = frame_new(ctx, s);
	struct wl_buffer *buffer = valid_buffer(ctx, s);
	capture_full(f, buffer);
	buffer_destroy(ctx, buffer);
	if (dispatch_until(ctx, NULL, 200) < 0) {
		return why(ctx, "%s", describe_error(ctx));
	}
	if (!connection_alive(ctx)) {
		return false;
	}
	snprintf(out, size, " (c) %s", frame_outcome(f));
	frame_destroy(f);
	session_destroy(s);
	return true;
}

/* (d) the manager goes; its sessions must keep working. */
static bool destroy_manager_first(struct ctx *ctx, char *out, size_t size) {
	struct session *s = open_session(ctx);
	if (s == NULL) {
		return false;
	}
	ext_image_copy_capture_manager_v1_destroy(ctx->copy_manager);
	ctx->copy_manager = NULL;
	struct frame *f = frame_new(ctx, s);
	capture_full(f, valid_buffer(ctx, s));
	if (!wait_frame(ctx, f)) {
		return false;
	}
	snprintf(out, size, " (d) %s", frame_outcome(f));
	bool ok = f->ready || f->reason ==
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
	frame_destroy(f);
	session_destroy(s);
	return ok || why(ctx, "expected ready or failed(stopped)");
}

static int case_destroy_orders(struct ctx *ctx) {
	bool (*steps[])(struct ctx *, char *, size_t) = {
		destroy_source_first,
		destroy_session_first,
		destroy_buffer_first,
		destroy_manager_first,
	};
	char summary[256] = "";
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t len = strlen(summary);
		if (!steps[i](ctx, summary + len, sizeof(summary) - len)) {
			return result(ctx, false, "%s; step (%c): %s", summary,
				(char)('a' + i), ctx->why);
		}
	}
	if (!connection_alive(ctx)) {
		return fail_why(ctx);
	}
	return result(ctx, true, "%s; connection alive", summary);
}


/* The other invalid damage_buffer shapes: y, width and height. */
static int case_damage_negative_y(struct ctx *ctx) {
	return damage_error(ctx, 0, -1, 10, 10);
}

static int case_damage_negative_width(struct ctx *ctx) {
	return damage_error(ctx, 0, 0, -5, 10);
}

static int case_damage_zero_height(struct ctx *ctx) {
	return damage_error(ctx, 0, 0, 10, 0);
}

static int case_invalid_option_high(struct ctx *ctx) {
	session_new(ctx, 0x80000001u);
	return expect_error(ctx, &ext_image_copy_capture_manager_v1_interface,
		EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION);
}

/* "Must not be sent after capture" holds after ready too. */
static int case_attach_after_ready(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	struct wl_buffer *buffer = valid_buffer(ctx, s);
	capture_full(f, buffer);
	if (!wait_frame(ctx, f)) {
		return fail_why(ctx);
	} else if (!f->ready) {
		return result(ctx, false, "got %s, expected ready first", frame_outcome(f));
	}
	ext_image_copy_capture_frame_v1_attach_buffer(f->frame, buffer);
	return expect_frame_error(ctx,
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED);
}

/* ... and after failed. */
static int case_capture_after_failed(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	uint32_t format = s->formats[0];
	capture_full(f, buffer_new(ctx, s->width + 1, s->height, (s->width + 1) * 4, format));
	if (!wait_frame(ctx, f)) {
		return fail_why(ctx);
	} else if (!f->failed) {
		return result(ctx, false, "got %s, expected failed first", frame_outcome(f));
	}
	ext_image_copy_capture_frame_v1_capture(f->frame);
	return expect_frame_error(ctx,
		EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED);
}

static int case_cursor_duplicate_session(struct ctx *ctx) {
	if (ctx->seat == NULL) {
		return result(ctx, false, "compositor lacks wl_seat");
	}
	struct wl_pointer *pointer = wl_seat_get_pointer(ctx->seat);
	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(ctx->source_manager,
			ctx->output);
	struct ext_image_copy_capture_cursor_session_v1 *cursor =
		ext_image_copy_capture_manager_v1_create_pointer_cursor_session(ctx->copy_manager,
			source, pointer);
	struct ext_image_copy_capture_session_v1 *first =
		ext_image_copy_capture_cursor_session_v1_get_capture_session(cursor);
	struct ext_image_copy_capture_session_v1 *second =
		ext_image_copy_capture_cursor_session_v1_get_capture_session(cursor);
	int ret = expect_error(ctx, &ext_image_copy_capture_cursor_session_v1_interface,
		EXT_IMAGE_COPY_CAPTURE_CURSOR_SESSION_V1_ERROR_DUPLICATE_SESSION);
	ext_image_copy_capture_session_v1_destroy(second);
	ext_image_copy_capture_session_v1_destroy(first);
	ext_image_copy_capture_cursor_session_v1_destroy(cursor);
	ext_image_capture_source_v1_destroy(source);
	wl_pointer_destroy(pointer);
	return ret;
}

/*
 * The attached buffer is destroyed, and a new buffer may reuse its object
 * id: the frame has no buffer any more (it never saw the new one), so
 * capture is the no_buffer error, not a copy into whatever the id names now.
 */
static int case_attach_destroyed_buffer(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	struct wl_buffer *old = valid_buffer(ctx, s);
	ext_image_copy_capture_frame_v1_attach_buffer(f->frame, old);
	uint32_t old_id = wl_proxy_get_id((struct wl_proxy *)old);
	buffer_destroy(ctx, old);
	/* After the server's delete_id the client hands the id out again. */
	if (wl_display_roundtrip(ctx->display) < 0) {
		return fail_why(ctx);
	}
	struct wl_buffer *reused = valid_buffer(ctx, s);
	uint32_t new_id = wl_proxy_get_id((struct wl_proxy *)reused);
	ext_image_copy_capture_frame_v1_capture(f->frame);
	int ret = expect_frame_error(ctx, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER);
	printf("# buffer id %u destroyed, new buffer got id %u\n", old_id, new_id);
	return ret;
}

/* A frame outlives its destroyed session: capturing on it fails with stopped. */
static int case_frame_outlives_session(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	struct wl_buffer *buffer = valid_buffer(ctx, s);
	ext_image_copy_capture_session_v1_destroy(s->session);
	s->session = NULL;
	capture_full(f, buffer);
	if (!wait_frame(ctx, f)) {
		return fail_why(ctx);
	}
	bool pass = f->failed && f->reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
	if (!connection_alive(ctx)) {
		return fail_why(ctx);
	}
	return result(ctx, pass, "capture after its session was destroyed: %s", frame_outcome(f));
}

/* A destroyed pending frame frees the session for a new one, which works. */
static int case_new_frame_after_destroy(struct ctx *ctx) {
	OPEN_FRAME(ctx, s, f);
	/* Attached but never captured, then destroyed. */
	ext_image_copy_capture_frame_v1_attach_buffer(f->frame, valid_buffer(ctx, s));
	frame_destroy(f);
	struct frame *g = frame_new(ctx, s);
	capture_full(g, valid_buffer(ctx, s));
	return expect_ready(ctx, g, "second frame after the first was destroyed");
}

/* Objects made by a destroyed source manager stay valid. */
static int case_source_manager_destroyed(struct ctx *ctx) {
	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(ctx->source_manager,
			ctx->output);
	ext_output_image_capture_source_manager_v1_destroy(ctx->source_manager);
	ctx->source_manager = NULL;
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		abort();
	}
	s->source = source;
	s->session = ext_image_copy_capture_manager_v1_create_session(ctx->copy_manager,
		source, 0);
	ext_image_copy_capture_session_v1_add_listener(s->session, &session_listener, s);
	wl_list_insert(&ctx->sessions, &s->link);
	if (dispatch_until(ctx, &s->done, FRAME_TIMEOUT_MS) != 1) {
		return result(ctx, false, "no constraints: %s", describe_error(ctx));
	}
	struct frame *f = frame_new(ctx, s);
	capture_full(f, valid_buffer(ctx, s));
	return expect_ready(ctx, f, "session on a source whose manager is gone");
}

static const struct {
	const char *name;
	int (*run)(struct ctx *ctx);
} cases[] = {
	{ "no_buffer", case_no_buffer },
	{ "damage_negative", case_damage_negative },
	{ "damage_zero", case_damage_zero },
	{ "attach_after_capture", case_attach_after_capture },
	{ "damage_after_capture", case_damage_after_capture },
	{ "capture_twice", case_capture_twice },
	{ "duplicate_frame", case_duplicate_frame },
	{ "invalid_option", case_invalid_option },
	{ "huge_damage", case_huge_damage },
	{ "wrong_size", case_wrong_size },
	{ "wrong_format", case_wrong_format },
	{ "large_stride", case_large_stride },
	{ "ok_all_formats", case_ok_all_formats },
	{ "constraints_once", case_constraints_once },
	{ "destroy_orders", case_destroy_orders },
	{ "damage_negative_y", case_damage_negative_y },
	{ "damage_negative_width", case_damage_negative_width },
	{ "damage_zero_height", case_damage_zero_height },
	{ "invalid_option_high", case_invalid_option_high },
	{ "attach_after_ready", case_attach_after_ready },
	{ "capture_after_failed", case_capture_after_failed },
	{ "cursor_duplicate_session", case_cursor_duplicate_session },
	{ "attach_destroyed_buffer", case_attach_destroyed_buffer },
	{ "frame_outlives_session", case_frame_outlives_session },
	{ "new_frame_after_destroy", case_new_frame_after_destroy },
	{ "source_manager_destroyed", case_source_manager_destroyed },
};

/* File-scope: bind_global gets no data pointer. */
static struct ext_output_image_capture_source_manager_v1 *source_manager;
static struct ext_image_copy_capture_manager_v1 *copy_manager;

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		source_manager = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	}
}

static const char *missing_global(struct ctx *ctx) {
	if (ctx->shm == NULL) {
		return "wl_shm";
	} else if (ctx->output == NULL) {
		return "wl_output";
	} else if (ctx->source_manager == NULL) {
		return ext_output_image_capture_source_manager_v1_interface.name;
	} else if (ctx->copy_manager == NULL) {
		return ext_image_copy_capture_manager_v1_interface.name;
	}
	return NULL;
}

/* Destroys whatever a case left behind, so that leak checkers stay quiet. */
static void ctx_finish(struct ctx *ctx) {
	struct frame *f, *f_tmp;
	wl_list_for_each_safe(f, f_tmp, &ctx->frames, link) {
		frame_destroy(f);
	}
	struct session *s, *s_tmp;
	wl_list_for_each_safe(s, s_tmp, &ctx->sessions, link) {
		session_destroy(s);
	}
	struct buffer *b, *b_tmp;
	wl_list_for_each_safe(b, b_tmp, &ctx->buffers, link) {
		buffer_destroy(ctx, b->wl_buffer);
	}
	if (ctx->copy_manager != NULL) {
		ext_image_copy_capture_manager_v1_destroy(ctx->copy_manager);
	}
	if (ctx->source_manager != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(ctx->source_manager);
	}
	client_disconnect(&client);
}

static void usage(void) {
	fprintf(stderr, "usage: ph-misbehave CASE\ncases:");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fprintf(stderr, " %s", cases[i].name);
	}
	fprintf(stderr, "\n");
}

int main(int argc, char *argv[]) {
	int (*run)(struct ctx *) = NULL;
	struct ctx ctx = {0};
	for (size_t i = 0; argc == 2 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name) == 0) {
			run = cases[i].run;
			ctx.case_name = cases[i].name;
		}
	}
	if (run == NULL) {
		usage();
		return 2;
	}
	wl_list_init(&ctx.sessions);
	wl_list_init(&ctx.frames);
	wl_list_init(&ctx.buffers);
	client.bind_global = bind_global;
	client_connect(&client);
	ctx.display = client.display;
	ctx.shm = client.shm;
	ctx.output = client.output_count > 0 ? client.outputs[0] : NULL;
	ctx.seat = client.seat;
	ctx.source_manager = source_manager;
	ctx.copy_manager = copy_manager;
	/* The second roundtrip collects the wl_shm formats. */
	int ret;
	if (wl_display_roundtrip(ctx.display) < 0) {
		ret = result(&ctx, false, "setup: %s", describe_error(&ctx));
	} else if (missing_global(&ctx) != NULL) {
		ret = result(&ctx, false, "compositor lacks %s", missing_global(&ctx));
	} else {
		ret = run(&ctx);
	}
	ctx_finish(&ctx);
	return ret;
}
