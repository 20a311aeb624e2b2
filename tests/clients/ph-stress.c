/*
 * ph-stress: hardening workloads for the capture protocols, one per mode.
 *
 *   fuzz [--seed S] [--count N] [--seconds T] [--outputs]
 *       Random but seeded request sequences (valid and invalid) against
 *       ext-image-capture-source-v1, ext-image-copy-capture-v1 and
 *       ext-foreign-toplevel-list-v1. Every sequence runs on a fresh
 *       connection, so a protocol error only ends that sequence. Sequence i
 *       uses seed S + i. A model of the objects predicts the exact protocol
 *       error of every invalid request and which frames must finish; any
 *       deviation, hang or lost connection prints a FUZZ-FAIL line with the
 *       seed and a replay command. The last line is a summary.
 *   hold STATE [OUTPUT]
 *       Builds a capture state (on the OUTPUT-th wl_output, default 0), prints "holding", then waits to be killed.
 *       STATE: session, frame, pending, ready, cursor, toplevel-pending,
 *       truncated-pending.
 *   cycle N
 *       N complete session lifecycles (source, session, frame, buffer,
 *       capture, ready, destroy), a new connection every 10.
 *   soak ITERATIONS [SESSIONS]
 *       A window of its own and SESSIONS (default 8) sessions, half on the
 *       output, half on the window. Each iteration paints a new colour and
 *       captures a frame on every session; every frame must show the
 *       colour. Prints the compositor's VmRSS and fd count at ten checkpoints.
 *   truncate
 *       SHM pools shrunk under the compositor: before capture and while a
 *       capture waits. The frame must fail, the connection must live.
 *   toplevel-list
 *       ext-foreign-toplevel-list edges: stop and finished, a handle and the
 *       source manager destroyed under a live session, a window closed
 *       mid-capture, a source made from a closed handle, the list destroyed
 *       before its handles.
 *   foreign-buffer
 *       A wl_buffer that is not wl_shm (wp_single_pixel_buffer_v1) must get
 *       failed(buffer_constraints); a buffer that is also the window's
 *       content captures normally.
 *
 * Exit status: 0 when everything behaved, 1 when not, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "harness.h"
#include "ext-foreign-toplevel-list-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "single-pixel-buffer-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define MAX_OUTPUTS 4
#define MAX_HANDLES 8
#define MAX_FORMATS 128
#define WAIT_MS 5000

#define SHM_XRGB8888 WL_SHM_FORMAT_XRGB8888

static int64_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	printf("FAIL ");
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

/* Bytes per pixel of wl_shm formats we may allocate; 0 if unknown. */
static int format_bpp(uint32_t format) {
	switch (format) {
	case WL_SHM_FORMAT_ARGB8888: case WL_SHM_FORMAT_XRGB8888:
	case WL_SHM_FORMAT_ABGR8888: case WL_SHM_FORMAT_XBGR8888:
	case WL_SHM_FORMAT_RGBA8888: case WL_SHM_FORMAT_RGBX8888:
	case WL_SHM_FORMAT_BGRA8888: case WL_SHM_FORMAT_BGRX8888:
	case WL_SHM_FORMAT_XRGB2101010: case WL_SHM_FORMAT_XBGR2101010:
	case WL_SHM_FORMAT_ARGB2101010: case WL_SHM_FORMAT_ABGR2101010:
		return 4;
	case WL_SHM_FORMAT_RGB565: case WL_SHM_FORMAT_BGR565:
	case WL_SHM_FORMAT_XRGB1555: case WL_SHM_FORMAT_ARGB1555:
	case WL_SHM_FORMAT_XRGB4444: case WL_SHM_FORMAT_ARGB4444:
		return 2;
	case WL_SHM_FORMAT_RGB888: case WL_SHM_FORMAT_BGR888:
		return 3;
	case WL_SHM_FORMAT_C8: case WL_SHM_FORMAT_R8:
		return 1;
	case WL_SHM_FORMAT_XRGB16161616F: case WL_SHM_FORMAT_XBGR16161616F:
	case WL_SHM_FORMAT_ARGB16161616F: case WL_SHM_FORMAT_ABGR16161616F:
		return 8;
	default:
		return 0;
	}
}

/* Reads and dispatches whatever is there, without blocking. */
static int pump(struct wl_display *display) {
	while (wl_display_prepare_read(display) != 0) {
		if (wl_display_dispatch_pending(display) < 0) {
			return -1;
		}
	}
	wl_display_flush(display);
	struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = POLLIN};
	if (poll(&pfd, 1, 0) > 0) {
		if (wl_display_read_events(display) < 0) {
			return -1;
		}
	} else {
		wl_display_cancel_read(display);
	}
	return wl_display_dispatch_pending(display);
}

/* Dispatches until *flag or the timeout: 1 set, 0 timeout, -1 connection died. */
static int dispatch_until(struct wl_display *display, bool (*done)(void *), void *data,
		int timeout_ms) {
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = POLLIN};
	for (;;) {
		if (wl_display_dispatch_pending(display) < 0) {
			return -1;
		}
		if (done != NULL && done(data)) {
			return 1;
		}
		if (wl_display_prepare_read(display) != 0) {
			continue;
		}
		if (wl_display_flush(display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(display);
			return -1;
		}
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			wl_display_cancel_read(display);
			return 0;
		}
		int ret = poll(&pfd, 1, (int)left);
		if (ret > 0) {
			if (wl_display_read_events(display) < 0) {
				return -1;
			}
		} else {
			wl_display_cancel_read(display);
		}
	}
}

/* The compositor's pid, from the socket's peer credentials. */
static pid_t compositor_pid(struct wl_display *display) {
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(wl_display_get_fd(display), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		return -1;
	}
	return cred.pid;
}

/* SHM buffers */

struct shm_buffer {
	struct wl_buffer *wl_buffer;
	int fd;
	uint8_t *data;
	size_t size;
	int width, height, stride;
	uint32_t format;
};

static bool shm_buffer_init(struct shm_buffer *b, struct wl_shm *shm, int width, int height,
		int stride, uint32_t format, int offset) {
	memset(b, 0, sizeof(*b));
	b->size = (size_t)stride * height + (size_t)offset;
	b->fd = memfd_create("ph-stress", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, (off_t)b->size) < 0) {
		perror("ph-stress: memfd");
		if (b->fd >= 0) {
			close(b->fd);
		}
		return false;
	}
	b->data = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->data == MAP_FAILED) {
		perror("ph-stress: mmap");
		close(b->fd);
		return false;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, b->fd, (int32_t)b->size);
	b->wl_buffer = wl_shm_pool_create_buffer(pool, offset, width, height, stride, format);
	wl_shm_pool_destroy(pool);
	b->width = width;
	b->height = height;
	b->stride = stride;
	b->format = format;
	return true;
}

static void shm_buffer_finish(struct shm_buffer *b) {
	if (b->wl_buffer != NULL) {
		wl_buffer_destroy(b->wl_buffer);
		b->wl_buffer = NULL;
	}
	if (b->data != NULL && b->data != MAP_FAILED) {
		munmap(b->data, b->size);
		b->data = NULL;
	}
	if (b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
}

/* Shrinks the pool's file under the compositor. Our own mapping is dropped first. */
static void shm_buffer_truncate(struct shm_buffer *b) {
	if (b->data != NULL) {
		munmap(b->data, b->size);
		b->data = NULL;
	}
	if (ftruncate(b->fd, 0) != 0) {
		perror("ph-stress: ftruncate");
	}
}

static uint32_t shm_buffer_word(const struct shm_buffer *b, int x, int y) {
	return *(const uint32_t *)(b->data + (size_t)y * b->stride + (size_t)x * 4);
}

/*
 * A connection with every global the modes use. Sessions and frames of the
 * simple modes (everything but fuzz) live in struct cap_session.
 */
struct conn {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	struct wl_compositor *compositor;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wp_single_pixel_buffer_manager_v1 *single_pixel;
	struct wl_output *outputs[MAX_OUTPUTS];
	int output_count;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;
	struct ext_foreign_toplevel_image_capture_source_manager_v1 *toplevel_sources;
	struct ext_foreign_toplevel_list_v1 *toplevel_list;
	struct ext_foreign_toplevel_handle_v1 *handles[MAX_HANDLES];
	bool handle_closed[MAX_HANDLES];
	char handle_app_id[MAX_HANDLES][64];
	int handle_count;
	int toplevels_after_finished, events_after_closed;
	bool list_finished;
	uint32_t shm_formats[MAX_FORMATS];
	int shm_format_count;
};

static void shm_handle_format(void *data, struct wl_shm *shm, uint32_t format) {
	struct conn *c = data;
	if (c->shm_format_count < MAX_FORMATS) {
		c->shm_formats[c->shm_format_count++] = format;
	}
}

static const struct wl_shm_listener shm_listener = {.format = shm_handle_format};

static int handle_index(struct conn *c, struct ext_foreign_toplevel_handle_v1 *handle) {
	for (int i = 0; i < c->handle_count; i++) {
		if (c->handles[i] == handle) {
			return i;
		}
	}
	return -1;
}

static void handle_closed(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
	struct conn *c = data;
	int i = handle_index(c, handle);
	if (i >= 0) {
		c->handle_closed[i] = true;
	}
}

static void handle_done(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
	struct conn *c = data;
	int i = handle_index(c, handle);
	if (i >= 0 && c->handle_closed[i]) {
		c->events_after_closed++;
	}
}

static void handle_title(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
		const char *title) {
	struct conn *c = data;
	int i = handle_index(c, handle);
	if (i >= 0 && c->handle_closed[i]) {
		c->events_after_closed++;
	}
}

static void handle_app_id(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
		const char *app_id) {
	struct conn *c = data;
	int i = handle_index(c, handle);
	if (i >= 0) {
		snprintf(c->handle_app_id[i], sizeof(c->handle_app_id[i]), "%s", app_id);
	}
}

static const struct ext_foreign_toplevel_handle_v1_listener handle_listener = {
	.closed = handle_closed,
	.done = handle_done,
	.title = handle_title,
	.app_id = handle_app_id,
	.identifier = handle_title,
};

static void list_handle_toplevel(void *data, struct ext_foreign_toplevel_list_v1 *list,
		struct ext_foreign_toplevel_handle_v1 *handle) {
	struct conn *c = data;
	if (c->list_finished) {
		c->toplevels_after_finished++;
	}
	if (c->handle_count == MAX_HANDLES) {
		/* Not tracked: destroy it at once so nothing leaks. */
		ext_foreign_toplevel_handle_v1_destroy(handle);
		return;
	}
	c->handles[c->handle_count++] = handle;
	ext_foreign_toplevel_handle_v1_add_listener(handle, &handle_listener, c);
}

static void list_handle_finished(void *data, struct ext_foreign_toplevel_list_v1 *list) {
	struct conn *c = data;
	c->list_finished = true;
}

static const struct ext_foreign_toplevel_list_v1_listener list_listener = {
	.toplevel = list_handle_toplevel,
	.finished = list_handle_finished,
};

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_handle_ping};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct conn *c = data;
	if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(c->shm, &shm_listener, c);
	} else if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && c->seat == NULL) {
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface,
			version < 5 ? version : 5);
	} else if (strcmp(interface, wp_single_pixel_buffer_manager_v1_interface.name) == 0) {
		c->single_pixel = wl_registry_bind(registry, name,
			&wp_single_pixel_buffer_manager_v1_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 &&
			c->output_count < MAX_OUTPUTS) {
		c->outputs[c->output_count++] = wl_registry_bind(registry, name,
			&wl_output_interface, version < 3 ? version : 3);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		c->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		c->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_foreign_toplevel_image_capture_source_manager_v1_interface.name) == 0) {
		c->toplevel_sources = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_foreign_toplevel_list_v1_interface.name) == 0) {
		c->toplevel_list = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_list_v1_interface, 1);
		ext_foreign_toplevel_list_v1_add_listener(c->toplevel_list, &list_listener, c);
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = client_noop_global_remove,
};

