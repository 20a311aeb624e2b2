#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "rig.h"

static const char *program = "rig";

void rig_set_program(const char *name) {
	program = name;
}

double rig_now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void rig_fail(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	exit(1);
}

double rig_parse_number(const char *arg, double min, double max) {
	char *end;
	errno = 0;
	double value = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(value >= min && value <= max)) {
		fprintf(stderr, "%s: invalid number: %s\n", program, arg);
		exit(2);
	}
	return value;
}

static int compare_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double rig_percentile(double *values, int n, double p) {
	if (n == 0) {
		return NAN;
	}
	qsort(values, n, sizeof(double), compare_double);
	int rank = (int)ceil(p / 100.0 * n);
	return values[(rank < 1 ? 1 : rank > n ? n : rank) - 1];
}

/* The connection */

static void die_display(struct rig *rig) {
	int err = wl_display_get_error(rig->display);
	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(rig->display, &iface, &id);
		rig_fail("protocol error: interface=%s code=%u id=%u",
			iface != NULL ? iface->name : "unknown", code, id);
	}
	rig_fail("connection error: %s", strerror(err));
}

bool rig_dispatch(struct rig *rig, double deadline) {
	if (wl_display_prepare_read(rig->display) != 0) {
		if (wl_display_dispatch_pending(rig->display) < 0) {
			die_display(rig);
		}
		return true;
	}
	if (wl_display_flush(rig->display) < 0 && errno != EAGAIN) {
		wl_display_cancel_read(rig->display);
		die_display(rig);
	}
	struct pollfd pfd = {.fd = wl_display_get_fd(rig->display), .events = POLLIN};
	double left = deadline - rig_now_ms();
	int ret = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
	if (ret <= 0) {
		wl_display_cancel_read(rig->display);
		return ret < 0 && errno == EINTR;
	}
	if (wl_display_read_events(rig->display) < 0 ||
			wl_display_dispatch_pending(rig->display) < 0) {
		die_display(rig);
	}
	return true;
}

void rig_wait_for(struct rig *rig, const bool *flag, double deadline, const char *what) {
	while (!*flag) {
		if (!rig_dispatch(rig, deadline) && rig_now_ms() >= deadline) {
			rig_fail("timeout waiting for %s", what);
		}
	}
}

