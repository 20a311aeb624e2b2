/*
 * capture-dmabuf — capture an output or a toplevel with ext-image-copy-capture-v1
 * into DMA-BUF buffers, the way a screen recorder such as wl-screenrec does.
 *
 * usage: capture-dmabuf [options] [OUTFILE.ppm]
 *
 *   -o NAME          capture the wl_output called NAME (default: the first one)
 *   -a APP_ID        capture the first toplevel whose app_id is APP_ID
 *   -n N             capture N frames (default 1); after the first one a
 *                    compositor completes a capture only when the source changed
 *   --expect X,Y,WxH=RRGGBB
 *                    every frame must show this colour in this rectangle
 *                    (repeatable); a mismatch names the first wrong pixel
 *   --expect-last X,Y,WxH=RRGGBB
 *                    the same, for the last frame only
 *   --reuse          capture every frame into the same buffer, damaged in full
 *                    on its first use only (not what wl-screenrec does: this
 *                    checks that a compositor updates what changed in it)
 *   --format NAME    xrgb8888 (default), argb8888, xbgr8888, abgr8888, gr1616
 *                    or rgb565 (the last two are not checked nor written);
 *                    a format the compositor did not advertise is sent anyway
 *                    (to see it refused)
 *   --size WxH       allocate this size instead of the advertised one (ditto)
 *   --alloc gbm|udmabuf
 *                    how to allocate (default: GBM on the advertised device's
 *                    render node, else GBM on its primary node — a GPU-less
 *                    KMS device such as virtio-gpu only allocates there —
 *                    else udmabuf)
 *   --timeout MS     give up when a frame is not ready after MS (default 5000)
 *   -v               print the session's constraints
 *
 * Like wl-screenrec it asks for paint_cursors, creates a NEW wl_buffer for
 * every frame (unless --reuse) (zwp_linux_dmabuf_v1.create_immed, LINEAR modifier), damages
 * the whole buffer every time, needs XRGB8888 with the LINEAR modifier among
 * the advertised dmabuf formats, needs a dmabuf_device that is exactly a
 * dev_t naming a DRM device with a render node, and needs presentation_time
 * before ready. It fails loudly (exit 7) when the compositor does not meet
 * these, where wl-screenrec would panic or show garbage.
 *
 * After each frame it waits for the buffer's implicit write fence (poll on
 * the dma-buf), maps it and checks --expect. OUTFILE gets the last frame as
 * binary PPM (8-bit formats only); with --expect, every frame up to the first
 * mismatch, which is then the one in OUTFILE. Each frame prints to stdout:
 *   frame I WxH format=XR24 modifier=0x0 alloc=gbm presentation_time=S.NS damage=x,y,wxh;...
 *
 * Exit status: 0 success, 1 error, 2 usage, 3 timeout, 4 capture failed or
 * session stopped (stderr says why, e.g. "failed reason=buffer_constraints"),
 * 5 protocol error, 6 --expect mismatch, 7 compositor does not do what a
 * DMA-BUF screen recorder needs.
 */
#define _GNU_SOURCE
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <gbm.h>
#include <getopt.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xf86drm.h>
#include "ext-foreign-toplevel-list-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "linux-dmabuf-v1-client-protocol.h"

#define MAX_FORMATS 64
#define MAX_MODIFIERS 64
#define MAX_EXPECT 16

enum exit_code {
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
	EXIT_FAILED = 4,
	EXIT_PROTOCOL = 5,
	EXIT_MISMATCH = 6,
	EXIT_UNFIT = 7,
};

static const struct {
	const char *name;
	uint32_t fourcc;
	int bpp;
	bool rgba_bytes; /* bytes in memory are R,G,B,A rather than B,G,R,A */
	bool rgb; /* 8-bit RGB: --expect and OUTFILE can read it */
} formats[] = {
	{"xrgb8888", DRM_FORMAT_XRGB8888, 4, false, true},
	{"argb8888", DRM_FORMAT_ARGB8888, 4, false, true},
	{"xbgr8888", DRM_FORMAT_XBGR8888, 4, true, true},
	{"abgr8888", DRM_FORMAT_ABGR8888, 4, true, true},
	/* Not pictures of a screen: to see a compositor refuse them. */
	{"gr1616", DRM_FORMAT_GR1616, 4, false, false},
	{"rgb565", DRM_FORMAT_RGB565, 2, false, false},
};