/* Connects and collects globals, shm formats and toplevels (two roundtrips). */
static bool conn_open(struct conn *c) {
	memset(c, 0, sizeof(*c));
	c->display = wl_display_connect(NULL);
	if (c->display == NULL) {
		return false;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	if (wl_display_roundtrip(c->display) < 0 || wl_display_roundtrip(c->display) < 0) {
		return false;
	}
	return c->shm != NULL && c->output_count > 0 && c->copy_manager != NULL &&
		c->output_sources != NULL;
}

static void conn_close(struct conn *c) {
	if (c->display == NULL) {
		return;
	}
	for (int i = 0; i < c->handle_count; i++) {
		if (c->handles[i] != NULL) {
			ext_foreign_toplevel_handle_v1_destroy(c->handles[i]);
		}
	}
	if (c->toplevel_list != NULL) {
		ext_foreign_toplevel_list_v1_destroy(c->toplevel_list);
	}
	if (c->toplevel_sources != NULL) {
		ext_foreign_toplevel_image_capture_source_manager_v1_destroy(c->toplevel_sources);
	}
	if (c->output_sources != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(c->output_sources);
	}
	if (c->copy_manager != NULL) {
		ext_image_copy_capture_manager_v1_destroy(c->copy_manager);
	}
	for (int i = 0; i < c->output_count; i++) {
		if (c->outputs[i] != NULL) {
			if (wl_output_get_version(c->outputs[i]) >= 3) {
				wl_output_release(c->outputs[i]);
			} else {
				wl_output_destroy(c->outputs[i]);
			}
		}
	}
	if (c->single_pixel != NULL) {
		wp_single_pixel_buffer_manager_v1_destroy(c->single_pixel);
	}
	if (c->seat != NULL) {
		if (wl_seat_get_version(c->seat) >= 5) {
			wl_seat_release(c->seat);
		} else {
			wl_seat_destroy(c->seat);
		}
	}
	if (c->wm_base != NULL) {
		xdg_wm_base_destroy(c->wm_base);
	}
	if (c->compositor != NULL) {
		wl_compositor_destroy(c->compositor);
	}
	if (c->shm != NULL) {
		wl_shm_destroy(c->shm);
	}
	if (c->registry != NULL) {
		wl_registry_destroy(c->registry);
	}
	wl_display_flush(c->display);
	wl_display_disconnect(c->display);
	c->display = NULL;
}

static const char *conn_error(struct wl_display *display) {
	static char buf[256];
	int err = wl_display_get_error(display);
	if (err == EPROTO) {
		const struct wl_interface *interface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(display, &interface, &id);
		snprintf(buf, sizeof(buf), "protocol error %s#%u code %u",
			interface != NULL ? interface->name : "?", id, code);
	} else {
		snprintf(buf, sizeof(buf), "connection lost (%s)", strerror(err ? err : EPIPE));
	}
	return buf;
}

/* A window of our own with known content (the painter). */

struct painter {
	struct conn conn;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
	struct shm_buffer buffers[2];
	int next;
	int width, height;
};

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct painter *p = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	p->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static const struct xdg_toplevel_listener toplevel_listener = {
	/* We keep our own size: the tests know where every pixel is. */
	.configure = client_noop_toplevel_configure,
	.close = client_noop_toplevel_close,
	.configure_bounds = client_noop_toplevel_configure_bounds,
	.wm_capabilities = client_noop_toplevel_wm_capabilities,
};

static void painter_paint(struct painter *p, uint32_t argb);

static bool done_configured(void *data) {
	return ((struct painter *)data)->configured;
}

static bool painter_start(struct painter *p, int width, int height, const char *app_id) {
	memset(p, 0, sizeof(*p));
	if (!conn_open(&p->conn) || p->conn.compositor == NULL || p->conn.wm_base == NULL) {
		return false;
	}
	p->width = width;
	p->height = height;
	for (int i = 0; i < 2; i++) {
		if (!shm_buffer_init(&p->buffers[i], p->conn.shm, width, height, width * 4,
				SHM_XRGB8888, 0)) {
			return false;
		}
	}
	p->surface = wl_compositor_create_surface(p->conn.compositor);
	p->xdg_surface = xdg_wm_base_get_xdg_surface(p->conn.wm_base, p->surface);
	xdg_surface_add_listener(p->xdg_surface, &xdg_surface_listener, p);
	p->toplevel = xdg_surface_get_toplevel(p->xdg_surface);
	xdg_toplevel_add_listener(p->toplevel, &toplevel_listener, p);
	xdg_toplevel_set_app_id(p->toplevel, app_id);
	wl_surface_commit(p->surface);
	if (dispatch_until(p->conn.display, done_configured, p, WAIT_MS) != 1) {
		return false;
	}
	painter_paint(p, 0xff000000);
	/* Mapped, and the toplevel handle exists for everyone who looks now. */
	return wl_display_roundtrip(p->conn.display) >= 0;
}

/* Fills the window with one colour and commits it. */
static void painter_paint(struct painter *p, uint32_t argb) {
	struct shm_buffer *b = &p->buffers[p->next];
	p->next ^= 1;
	uint32_t *pixels = (uint32_t *)b->data;
	for (int i = 0; i < p->width * p->height; i++) {
		pixels[i] = argb;
	}
	wl_surface_attach(p->surface, b->wl_buffer, 0, 0);
	wl_surface_damage_buffer(p->surface, 0, 0, p->width, p->height);
	wl_surface_commit(p->surface);
	pump(p->conn.display);
}

static void painter_finish(struct painter *p) {
	if (p->toplevel != NULL) {
		xdg_toplevel_destroy(p->toplevel);
		xdg_surface_destroy(p->xdg_surface);
		wl_surface_destroy(p->surface);
	}
	for (int i = 0; i < 2; i++) {
		shm_buffer_finish(&p->buffers[i]);
	}
	conn_close(&p->conn);
}

/* Simple sessions, for the modes other than fuzz */

struct cap_session {
	struct conn *conn;
	struct ext_image_capture_source_v1 *source;
	struct ext_image_copy_capture_session_v1 *session;
	int width, height;
	bool done, stopped;
	struct ext_image_copy_capture_frame_v1 *frame;
	bool finished, ready;
	uint32_t reason;
};

static void cs_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct cap_session *s = data;
	s->width = (int)width;
	s->height = (int)height;
}

static void cs_shm_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format) {
}

static void cs_dmabuf_device(void *data, struct ext_image_copy_capture_session_v1 *session,
		struct wl_array *device) {
}

static void cs_dmabuf_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format, struct wl_array *modifiers) {
}

static void cs_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	((struct cap_session *)data)->done = true;
}

static void cs_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
	((struct cap_session *)data)->stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener cs_listener = {
	.buffer_size = cs_buffer_size,
	.shm_format = cs_shm_format,
	.dmabuf_device = cs_dmabuf_device,
	.dmabuf_format = cs_dmabuf_format,
	.done = cs_done,
	.stopped = cs_stopped,
};

static void cf_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void cf_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t w, int32_t h) {
}

static void cf_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t hi, uint32_t lo, uint32_t nsec) {
}

static void cf_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct cap_session *s = data;
	s->finished = s->ready = true;
}

static void cf_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	struct cap_session *s = data;
	s->finished = true;
	s->reason = reason;
}

static const struct ext_image_copy_capture_frame_v1_listener cf_listener = {
	.transform = cf_transform,
	.damage = cf_damage,
	.presentation_time = cf_presentation_time,
	.ready = cf_ready,
	.failed = cf_failed,
};

static bool cs_done_or_stopped(void *data) {
	struct cap_session *s = data;
	return s->done || s->stopped;
}

/* A session on output index or (output < 0) on the toplevel handle index. */
static bool cs_open(struct cap_session *s, struct conn *c, int output, int handle,
		uint32_t options) {
	memset(s, 0, sizeof(*s));
	s->conn = c;
	if (output >= 0) {
		s->source = ext_output_image_capture_source_manager_v1_create_source(
			c->output_sources, c->outputs[output]);
	} else {
		s->source = ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
			c->toplevel_sources, c->handles[handle]);
	}
	s->session = ext_image_copy_capture_manager_v1_create_session(c->copy_manager,
		s->source, options);
	ext_image_copy_capture_session_v1_add_listener(s->session, &cs_listener, s);
	return dispatch_until(c->display, cs_done_or_stopped, s, WAIT_MS) == 1 && s->done;
}

/* Creates a frame and captures into buffer; the answer comes later. */
static void cs_capture(struct cap_session *s, struct wl_buffer *buffer, bool full_damage) {
	s->finished = s->ready = false;
	s->reason = 0;
	s->frame = ext_image_copy_capture_session_v1_create_frame(s->session);
	ext_image_copy_capture_frame_v1_add_listener(s->frame, &cf_listener, s);
	ext_image_copy_capture_frame_v1_attach_buffer(s->frame, buffer);
	if (full_damage) {
		ext_image_copy_capture_frame_v1_damage_buffer(s->frame, 0, 0, s->width, s->height);
	}
	ext_image_copy_capture_frame_v1_capture(s->frame);
}

static bool cs_finished(void *data) {
	return ((struct cap_session *)data)->finished;
}

static bool cs_wait(struct cap_session *s) {
	return dispatch_until(s->conn->display, cs_finished, s, WAIT_MS) == 1;
}

static void cs_frame_destroy(struct cap_session *s) {
	if (s->frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(s->frame);
		s->frame = NULL;
	}
}

static void cs_close(struct cap_session *s) {
	cs_frame_destroy(s);
	if (s->session != NULL) {
		ext_image_copy_capture_session_v1_destroy(s->session);
	}
	if (s->source != NULL) {
		ext_image_capture_source_v1_destroy(s->source);
	}
	memset(s, 0, sizeof(*s));
}

static int find_handle(struct conn *c, const char *app_id) {
	for (int i = 0; i < c->handle_count; i++) {
		if (!c->handle_closed[i] && strcmp(c->handle_app_id[i], app_id) == 0) {
			return i;
		}
	}
	return -1;
}

/* Mode: hold */

static void hold_forever(void) __attribute__((noreturn));

static void hold_forever(void) {
	printf("holding\n");
	fflush(stdout);
	for (;;) {
		pause();
	}
}

