/*
 * The capture side of pinhole-term: one ext-image-copy-capture-v1 session on
 * an output or a toplevel, one buffer reused for every frame (SHM, or a
 * LINEAR dma-buf from GBM when the session advertises a device), and the
 * frame's damage handed to the renderer.
 */
#define _GNU_SOURCE
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <gbm.h>
#include <linux/dma-buf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xf86drm.h>
#include "ext-foreign-toplevel-list-v1-client-protocol.h"
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "term.h"
#include "virtual-keyboard-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

#define MAX_DAMAGE 64

struct output {
	struct wl_list link;
	struct wl_output *wl_output;
	uint32_t global_name;
	char *name;
};

struct toplevel {
	struct wl_list link;
	struct ext_foreign_toplevel_handle_v1 *handle;
	char *app_id, *title;
	bool closed;
};

/* The formats we read, in order of preference, with their byte order. */
static const struct {
	uint32_t shm, drm;
	bool bgr;
} formats[] = {
	{WL_SHM_FORMAT_XRGB8888, DRM_FORMAT_XRGB8888, false},
	{WL_SHM_FORMAT_ARGB8888, DRM_FORMAT_ARGB8888, false},
	{WL_SHM_FORMAT_XBGR8888, DRM_FORMAT_XBGR8888, true},
	{WL_SHM_FORMAT_ABGR8888, DRM_FORMAT_ABGR8888, true},
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

struct constraints {
	uint32_t width, height;
	bool shm[N_FORMATS];
	bool dmabuf_linear[N_FORMATS];
	bool have_device;
	dev_t device;
};

struct buffer {
	struct wl_buffer *wl_buffer;
	uint8_t *data;
	size_t size;
	uint32_t width, height, stride;
	int format; /* index into formats */
	bool dmabuf;
	int dmabuf_fd;
	struct gbm_bo *bo;
	bool fresh; /* nothing captured into it yet */
};

struct term_capture {
	struct term_capture_options options;
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct zwp_linux_dmabuf_v1 *linux_dmabuf;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;
	struct ext_foreign_toplevel_image_capture_source_manager_v1 *toplevel_sources;
	struct ext_foreign_toplevel_list_v1 *toplevel_list;
	struct zwp_virtual_keyboard_manager_v1 *keyboard_manager;
	struct zwlr_virtual_pointer_manager_v1 *pointer_manager;
	struct wl_list outputs, toplevels;

	struct output *output; /* the captured one, or NULL */
	struct toplevel *toplevel;
	char description[256];

	struct ext_image_copy_capture_session_v1 *session;
	struct constraints pending, current;
	bool have_constraints;
	bool want_frame; /* a capture was asked for before the constraints came */

	struct ext_image_copy_capture_frame_v1 *frame;
	uint32_t transform;
	struct term_rect damage[MAX_DAMAGE];
	int n_damage;
	bool damage_overflow;

	struct buffer buffer;
	int drm_fd;
	struct gbm_device *gbm;
	bool dmabuf_broken; /* allocation failed once: SHM from then on */

	struct term_capture_handler handler;
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	term_tty_restore();
	fputs("pinhole-term: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	exit(TERM_EXIT_ERROR);
}

static char *xstrdup(const char *s) {
	char *copy = strdup(s);
	if (copy == NULL) {
		fail("out of memory");
	}
	return copy;
}

static void *xzalloc(size_t size) {
	void *p = calloc(1, size);
	if (p == NULL) {
		fail("out of memory");
	}
	return p;
}

/* wl_output: only its name matters (v4). */

static void output_geometry(void *data, struct wl_output *wl_output, int32_t x, int32_t y,
		int32_t pw, int32_t ph, int32_t subpixel, const char *make, const char *model,
		int32_t transform) {
}

static void output_mode(void *data, struct wl_output *wl_output, uint32_t flags,
		int32_t width, int32_t height, int32_t refresh) {
}

static void output_done(void *data, struct wl_output *wl_output) {
}

static void output_scale(void *data, struct wl_output *wl_output, int32_t factor) {
}

static void output_name(void *data, struct wl_output *wl_output, const char *name) {
	struct output *output = data;
	free(output->name);
	output->name = xstrdup(name);
}

static void output_description(void *data, struct wl_output *wl_output, const char *text) {
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
	.name = output_name,
	.description = output_description,
};

/* ext-foreign-toplevel-list: app_id and title to pick a window by. */

static void toplevel_closed(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *toplevel = data;
	toplevel->closed = true;
}

static void toplevel_done(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
}

static void toplevel_title(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
		const char *title) {
	struct toplevel *toplevel = data;
	free(toplevel->title);
	toplevel->title = xstrdup(title);
}

static void toplevel_app_id(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
		const char *app_id) {
	struct toplevel *toplevel = data;
	free(toplevel->app_id);
	toplevel->app_id = xstrdup(app_id);
}

static void toplevel_identifier(void *data, struct ext_foreign_toplevel_handle_v1 *handle,
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
	struct term_capture *capture = data;
	struct toplevel *toplevel = xzalloc(sizeof(*toplevel));
	toplevel->handle = handle;
	ext_foreign_toplevel_handle_v1_add_listener(handle, &toplevel_listener, toplevel);
	wl_list_insert(capture->toplevels.prev, &toplevel->link);
}

static void list_finished(void *data, struct ext_foreign_toplevel_list_v1 *list) {
}

static const struct ext_foreign_toplevel_list_v1_listener list_listener = {
	.toplevel = list_toplevel,
	.finished = list_finished,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct term_capture *capture = data;
	if (strcmp(interface, wl_output_interface.name) == 0 && version >= 4) {
		struct output *output = xzalloc(sizeof(*output));
		output->global_name = name;
		output->wl_output = wl_registry_bind(registry, name, &wl_output_interface, 4);
		wl_output_add_listener(output->wl_output, &output_listener, output);
		wl_list_insert(capture->outputs.prev, &output->link);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		capture->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && capture->seat == NULL) {
		capture->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 &&
			version >= 3) {
		capture->linux_dmabuf = wl_registry_bind(registry, name,
			&zwp_linux_dmabuf_v1_interface, 3);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		capture->copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		capture->output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface,
			ext_foreign_toplevel_image_capture_source_manager_v1_interface.name) == 0) {
		capture->toplevel_sources = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_foreign_toplevel_list_v1_interface.name) == 0 &&
			capture->options.toplevel != NULL) {
		capture->toplevel_list = wl_registry_bind(registry, name,
			&ext_foreign_toplevel_list_v1_interface, 1);
		ext_foreign_toplevel_list_v1_add_listener(capture->toplevel_list,
			&list_listener, capture);
	} else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0 &&
			capture->options.control) {
		capture->keyboard_manager = wl_registry_bind(registry, name,
			&zwp_virtual_keyboard_manager_v1_interface, 1);
	} else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0 &&
			capture->options.control) {
		/* Version 2 ties the pointer to the captured output. */
		capture->pointer_manager = wl_registry_bind(registry, name,
			&zwlr_virtual_pointer_manager_v1_interface, version >= 2 ? 2 : 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
	struct term_capture *capture = data;
	/* The session's stopped event ends us; this only keeps the list honest. */
	struct output *output;
	wl_list_for_each(output, &capture->outputs, link) {
		if (output->global_name == name && output != capture->output) {
			wl_list_remove(&output->link);
			wl_output_destroy(output->wl_output);
			free(output->name);
			free(output);
			return;
		}
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

/* Buffers */

static void buffer_finish(struct term_capture *capture) {
	struct buffer *buf = &capture->buffer;
	if (buf->wl_buffer != NULL) {
		wl_buffer_destroy(buf->wl_buffer);
	}
	if (buf->data != NULL) {
		munmap(buf->data, buf->size);
	}
	if (buf->dmabuf_fd >= 0) {
		close(buf->dmabuf_fd);
	}
	if (buf->bo != NULL) {
		gbm_bo_destroy(buf->bo);
	}
	*buf = (struct buffer){.dmabuf_fd = -1};
}

static bool buffer_init_shm(struct term_capture *capture, int format) {
	struct buffer *buf = &capture->buffer;
	uint32_t width = capture->current.width, height = capture->current.height;
	size_t size = (size_t)width * 4 * height;
	int fd = memfd_create("pinhole-term", MFD_CLOEXEC);
	if (fd < 0 || size == 0 || size > INT32_MAX || ftruncate(fd, (off_t)size) < 0) {
		fail("cannot allocate a %ux%u buffer: %s", width, height,
			fd < 0 ? strerror(errno) : "bad size");
	}
	void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(capture->shm, fd, (int32_t)size);
	buf->wl_buffer = wl_shm_pool_create_buffer(pool, 0, (int32_t)width, (int32_t)height,
		(int32_t)width * 4, formats[format].shm);
	wl_shm_pool_destroy(pool);
	close(fd);
	buf->data = data;
	buf->size = size;
	buf->width = width;
	buf->height = height;
	buf->stride = width * 4;
	buf->format = format;
	buf->fresh = true;
	return true;
}

/* The advertised device through its render node, else its primary node
 * (a display-only device such as virtio-gpu without 3D allocates there). */
static bool open_gbm(struct term_capture *capture) {
	if (capture->gbm != NULL) {
		return true;
	}
	drmDevicePtr device = NULL;
	if (drmGetDeviceFromDevId(capture->current.device, 0, &device) != 0) {
		return false;
	}
	const int nodes[] = {DRM_NODE_RENDER, DRM_NODE_PRIMARY};
	for (size_t i = 0; i < 2 && capture->gbm == NULL; i++) {
		if (!(device->available_nodes & (1 << nodes[i]))) {
			continue;
		}
		int fd = open(device->nodes[nodes[i]], O_RDWR | O_CLOEXEC);
		struct gbm_device *gbm = fd >= 0 ? gbm_create_device(fd) : NULL;
		if (gbm == NULL) {
			if (fd >= 0) {
				close(fd);
			}
			continue;
		}
		/* Probe: some nodes open but cannot allocate what we need. */
		struct gbm_bo *probe = gbm_bo_create(gbm, 64, 64, DRM_FORMAT_XRGB8888,
			GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
		if (probe == NULL) {
			gbm_device_destroy(gbm);
			close(fd);
			continue;
		}
		gbm_bo_destroy(probe);
		capture->gbm = gbm;
		capture->drm_fd = fd;
	}
	drmFreeDevice(&device);
	return capture->gbm != NULL;
}

static bool buffer_init_dmabuf(struct term_capture *capture, int format) {
	struct buffer *buf = &capture->buffer;
	if (capture->linux_dmabuf == NULL || !open_gbm(capture)) {
		return false;
	}
	uint32_t width = capture->current.width, height = capture->current.height;
	uint64_t modifier = DRM_FORMAT_MOD_LINEAR;
	struct gbm_bo *bo = gbm_bo_create_with_modifiers2(capture->gbm, width, height,
		formats[format].drm, &modifier, 1, GBM_BO_USE_RENDERING);
	if (bo == NULL) {
		bo = gbm_bo_create(capture->gbm, width, height, formats[format].drm,
			GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
	}
	if (bo == NULL) {
		return false;
	}
	uint64_t got = gbm_bo_get_modifier(bo);
	int fd = gbm_bo_get_fd(bo);
	uint32_t stride = gbm_bo_get_stride(bo), offset = gbm_bo_get_offset(bo, 0);
	size_t size = (size_t)stride * height + offset;
	/* Only LINEAR, offset-0 planes are read (what GBM gives for this request). */
	void *data = fd >= 0 && offset == 0 &&
		(got == DRM_FORMAT_MOD_LINEAR || got == DRM_FORMAT_MOD_INVALID) ?
		mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (data == MAP_FAILED) {
		if (fd >= 0) {
			close(fd);
		}
		gbm_bo_destroy(bo);
		return false;
	}
	struct zwp_linux_buffer_params_v1 *params =
		zwp_linux_dmabuf_v1_create_params(capture->linux_dmabuf);
	zwp_linux_buffer_params_v1_add(params, fd, 0, offset, stride,
		(uint32_t)(DRM_FORMAT_MOD_LINEAR >> 32), (uint32_t)DRM_FORMAT_MOD_LINEAR);
	buf->wl_buffer = zwp_linux_buffer_params_v1_create_immed(params, (int32_t)width,
		(int32_t)height, formats[format].drm, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	buf->bo = bo;
	buf->dmabuf = true;
	buf->dmabuf_fd = fd;
	buf->data = (uint8_t *)data;
	buf->size = size;
	buf->width = width;
	buf->height = height;
	buf->stride = stride;
	buf->format = format;
	buf->fresh = true;
	return true;
}

/* A buffer for the current constraints: DMA-BUF when the session offers a
 * device and a LINEAR format we read, else SHM. */
static void buffer_update(struct term_capture *capture) {
	struct buffer *buf = &capture->buffer;
	const struct constraints *c = &capture->current;
	if (buf->wl_buffer != NULL && buf->width == c->width && buf->height == c->height &&
			(buf->dmabuf ? c->dmabuf_linear[buf->format] : c->shm[buf->format])) {
		return;
	}
	buffer_finish(capture);
	if (!capture->options.shm_only && !capture->dmabuf_broken && c->have_device) {
		for (size_t i = 0; i < N_FORMATS; i++) {
			if (c->dmabuf_linear[i] && buffer_init_dmabuf(capture, (int)i)) {
				return;
			}
		}
		capture->dmabuf_broken = true;
	}
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (c->shm[i] && capture->shm != NULL) {
			buffer_init_shm(capture, (int)i);
			return;
		}
	}
	fail("%s: the compositor offers no buffer format pinhole-term reads "
		"(XRGB8888, ARGB8888, XBGR8888, ABGR8888)", capture->description);
}

/* Session */

static void session_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	struct term_capture *capture = data;
	capture->pending.width = width;
	capture->pending.height = height;
}

static int format_index_shm(uint32_t format) {
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (formats[i].shm == format) {
			return (int)i;
		}
	}
	return -1;
}

static void session_shm_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format) {
	struct term_capture *capture = data;
	int i = format_index_shm(format);
	if (i >= 0) {
		capture->pending.shm[i] = true;
	}
}

static void session_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
	struct term_capture *capture = data;
	if (device->size == sizeof(dev_t)) {
		memcpy(&capture->pending.device, device->data, sizeof(dev_t));
		capture->pending.have_device = true;
	}
}

static void session_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
	struct term_capture *capture = data;
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (formats[i].drm != format) {
			continue;
		}
		uint64_t *modifier;
		wl_array_for_each(modifier, modifiers) {
			if (*modifier == DRM_FORMAT_MOD_LINEAR) {
				capture->pending.dmabuf_linear[i] = true;
			}
		}
	}
}