static void sync_done(void *data, struct wl_callback *callback, uint32_t serial) {
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = {.done = sync_done};

static void roundtrip(struct rig *rig) {
	bool done = false;
	wl_callback_add_listener(wl_display_sync(rig->display), &sync_listener, &done);
	rig_wait_for(rig, &done, rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS, "the compositor");
}

/* Buffers */

static void buffer_release(void *data, struct wl_buffer *wl_buffer) {
	struct rig_buffer *buf = data;
	buf->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void buffer_finish(struct rig_buffer *buf) {
	if (buf->wl_buffer != NULL) {
		wl_buffer_destroy(buf->wl_buffer);
		wl_shm_pool_destroy(buf->pool);
		munmap(buf->data, buf->size);
	}
	*buf = (struct rig_buffer){0};
}

static void buffer_init(struct rig *rig, struct rig_buffer *buf, int width, int height,
		uint32_t format) {
	buffer_finish(buf);
	int stride = width * 4;
	size_t size = (size_t)stride * height;
	int fd = memfd_create(program, MFD_CLOEXEC);
	if (fd < 0 || size == 0 || size > INT32_MAX || ftruncate(fd, (off_t)size) < 0) {
		rig_fail("cannot allocate a shm buffer");
	}
	buf->data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf->data == MAP_FAILED) {
		rig_fail("mmap failed");
	}
	buf->pool = wl_shm_create_pool(rig->shm, fd, (int32_t)size);
	buf->wl_buffer = wl_shm_pool_create_buffer(buf->pool, 0, width, height, stride, format);
	wl_buffer_add_listener(buf->wl_buffer, &buffer_listener, buf);
	close(fd);
	buf->size = size;
	buf->width = width;
	buf->height = height;
	buf->stride = stride;
}

/* Registry and output */

static void output_geometry(void *data, struct wl_output *wl_output, int32_t x, int32_t y,
		int32_t pw, int32_t ph, int32_t subpixel, const char *make, const char *model,
		int32_t transform) {
	struct rig *rig = data;
	rig->output_transform = transform;
}

static void output_mode(void *data, struct wl_output *wl_output, uint32_t flags,
		int32_t width, int32_t height, int32_t refresh) {
	struct rig *rig = data;
	if (flags & WL_OUTPUT_MODE_CURRENT) {
		rig->mode_width = width;
		rig->mode_height = height;
		rig->refresh_mhz = refresh;
	}
}

static void output_done(void *data, struct wl_output *wl_output) {
}

static void output_scale(void *data, struct wl_output *wl_output, int32_t factor) {
	struct rig *rig = data;
	rig->output_scale = factor;
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

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct rig *rig = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0 && version >= 4) {
		rig->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		rig->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		rig->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(rig->wm_base, &wm_base_listener, rig);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && rig->output == NULL) {
		rig->output = wl_registry_bind(registry, name, &wl_output_interface,
			version < 2 ? version : 2);
		wl_output_add_listener(rig->output, &output_listener, rig);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		rig->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		rig->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

/* The window */

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct rig *rig = data;
	/* Acked with the next buffer, so that ack and size agree. */
	rig->configure_serial = serial;
	rig->configure_width = rig->pending_width;
	rig->configure_height = rig->pending_height;
	rig->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
		int32_t height, struct wl_array *states) {
	struct rig *rig = data;
	rig->pending_width = width;
	rig->pending_height = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
	rig_fail("toplevel closed by the compositor");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

void rig_surface_size(const struct rig *rig, int *width, int *height) {
	int scale = rig->output_scale > 0 ? rig->output_scale : 1;
	if (rig->configure_width > 0 && rig->configure_height > 0) {
		*width = rig->configure_width * scale;
		*height = rig->configure_height * scale;
	} else if (rig->output_transform & 1) {
		*width = rig->mode_height;
		*height = rig->mode_width;
	} else {
		*width = rig->mode_width;
		*height = rig->mode_height;
	}
}

static struct rig_buffer *free_surface_buffer(struct rig *rig, int width, int height,
		bool *fresh) {
	double deadline = rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS;
	for (;;) {
		for (int i = 0; i < RIG_SURFACE_BUFFERS; i++) {
			struct rig_buffer *buf = &rig->surface_buffers[i];
			if (buf->busy) {
				continue;
			}
			*fresh = buf->wl_buffer == NULL || buf->width != width ||
				buf->height != height;
			if (*fresh) {
				buffer_init(rig, buf, width, height, WL_SHM_FORMAT_XRGB8888);
			}
			return buf;
		}
		/* All attached or held by the compositor: wait for a release. */
		if (!rig_dispatch(rig, deadline) && rig_now_ms() >= deadline) {
			rig_fail("timeout waiting for a wl_buffer.release");
		}
	}
}

struct rig_buffer *rig_attach_buffer(struct rig *rig, bool *fresh) {
	if (rig->configure_serial != 0) {
		xdg_surface_ack_configure(rig->xdg_surface, rig->configure_serial);
		rig->configure_serial = 0;
	}
	int width, height;
	rig_surface_size(rig, &width, &height);
	if (width <= 0 || height <= 0) {
		rig_fail("no surface size: neither configure nor output mode gave one");
	}
	bool allocated;
	struct rig_buffer *buf = free_surface_buffer(rig, width, height, &allocated);
	if (fresh != NULL) {
		*fresh = allocated;
	}
	int scale = rig->output_scale > 0 ? rig->output_scale : 1;
	wl_surface_set_buffer_scale(rig->surface, scale);
	wl_surface_attach(rig->surface, buf->wl_buffer, 0, 0);
	return buf;
}

double rig_commit(struct rig *rig, struct rig_buffer *buf) {
	buf->busy = true;
	double t = rig_now_ms();
	wl_surface_commit(rig->surface);
	wl_display_flush(rig->display);
	return t;
}

/* Capture */

static void session_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct rig *rig = data;
	rig->pending_cap_width = width;
	rig->pending_cap_height = height;
}

static void session_shm_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format) {
	struct rig *rig = data;
	rig->pending_xrgb |= format == WL_SHM_FORMAT_XRGB8888;
	rig->pending_argb |= format == WL_SHM_FORMAT_ARGB8888;
}

static void session_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
}

static void session_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
}

static void session_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct rig *rig = data;
	rig->cap_width = rig->pending_cap_width;
	rig->cap_height = rig->pending_cap_height;
	rig->have_xrgb = rig->pending_xrgb;
	rig->have_argb = rig->pending_argb;
	rig->pending_xrgb = rig->pending_argb = false;
	rig->constraints_serial++;
}

static void session_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct rig *rig = data;
	rig->stopped = true;
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
	struct rig *rig = data;
	if (rig->on_frame_damage != NULL) {
		rig->on_frame_damage(rig->on_frame_damage_data, x, y, width, height);
	}
}

static void frame_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec) {
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct rig *rig = data;
	rig->ready_time = rig_now_ms();
	rig->frame_finished = true;
}

static void frame_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	struct rig *rig = data;
	rig->frame_finished = true;
	rig->frame_failed = true;
	rig->frame_reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_transform,
	.damage = frame_damage,
	.presentation_time = frame_presentation_time,
	.ready = frame_ready,
	.failed = frame_failed,
};

static void ensure_capture_buffers(struct rig *rig) {
	if (rig->allocated_serial == rig->constraints_serial) {
		return;
	}
	uint32_t format;
	if (rig->have_xrgb) {
		format = WL_SHM_FORMAT_XRGB8888;
	} else if (rig->have_argb) {
		format = WL_SHM_FORMAT_ARGB8888;
	} else {
		rig_fail("the capture session offers neither XRGB8888 nor ARGB8888");
	}
	for (int i = 0; i < 2; i++) {
		buffer_init(rig, &rig->capture_buffers[i], (int)rig->cap_width,
			(int)rig->cap_height, format);
	}
	rig->allocated_serial = rig->constraints_serial;
}