static int mode_hold(const char *state, int output) {
	struct conn c;
	if (!conn_open(&c)) {
		die("hold: cannot connect");
	}
	static struct painter painter;
	struct cap_session s;
	struct shm_buffer b;
	bool toplevel = strcmp(state, "toplevel-pending") == 0;
	if (toplevel) {
		if (!painter_start(&painter, 64, 48, "ph-stress-hold")) {
			die("hold: cannot map a window");
		}
		wl_display_roundtrip(c.display);
	}
	int handle = toplevel ? find_handle(&c, "ph-stress-hold") : -1;
	if (toplevel && handle < 0) {
		die("hold: our window has no toplevel handle");
	}
	if (strcmp(state, "cursor") == 0) {
		if (c.seat == NULL) {
			die("hold: no wl_seat");
		}
		struct wl_pointer *pointer = wl_seat_get_pointer(c.seat);
		struct ext_image_capture_source_v1 *source =
			ext_output_image_capture_source_manager_v1_create_source(c.output_sources,
				c.outputs[0]);
		struct ext_image_copy_capture_cursor_session_v1 *cursor =
			ext_image_copy_capture_manager_v1_create_pointer_cursor_session(
				c.copy_manager, source, pointer);
		memset(&s, 0, sizeof(s));
		s.conn = &c;
		s.session = ext_image_copy_capture_cursor_session_v1_get_capture_session(cursor);
		ext_image_copy_capture_session_v1_add_listener(s.session, &cs_listener, &s);
		dispatch_until(c.display, cs_done_or_stopped, &s, 1000);
		/* A frame captured on it, whatever its constraints are (or were). */
		int w = s.width > 0 ? s.width : 64, h = s.height > 0 ? s.height : 64;
		if (!shm_buffer_init(&b, c.shm, w, h, w * 4, WL_SHM_FORMAT_ARGB8888, 0)) {
			die("hold: buffer");
		}
		/* No damage_buffer: the constraints (and so the size) may never have come. */
		cs_capture(&s, b.wl_buffer, false);
		wl_display_roundtrip(c.display);
		hold_forever();
	}
	if (output >= c.output_count) {
		die("hold: no output %d", output);
	}
	if (!cs_open(&s, &c, toplevel ? -1 : output, handle, 0)) {
		die("hold: no constraints");
	}
	if (strcmp(state, "session") == 0) {
		hold_forever();
	}
	if (!shm_buffer_init(&b, c.shm, s.width, s.height, s.width * 4, SHM_XRGB8888, 0)) {
		die("hold: buffer");
	}
	if (strcmp(state, "frame") == 0) {
		s.frame = ext_image_copy_capture_session_v1_create_frame(s.session);
		ext_image_copy_capture_frame_v1_add_listener(s.frame, &cf_listener, &s);
		ext_image_copy_capture_frame_v1_attach_buffer(s.frame, b.wl_buffer);
		wl_display_roundtrip(c.display);
		hold_forever();
	}
	cs_capture(&s, b.wl_buffer, true);
	if (!cs_wait(&s) || !s.ready) {
		die("hold: first frame not ready");
	}
	if (strcmp(state, "ready") == 0) {
		hold_forever();
	}
	/* The next capture waits: nothing changes on screen. */
	cs_frame_destroy(&s);
	cs_capture(&s, b.wl_buffer, false);
	wl_display_roundtrip(c.display);
	if (s.finished) {
		die("hold: the second capture did not wait (%s)", s.ready ? "ready" : "failed");
	}
	if (strcmp(state, "truncated-pending") == 0) {
		shm_buffer_truncate(&b);
	} else if (strcmp(state, "pending") != 0 && !toplevel) {
		die("hold: unknown state %s", state);
	}
	hold_forever();
}

/* Mode: cycle */

static int mode_cycle(int count) {
	struct conn c = {0};
	for (int i = 0; i < count; i++) {
		if (i % 10 == 0) {
			conn_close(&c);
			if (!conn_open(&c)) {
				die("cycle %d: cannot connect", i);
			}
		}
		struct cap_session s;
		if (!cs_open(&s, &c, 0, -1, (uint32_t)(i & 1))) {
			die("cycle %d: no constraints", i);
		}
		struct shm_buffer b;
		if (!shm_buffer_init(&b, c.shm, s.width, s.height, s.width * 4, SHM_XRGB8888, 0)) {
			die("cycle %d: buffer", i);
		}
		cs_capture(&s, b.wl_buffer, true);
		if (!cs_wait(&s) || !s.ready) {
			die("cycle %d: frame %s", i, s.finished ? "failed" : "timed out");
		}
		/* Destruction in a different order each time. */
		switch (i % 3) {
		case 0:
			cs_close(&s);
			shm_buffer_finish(&b);
			break;
		case 1:
			shm_buffer_finish(&b);
			ext_image_capture_source_v1_destroy(s.source);
			s.source = NULL;
			cs_close(&s);
			break;
		default:
			ext_image_copy_capture_session_v1_destroy(s.session);
			s.session = NULL;
			shm_buffer_finish(&b);
			cs_close(&s);
			break;
		}
	}
	if (wl_display_roundtrip(c.display) < 0) {
		die("cycle: %s", conn_error(c.display));
	}
	conn_close(&c);
	printf("PASS cycle: %d lifecycles\n", count);
	return 0;
}

/* Mode: soak */

/* Every frame is checked at one pixel, every this many iterations at every pixel. */
#define SOAK_WHOLE_FRAME_EVERY 100

static uint32_t soak_color(int i) {
	/* Distinct, opaque, never black (the window's first colour). */
	uint32_t x = (uint32_t)i * 2654435761u;
	return 0xff000000u | ((x >> 8) & 0xffffff) | 0x010101;
}

struct soak_wait {
	struct cap_session *sessions;
	int count;
};

static bool soak_all_finished(void *data) {
	struct soak_wait *w = data;
	for (int i = 0; i < w->count; i++) {
		if (!w->sessions[i].finished) {
			return false;
		}
	}
	return true;
}

static int mode_soak(int iterations, int count) {
	static struct painter painter;
	if (!painter_start(&painter, 96, 64, "ph-stress-soak")) {
		die("soak: cannot map a window");
	}
	struct conn c;
	if (!conn_open(&c) || c.toplevel_sources == NULL) {
		die("soak: cannot connect");
	}
	int handle = find_handle(&c, "ph-stress-soak");
	if (handle < 0) {
		die("soak: our window has no toplevel handle");
	}
	pid_t pid = compositor_pid(c.display);
	struct cap_session *sessions = calloc((size_t)count, sizeof(*sessions));
	struct shm_buffer *buffers = calloc((size_t)count, sizeof(*buffers));
	for (int i = 0; i < count; i++) {
		bool on_output = i % 2 == 0;
		if (!cs_open(&sessions[i], &c, on_output ? 0 : -1, handle, 0)) {
			die("soak: session %d has no constraints", i);
		}
		struct cap_session *s = &sessions[i];
		if (!shm_buffer_init(&buffers[i], c.shm, s->width, s->height, s->width * 4,
				SHM_XRGB8888, 0)) {
			die("soak: buffer");
		}
	}
	/*
	 * The first capture of a session completes at once with whatever the
	 * output last showed; only later ones wait for new content. Take it now.
	 */
	for (int i = 0; i < count; i++) {
		cs_capture(&sessions[i], buffers[i].wl_buffer, true);
	}
	struct soak_wait first = {sessions, count};
	if (dispatch_until(c.display, soak_all_finished, &first, WAIT_MS) != 1) {
		die("soak: first frames did not finish");
	}
	for (int i = 0; i < count; i++) {
		cs_frame_destroy(&sessions[i]);
	}
	long mismatches = 0, frames = 0, whole_frames = 0;
	int64_t start = now_ms();
	for (int it = 0; it < iterations; it++) {
		uint32_t color = soak_color(it);
		painter_paint(&painter, color);
		/* The commit is in before the captures: every frame must show it. */
		if (wl_display_roundtrip(painter.conn.display) < 0) {
			die("soak: painter: %s", conn_error(painter.conn.display));
		}
		for (int i = 0; i < count; i++) {
			cs_capture(&sessions[i], buffers[i].wl_buffer, false);
		}
		struct soak_wait w = {sessions, count};
		int ret = dispatch_until(c.display, soak_all_finished, &w, WAIT_MS);
		if (ret != 1) {
			die("soak: iteration %d: %s", it, ret < 0 ? conn_error(c.display) :
				"frames did not finish");
		}
		for (int i = 0; i < count; i++) {
			struct cap_session *s = &sessions[i];
			if (!s->ready) {
				die("soak: iteration %d session %d failed (%u)", it, i, s->reason);
			}
			/* The window is at the output's top-left corner, as on every first map. */
			uint32_t got = shm_buffer_word(&buffers[i], 5, 5) & 0xffffff;
			if (got != (color & 0xffffff)) {
				if (mismatches++ < 5) {
					printf("# iteration %d session %d: 0x%06x, expected 0x%06x\n",
						it, i, got, color & 0xffffff);
				}
			}
			/*
			 * Every 100th frame, every pixel: the window's colour over its
			 * 96x64, the black output around it (XRGB: the X byte is undefined).
			 */
			if (it % SOAK_WHOLE_FRAME_EVERY == 0) {
				whole_frames++;
				long wrong = 0;
				int first_x = -1, first_y = -1;
				for (int y = 0; y < s->height; y++) {
					for (int x = 0; x < s->width; x++) {
						bool window = x < 96 && y < 64;
						uint32_t want = window ? color & 0xffffff : 0;
						if ((shm_buffer_word(&buffers[i], x, y) & 0xffffff) != want &&
								wrong++ == 0) {
							first_x = x;
							first_y = y;
						}
					}
				}
				if (wrong > 0 && mismatches++ < 5) {
					printf("# iteration %d session %d: %ld of %dx%d pixels wrong, first at "
						"%d,%d\n", it, i, wrong, s->width, s->height, first_x, first_y);
				}
			}
			frames++;
			cs_frame_destroy(s);
		}
		pump(painter.conn.display);
		if (iterations >= 10 && it % (iterations / 10) == 0) {
			long rss, fds;
			ph_process_usage(pid, &rss, &fds);
			printf("checkpoint iteration=%d frames=%ld rss_kb=%ld fds=%ld\n", it, frames,
				rss, fds);
			fflush(stdout);
		}
	}
	long rss, fds;
	ph_process_usage(pid, &rss, &fds);
	printf("checkpoint iteration=%d frames=%ld rss_kb=%ld fds=%ld\n", iterations, frames,
		rss, fds);
	double seconds = (double)(now_ms() - start) / 1000.0;
	for (int i = 0; i < count; i++) {
		cs_close(&sessions[i]);
		shm_buffer_finish(&buffers[i]);
	}
	free(sessions);
	free(buffers);
	conn_close(&c);
	painter_finish(&painter);
	printf("whole-frames %ld\n", whole_frames);
	printf("%s soak: %ld frames on %d sessions, %ld mismatches, %ld checked whole, %.1f s\n",
		mismatches == 0 ? "PASS" : "FAIL", frames, count, mismatches, whole_frames, seconds);
	return mismatches == 0 ? 0 : 1;
}