static void start_frame(struct term_capture *capture);

static void session_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct term_capture *capture = data;
	capture->current = capture->pending;
	/* Each batch repeats every constraint. */
	capture->pending = (struct constraints){0};
	capture->have_constraints = true;
	if (capture->want_frame && capture->frame == NULL) {
		start_frame(capture);
	}
}

static void session_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
	struct term_capture *capture = data;
	if (capture->handler.stopped != NULL) {
		capture->handler.stopped(capture->handler.data);
	}
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
	struct term_capture *capture = data;
	capture->transform = transform;
}

static void frame_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct term_capture *capture = data;
	if (capture->n_damage < MAX_DAMAGE) {
		capture->damage[capture->n_damage++] = (struct term_rect){x, y, width, height};
	} else {
		capture->damage_overflow = true;
	}
}

static void frame_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec) {
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	struct term_capture *capture = data;
	struct buffer *buf = &capture->buffer;
	ext_image_copy_capture_frame_v1_destroy(capture->frame);
	capture->frame = NULL;
	struct term_rect full = {0, 0, (int32_t)buf->width, (int32_t)buf->height};
	const struct term_rect *damage = capture->damage;
	int n_damage = capture->n_damage;
	if (buf->fresh || capture->damage_overflow) {
		damage = &full;
		n_damage = 1;
	}
	buf->fresh = false;
	struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
	if (buf->dmabuf) {
		ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
	}
	struct term_picture picture = {
		.data = buf->data,
		.width = buf->width,
		.height = buf->height,
		.stride = buf->stride,
		.bgr = formats[buf->format].bgr,
		.transform = capture->transform,
	};
	if (capture->handler.frame != NULL) {
		capture->handler.frame(capture->handler.data, &picture, damage, n_damage);
	}
	if (buf->dmabuf) {
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		ioctl(buf->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
	}
}

static void frame_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	struct term_capture *capture = data;
	ext_image_copy_capture_frame_v1_destroy(capture->frame);
	capture->frame = NULL;
	switch (reason) {
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS:
		/* New constraints follow (or already came): try again with them. */
		capture->want_frame = true;
		capture->buffer.fresh = true;
		if (capture->have_constraints) {
			start_frame(capture);
		}
		break;
	case EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED:
		/* The session's stopped event says the rest. */
		break;
	default:
		fail("%s: capture failed (reason %u)", capture->description, reason);
	}
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_transform,
	.damage = frame_damage,
	.presentation_time = frame_presentation_time,
	.ready = frame_ready,
	.failed = frame_failed,
};