struct dmabuf_format {
	uint32_t fourcc;
	uint64_t modifiers[MAX_MODIFIERS];
	int n_modifiers;
};

/* One batch of session constraints, complete once `done` arrives. */
struct constraints {
	uint32_t width, height;
	bool have_device;
	dev_t device;
	struct dmabuf_format formats[MAX_FORMATS];
	int n_formats;
};

struct expect {
	int x, y, width, height;
	uint32_t rgb;
	bool last_only;
};

struct output {
	struct wl_list link;
	struct wl_output *wl_output;
	char *name;
};

struct toplevel {
	struct wl_list link;
	struct ext_foreign_toplevel_handle_v1 *handle;
	char *app_id;
};

struct buffer {
	struct wl_buffer *wl_buffer;
	struct gbm_bo *bo; /* NULL for udmabuf */
	int dmabuf_fd;
	int memfd; /* udmabuf only: the memory behind it */
	size_t size;
	uint32_t width, height, stride, offset, fourcc;
	uint64_t modifier;
};

struct frame_result {
	bool finished, failed, have_time, time_before_ready;
	uint32_t reason;
	uint64_t tv_sec;
	uint32_t tv_nsec;
	char damage[512];
};

struct options {
	const char *output_name, *app_id, *path, *alloc;
	int frames, format, width, height;
	struct expect expect[MAX_EXPECT];
	int n_expect;
	bool verbose, reuse;
};

struct state {
	struct wl_display *display;
	struct zwp_linux_dmabuf_v1 *linux_dmabuf;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;
	struct ext_foreign_toplevel_image_capture_source_manager_v1 *toplevel_sources;
	struct ext_foreign_toplevel_list_v1 *toplevel_list;
	struct wl_list outputs, toplevels;
	struct ext_image_copy_capture_session_v1 *session;
	struct constraints pending, current;
	unsigned constraints_serial;
	bool stopped, session_event;
	struct frame_result frame;
	int timeout_ms;
	struct gbm_device *gbm, *gbm_primary;
	int render_fd, primary_fd;
	char render_node[64], primary_node[64];
};

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(int status, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fputs("capture-dmabuf: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	exit(status);
}

static void die_display(struct state *st) {
	int err = wl_display_get_error(st->display);
	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(st->display, &iface, &id);
		fail(EXIT_PROTOCOL, "protocol error: interface=%s code=%u id=%u",
			iface != NULL ? iface->name : "unknown", code, id);
	}
	fail(EXIT_ERROR, "connection error: %s", strerror(err));
}

/* Dispatches until *flag is set, or the timeout. */
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
			fail(EXIT_TIMEOUT, "timeout waiting for %s", what);
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

/* Globals: outputs by name, toplevels by app_id. */

static void output_geometry(void *data, struct wl_output *o, int32_t x, int32_t y,
		int32_t pw, int32_t ph, int32_t subpixel, const char *make, const char *model,
		int32_t transform) {
}
static void output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w,
		int32_t h, int32_t refresh) {
}
static void output_done(void *data, struct wl_output *o) {
}
static void output_scale(void *data, struct wl_output *o, int32_t factor) {
}
static void output_name(void *data, struct wl_output *o, const char *name) {
	struct output *output = data;
	free(output->name);
	output->name = strdup(name);
}
static void output_description(void *data, struct wl_output *o, const char *description) {
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
	.name = output_name,
	.description = output_description,
};