/* Mode: truncate */

static int mode_truncate(void) {
	static struct painter painter;
	if (!painter_start(&painter, 64, 48, "ph-stress-truncate")) {
		die("truncate: cannot map a window");
	}
	struct conn c;
	if (!conn_open(&c)) {
		die("truncate: cannot connect");
	}
	/* The window's own source: what it shows does not depend on other windows. */
	int handle = find_handle(&c, "ph-stress-truncate");
	struct cap_session s;
	if (handle < 0 || !cs_open(&s, &c, -1, handle, 0)) {
		die("truncate: no constraints for our window");
	}
	/* (a) shrunk before the capture */
	struct shm_buffer a;
	shm_buffer_init(&a, c.shm, s.width, s.height, s.width * 4, SHM_XRGB8888, 0);
	shm_buffer_truncate(&a);
	cs_capture(&s, a.wl_buffer, true);
	if (!cs_wait(&s)) {
		die("truncate: (a) no answer: %s", conn_error(c.display));
	}
	bool a_ok = !s.ready && s.reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS;
	printf("# (a) pool shrunk before capture: %s %u\n", s.ready ? "ready" : "failed", s.reason);
	cs_frame_destroy(&s);
	shm_buffer_finish(&a);

	/* A good buffer still works: the first successful frame comes at once. */
	struct shm_buffer good;
	shm_buffer_init(&good, c.shm, s.width, s.height, s.width * 4, SHM_XRGB8888, 0);
	cs_capture(&s, good.wl_buffer, true);
	bool good_ok = cs_wait(&s) && s.ready;
	printf("# good buffer after it: %s\n", good_ok ? "ready" : "not ready");
	cs_frame_destroy(&s);

	/* (b) shrunk while the capture waits for new content */
	struct shm_buffer b;
	shm_buffer_init(&b, c.shm, s.width, s.height, s.width * 4, SHM_XRGB8888, 0);
	cs_capture(&s, b.wl_buffer, true);
	wl_display_roundtrip(c.display);
	bool waited = !s.finished;
	shm_buffer_truncate(&b);
	painter_paint(&painter, 0xff204060);
	wl_display_roundtrip(painter.conn.display);
	if (!cs_wait(&s)) {
		die("truncate: (b) no answer: %s", conn_error(c.display));
	}
	bool b_ok = waited && !s.ready &&
		s.reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS;
	printf("# (b) pool shrunk while waiting (waited: %s): %s %u\n", waited ? "yes" : "no",
		s.ready ? "ready" : "failed", s.reason);
	cs_frame_destroy(&s);
	shm_buffer_finish(&b);

	/*
	 * (c) the session goes on: the frame (b) could not take is delivered
	 * to a good buffer at once, and the next change after it.
	 */
	cs_capture(&s, good.wl_buffer, false);
	bool c_ok = cs_wait(&s) && s.ready &&
		(shm_buffer_word(&good, 5, 5) & 0xffffff) == 0x204060;
	printf("# (c) good buffer afterwards: %s, pixel 0x%06x\n", s.ready ? "ready" : "not ready",
		shm_buffer_word(&good, 5, 5) & 0xffffff);
	cs_frame_destroy(&s);
	painter_paint(&painter, 0xff604020);
	wl_display_roundtrip(painter.conn.display);
	cs_capture(&s, good.wl_buffer, false);
	c_ok = c_ok && cs_wait(&s) && s.ready &&
		(shm_buffer_word(&good, 5, 5) & 0xffffff) == 0x604020;
	printf("# (c) and the next change: %s, pixel 0x%06x\n", s.ready ? "ready" : "not ready",
		shm_buffer_word(&good, 5, 5) & 0xffffff);
	bool alive = wl_display_roundtrip(c.display) >= 0;
	cs_close(&s);
	shm_buffer_finish(&good);
	conn_close(&c);
	painter_finish(&painter);
	bool ok = a_ok && good_ok && b_ok && c_ok && alive;
	printf("%s truncate: shrunk before capture → failed(buffer_constraints), shrunk while "
		"waiting → failed(buffer_constraints), good buffers keep working, connection %s\n",
		ok ? "PASS" : "FAIL", alive ? "alive" : "lost");
	return ok ? 0 : 1;
}

/* Mode: foreign-buffer */