static void start_frame(struct term_capture *capture) {
	capture->want_frame = false;
	buffer_update(capture);
	struct buffer *buf = &capture->buffer;
	capture->n_damage = 0;
	capture->damage_overflow = false;
	capture->transform = WL_OUTPUT_TRANSFORM_NORMAL;
	capture->frame = ext_image_copy_capture_session_v1_create_frame(capture->session);
	ext_image_copy_capture_frame_v1_add_listener(capture->frame, &frame_listener, capture);
	ext_image_copy_capture_frame_v1_attach_buffer(capture->frame, buf->wl_buffer);
	/* The one buffer always holds the last frame, so only a new one is all stale. */
	if (buf->fresh) {
		ext_image_copy_capture_frame_v1_damage_buffer(capture->frame, 0, 0,
			(int32_t)buf->width, (int32_t)buf->height);
	}
	ext_image_copy_capture_frame_v1_capture(capture->frame);
}

void term_capture_request(struct term_capture *capture) {
	if (capture->frame != NULL) {
		return;
	}
	if (capture->have_constraints) {
		start_frame(capture);
	} else {
		capture->want_frame = true;
	}
}

bool term_capture_pending(struct term_capture *capture) {
	return capture->frame != NULL || capture->want_frame;
}

/* Setup */

static void roundtrip(struct term_capture *capture) {
	if (wl_display_roundtrip(capture->display) < 0) {
		fail("lost the connection to the compositor");
	}
}