struct rig_buffer *rig_capture_begin(struct rig *rig) {
	ensure_capture_buffers(rig);
	struct rig_buffer *buf = &rig->capture_buffers[rig->next_capture];
	rig->next_capture ^= 1;
	rig->frame_buffer = buf;
	rig->frame_finished = rig->frame_failed = false;
	rig->frame = ext_image_copy_capture_session_v1_create_frame(rig->session);
	ext_image_copy_capture_frame_v1_add_listener(rig->frame, &frame_listener, rig);
	ext_image_copy_capture_frame_v1_attach_buffer(rig->frame, buf->wl_buffer);
	return buf;
}

void rig_capture(struct rig *rig) {
	rig->frame_buffer->used = true;
	ext_image_copy_capture_frame_v1_capture(rig->frame);
	wl_display_flush(rig->display);
}

bool rig_capture_finish(struct rig *rig) {
	ext_image_copy_capture_frame_v1_destroy(rig->frame);
	rig->frame = NULL;
	if (rig->frame_failed) {
		if (rig->stopped || rig->frame_reason !=
				EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS) {
			rig_fail("capture failed reason=%u", rig->frame_reason);
		}
		/* Constraints changed; new buffers follow the next `done`. */
		roundtrip(rig);
		return false;
	}
	return true;
}

uint32_t rig_captured_pixel(const struct rig *rig, int x, int y) {
	const struct rig_buffer *buf = rig->frame_buffer;
	return buf->data[(size_t)y * (buf->stride / 4) + x] & 0xffffff;
}

/* Setup */

static void bind_globals(struct rig *rig) {
	rig->display = wl_display_connect(NULL);
	if (rig->display == NULL) {
		rig_fail("cannot connect to the Wayland display");
	}
	rig->registry = wl_display_get_registry(rig->display);
	wl_registry_add_listener(rig->registry, &registry_listener, rig);
	roundtrip(rig);
	roundtrip(rig); /* output mode and scale */
	if (rig->compositor == NULL || rig->shm == NULL || rig->wm_base == NULL ||
			rig->output == NULL || rig->copy_manager == NULL || rig->output_sources == NULL) {
		rig_fail("missing wl_compositor v4, wl_shm, xdg_wm_base, wl_output or "
			"ext-image-copy-capture-v1 with output sources");
	}
}

void rig_start(struct rig *rig) {
	bind_globals(rig);
	rig->surface = wl_compositor_create_surface(rig->compositor);
	rig->xdg_surface = xdg_wm_base_get_xdg_surface(rig->wm_base, rig->surface);
	xdg_surface_add_listener(rig->xdg_surface, &xdg_surface_listener, rig);
	rig->xdg_toplevel = xdg_surface_get_toplevel(rig->xdg_surface);
	xdg_toplevel_add_listener(rig->xdg_toplevel, &toplevel_listener, rig);
	xdg_toplevel_set_title(rig->xdg_toplevel, program);
	xdg_toplevel_set_app_id(rig->xdg_toplevel, program);
	xdg_toplevel_set_fullscreen(rig->xdg_toplevel, rig->output);
	wl_surface_commit(rig->surface);
	rig_wait_for(rig, &rig->configured, rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS, "configure");

	rig->source = ext_output_image_capture_source_manager_v1_create_source(
		rig->output_sources, rig->output);
	rig->session = ext_image_copy_capture_manager_v1_create_session(rig->copy_manager,
		rig->source, 0);
	ext_image_copy_capture_session_v1_add_listener(rig->session, &session_listener, rig);
	double deadline = rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS;
	while (rig->constraints_serial == 0) {
		if (rig->stopped) {
			rig_fail("capture session stopped");
		}
		if (!rig_dispatch(rig, deadline) && rig_now_ms() >= deadline) {
			rig_fail("timeout waiting for capture constraints");
		}
	}
}

void rig_finish(struct rig *rig) {
	if (rig->frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(rig->frame);
	}
	for (int i = 0; i < 2; i++) {
		buffer_finish(&rig->capture_buffers[i]);
	}
	for (int i = 0; i < RIG_SURFACE_BUFFERS; i++) {
		buffer_finish(&rig->surface_buffers[i]);
	}
	ext_image_copy_capture_session_v1_destroy(rig->session);
	ext_image_capture_source_v1_destroy(rig->source);
	xdg_toplevel_destroy(rig->xdg_toplevel);
	xdg_surface_destroy(rig->xdg_surface);
	wl_surface_destroy(rig->surface);
	ext_output_image_capture_source_manager_v1_destroy(rig->output_sources);
	ext_image_copy_capture_manager_v1_destroy(rig->copy_manager);
	wl_output_destroy(rig->output);
	xdg_wm_base_destroy(rig->wm_base);
	wl_shm_destroy(rig->shm);
	wl_compositor_destroy(rig->compositor);
	wl_registry_destroy(rig->registry);
	wl_display_disconnect(rig->display);
}