static int mode_foreign_buffer(void) {
	static struct painter painter;
	if (!painter_start(&painter, 64, 48, "ph-stress-foreign")) {
		die("foreign-buffer: cannot map a window");
	}
	struct conn c;
	if (!conn_open(&c) || c.single_pixel == NULL) {
		die("foreign-buffer: cannot connect or no wp_single_pixel_buffer_manager_v1");
	}
	struct cap_session s;
	if (!cs_open(&s, &c, 0, -1, 0)) {
		die("foreign-buffer: no constraints");
	}
	struct wl_buffer *pixel = wp_single_pixel_buffer_manager_v1_create_u32_rgba_buffer(
		c.single_pixel, UINT32_MAX, 0, 0, UINT32_MAX);
	cs_capture(&s, pixel, true);
	bool answered = cs_wait(&s);
	bool pixel_ok = answered && !s.ready &&
		s.reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS;
	printf("# single-pixel buffer: %s %u\n", s.ready ? "ready" : "failed", s.reason);
	cs_frame_destroy(&s);
	wl_buffer_destroy(pixel);

	/*
	 * The painter's own buffer, shown in its window, captured by the
	 * painter's connection: legal, and it gets the screen's pixels.
	 */
	struct cap_session ps;
	if (!cs_open(&ps, &painter.conn, 0, -1, 0)) {
		die("foreign-buffer: painter session has no constraints");
	}
	struct shm_buffer shared;
	shm_buffer_init(&shared, painter.conn.shm, ps.width, ps.height, ps.width * 4,
		SHM_XRGB8888, 0);
	memset(shared.data, 0, shared.size);
	/* Show it as the window too (its top-left 64x48 are what the window shows). */
	wl_surface_attach(painter.surface, shared.wl_buffer, 0, 0);
	wl_surface_damage_buffer(painter.surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(painter.surface);
	cs_capture(&ps, shared.wl_buffer, true);
	bool shared_ok = cs_wait(&ps) && ps.ready;
	printf("# buffer that is also the window's content: %s\n", ps.ready ? "ready" : "failed");
	cs_close(&ps);
	bool alive = wl_display_roundtrip(c.display) >= 0 &&
		wl_display_roundtrip(painter.conn.display) >= 0;
	cs_close(&s);
	conn_close(&c);
	shm_buffer_finish(&shared);
	painter_finish(&painter);
	bool ok = pixel_ok && shared_ok && alive;
	printf("%s foreign-buffer: non-SHM buffer → failed(buffer_constraints), a window's own "
		"buffer captures, connections %s\n", ok ? "PASS" : "FAIL", alive ? "alive" : "lost");
	return ok ? 0 : 1;
}


/* Mode: toplevel-list */

static bool conn_handle_closed(void *data) {
	struct conn *c = data;
	for (int i = 0; i < c->handle_count; i++) {
		if (c->handle_closed[i]) {
			return true;
		}
	}
	return false;
}

static bool conn_list_finished(void *data) {
	return ((struct conn *)data)->list_finished;
}

static int mode_toplevel_list(void) {
	static struct painter painter, second;
	if (!painter_start(&painter, 64, 48, "ph-stress-list")) {
		die("toplevel-list: cannot map a window");
	}
	struct conn c, other;
	if (!conn_open(&c) || !conn_open(&other) || c.toplevel_list == NULL ||
			c.toplevel_sources == NULL) {
		die("toplevel-list: cannot connect or no ext-foreign-toplevel-list");
	}
	int h = find_handle(&c, "ph-stress-list");
	int h2 = find_handle(&other, "ph-stress-list");
	if (h < 0 || h2 < 0) {
		die("toplevel-list: our window has no handle");
	}
	bool ok = true;

	/* (a) stop: finished comes, no toplevel event after it, handles keep working. */
	ext_foreign_toplevel_list_v1_stop(c.toplevel_list);
	bool finished = dispatch_until(c.display, conn_list_finished, &c, WAIT_MS) == 1;
	if (!painter_start(&second, 32, 32, "ph-stress-list-later")) {
		die("toplevel-list: cannot map a second window");
	}
	wl_display_roundtrip(c.display);
	struct cap_session s;
	bool constraints = cs_open(&s, &c, -1, h, 0);
	struct shm_buffer b;
	shm_buffer_init(&b, c.shm, s.width > 0 ? s.width : 1, s.height > 0 ? s.height : 1,
		(s.width > 0 ? s.width : 1) * 4, SHM_XRGB8888, 0);
	cs_capture(&s, b.wl_buffer, true);
	bool captured = constraints && cs_wait(&s) && s.ready;
	bool a_ok = finished && c.toplevels_after_finished == 0 && captured;
	printf("# (a) stop: finished %s, %d toplevel events after it, capture through an old "
		"handle %s\n", finished ? "yes" : "no", c.toplevels_after_finished,
		captured ? "ready" : "not ready");
	ok = ok && a_ok;
	cs_frame_destroy(&s);

	/*
	 * (b) the handle and the toplevel source manager go while the session
	 * lives: the session keeps capturing the window.
	 */
	ext_foreign_toplevel_handle_v1_destroy(c.handles[h]);
	c.handles[h] = NULL;
	ext_foreign_toplevel_image_capture_source_manager_v1_destroy(c.toplevel_sources);
	c.toplevel_sources = NULL;
	painter_paint(&painter, 0xff405060);
	wl_display_roundtrip(painter.conn.display);
	cs_capture(&s, b.wl_buffer, false);
	bool b_ok = cs_wait(&s) && s.ready && (shm_buffer_word(&b, 5, 5) & 0xffffff) == 0x405060;
	printf("# (b) handle and source manager destroyed: %s, pixel 0x%06x\n",
		s.ready ? "ready" : "not ready", shm_buffer_word(&b, 5, 5) & 0xffffff);
	ok = ok && b_ok;
	cs_frame_destroy(&s);

	/*
	 * (c) the other client waits on a frame of the window and has destroyed
	 * its list first; the window closes mid-capture.
	 */
	struct cap_session o;
	bool o_constraints = cs_open(&o, &other, -1, h2, 0);
	struct shm_buffer ob;
	shm_buffer_init(&ob, other.shm, o.width > 0 ? o.width : 1, o.height > 0 ? o.height : 1,
		(o.width > 0 ? o.width : 1) * 4, SHM_XRGB8888, 0);
	cs_capture(&o, ob.wl_buffer, true);
	bool first = o_constraints && cs_wait(&o) && o.ready;
	cs_frame_destroy(&o);
	cs_capture(&o, ob.wl_buffer, false);
	wl_display_roundtrip(other.display);
	bool waiting = !o.finished;
	/* Our own session on the window is still open, too. */
	cs_capture(&s, b.wl_buffer, false);
	wl_display_roundtrip(c.display);
	xdg_toplevel_destroy(painter.toplevel);
	xdg_surface_destroy(painter.xdg_surface);
	wl_surface_destroy(painter.surface);
	painter.toplevel = NULL;
	wl_display_roundtrip(painter.conn.display);
	bool closed = dispatch_until(other.display, conn_handle_closed, &other, WAIT_MS) == 1;
	bool o_failed = (o.finished || cs_wait(&o)) && !o.ready &&
		o.reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
	wl_display_roundtrip(other.display);
	bool o_stopped = o.stopped;
	bool s_failed = (s.finished || cs_wait(&s)) && !s.ready &&
		s.reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED;
	wl_display_roundtrip(c.display);
	bool c_ok = first && waiting && closed && o_failed && o_stopped && s_failed && s.stopped &&
		other.events_after_closed == 0;
	printf("# (c) window closed mid-capture: first frame %s, waiting %s, handle closed %s, "
		"pending frames failed(stopped) %s/%s, sessions stopped %s/%s, %d events after "
		"closed\n", first ? "ready" : "not ready", waiting ? "yes" : "no",
		closed ? "yes" : "no", o_failed ? "yes" : "no", s_failed ? "yes" : "no",
		o_stopped ? "yes" : "no", s.stopped ? "yes" : "no", other.events_after_closed);
	ok = ok && c_ok;
	cs_close(&o);

	/* (d) a request on the handle after closed: a source from it, whose session stops. */
	struct cap_session late;
	memset(&late, 0, sizeof(late));
	late.conn = &other;
	late.source = ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
		other.toplevel_sources, other.handles[h2]);
	late.session = ext_image_copy_capture_manager_v1_create_session(other.copy_manager,
		late.source, 0);
	ext_image_copy_capture_session_v1_add_listener(late.session, &cs_listener, &late);
	dispatch_until(other.display, cs_done_or_stopped, &late, WAIT_MS);
	bool d_ok = late.stopped && !late.done && wl_display_roundtrip(other.display) >= 0;
	printf("# (d) source from a closed handle: session %s\n", late.stopped ? "stopped" :
		late.done ? "got constraints" : "no answer");
	ok = ok && d_ok;
	cs_close(&late);

	/* (e) the list goes before its handles; the second window closes after. */
	ext_foreign_toplevel_list_v1_destroy(other.toplevel_list);
	other.toplevel_list = NULL;
	painter_finish(&second);
	bool e_ok = wl_display_roundtrip(other.display) >= 0 && wl_display_roundtrip(c.display) >= 0;
	printf("# (e) list destroyed before its handles, then a window closed: connection %s\n",
		e_ok ? "alive" : "lost");
	ok = ok && e_ok;

	cs_close(&s);
	shm_buffer_finish(&b);
	shm_buffer_finish(&ob);
	conn_close(&other);
	conn_close(&c);
	painter_finish(&painter);
	printf("%s toplevel-list: stop/finished, handle and manager destroyed under a live "
		"session, window closed mid-capture, request after closed, list destroyed first\n",
		ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

/* Mode: fuzz */

/*
 * The fuzzer keeps a model of every object it created in a sequence. It
 * predicts the exact protocol error of each invalid request it sends (and
 * sends nothing after one), whether a frame's buffer fits the session's
 * constraints, and which frames must finish without new content: the
 * first capture of a session, and every capture into a buffer that does
 * not fit. Everything else is allowed to wait.
 */

#define FZ_MAX 6
#define FZ_MAX_FORMATS 16

static uint64_t fz_state;

static uint64_t fz_next(void) {
	/* splitmix64: good enough, tiny, and the same everywhere. */
	uint64_t z = (fz_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int fz_below(int n) {
	return n <= 0 ? 0 : (int)(fz_next() % (uint64_t)n);
}

static bool fz_chance(int percent) {
	return fz_below(100) < percent;
}

struct fz_buffer {
	bool used;
	bool shm; /* false: a wp_single_pixel_buffer_v1 */
	struct shm_buffer mem;
	struct wl_buffer *wl_buffer;
	bool truncated;
};

struct fz_source {
	bool used;
	struct ext_image_capture_source_v1 *obj;
};

struct fz_cursor {
	bool used;
	struct ext_image_copy_capture_cursor_session_v1 *obj;
	bool got_session;
};

struct fz_session {
	bool used, cursor;
	struct ext_image_copy_capture_session_v1 *obj;
	int width, height;
	uint32_t formats[FZ_MAX_FORMATS];
	int format_count;
	bool collecting; /* between constraints events and done */
	bool done, stopped;
	bool ever_ready;
	bool uncertain; /* a frame vanished mid-flight: the next may wait */
	int frame; /* live frame index, -1 */
};

struct fz_frame {
	bool used;
	struct ext_image_copy_capture_frame_v1 *obj;
	int session; /* -1 once the session is destroyed */
	struct fz_sequence *seq;
	int buffer; /* attached buffer index, -1 */
	bool captured;
	/* Prediction made at capture time. */
	bool known, fits, must_finish, first;
	char buffer_desc[96]; /* the buffer at capture time, for reports */
	bool expect_stopped; /* captured on a destroyed or stopped session */
	int width, height;
	bool finished, ready, failed;
	uint32_t reason;
	bool got_transform, got_time;
	int64_t damage_area;
	char problem[160];
};

struct fz_sequence {
	uint64_t seed;
	struct conn conn;
	struct wl_pointer *pointer;
	struct fz_buffer buffers[FZ_MAX];
	struct fz_source sources[FZ_MAX];
	struct fz_cursor cursors[FZ_MAX];
	struct fz_session sessions[FZ_MAX];
	struct fz_frame frames[FZ_MAX];
	/* The invalid request sent: the connection must die with exactly this. */
	const struct wl_interface *expect_interface;
	uint32_t expect_code;
	char expect_what[96];
	char problem[256];
};

static struct {
	long sequences, requests, expected_errors, ready, failed[3], unfinished, problems;
	long truncations, foreign_buffers, destroyed_all, abrupt;
} fz_stats;

static void fz_problem(struct fz_sequence *seq, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fz_problem(struct fz_sequence *seq, const char *fmt, ...) {
	if (seq->problem[0] != '\0') {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(seq->problem, sizeof(seq->problem), fmt, args);
	va_end(args);
}

static void fz_frame_problem(struct fz_frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fz_frame_problem(struct fz_frame *f, const char *fmt, ...) {
	if (f->problem[0] != '\0') {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(f->problem, sizeof(f->problem), fmt, args);
	va_end(args);
}

/* Session events */

static void fz_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *obj,
		uint32_t width, uint32_t height) {
	struct fz_session *s = data;
	if (!s->collecting) {
		s->format_count = 0;
		s->collecting = true;
	}
	s->width = (int)width;
	s->height = (int)height;
}

static void fz_shm_format(void *data, struct ext_image_copy_capture_session_v1 *obj,
		uint32_t format) {
	struct fz_session *s = data;
	if (!s->collecting) {
		s->format_count = 0;
		s->collecting = true;
	}
	if (s->format_count < FZ_MAX_FORMATS) {
		s->formats[s->format_count++] = format;
	}
}

static void fz_dmabuf_device(void *data, struct ext_image_copy_capture_session_v1 *obj,
		struct wl_array *device) {
}

static void fz_dmabuf_format(void *data, struct ext_image_copy_capture_session_v1 *obj,
		uint32_t format, struct wl_array *modifiers) {
}

static void fz_done(void *data, struct ext_image_copy_capture_session_v1 *obj) {
	struct fz_session *s = data;
	s->collecting = false;
	s->done = true;
}

static void fz_stopped(void *data, struct ext_image_copy_capture_session_v1 *obj) {
	((struct fz_session *)data)->stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener fz_session_listener = {
	.buffer_size = fz_buffer_size,
	.shm_format = fz_shm_format,
	.dmabuf_device = fz_dmabuf_device,
	.dmabuf_format = fz_dmabuf_format,
	.done = fz_done,
	.stopped = fz_stopped,
};

/* Frame events */

static void fz_transform(void *data, struct ext_image_copy_capture_frame_v1 *obj,
		uint32_t transform) {
	struct fz_frame *f = data;
	f->got_transform = true;
	if (transform > WL_OUTPUT_TRANSFORM_FLIPPED_270) {
		fz_frame_problem(f, "transform %u out of range", transform);
	}
}

static void fz_damage(void *data, struct ext_image_copy_capture_frame_v1 *obj,
		int32_t x, int32_t y, int32_t w, int32_t h) {
	struct fz_frame *f = data;
	if (x < 0 || y < 0 || w <= 0 || h <= 0 ||
			(f->known && ((int64_t)x + w > f->width || (int64_t)y + h > f->height))) {
		fz_frame_problem(f, "damage %d,%d %dx%d empty or outside %dx%d", x, y, w, h,
			f->width, f->height);
	}
	f->damage_area += (int64_t)w * h;
}

static void fz_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *obj,
		uint32_t hi, uint32_t lo, uint32_t nsec) {
	struct fz_frame *f = data;
	f->got_time = true;
	if (nsec > 999999999) {
		fz_frame_problem(f, "tv_nsec %u", nsec);
	}
}

static void fz_ready(void *data, struct ext_image_copy_capture_frame_v1 *obj) {
	struct fz_frame *f = data;
	if (f->finished) {
		fz_frame_problem(f, "a second ready/failed");
	}
	f->finished = f->ready = true;
	fz_stats.ready++;
	if (!f->captured) {
		fz_frame_problem(f, "ready before capture");
	}
	if (!f->got_transform || !f->got_time) {
		fz_frame_problem(f, "ready without %s", f->got_transform ? "presentation_time" :
			"transform");
	}
	if (f->damage_area == 0) {
		fz_frame_problem(f, "ready without damage");
	}
	if (f->expect_stopped) {
		fz_frame_problem(f, "ready on a destroyed or stopped session");
	} else if (f->known && !f->fits) {
		fz_frame_problem(f, "ready for a buffer that does not fit the constraints (%s)",
			f->buffer_desc);
	}
	if (f->known && f->first && f->damage_area < (int64_t)f->width * f->height) {
		fz_frame_problem(f, "first frame of the session without full damage");
	}
	if (f->session >= 0) {
		f->seq->sessions[f->session].ever_ready = true;
	}
}

static void fz_failed(void *data, struct ext_image_copy_capture_frame_v1 *obj,
		uint32_t reason) {
	struct fz_frame *f = data;
	if (f->finished) {
		fz_frame_problem(f, "a second ready/failed");
	}
	f->finished = f->failed = true;
	f->reason = reason;
	if (reason <= 2) {
		fz_stats.failed[reason]++;
	} else {
		fz_frame_problem(f, "failure reason %u", reason);
	}
	if (f->expect_stopped && reason != EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED) {
		fz_frame_problem(f, "failed(%u) on a destroyed or stopped session, expected stopped",
			reason);
	} else if (reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS &&
			f->known && f->fits) {
		fz_frame_problem(f, "failed(buffer_constraints) for a buffer that fits (%s)",
			f->buffer_desc);
	}
	if (reason != EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS &&
			f->known && !f->fits && reason != EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED) {
		fz_frame_problem(f, "failed(%u) for a buffer that does not fit, expected "
			"buffer_constraints", reason);
	}
}

static const struct ext_image_copy_capture_frame_v1_listener fz_frame_listener = {
	.transform = fz_transform,
	.damage = fz_damage,
	.presentation_time = fz_presentation_time,
	.ready = fz_ready,
	.failed = fz_failed,
};

/* Picking live objects */

#define FZ_PICK(seq, array, cond) ({ \
	int picked_ = -1, seen_ = 0; \
	for (int i_ = 0; i_ < FZ_MAX; i_++) { \
		if ((seq)->array[i_].used && (cond)) { \
			if (fz_below(++seen_) == 0) { \
				picked_ = i_; \
			} \
		} \
	} \
	picked_; \
})

#define FZ_FREE_SLOT(seq, array) ({ \
	int slot_ = -1; \
	for (int i_ = 0; i_ < FZ_MAX && slot_ < 0; i_++) { \
		if (!(seq)->array[i_].used) { \
			slot_ = i_; \
		} \
	} \
	slot_; \
})

static void fz_expect(struct fz_sequence *seq, const struct wl_interface *interface,
		uint32_t code, const char *what) {
	seq->expect_interface = interface;
	seq->expect_code = code;
	snprintf(seq->expect_what, sizeof(seq->expect_what), "%s", what);
	fz_stats.expected_errors++;
}

/* Operations: each returns false when it had nothing to act on. */

static bool op_new_buffer(struct fz_sequence *seq) {
	int slot = FZ_FREE_SLOT(seq, buffers);
	if (slot < 0) {
		return false;
	}
	struct fz_buffer *b = &seq->buffers[slot];
	memset(b, 0, sizeof(*b));
	b->mem.fd = -1;
	if (fz_chance(5) && seq->conn.single_pixel != NULL) {
		b->wl_buffer = wp_single_pixel_buffer_manager_v1_create_u32_rgba_buffer(
			seq->conn.single_pixel, (uint32_t)fz_next(), 0, 0, UINT32_MAX);
		b->used = true;
		fz_stats.foreign_buffers++;
		return true;
	}
	/* Mostly what a session asked for; sometimes anything. */
	int s = FZ_PICK(seq, sessions, seq->sessions[i_].done);
	int width = 1 + fz_below(400), height = 1 + fz_below(300);
	uint32_t format = WL_SHM_FORMAT_XRGB8888;
	if (s >= 0 && fz_chance(75)) {
		struct fz_session *session = &seq->sessions[s];
		width = session->width + (fz_chance(10) ? fz_below(3) - 1 : 0);
		height = session->height + (fz_chance(10) ? fz_below(3) - 1 : 0);
		if (session->format_count > 0) {
			format = session->formats[fz_below(session->format_count)];
		}
	}
	if (fz_chance(15) && seq->conn.shm_format_count > 0) {
		format = seq->conn.shm_formats[fz_below(seq->conn.shm_format_count)];
	}
	int bpp = format_bpp(format);
	if (bpp == 0) {
		format = WL_SHM_FORMAT_ARGB8888;
		bpp = 4;
	}
	width = width < 1 ? 1 : width;
	height = height < 1 ? 1 : height;
	int stride = width * bpp + (fz_chance(20) ? bpp * fz_below(32) : 0);
	int offset = fz_chance(10) ? 4 * fz_below(64) : 0;
	if (!shm_buffer_init(&b->mem, seq->conn.shm, width, height, stride, format, offset)) {
		return false;
	}
	b->wl_buffer = b->mem.wl_buffer;
	b->shm = b->used = true;
	return true;
}

/* Frames whose buffer changes under them lose their prediction. */
static void fz_forget_predictions(struct fz_sequence *seq, int buffer) {
	for (int i = 0; i < FZ_MAX; i++) {
		struct fz_frame *f = &seq->frames[i];
		if (f->used && f->buffer == buffer && f->captured && !f->finished) {
			f->known = f->must_finish = false;
		}
	}
}

static bool op_truncate_buffer(struct fz_sequence *seq) {
	int b = FZ_PICK(seq, buffers, seq->buffers[i_].shm && !seq->buffers[i_].truncated);
	if (b < 0) {
		return false;
	}
	shm_buffer_truncate(&seq->buffers[b].mem);
	seq->buffers[b].truncated = true;
	fz_forget_predictions(seq, b);
	fz_stats.truncations++;
	return true;
}

static bool op_destroy_buffer(struct fz_sequence *seq) {
	int b = FZ_PICK(seq, buffers, true);
	if (b < 0) {
		return false;
	}
	struct fz_buffer *buffer = &seq->buffers[b];
	if (buffer->shm) {
		shm_buffer_finish(&buffer->mem);
	} else {
		wl_buffer_destroy(buffer->wl_buffer);
	}
	buffer->used = false;
	/* Frames that had it attached now have no buffer (pinhole: capture → no_buffer). */
	for (int i = 0; i < FZ_MAX; i++) {
		if (seq->frames[i].used && seq->frames[i].buffer == b) {
			seq->frames[i].buffer = -1;
		}
	}
	return true;
}

static bool op_new_source(struct fz_sequence *seq) {
	int slot = FZ_FREE_SLOT(seq, sources);
	if (slot < 0) {
		return false;
	}
	struct conn *c = &seq->conn;
	int handle = -1;
	for (int i = 0; i < c->handle_count; i++) {
		if (c->handles[i] != NULL && fz_chance(60)) {
			handle = i;
		}
	}
	if (handle >= 0 && c->toplevel_sources != NULL && fz_chance(40)) {
		seq->sources[slot].obj =
			ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
				c->toplevel_sources, c->handles[handle]);
	} else if (c->output_sources != NULL) {
		seq->sources[slot].obj = ext_output_image_capture_source_manager_v1_create_source(
			c->output_sources, c->outputs[fz_below(c->output_count)]);
	} else {
		return false;
	}
	seq->sources[slot].used = true;
	return true;
}

static bool op_destroy_source(struct fz_sequence *seq) {
	int s = FZ_PICK(seq, sources, true);
	if (s < 0) {
		return false;
	}
	ext_image_capture_source_v1_destroy(seq->sources[s].obj);
	seq->sources[s].used = false;
	return true;
}

static void fz_session_init(struct fz_sequence *seq, int slot,
		struct ext_image_copy_capture_session_v1 *obj, bool cursor) {
	struct fz_session *s = &seq->sessions[slot];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->cursor = cursor;
	s->obj = obj;
	s->frame = -1;
	ext_image_copy_capture_session_v1_add_listener(obj, &fz_session_listener, s);
}

static bool op_new_session(struct fz_sequence *seq) {
	int slot = FZ_FREE_SLOT(seq, sessions);
	int src = FZ_PICK(seq, sources, true);
	if (slot < 0 || src < 0 || seq->conn.copy_manager == NULL) {
		return false;
	}
	uint32_t options = fz_chance(50) ? 0 : EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS;
	if (fz_chance(3)) {
		options |= (uint32_t)(2u << fz_below(31));
		fz_expect(seq, &ext_image_copy_capture_manager_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION, "create_session options");
	}
	fz_session_init(seq, slot, ext_image_copy_capture_manager_v1_create_session(
		seq->conn.copy_manager, seq->sources[src].obj, options), false);
	return true;
}

static bool op_new_cursor_session(struct fz_sequence *seq) {
	int slot = FZ_FREE_SLOT(seq, cursors);
	int src = FZ_PICK(seq, sources, true);
	if (slot < 0 || src < 0 || seq->conn.copy_manager == NULL || seq->conn.seat == NULL) {
		return false;
	}
	if (seq->pointer == NULL) {
		seq->pointer = wl_seat_get_pointer(seq->conn.seat);
	}
	seq->cursors[slot].obj = ext_image_copy_capture_manager_v1_create_pointer_cursor_session(
		seq->conn.copy_manager, seq->sources[src].obj, seq->pointer);
	seq->cursors[slot].used = true;
	seq->cursors[slot].got_session = false;
	return true;
}

static bool op_cursor_get_session(struct fz_sequence *seq) {
	bool valid = fz_chance(90);
	int c = FZ_PICK(seq, cursors, !valid || !seq->cursors[i_].got_session);
	int slot = FZ_FREE_SLOT(seq, sessions);
	if (c < 0 || slot < 0) {
		return false;
	}
	if (seq->cursors[c].got_session) {
		fz_expect(seq, &ext_image_copy_capture_cursor_session_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_CURSOR_SESSION_V1_ERROR_DUPLICATE_SESSION,
			"get_capture_session twice");
	}
	seq->cursors[c].got_session = true;
	fz_session_init(seq, slot,
		ext_image_copy_capture_cursor_session_v1_get_capture_session(seq->cursors[c].obj),
		true);
	return true;
}

static bool op_destroy_cursor(struct fz_sequence *seq) {
	int c = FZ_PICK(seq, cursors, true);
	if (c < 0) {
		return false;
	}
	ext_image_copy_capture_cursor_session_v1_destroy(seq->cursors[c].obj);
	seq->cursors[c].used = false;
	return true;
}

static void fz_session_destroy(struct fz_sequence *seq, int s) {
	struct fz_session *session = &seq->sessions[s];
	ext_image_copy_capture_session_v1_destroy(session->obj);
	session->used = false;
	for (int i = 0; i < FZ_MAX; i++) {
		if (seq->frames[i].used && seq->frames[i].session == s) {
			seq->frames[i].session = -1;
		}
	}
}

static bool op_destroy_session(struct fz_sequence *seq) {
	int s = FZ_PICK(seq, sessions, true);
	if (s < 0) {
		return false;
	}
	fz_session_destroy(seq, s);
	return true;
}

static void fz_frame_create(struct fz_sequence *seq, int s, int slot) {
	struct fz_session *session = &seq->sessions[s];
	struct fz_frame *f = &seq->frames[slot];
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->seq = seq;
	f->session = s;
	f->buffer = -1;
	f->obj = ext_image_copy_capture_session_v1_create_frame(session->obj);
	ext_image_copy_capture_frame_v1_add_listener(f->obj, &fz_frame_listener, f);
	session->frame = slot;
}

static bool op_new_frame(struct fz_sequence *seq) {
	/* A second frame is a protocol error: now and then only. */
	bool valid = fz_chance(92);
	int s = FZ_PICK(seq, sessions, !valid || seq->sessions[i_].frame < 0);
	int slot = FZ_FREE_SLOT(seq, frames);
	if (s < 0 || slot < 0) {
		return false;
	}
	struct fz_session *session = &seq->sessions[s];
	if (session->frame >= 0) {
		fz_expect(seq, &ext_image_copy_capture_session_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_SESSION_V1_ERROR_DUPLICATE_FRAME, "second create_frame");
	}
	fz_frame_create(seq, s, slot);
	return true;
}

static void fz_frame_destroy(struct fz_sequence *seq, int i) {
	struct fz_frame *f = &seq->frames[i];
	if (!f->finished && f->captured && f->session >= 0) {
		/* It may have been copied already: the session's next capture may wait. */
		seq->sessions[f->session].uncertain = true;
	}
	if (f->problem[0] != '\0') {
		fz_problem(seq, "frame: %s", f->problem);
	}
	ext_image_copy_capture_frame_v1_destroy(f->obj);
	if (f->session >= 0) {
		seq->sessions[f->session].frame = -1;
	}
	f->used = false;
}

static bool op_destroy_frame(struct fz_sequence *seq) {
	int f = FZ_PICK(seq, frames, true);
	if (f < 0) {
		return false;
	}
	fz_frame_destroy(seq, f);
	return true;
}

static bool op_attach(struct fz_sequence *seq) {
	bool valid = fz_chance(95);
	int f = FZ_PICK(seq, frames, !valid || !seq->frames[i_].captured);
	int b = FZ_PICK(seq, buffers, true);
	if (f < 0 || b < 0) {
		return false;
	}
	struct fz_frame *frame = &seq->frames[f];
	if (frame->captured) {
		fz_expect(seq, &ext_image_copy_capture_frame_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED, "attach_buffer after capture");
	}
	ext_image_copy_capture_frame_v1_attach_buffer(frame->obj, seq->buffers[b].wl_buffer);
	frame->buffer = b;
	return true;
}

static bool op_damage(struct fz_sequence *seq) {
	bool valid = fz_chance(95);
	int f = FZ_PICK(seq, frames, !valid || !seq->frames[i_].captured);
	if (f < 0) {
		return false;
	}
	struct fz_frame *frame = &seq->frames[f];
	int32_t x, y, w, h;
	bool invalid = !frame->captured && fz_chance(5);
	if (invalid) {
		x = fz_chance(50) ? -1 - fz_below(100) : fz_below(100);
		y = fz_chance(50) ? -1 - fz_below(100) : fz_below(100);
		w = fz_chance(50) ? -fz_below(100) : 1 + fz_below(100);
		h = fz_chance(50) ? -fz_below(100) : 1 + fz_below(100);
		invalid = x < 0 || y < 0 || w <= 0 || h <= 0;
	} else if (fz_chance(20)) {
		/* "Everything", the way grim says it. */
		x = y = 0;
		w = h = INT32_MAX;
	} else {
		x = fz_below(500);
		y = fz_below(400);
		w = 1 + fz_below(fz_chance(10) ? INT32_MAX - 1 : 500);
		h = 1 + fz_below(fz_chance(10) ? INT32_MAX - 1 : 400);
	}
	if (frame->captured) {
		fz_expect(seq, &ext_image_copy_capture_frame_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED, "damage_buffer after capture");
	} else if (invalid) {
		fz_expect(seq, &ext_image_copy_capture_frame_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER_DAMAGE, "invalid damage_buffer");
	}
	ext_image_copy_capture_frame_v1_damage_buffer(frame->obj, x, y, w, h);
	return true;
}

static bool fz_buffer_fits(struct fz_sequence *seq, struct fz_buffer *b, struct fz_session *s) {
	if (!b->shm || b->truncated || b->mem.width != s->width || b->mem.height != s->height ||
			b->mem.stride < b->mem.width * 4) {
		return false;
	}
	for (int i = 0; i < s->format_count; i++) {
		if (s->formats[i] == b->mem.format) {
			return true;
		}
	}
	return false;
}

static void fz_capture(struct fz_sequence *seq, int i) {
	struct fz_frame *f = &seq->frames[i];
	if (f->captured) {
		fz_expect(seq, &ext_image_copy_capture_frame_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED, "capture twice");
	} else if (f->buffer < 0) {
		fz_expect(seq, &ext_image_copy_capture_frame_v1_interface,
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER, "capture without a buffer");
	} else if (f->session < 0) {
		/* The session is gone: the frame is inert and fails at once. */
		f->known = f->fits = f->must_finish = f->expect_stopped = true;
	} else {
		struct fz_session *s = &seq->sessions[f->session];
		if (s->stopped) {
			f->known = f->fits = f->must_finish = f->expect_stopped = true;
		} else if (s->done && !s->cursor) {
			f->known = true;
			f->width = s->width;
			f->height = s->height;
			f->fits = fz_buffer_fits(seq, &seq->buffers[f->buffer], s);
			struct fz_buffer *b = &seq->buffers[f->buffer];
			snprintf(f->buffer_desc, sizeof(f->buffer_desc), "%s %dx%d stride %d format "
				"0x%x%s for %dx%d", b->shm ? "shm" : "non-shm", b->mem.width, b->mem.height,
				b->mem.stride, b->mem.format, b->truncated ? " truncated" : "", s->width,
				s->height);
			f->first = !s->ever_ready && !s->uncertain;
			f->must_finish = !f->fits || f->first;
		}
	}
	f->captured = true;
	ext_image_copy_capture_frame_v1_capture(f->obj);
}

static bool op_capture(struct fz_sequence *seq) {
	bool valid = fz_chance(92);
	int i = FZ_PICK(seq, frames, !valid ||
		(!seq->frames[i_].captured && seq->frames[i_].buffer >= 0));
	if (i < 0) {
		return false;
	}
	fz_capture(seq, i);
	return true;
}

static bool op_capture_flow(struct fz_sequence *seq) {
	/* The ordinary client: a frame, a fitting buffer, full damage, capture. */
	int s = FZ_PICK(seq, sessions, seq->sessions[i_].done && seq->sessions[i_].frame < 0 &&
		!seq->sessions[i_].cursor);
	int slot = FZ_FREE_SLOT(seq, frames);
	int b = FZ_FREE_SLOT(seq, buffers);
	if (s < 0 || slot < 0 || b < 0) {
		return false;
	}
	struct fz_session *session = &seq->sessions[s];
	struct fz_buffer *buffer = &seq->buffers[b];
	memset(buffer, 0, sizeof(*buffer));
	uint32_t format = session->format_count > 0 ?
		session->formats[fz_below(session->format_count)] : WL_SHM_FORMAT_XRGB8888;
	if (!shm_buffer_init(&buffer->mem, seq->conn.shm, session->width, session->height,
			session->width * 4, format, 0)) {
		return false;
	}
	buffer->wl_buffer = buffer->mem.wl_buffer;
	buffer->shm = buffer->used = true;
	fz_frame_create(seq, s, slot);
	seq->frames[slot].buffer = b;
	ext_image_copy_capture_frame_v1_attach_buffer(seq->frames[slot].obj, buffer->wl_buffer);
	if (fz_chance(70)) {
		ext_image_copy_capture_frame_v1_damage_buffer(seq->frames[slot].obj, 0, 0,
			session->width, session->height);
	}
	fz_capture(seq, slot);
	return true;
}

static bool op_destroy_manager(struct fz_sequence *seq) {
	struct conn *c = &seq->conn;
	switch (fz_below(3)) {
	case 0:
		if (c->copy_manager == NULL) {
			return false;
		}
		ext_image_copy_capture_manager_v1_destroy(c->copy_manager);
		c->copy_manager = NULL;
		return true;
	case 1:
		if (c->output_sources == NULL) {
			return false;
		}
		ext_output_image_capture_source_manager_v1_destroy(c->output_sources);
		c->output_sources = NULL;
		return true;
	default:
		if (c->toplevel_sources == NULL) {
			return false;
		}
		ext_foreign_toplevel_image_capture_source_manager_v1_destroy(c->toplevel_sources);
		c->toplevel_sources = NULL;
		return true;
	}
}

static bool op_toplevel_list(struct fz_sequence *seq) {
	struct conn *c = &seq->conn;
	if (c->toplevel_list == NULL) {
		return false;
	}
	int handle = -1;
	for (int i = 0; i < c->handle_count; i++) {
		if (c->handles[i] != NULL) {
			handle = i;
		}
	}
	switch (fz_below(3)) {
	case 0:
		/* stop may be sent more than once; finished follows. */
		ext_foreign_toplevel_list_v1_stop(c->toplevel_list);
		return true;
	case 1:
		if (handle < 0) {
			return false;
		}
		/* Sources made from it stay valid. */
		ext_foreign_toplevel_handle_v1_destroy(c->handles[handle]);
		c->handles[handle] = NULL;
		return true;
	default:
		/* Before its handles: they become inert, nothing may dangle. */
		ext_foreign_toplevel_list_v1_destroy(c->toplevel_list);
		c->toplevel_list = NULL;
		return true;
	}
}

static struct painter fz_painter;
static uint32_t fz_painter_color;

static bool op_paint(struct fz_sequence *seq) {
	fz_painter_color = fz_painter_color * 1103515245u + 12345u;
	painter_paint(&fz_painter, 0xff000000u | (fz_painter_color & 0xffffff));
	return true;
}

static bool op_roundtrip(struct fz_sequence *seq) {
	wl_display_roundtrip(seq->conn.display);
	return true;
}

static const struct {
	bool (*run)(struct fz_sequence *seq);
	int weight;
} fz_ops[] = {
	{op_new_buffer, 8}, {op_truncate_buffer, 1}, {op_destroy_buffer, 3},
	{op_new_source, 8}, {op_destroy_source, 3},
	{op_new_session, 8}, {op_destroy_session, 3},
	{op_new_cursor_session, 2}, {op_cursor_get_session, 2}, {op_destroy_cursor, 1},
	{op_new_frame, 6}, {op_destroy_frame, 4}, {op_attach, 6}, {op_damage, 5},
	{op_capture, 6}, {op_capture_flow, 8},
	{op_destroy_manager, 1}, {op_toplevel_list, 2},
	{op_paint, 4}, {op_roundtrip, 8},
};

static bool fz_must_finish_done(void *data) {
	struct fz_sequence *seq = data;
	for (int i = 0; i < FZ_MAX; i++) {
		struct fz_frame *f = &seq->frames[i];
		if (f->used && f->must_finish && !f->finished) {
			return false;
		}
	}
	return true;
}

/* Destroys every client-side object left (sending destructors where they exist). */
static void fz_release_all(struct fz_sequence *seq, bool shuffle) {
	/* Random order: each pass destroys one random kind of object first. */
	for (int pass = 0; pass < 8; pass++) {
		int kind = shuffle ? fz_below(5) : pass % 5;
		for (int i = 0; i < FZ_MAX; i++) {
			switch (kind) {
			case 0:
				if (seq->frames[i].used) {
					fz_frame_destroy(seq, i);
				}
				break;
			case 1:
				if (seq->sessions[i].used) {
					fz_session_destroy(seq, i);
				}
				break;
			case 2:
				if (seq->sources[i].used) {
					ext_image_capture_source_v1_destroy(seq->sources[i].obj);
					seq->sources[i].used = false;
				}
				break;
			case 3:
				if (seq->buffers[i].used) {
					if (seq->buffers[i].shm) {
						shm_buffer_finish(&seq->buffers[i].mem);
					} else {
						wl_buffer_destroy(seq->buffers[i].wl_buffer);
					}
					seq->buffers[i].used = false;
				}
				break;
			default:
				if (seq->cursors[i].used) {
					ext_image_copy_capture_cursor_session_v1_destroy(seq->cursors[i].obj);
					seq->cursors[i].used = false;
				}
				break;
			}
		}
	}
	for (int kind = 0; kind < 5; kind++) {
		for (int i = 0; i < FZ_MAX; i++) {
			if (kind == 0 && seq->frames[i].used) {
				fz_frame_destroy(seq, i);
			} else if (kind == 1 && seq->sessions[i].used) {
				fz_session_destroy(seq, i);
			} else if (kind == 2 && seq->sources[i].used) {
				ext_image_capture_source_v1_destroy(seq->sources[i].obj);
				seq->sources[i].used = false;
			} else if (kind == 3 && seq->buffers[i].used) {
				if (seq->buffers[i].shm) {
					shm_buffer_finish(&seq->buffers[i].mem);
				} else {
					wl_buffer_destroy(seq->buffers[i].wl_buffer);
				}
				seq->buffers[i].used = false;
			} else if (kind == 4 && seq->cursors[i].used) {
				ext_image_copy_capture_cursor_session_v1_destroy(seq->cursors[i].obj);
				seq->cursors[i].used = false;
			}
		}
	}
	if (seq->pointer != NULL) {
		if (wl_pointer_get_version(seq->pointer) >= 3) {
			wl_pointer_release(seq->pointer);
		} else {
			wl_pointer_destroy(seq->pointer);
		}
		seq->pointer = NULL;
	}
}

/* Whether the compositor still accepts connections. */
static bool fz_compositor_alive(void) {
	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		return false;
	}
	bool ok = wl_display_roundtrip(display) >= 0;
	wl_display_disconnect(display);
	return ok;
}

enum fz_result {
	FZ_OK,
	FZ_PROBLEM,
	FZ_CRASH,
};

static enum fz_result fz_run_sequence(uint64_t seed) {
	static struct fz_sequence seq_storage;
	struct fz_sequence *seq = &seq_storage;
	memset(seq, 0, sizeof(*seq));
	seq->seed = seed;
	fz_state = seed;
	for (int i = 0; i < FZ_MAX; i++) {
		seq->buffers[i].mem.fd = -1;
	}
	if (!conn_open(&seq->conn)) {
		bool connected = seq->conn.display != NULL;
		conn_close(&seq->conn);
		if (!connected || !fz_compositor_alive()) {
			return FZ_CRASH;
		}
		snprintf(seq->problem, sizeof(seq->problem), "setup failed: missing globals");
		printf("FUZZ-FAIL seed=%llu: %s\n", (unsigned long long)seed, seq->problem);
		return FZ_PROBLEM;
	}
	int total_weight = 0;
	for (size_t i = 0; i < sizeof(fz_ops) / sizeof(fz_ops[0]); i++) {
		total_weight += fz_ops[i].weight;
	}
	/* Most sequences start the way clients do: a source, a session, its constraints. */
	if (fz_chance(80)) {
		op_new_source(seq);
		op_new_session(seq);
		op_roundtrip(seq);
	}
	int steps = 4 + fz_below(40);
	for (int step = 0; step < steps && seq->expect_interface == NULL; step++) {
		int pick = fz_below(total_weight);
		size_t op = 0;
		while (pick >= fz_ops[op].weight) {
			pick -= fz_ops[op].weight;
			op++;
		}
		if (fz_ops[op].run(seq)) {
			fz_stats.requests++;
		}
		if (wl_display_dispatch_pending(seq->conn.display) < 0 &&
				seq->expect_interface == NULL) {
			break;
		}
	}
	struct wl_display *display = seq->conn.display;
	int ret = wl_display_roundtrip(display);
	if (seq->expect_interface != NULL) {
		const struct wl_interface *interface = NULL;
		uint32_t id = 0, code = 0;
		if (ret >= 0) {
			fz_problem(seq, "%s: no protocol error, expected %s code %u", seq->expect_what,
				seq->expect_interface->name, seq->expect_code);
		} else if (wl_display_get_error(display) != EPROTO) {
			fz_problem(seq, "%s: %s", seq->expect_what, conn_error(display));
		} else {
			code = wl_display_get_protocol_error(display, &interface, &id);
			if (interface == NULL || strcmp(interface->name, seq->expect_interface->name) != 0 ||
					code != seq->expect_code) {
				fz_problem(seq, "%s: %s, expected %s code %u", seq->expect_what,
					conn_error(display), seq->expect_interface->name, seq->expect_code);
			}
		}
	} else if (ret < 0) {
		fz_problem(seq, "valid requests only, yet %s", conn_error(display));
	} else {
		/* Frames that must not wait for new content finish now. */
		if (dispatch_until(display, fz_must_finish_done, seq, WAIT_MS) != 1) {
			for (int i = 0; i < FZ_MAX; i++) {
				struct fz_frame *f = &seq->frames[i];
				if (f->used && f->must_finish && !f->finished) {
					fz_stats.unfinished++;
					fz_problem(seq, "a %s frame got neither ready nor failed in %d ms",
						f->expect_stopped ? "stopped session's" : f->fits ?
						"first" : "misfit buffer's", WAIT_MS);
				}
			}
		}
		/* failed(stopped) is only right if the session really stopped or went away. */
		for (int i = 0; i < FZ_MAX; i++) {
			struct fz_frame *f = &seq->frames[i];
			if (f->used && f->failed && f->reason ==
					EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED &&
					f->session >= 0 && !seq->sessions[f->session].stopped &&
					!seq->sessions[f->session].cursor) {
				fz_problem(seq, "failed(stopped) on a session that was not stopped");
			}
		}
		for (int i = 0; i < FZ_MAX; i++) {
			struct fz_session *s = &seq->sessions[i];
			if (s->used && s->stopped && !s->cursor) {
				fz_problem(seq, "a session on a live output or window stopped");
			}
		}
		if (fz_chance(50)) {
			/* Orderly: destroy everything in random order, then check. */
			fz_release_all(seq, true);
			if (wl_display_roundtrip(display) < 0) {
				fz_problem(seq, "destroying everything: %s", conn_error(display));
			}
			fz_stats.destroyed_all++;
		} else {
			fz_stats.abrupt++;
		}
	}
	for (int i = 0; i < FZ_MAX; i++) {
		struct fz_frame *f = &seq->frames[i];
		if (f->used && f->problem[0] != '\0') {
			fz_problem(seq, "frame: %s", f->problem);
		}
	}
	/*
	 * Abrupt: the destructors below are only queued; the disconnect leaves
	 * the compositor to clean up whatever was alive.
	 */
	fz_release_all(seq, false);
	bool lost = wl_display_get_error(display) != 0 && wl_display_get_error(display) != EPROTO;
	conn_close(&seq->conn);
	pump(fz_painter.conn.display);
	if (lost && !fz_compositor_alive()) {
		return FZ_CRASH;
	}
	if (seq->problem[0] != '\0') {
		printf("FUZZ-FAIL seed=%llu: %s\n", (unsigned long long)seed, seq->problem);
		return FZ_PROBLEM;
	}
	return FZ_OK;
}

static void fz_quiet_log(const char *fmt, va_list args) {
	/* libwayland prints every protocol error; the model checks them instead. */
}

static int mode_fuzz(int argc, char *argv[]) {
	wl_log_set_handler_client(fz_quiet_log);
	uint64_t seed = (uint64_t)time(NULL);
	long count = 2000;
	long seconds = 0;
	static const struct option long_options[] = {
		{"seed", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 't'},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "s:n:t:", long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtol(optarg, NULL, 0);
			count = seconds > 0 && count == 2000 ? LONG_MAX : count;
			break;
		default:
			return 2;
		}
	}
	if (!painter_start(&fz_painter, 64, 48, "ph-stress-fuzz")) {
		die("fuzz: cannot map the painter window");
	}
	printf("fuzz: seed %llu, %s%ld sequences%s\n", (unsigned long long)seed,
		count == LONG_MAX ? "up to " : "", count == LONG_MAX ? 0 : count,
		seconds > 0 ? " (time-bounded)" : "");
	int64_t deadline = seconds > 0 ? now_ms() + seconds * 1000 : INT64_MAX;
	long failures = 0, done = 0;
	int64_t start = now_ms();
	for (long i = 0; i < count && now_ms() < deadline; i++) {
		uint64_t s = seed + (uint64_t)i;
		enum fz_result result = fz_run_sequence(s);
		fz_stats.sequences++;
		done++;
		if (result == FZ_CRASH) {
			printf("FUZZ-CRASH seed=%llu: the compositor is gone after this sequence\n"
				"replay: tools/dev fuzz 1 --seed %llu   (whole run: tools/dev fuzz %ld "
				"--seed %llu)\n", (unsigned long long)s, (unsigned long long)s, i + 1,
				(unsigned long long)seed);
			painter_finish(&fz_painter);
			return 1;
		} else if (result == FZ_PROBLEM) {
			failures++;
			fz_stats.problems++;
			printf("replay: tools/dev fuzz 1 --seed %llu   (whole run: tools/dev fuzz %ld "
				"--seed %llu)\n", (unsigned long long)s, i + 1, (unsigned long long)seed);
		}
	}
	if (wl_display_roundtrip(fz_painter.conn.display) < 0) {
		printf("FAIL fuzz: the painter lost its connection: %s\n",
			conn_error(fz_painter.conn.display));
		failures++;
	}
	painter_finish(&fz_painter);
	printf("%s fuzz: %ld sequences in %.1f s, seed %llu: %ld requests, %ld expected "
		"protocol errors, %ld ready, failed %ld unknown / %ld buffer_constraints / "
		"%ld stopped, %ld truncated pools, %ld non-SHM buffers, %ld orderly / %ld abrupt "
		"ends, %ld failing sequences\n", failures == 0 ? "PASS" : "FAIL", done,
		(double)(now_ms() - start) / 1000.0, (unsigned long long)seed, fz_stats.requests,
		fz_stats.expected_errors, fz_stats.ready, fz_stats.failed[0], fz_stats.failed[1],
		fz_stats.failed[2], fz_stats.truncations, fz_stats.foreign_buffers,
		fz_stats.destroyed_all, fz_stats.abrupt, failures);
	return failures == 0 ? 0 : 1;
}