static bool toplevel_matches(const struct toplevel *toplevel, const char *want) {
	return !toplevel->closed && ((toplevel->app_id != NULL && strcmp(toplevel->app_id, want) == 0) ||
		(toplevel->title != NULL && strcmp(toplevel->title, want) == 0));
}

static void missing(const struct term_capture *capture) {
	const char *names[8];
	int n = 0;
	if (capture->shm == NULL) {
		names[n++] = wl_shm_interface.name;
	}
	if (capture->copy_manager == NULL) {
		names[n++] = ext_image_copy_capture_manager_v1_interface.name;
	}
	if (capture->options.toplevel == NULL && capture->output_sources == NULL) {
		names[n++] = ext_output_image_capture_source_manager_v1_interface.name;
	}
	if (capture->options.toplevel != NULL && capture->toplevel_sources == NULL) {
		names[n++] = ext_foreign_toplevel_image_capture_source_manager_v1_interface.name;
	}
	if (capture->options.toplevel != NULL && capture->toplevel_list == NULL) {
		names[n++] = ext_foreign_toplevel_list_v1_interface.name;
	}
	if (capture->options.control && capture->seat == NULL) {
		names[n++] = wl_seat_interface.name;
	}
	if (capture->options.control && capture->keyboard_manager == NULL) {
		names[n++] = zwp_virtual_keyboard_manager_v1_interface.name;
	}
	if (capture->options.control && capture->pointer_manager == NULL) {
		names[n++] = zwlr_virtual_pointer_manager_v1_interface.name;
	}
	if (n == 0) {
		return;
	}
	fputs("pinhole-term: the compositor does not offer ", stderr);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ", names[i]);
	}
	fputc('\n', stderr);
	exit(TERM_EXIT_MISSING);
}