static void toplevel_closed(void *data, struct ext_foreign_toplevel_handle_v1 *h) {
}
static void toplevel_done(void *data, struct ext_foreign_toplevel_handle_v1 *h) {
}
static void toplevel_title(void *data, struct ext_foreign_toplevel_handle_v1 *h,
		const char *title) {
}
static void toplevel_app_id(void *data, struct ext_foreign_toplevel_handle_v1 *h,
		const char *app_id) {
	struct toplevel *toplevel = data;
	free(toplevel->app_id);
	toplevel->app_id = strdup(app_id);
}
static void toplevel_identifier(void *data, struct ext_foreign_toplevel_handle_v1 *h,
		const char *identifier) {
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
		fail(EXIT_ERROR, "out of memory");
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

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct state *st = data;
	if (strcmp(interface, wl_output_interface.name) == 0 && version >= 4) {
		struct output *output = calloc(1, sizeof(*output));
		if (output == NULL) {
			fail(EXIT_ERROR, "out of memory");
		}
		output->wl_output = wl_registry_bind(registry, name, &wl_output_interface, 4);
		wl_output_add_listener(output->wl_output, &output_listener, output);
		wl_list_insert(st->outputs.prev, &output->link);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 4) {
		/* wl-screenrec needs version 4; create_immed alone would need 2. */
		st->linux_dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 4);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		st->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		st->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_foreign_toplevel_image_capture_source_manager_v1_interface.name) == 0) {
		st->toplevel_sources = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_foreign_toplevel_list_v1_interface.name) == 0) {
		st->toplevel_list = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_list_v1_interface, 1);
		ext_foreign_toplevel_list_v1_add_listener(st->toplevel_list, &list_listener, st);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

/* Session constraints */

static void session_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct state *st = data;
	st->pending.width = width;
	st->pending.height = height;
}

static void session_shm_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format) {
	/* Not for us: this client only does DMA-BUF. */
}

static void session_dmabuf_device(void *data, struct ext_image_copy_capture_session_v1 *session,
		struct wl_array *device) {
	struct state *st = data;
	/* xdg-desktop-portal-wlr asserts this; we say it loudly instead. */
	if (device->size != sizeof(dev_t)) {
		fail(EXIT_UNFIT, "dmabuf_device is %zu bytes, not sizeof(dev_t) = %zu",
			device->size, sizeof(dev_t));
	}
	memcpy(&st->pending.device, device->data, sizeof(dev_t));
	st->pending.have_device = true;
}

static void session_dmabuf_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format, struct wl_array *modifiers) {
	struct state *st = data;
	if (st->pending.n_formats == MAX_FORMATS) {
		return;
	}
	struct dmabuf_format *f = &st->pending.formats[st->pending.n_formats++];
	f->fourcc = format;
	f->n_modifiers = 0;
	uint64_t *modifier;
	wl_array_for_each(modifier, modifiers) {
		if (f->n_modifiers < MAX_MODIFIERS) {
			f->modifiers[f->n_modifiers++] = *modifier;
		}
	}
}

static void session_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct state *st = data;
	st->current = st->pending;
	/* Each batch repeats everything. */
	st->pending = (struct constraints){0};
	st->constraints_serial++;
	st->session_event = true;
}

static void session_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
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

/* Frames */

static void frame_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void frame_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct state *st = data;
	size_t len = strlen(st->frame.damage);
	snprintf(st->frame.damage + len, sizeof(st->frame.damage) - len, "%s%d,%d,%dx%d",
		len > 0 ? ";" : "", x, y, width, height);
}