static void usage(void) {
	fprintf(stderr, "usage: ph-stress fuzz [--seed S] [--count N] [--seconds T]\n"
		"       ph-stress hold session|frame|pending|ready|cursor|toplevel-pending|"
		"truncated-pending [OUTPUT]\n"
		"       ph-stress cycle N\n"
		"       ph-stress soak ITERATIONS [SESSIONS]\n"
		"       ph-stress truncate | foreign-buffer | toplevel-list\n");
}

int main(int argc, char *argv[]) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage();
		return 2;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "fuzz") == 0) {
		return mode_fuzz(argc - 1, argv + 1);
	} else if (strcmp(mode, "hold") == 0 && (argc == 3 || argc == 4)) {
		return mode_hold(argv[2], argc == 4 ? atoi(argv[3]) : 0);
	} else if (strcmp(mode, "cycle") == 0 && argc == 3) {
		return mode_cycle(atoi(argv[2]));
	} else if (strcmp(mode, "soak") == 0 && (argc == 3 || argc == 4)) {
		return mode_soak(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : 8);
	} else if (strcmp(mode, "truncate") == 0) {
		return mode_truncate();
	} else if (strcmp(mode, "foreign-buffer") == 0) {
		return mode_foreign_buffer();
	} else if (strcmp(mode, "toplevel-list") == 0) {
		return mode_toplevel_list();
	}
	usage();
	return 2;
}