struct term_capture *term_capture_create(const struct term_capture_options *options) {
	struct term_capture *capture = xzalloc(sizeof(*capture));
	capture->options = *options;
	capture->buffer.dmabuf_fd = -1;
	capture->drm_fd = -1;
	wl_list_init(&capture->outputs);
	wl_list_init(&capture->toplevels);
	capture->display = wl_display_connect(NULL);
	if (capture->display == NULL) {
		fprintf(stderr, "pinhole-term: cannot connect to the Wayland display %s\n",
			getenv("WAYLAND_DISPLAY") != NULL ? getenv("WAYLAND_DISPLAY") : "wayland-0");
		exit(TERM_EXIT_ERROR);
	}
	capture->registry = wl_display_get_registry(capture->display);
	wl_registry_add_listener(capture->registry, &registry_listener, capture);
	roundtrip(capture); /* globals */
	roundtrip(capture); /* output names, toplevels */
	missing(capture);

	struct ext_image_capture_source_v1 *source;
	if (options->toplevel != NULL) {
		struct toplevel *toplevel;
		wl_list_for_each(toplevel, &capture->toplevels, link) {
			if (toplevel_matches(toplevel, options->toplevel)) {
				capture->toplevel = toplevel;
				break;
			}
		}
		if (capture->toplevel == NULL) {
			fprintf(stderr, "pinhole-term: no window with app_id or title '%s'\n",
				options->toplevel);
			exit(TERM_EXIT_ERROR);
		}
		snprintf(capture->description, sizeof(capture->description), "window '%s'",
			options->toplevel);
		source = ext_foreign_toplevel_image_capture_source_manager_v1_create_source(
			capture->toplevel_sources, capture->toplevel->handle);
	} else {
		struct output *output;
		wl_list_for_each(output, &capture->outputs, link) {
			if (options->output_name == NULL || (output->name != NULL &&
					strcmp(output->name, options->output_name) == 0)) {
				capture->output = output;
				break;
			}
		}
		if (capture->output == NULL) {
			if (options->output_name != NULL) {
				fprintf(stderr, "pinhole-term: no output named '%s'\n",
					options->output_name);
			} else {
				fprintf(stderr, "pinhole-term: the compositor has no output\n");
			}
			exit(TERM_EXIT_ERROR);
		}
		snprintf(capture->description, sizeof(capture->description), "output %s",
			capture->output->name != NULL ? capture->output->name : "(unnamed)");
		source = ext_output_image_capture_source_manager_v1_create_source(
			capture->output_sources, capture->output->wl_output);
	}
	capture->session = ext_image_copy_capture_manager_v1_create_session(
		capture->copy_manager, source, options->paint_cursors ?
		EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS : 0);
	ext_image_capture_source_v1_destroy(source);
	ext_image_copy_capture_session_v1_add_listener(capture->session, &session_listener,
		capture);
	return capture;
}