static void frame_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec) {
	struct state *st = data;
	st->frame.have_time = true;
	st->frame.tv_sec = (uint64_t)tv_sec_hi << 32 | tv_sec_lo;
	st->frame.tv_nsec = tv_nsec;
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct state *st = data;
	st->frame.finished = true;
	st->frame.time_before_ready = st->frame.have_time;
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

/* The device: the dev_t the compositor sent, opened through its render node. */

static void open_device(struct state *st, const struct options *opt) {
	const struct constraints *c = &st->current;
	if (!c->have_device) {
		fail(EXIT_UNFIT, "the session advertised no dmabuf_device (no DMA-BUF capture here)");
	}
	drmDevicePtr device;
	if (drmGetDeviceFromDevId(c->device, 0, &device) != 0) {
		fail(EXIT_UNFIT, "dmabuf_device %u:%u is not a DRM device", major(c->device),
			minor(c->device));
	}
	if (!(device->available_nodes & (1 << DRM_NODE_RENDER))) {
		drmFreeDevice(&device);
		fail(EXIT_UNFIT, "dmabuf_device %u:%u has no render node", major(c->device),
			minor(c->device));
	}
	snprintf(st->render_node, sizeof(st->render_node), "%s", device->nodes[DRM_NODE_RENDER]);
	if (device->available_nodes & (1 << DRM_NODE_PRIMARY)) {
		snprintf(st->primary_node, sizeof(st->primary_node), "%s",
			device->nodes[DRM_NODE_PRIMARY]);
	}
	drmFreeDevice(&device);
	st->render_fd = open(st->render_node, O_RDWR | O_CLOEXEC);
	if (st->render_fd < 0) {
		fail(EXIT_ERROR, "cannot open %s: %s", st->render_node, strerror(errno));
	}
	if (opt->alloc == NULL || strcmp(opt->alloc, "gbm") == 0) {
		st->gbm = gbm_create_device(st->render_fd);
	}
}

static bool format_has_linear(const struct constraints *c, uint32_t fourcc) {
	for (int i = 0; i < c->n_formats; i++) {
		if (c->formats[i].fourcc != fourcc) {
			continue;
		}
		for (int j = 0; j < c->formats[i].n_modifiers; j++) {
			if (c->formats[i].modifiers[j] == DRM_FORMAT_MOD_LINEAR) {
				return true;
			}
		}
	}
	return false;
}

static void print_constraints(const struct state *st) {
	const struct constraints *c = &st->current;
	printf("constraints %ux%u dmabuf_device=%u:%u render_node=%s\n", c->width, c->height,
		major(c->device), minor(c->device), st->render_node);
	for (int i = 0; i < c->n_formats; i++) {
		uint32_t f = c->formats[i].fourcc;
		printf("dmabuf_format %.4s modifiers=", (const char *)&f);
		for (int j = 0; j < c->formats[i].n_modifiers; j++) {
			printf("%s0x%llx", j > 0 ? "," : "",
				(unsigned long long)c->formats[i].modifiers[j]);
		}
		putchar('\n');
	}
}

/* Buffers: GBM on the render node, else udmabuf (memfd pages as a dma-buf). */

static struct gbm_bo *create_bo(struct gbm_device *gbm, const struct buffer *buf) {
	uint64_t modifier = DRM_FORMAT_MOD_LINEAR;
	struct gbm_bo *bo = gbm_bo_create_with_modifiers2(gbm, buf->width, buf->height,
		buf->fourcc, &modifier, 1, GBM_BO_USE_RENDERING);
	if (bo == NULL) {
		/* Drivers without modifier support still give LINEAR for this usage. */
		bo = gbm_bo_create(gbm, buf->width, buf->height, buf->fourcc,
			GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
	}
	return bo;
}

static bool alloc_gbm(struct state *st, struct buffer *buf) {
	buf->bo = st->gbm != NULL ? create_bo(st->gbm, buf) : NULL;
	if (buf->bo == NULL && st->primary_node[0] != '\0') {
		/*
		 * A device without a GPU (virtio-gpu without 3D: Mesa's kms_swrast)
		 * allocates dumb buffers, which only its primary node hands out.
		 * Such buffers are the ones that device can import back.
		 */
		if (st->gbm_primary == NULL) {
			st->primary_fd = open(st->primary_node, O_RDWR | O_CLOEXEC);
			st->gbm_primary = st->primary_fd >= 0 ? gbm_create_device(st->primary_fd) : NULL;
		}
		if (st->gbm_primary != NULL) {
			buf->bo = create_bo(st->gbm_primary, buf);
		}
	}
	if (buf->bo == NULL) {
		return false;
	}
	buf->dmabuf_fd = gbm_bo_get_fd(buf->bo);
	buf->stride = gbm_bo_get_stride(buf->bo);
	buf->offset = gbm_bo_get_offset(buf->bo, 0);
	buf->modifier = gbm_bo_get_modifier(buf->bo);
	if (buf->modifier == DRM_FORMAT_MOD_INVALID) {
		buf->modifier = DRM_FORMAT_MOD_LINEAR;
	}
	if (buf->dmabuf_fd < 0 || buf->modifier != DRM_FORMAT_MOD_LINEAR) {
		if (buf->dmabuf_fd >= 0) {
			close(buf->dmabuf_fd);
		}
		gbm_bo_destroy(buf->bo);
		buf->bo = NULL;
		return false;
	}
	buf->size = (size_t)buf->stride * buf->height + buf->offset;
	return true;
}

static bool alloc_udmabuf(struct buffer *buf, int bpp) {
	/* GL importers like a 256-byte aligned pitch; udmabuf needs whole pages. */
	buf->stride = (buf->width * (uint32_t)bpp + 255) & ~255u;
	long page = sysconf(_SC_PAGESIZE);
	buf->size = ((size_t)buf->stride * buf->height + (size_t)page - 1) & ~((size_t)page - 1);
	buf->offset = 0;
	buf->modifier = DRM_FORMAT_MOD_LINEAR;
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		return false;
	}
	buf->memfd = memfd_create("capture-dmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	bool ok = buf->memfd >= 0 && ftruncate(buf->memfd, (off_t)buf->size) == 0 &&
		fcntl(buf->memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
	if (ok) {
		struct udmabuf_create create = {
			.memfd = (uint32_t)buf->memfd,
			.flags = UDMABUF_FLAGS_CLOEXEC,
			.offset = 0,
			.size = buf->size,
		};
		buf->dmabuf_fd = ioctl(dev, UDMABUF_CREATE, &create);
		ok = buf->dmabuf_fd >= 0;
	}
	close(dev);
	return ok;
}

static void buffer_create(struct state *st, const struct options *opt, struct buffer *buf,
		const char **how) {
	const struct constraints *c = &st->current;
	*buf = (struct buffer){.dmabuf_fd = -1, .memfd = -1};
	buf->width = opt->width > 0 ? (uint32_t)opt->width : c->width;
	buf->height = opt->height > 0 ? (uint32_t)opt->height : c->height;
	buf->fourcc = formats[opt->format].fourcc;
	if ((opt->alloc == NULL || strcmp(opt->alloc, "gbm") == 0) && alloc_gbm(st, buf)) {
		*how = gbm_bo_get_device(buf->bo) == st->gbm ? "gbm" : "gbm-primary";
	} else if ((opt->alloc == NULL || strcmp(opt->alloc, "udmabuf") == 0) &&
			alloc_udmabuf(buf, formats[opt->format].bpp)) {
		*how = "udmabuf";
	} else {
		fail(EXIT_ERROR, "cannot allocate a %ux%u LINEAR dma-buf (GBM on %s, udmabuf)",
			buf->width, buf->height, st->render_node);
	}
	/* One wl_buffer per frame, created at once, as wl-screenrec does. */
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(st->linux_dmabuf);
	zwp_linux_buffer_params_v1_add(params, buf->dmabuf_fd, 0, buf->offset, buf->stride,
		(uint32_t)(buf->modifier >> 32), (uint32_t)buf->modifier);
	buf->wl_buffer = zwp_linux_buffer_params_v1_create_immed(params, (int32_t)buf->width,
		(int32_t)buf->height, buf->fourcc, 0);
	zwp_linux_buffer_params_v1_destroy(params);
}

static void buffer_destroy(struct buffer *buf) {
	wl_buffer_destroy(buf->wl_buffer);
	if (buf->bo != NULL) {
		gbm_bo_destroy(buf->bo);
	}
	if (buf->dmabuf_fd >= 0) {
		close(buf->dmabuf_fd);
	}
	if (buf->memfd >= 0) {
		close(buf->memfd);
	}
}

/*
 * Maps the buffer for reading once the compositor's rendering is done: a
 * dma-buf polls readable when its write fences have signalled (implicit
 * sync), and DMA_BUF_IOCTL_SYNC brackets the CPU access.
 */
static const uint8_t *buffer_map(struct state *st, struct buffer *buf) {
	struct pollfd pfd = {.fd = buf->dmabuf_fd, .events = POLLIN};
	if (poll(&pfd, 1, st->timeout_ms) != 1) {
		fail(EXIT_TIMEOUT, "the buffer's write fence did not signal");
	}
	struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
	if (ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) != 0) {
		fail(EXIT_ERROR, "DMA_BUF_IOCTL_SYNC: %s", strerror(errno));
	}
	void *data = mmap(NULL, buf->size, PROT_READ, MAP_SHARED, buf->dmabuf_fd, 0);
	if (data == MAP_FAILED) {
		fail(EXIT_ERROR, "cannot map the dma-buf: %s", strerror(errno));
	}
	return (const uint8_t *)data + buf->offset;
}

static void buffer_unmap(struct buffer *buf, const uint8_t *data) {
	munmap((void *)(data - buf->offset), buf->size);
	struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ};
	ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static uint32_t pixel_rgb(const struct buffer *buf, const uint8_t *data, int format,
		uint32_t x, uint32_t y) {
	const uint8_t *p = data + (size_t)y * buf->stride + (size_t)x * 4;
	bool rgba = formats[format].rgba_bytes;
	return (uint32_t)(rgba ? p[0] : p[2]) << 16 | (uint32_t)p[1] << 8 | (rgba ? p[2] : p[0]);
}

static void check_expect(const struct options *opt, const struct buffer *buf,
		const uint8_t *data, int index) {
	for (int i = 0; i < opt->n_expect; i++) {
		const struct expect *e = &opt->expect[i];
		if (e->last_only && index != opt->frames - 1) {
			continue;
		}
		if (e->x + e->width > (int)buf->width || e->y + e->height > (int)buf->height) {
			fail(EXIT_MISMATCH, "frame %d: --expect %d,%d,%dx%d is outside %ux%u", index,
				e->x, e->y, e->width, e->height, buf->width, buf->height);
		}
		for (int y = e->y; y < e->y + e->height; y++) {
			for (int x = e->x; x < e->x + e->width; x++) {
				uint32_t got = pixel_rgb(buf, data, opt->format, (uint32_t)x, (uint32_t)y);
				if (got != e->rgb) {
					fail(EXIT_MISMATCH, "frame %d: pixel %d,%d is %06x, expected %06x",
						index, x, y, got, e->rgb);
				}
			}
		}
	}
}

static void write_ppm(const char *path, const struct options *opt, const struct buffer *buf,
		const uint8_t *data) {
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fail(EXIT_ERROR, "%s: %s", path, strerror(errno));
	}
	fprintf(f, "P6\n%u %u\n255\n", buf->width, buf->height);
	for (uint32_t y = 0; y < buf->height; y++) {
		for (uint32_t x = 0; x < buf->width; x++) {
			uint32_t rgb = pixel_rgb(buf, data, opt->format, x, y);
			uint8_t px[3] = {rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff};
			fwrite(px, 1, 3, f);
		}
	}
	if (fclose(f) != 0) {
		fail(EXIT_ERROR, "%s: %s", path, strerror(errno));
	}
}

static const char *reason_name(uint32_t reason) {
	switch (reason) {
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS:
		return "buffer_constraints";
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

/*
 * One frame into a brand-new buffer (or, with --reuse, the one buffer kept
 * across frames). False: constraints changed, try again.
 */
static bool capture_one(struct state *st, const struct options *opt, int index) {
	static struct buffer kept;
	static const char *kept_how;
	static bool have_kept;
	unsigned serial = st->constraints_serial;
	struct buffer buf;
	const char *how;
	bool first_use = true;
	if (opt->reuse && have_kept) {
		buf = kept;
		how = kept_how;
		first_use = false;
	} else {
		buffer_create(st, opt, &buf, &how);
	}
	st->frame = (struct frame_result){0};
	struct ext_image_copy_capture_frame_v1 *frame =
		ext_image_copy_capture_session_v1_create_frame(st->session);
	ext_image_copy_capture_frame_v1_add_listener(frame, &frame_listener, st);
	ext_image_copy_capture_frame_v1_attach_buffer(frame, buf.wl_buffer);
	/*
	 * wl-screenrec damages everything every time. A reused buffer gets no
	 * damage at all: the compositor must know what it already holds.
	 */
	if (first_use) {
		ext_image_copy_capture_frame_v1_damage_buffer(frame, 0, 0, (int32_t)buf.width,
			(int32_t)buf.height);
	}
	ext_image_copy_capture_frame_v1_capture(frame);
	wait_for(st, &st->frame.finished, "the frame");
	ext_image_copy_capture_frame_v1_destroy(frame);
	bool last = index == opt->frames - 1;
	have_kept = opt->reuse && !st->frame.failed && !last;
	if (have_kept) {
		kept = buf;
		kept_how = how;
	}
	if (st->frame.failed) {
		buffer_destroy(&buf);
		if (st->frame.reason ==
				EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS &&
				st->constraints_serial != serial && opt->width == 0) {
			return false;
		}
		fail(EXIT_FAILED, "frame %d failed reason=%s", index, reason_name(st->frame.reason));
	}
	if (!st->frame.time_before_ready) {
		fail(EXIT_UNFIT, "frame %d: ready without a presentation_time before it "
			"(wl-screenrec panics on that)", index);
	}
	uint32_t fourcc = buf.fourcc;
	printf("frame %d %ux%u format=%.4s modifier=0x%llx alloc=%s presentation_time=%llu.%09u "
		"damage=%s\n", index, buf.width, buf.height, (const char *)&fourcc,
		(unsigned long long)buf.modifier, how, (unsigned long long)st->frame.tv_sec,
		st->frame.tv_nsec, st->frame.damage);
	fflush(stdout);
	if (formats[opt->format].rgb) {
		const uint8_t *data = buffer_map(st, &buf);
		/* Written before the check, so that a mismatch can be looked at. */
		if (opt->path != NULL && (index == opt->frames - 1 || opt->n_expect > 0)) {
			write_ppm(opt->path, opt, &buf, data);
		}
		check_expect(opt, &buf, data, index);
		buffer_unmap(&buf, data);
	}
	if (!have_kept) {
		buffer_destroy(&buf);
	}
	return true;
}

static struct ext_image_capture_source_v1 *create_source(struct state *st,
		const struct options *opt) {
	if (opt->app_id != NULL) {
		struct toplevel *toplevel;
		wl_list_for_each(toplevel, &st->toplevels, link) {
			if (toplevel->app_id != NULL && strcmp(toplevel->app_id, opt->app_id) == 0) {
				if (st->toplevel_sources == NULL) {
					fail(EXIT_ERROR, "the compositor cannot capture toplevels");
				}
				return ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
					st->toplevel_sources, toplevel->handle);
			}
		}
		fail(EXIT_ERROR, "no toplevel with app_id %s", opt->app_id);
	}
	struct output *output;
	wl_list_for_each(output, &st->outputs, link) {
		if (opt->output_name == NULL ||
				(output->name != NULL && strcmp(output->name, opt->output_name) == 0)) {
			if (st->output_sources == NULL) {
				fail(EXIT_ERROR, "the compositor cannot capture outputs");
			}
			return ext_output_image_capture_source_manager_v1_create_source(
				st->output_sources, output->wl_output);
		}
	}
	fail(EXIT_ERROR, "no such output");
}

static void usage(FILE *f) {
	fprintf(f, "usage: capture-dmabuf [-o NAME | -a APP_ID] [-n N] [--expect X,Y,WxH=RRGGBB]...\n"
		"                      [--expect-last X,Y,WxH=RRGGBB]... [--reuse]\n"
		"                      [--format NAME] [--size WxH] [--alloc gbm|udmabuf]\n"
		"                      [--timeout MS] [-v] [OUTFILE.ppm]\n");
}

static void parse_options(int argc, char *argv[], struct options *opt, struct state *st) {
	static const struct option long_opts[] = {
		{"expect", required_argument, NULL, 'E'},
		{"expect-last", required_argument, NULL, 'e'},
		{"reuse", no_argument, NULL, 'R'},
		{"format", required_argument, NULL, 'F'},
		{"size", required_argument, NULL, 'S'},
		{"alloc", required_argument, NULL, 'A'},
		{"timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "o:a:n:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o': opt->output_name = optarg; break;
		case 'a': opt->app_id = optarg; break;
		case 'v': opt->verbose = true; break;
		case 'n':
			opt->frames = atoi(optarg);
			if (opt->frames < 1) {
				fail(EXIT_USAGE, "-n needs a positive number");
			}
			break;
		case 'R': opt->reuse = true; break;
		case 'E':
		case 'e': {
			struct expect *e = &opt->expect[opt->n_expect];
			e->last_only = c == 'e';
			if (opt->n_expect == MAX_EXPECT || sscanf(optarg, "%d,%d,%dx%d=%x", &e->x, &e->y,
					&e->width, &e->height, &e->rgb) != 5 || e->x < 0 || e->y < 0 ||
					e->width < 1 || e->height < 1) {
				fail(EXIT_USAGE, "bad --expect %s (X,Y,WxH=RRGGBB)", optarg);
			}
			opt->n_expect++;
			break;
		}
		case 'F':
			opt->format = -1;
			for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
				if (strcmp(optarg, formats[i].name) == 0) {
					opt->format = (int)i;
				}
			}
			if (opt->format < 0) {
				fail(EXIT_USAGE, "unknown format %s", optarg);
			}
			break;
		case 'S':
			if (sscanf(optarg, "%dx%d", &opt->width, &opt->height) != 2 ||
					opt->width < 1 || opt->height < 1 || opt->width > 16384 ||
					opt->height > 16384) {
				fail(EXIT_USAGE, "bad --size %s", optarg);
			}
			break;
		case 'A':
			if (strcmp(optarg, "gbm") != 0 && strcmp(optarg, "udmabuf") != 0) {
				fail(EXIT_USAGE, "--alloc is gbm or udmabuf");
			}
			opt->alloc = optarg;
			break;
		case 'T': st->timeout_ms = atoi(optarg) > 0 ? atoi(optarg) : 5000; break;
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

int main(int argc, char *argv[]) {
	struct state st = {.timeout_ms = 5000, .render_fd = -1, .primary_fd = -1};
	struct options opt = {.frames = 1, .format = 0};
	parse_options(argc, argv, &opt, &st);
	wl_list_init(&st.outputs);
	wl_list_init(&st.toplevels);

	st.display = wl_display_connect(NULL);
	if (st.display == NULL) {
		fail(EXIT_ERROR, "cannot connect to the Wayland display");
	}
	struct wl_registry *registry = wl_display_get_registry(st.display);
	wl_registry_add_listener(registry, &registry_listener, &st);
	roundtrip(&st);
	roundtrip(&st); /* output names, toplevel app_ids */
	if (st.copy_manager == NULL || st.linux_dmabuf == NULL) {
		fail(EXIT_ERROR, "the compositor lacks ext-image-copy-capture-v1 or "
			"zwp_linux_dmabuf_v1 version 4");
	}

	struct ext_image_capture_source_v1 *source = create_source(&st, &opt);
	/* Recorders want the pointer in the picture. */
	st.session = ext_image_copy_capture_manager_v1_create_session(st.copy_manager, source,
		EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS);
	ext_image_copy_capture_session_v1_add_listener(st.session, &session_listener, &st);
	wait_for(&st, &st.session_event, "buffer constraints");
	if (st.stopped) {
		fail(EXIT_FAILED, "session stopped");
	}
	open_device(&st, &opt);
	if (opt.verbose) {
		print_constraints(&st);
	}
	if (!format_has_linear(&st.current, DRM_FORMAT_XRGB8888)) {
		fail(EXIT_UNFIT, "XRGB8888 with the LINEAR modifier is not among the dmabuf formats");
	}
	if (!format_has_linear(&st.current, formats[opt.format].fourcc)) {
		fprintf(stderr, "capture-dmabuf: %s/LINEAR is not advertised; sending it anyway\n",
			formats[opt.format].name);
	}
	for (int i = 0; i < opt.frames; i++) {
		if (st.stopped) {
			fail(EXIT_FAILED, "session stopped");
		}
		if (!capture_one(&st, &opt, i)) {
			i--; /* new constraints: a new buffer of the new size */
		}
	}

	ext_image_copy_capture_session_v1_destroy(st.session);
	ext_image_capture_source_v1_destroy(source);
	struct output *output, *output_tmp;
	wl_list_for_each_safe(output, output_tmp, &st.outputs, link) {
		wl_output_destroy(output->wl_output);
		free(output->name);
		free(output);
	}
	struct toplevel *toplevel, *toplevel_tmp;
	wl_list_for_each_safe(toplevel, toplevel_tmp, &st.toplevels, link) {
		ext_foreign_toplevel_handle_v1_destroy(toplevel->handle);
		free(toplevel->app_id);
		free(toplevel);
	}
	if (st.toplevel_list != NULL) {
		ext_foreign_toplevel_list_v1_destroy(st.toplevel_list);
	}
	if (st.toplevel_sources != NULL) {
		ext_foreign_toplevel_image_capture_source_manager_v1_destroy(st.toplevel_sources);
	}
	if (st.output_sources != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(st.output_sources);
	}
	ext_image_copy_capture_manager_v1_destroy(st.copy_manager);
	zwp_linux_dmabuf_v1_destroy(st.linux_dmabuf);
	if (st.gbm_primary != NULL) {
		gbm_device_destroy(st.gbm_primary);
	}
	if (st.primary_fd >= 0) {
		close(st.primary_fd);
	}
	if (st.gbm != NULL) {
		gbm_device_destroy(st.gbm);
	}
	close(st.render_fd);
	wl_registry_destroy(registry);
	wl_display_disconnect(st.display);
	return 0;
}