void term_capture_destroy(struct term_capture *capture) {
	if (capture->frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(capture->frame);
	}
	ext_image_copy_capture_session_v1_destroy(capture->session);
	buffer_finish(capture);
	if (capture->gbm != NULL) {
		gbm_device_destroy(capture->gbm);
		close(capture->drm_fd);
	}
	struct output *output, *output_tmp;
	wl_list_for_each_safe(output, output_tmp, &capture->outputs, link) {
		wl_output_destroy(output->wl_output);
		free(output->name);
		free(output);
	}
	struct toplevel *toplevel, *toplevel_tmp;
	wl_list_for_each_safe(toplevel, toplevel_tmp, &capture->toplevels, link) {
		ext_foreign_toplevel_handle_v1_destroy(toplevel->handle);
		free(toplevel->app_id);
		free(toplevel->title);
		free(toplevel);
	}
	if (capture->toplevel_list != NULL) {
		ext_foreign_toplevel_list_v1_destroy(capture->toplevel_list);
	}
	if (capture->keyboard_manager != NULL) {
		zwp_virtual_keyboard_manager_v1_destroy(capture->keyboard_manager);
	}
	if (capture->pointer_manager != NULL) {
		if (zwlr_virtual_pointer_manager_v1_get_version(capture->pointer_manager) >= 2) {
			zwlr_virtual_pointer_manager_v1_destroy(capture->pointer_manager);
		} else {
			wl_proxy_destroy((struct wl_proxy *)capture->pointer_manager);
		}
	}
	if (capture->toplevel_sources != NULL) {
		ext_foreign_toplevel_image_capture_source_manager_v1_destroy(
			capture->toplevel_sources);
	}
	if (capture->output_sources != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(capture->output_sources);
	}
	ext_image_copy_capture_manager_v1_destroy(capture->copy_manager);
	if (capture->linux_dmabuf != NULL) {
		zwp_linux_dmabuf_v1_destroy(capture->linux_dmabuf);
	}
	if (capture->seat != NULL) {
		wl_seat_destroy(capture->seat);
	}
	wl_shm_destroy(capture->shm);
	wl_registry_destroy(capture->registry);
	wl_display_flush(capture->display);
	wl_display_disconnect(capture->display);
	free(capture);
}

struct wl_display *term_capture_display(struct term_capture *capture) {
	return capture->display;
}

struct wl_seat *term_capture_seat(struct term_capture *capture) {
	return capture->seat;
}

struct wl_output *term_capture_output(struct term_capture *capture) {
	return capture->output != NULL ? capture->output->wl_output : NULL;
}

void *term_capture_virtual_keyboard_manager(struct term_capture *capture) {
	return capture->keyboard_manager;
}

void *term_capture_virtual_pointer_manager(struct term_capture *capture) {
	return capture->pointer_manager;
}

const char *term_capture_describe(struct term_capture *capture) {
	return capture->description;
}

const char *term_capture_buffer_type(struct term_capture *capture) {
	return capture->buffer.wl_buffer == NULL ? "none" :
		capture->buffer.dmabuf ? "dmabuf" : "shm";
}

void term_capture_set_handler(struct term_capture *capture,
		const struct term_capture_handler *handler) {
	capture->handler = *handler;
}
