#include <EGL/egl.h>
#include <GLES2/gl2.h>
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#include <wlr/render/pass.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>
#include <xf86drm.h>
#include "capture/internal.h"
#include "ext-image-copy-capture-v1-protocol.h"

/*
 * DMA-BUF capture: on the GLES renderer, sessions advertise the renderer's
 * DRM device (its render node) and the formats/modifiers it can render to,
 * and frames are blitted into the client's dma-buf with a render pass
 * clipped to the region that needs copying.
 *
 * Synchronisation: ext-image-copy-capture has no fence, so `ready` must mean
 * the pixels are there. A GPU driver attaches an implicit fence to the
 * dma-buf at submission, but a software renderer (llvmpipe, as on GPU-less
 * KMS devices) attaches none and may still be writing when the pass returns.
 * So a frame waits for its GPU work on an EGL fence, polled from a timer:
 * the event loop serves everyone else meanwhile. SHM frames take the same
 * road through a linear staging dma-buf that the CPU copies from once the
 * fence signalled, instead of a glReadPixels that blocks. Without EGL 1.5
 * fences it falls back to glFinish in the event loop.
 *
 * Not a native fence fd (EGL_ANDROID_native_fence_sync), though the event
 * loop could watch one without polling: Mesa offers it on llvmpipe too, and
 * there creating it blocks until the rendering is done (160-250 ms for a
 * 1280x800 blit in the VM tier, the very stall the fence is there to avoid).
 */

/*
 * What the renderer can render to. libwlroots-0.20 exports this function (its
 * own ext-image-copy-capture uses it) but declares it in a header it does not
 * install; meson pins wlroots to 0.20.x, whose ABI does not change.
 */
const struct wlr_drm_format_set *wlr_renderer_get_render_formats(struct wlr_renderer *renderer);

/* Formats every client can use; advertised first when the renderer has them. */
static const uint32_t preferred_formats[] = {
	DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ARGB8888,
	DRM_FORMAT_XBGR8888,
	DRM_FORMAT_ABGR8888,
};

/*
 * Other formats with every colour channel. Single- and two-channel formats
 * (R8, GR88, ...) are renderable too but are no picture of a screen.
 */
static const uint32_t deep_formats[] = {
	DRM_FORMAT_XRGB2101010,
	DRM_FORMAT_ARGB2101010,
	DRM_FORMAT_XBGR2101010,
	DRM_FORMAT_ABGR2101010,
	DRM_FORMAT_XBGR16161616F,
	DRM_FORMAT_ABGR16161616F,
	DRM_FORMAT_XBGR16161616,
	DRM_FORMAT_ABGR16161616,
};

/* The render node of the device behind fd; 0 if it has none. */
static dev_t render_node_of(int drm_fd) {
	struct stat st;
	if (fstat(drm_fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		return 0;
	}
	drmDevicePtr device;
	if (drmGetDeviceFromDevId(st.st_rdev, 0, &device) != 0) {
		return 0;
	}
	dev_t node = 0;
	struct stat render;
	if ((device->available_nodes & (1 << DRM_NODE_RENDER)) &&
			stat(device->nodes[DRM_NODE_RENDER], &render) == 0) {
		node = render.st_rdev;
	}
	drmFreeDevice(&device);
	return node;
}

static void add_format(struct pinhole_capture *capture, const struct wlr_drm_format *fmt) {
	for (size_t i = 0; i < fmt->len; i++) {
		wlr_drm_format_set_add(&capture->dmabuf_formats, fmt->format, fmt->modifiers[i]);
	}
}

void capture_dmabuf_init(struct pinhole_capture *capture) {
	struct wlr_renderer *renderer = capture->config.renderer;
	capture->dmabuf_formats = (struct wlr_drm_format_set){0};
	capture->dmabuf_enabled = false;
	if (renderer == NULL || !wlr_renderer_is_gles2(renderer)) {
		/* pixman: no dmabuf events at all, clients fall back to SHM. */
		return;
	}
	int drm_fd = wlr_renderer_get_drm_fd(renderer);
	dev_t device = drm_fd >= 0 ? render_node_of(drm_fd) : 0;
	if (device == 0) {
		wlr_log(WLR_INFO, "capture: the renderer has no DRM render node; DMA-BUF capture off");
		return;
	}
	const struct wlr_drm_format_set *render_formats = wlr_renderer_get_render_formats(renderer);
	if (render_formats == NULL) {
		return;
	}
	for (size_t i = 0; i < sizeof(preferred_formats) / sizeof(preferred_formats[0]); i++) {
		const struct wlr_drm_format *fmt =
			wlr_drm_format_set_get(render_formats, preferred_formats[i]);
		if (fmt == NULL) {
			continue;
		}
		add_format(capture, fmt);
		if (!wlr_drm_format_set_has(render_formats, fmt->format, DRM_FORMAT_MOD_LINEAR)) {
			wlr_log(WLR_INFO, "capture: the renderer cannot render to 0x%08x LINEAR",
				preferred_formats[i]);
		}
	}
	/* Deeper colour too, for clients that record HDR or 10-bit desktops. */
	for (size_t i = 0; i < sizeof(deep_formats) / sizeof(deep_formats[0]); i++) {
		const struct wlr_drm_format *fmt = wlr_drm_format_set_get(render_formats,
			deep_formats[i]);
		if (fmt != NULL) {
			add_format(capture, fmt);
		}
	}
	if (capture->dmabuf_formats.len == 0) {
		wlr_drm_format_set_finish(&capture->dmabuf_formats);
		return;
	}
	capture->dmabuf_device = device;
	capture->dmabuf_enabled = true;
	/* EGL 1.5 fences let frames wait for the GPU without stalling the event loop. */
	EGLint egl_major = 0, egl_minor = 0;
	const char *version = eglQueryString(
		wlr_egl_get_display(wlr_gles2_renderer_get_egl(renderer)), EGL_VERSION);
	capture->egl_fences = version != NULL && sscanf(version, "%d.%d", &egl_major,
		&egl_minor) == 2 && (egl_major > 1 || (egl_major == 1 && egl_minor >= 5));
	wlr_log(WLR_INFO, "capture: %s", capture->egl_fences ?
		"GPU copies complete on EGL fences, outside the event loop" :
		"no EGL 1.5 fences: GPU copies are waited for inside the event loop");
	wlr_log(WLR_INFO, "capture: DMA-BUF capture on render node %u:%u, %zu formats",
		major(device), minor(device), capture->dmabuf_formats.len);
	for (size_t i = 0; i < capture->dmabuf_formats.len; i++) {
		const struct wlr_drm_format *fmt = &capture->dmabuf_formats.formats[i];
		for (size_t j = 0; j < fmt->len; j++) {
			wlr_log(WLR_DEBUG, "capture: dmabuf format 0x%08x modifier 0x%016llx",
				fmt->format, (unsigned long long)fmt->modifiers[j]);
		}
	}
}

static bool format_sets_equal(const struct wlr_drm_format_set *a,
		const struct wlr_drm_format_set *b) {
	if (a->len != b->len) {
		return false;
	}
	for (size_t i = 0; i < a->len; i++) {
		const struct wlr_drm_format *fa = &a->formats[i], *fb = &b->formats[i];
		if (fa->format != fb->format || fa->len != fb->len ||
				memcmp(fa->modifiers, fb->modifiers, fa->len * sizeof(fa->modifiers[0])) != 0) {
			return false;
		}
	}
	return true;
}

bool capture_dmabuf_reinit(struct pinhole_capture *capture) {
	struct wlr_drm_format_set old_formats = capture->dmabuf_formats;
	bool old_enabled = capture->dmabuf_enabled;
	dev_t old_device = capture->dmabuf_device;
	capture_dmabuf_init(capture);
	bool changed = old_enabled != capture->dmabuf_enabled || (capture->dmabuf_enabled &&
		(old_device != capture->dmabuf_device ||
		!format_sets_equal(&old_formats, &capture->dmabuf_formats)));
	wlr_drm_format_set_finish(&old_formats);
	return changed;
}

void capture_dmabuf_finish(struct pinhole_capture *capture) {
	wlr_drm_format_set_finish(&capture->dmabuf_formats);
	capture->dmabuf_enabled = false;
}

void capture_dmabuf_send_constraints(struct pinhole_capture *capture,
		struct wl_resource *session_resource) {
	if (!capture->dmabuf_enabled) {
		return;
	}
	/* Exactly a dev_t: xdg-desktop-portal-wlr asserts on any other size. */
	struct wl_array device = {
		.size = sizeof(capture->dmabuf_device),
		.alloc = 0,
		.data = &capture->dmabuf_device,
	};
	ext_image_copy_capture_session_v1_send_dmabuf_device(session_resource, &device);
	/* The format set is ordered as added: the preferred formats come first. */
	for (size_t i = 0; i < capture->dmabuf_formats.len; i++) {
		const struct wlr_drm_format *fmt = &capture->dmabuf_formats.formats[i];
		struct wl_array modifiers = {
			.size = fmt->len * sizeof(fmt->modifiers[0]),
			.alloc = 0,
			.data = fmt->modifiers,
		};
		ext_image_copy_capture_session_v1_send_dmabuf_format(session_resource, fmt->format,
			&modifiers);
	}
}

bool capture_dmabuf_buffer_fits(struct pinhole_capture *capture, struct wlr_buffer *buffer,
		int width, int height, const void *session) {
	struct wlr_dmabuf_attributes attribs;
	if (!wlr_buffer_get_dmabuf(buffer, &attribs)) {
		return false;
	}
	if (!capture->dmabuf_enabled) {
		wlr_log(WLR_DEBUG, "capture session %p: dma-buf offered, none advertised", session);
		return false;
	}
	if (!wlr_drm_format_set_has(&capture->dmabuf_formats, attribs.format, attribs.modifier) ||
			attribs.width != width || attribs.height != height) {
		wlr_log(WLR_DEBUG, "capture session %p: dma-buf %dx%d format 0x%08x modifier "
			"0x%016llx does not fit %dx%d", session, attribs.width, attribs.height,
			attribs.format, (unsigned long long)attribs.modifier, width, height);
		return false;
	}
	return true;
}

bool capture_buffer_is_dmabuf(struct wlr_buffer *buffer) {
	struct wlr_dmabuf_attributes attribs;
	return wlr_buffer_get_dmabuf(buffer, &attribs);
}

/* The renderer's EGL context made current for a few calls, then put back. */
struct egl_scope {
	EGLDisplay display, prev_display;
	EGLContext prev_context;
	EGLSurface prev_draw, prev_read;
};

static bool egl_enter(struct egl_scope *scope, struct wlr_renderer *renderer) {
	struct wlr_egl *egl = wlr_gles2_renderer_get_egl(renderer);
	scope->display = wlr_egl_get_display(egl);
	scope->prev_display = eglGetCurrentDisplay();
	scope->prev_context = eglGetCurrentContext();
	scope->prev_draw = eglGetCurrentSurface(EGL_DRAW);
	scope->prev_read = eglGetCurrentSurface(EGL_READ);
	if (!eglMakeCurrent(scope->display, EGL_NO_SURFACE, EGL_NO_SURFACE,
			wlr_egl_get_context(egl))) {
		wlr_log(WLR_ERROR, "capture: eglMakeCurrent failed");
		return false;
	}
	return true;
}

static void egl_leave(struct egl_scope *scope) {
	if (scope->prev_context != EGL_NO_CONTEXT) {
		eglMakeCurrent(scope->prev_display, scope->prev_draw, scope->prev_read,
			scope->prev_context);
	} else {
		eglMakeCurrent(scope->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	}
}

/* Waits until the GPU (or llvmpipe's threads) finished what was submitted. */
static void wait_for_renderer(struct wlr_renderer *renderer) {
	struct egl_scope scope;
	if (egl_enter(&scope, renderer)) {
		glFinish();
		egl_leave(&scope);
	}
}

/*
 * Waiting without stalling the event loop: an EGL fence after the submitted
 * work, polled every millisecond from a timer. A software renderer sets no
 * implicit fence a client could wait on, and ext-image-copy-capture has none
 * to send, so `ready` has to wait for the work itself.
 */
struct capture_gpu_wait {
	struct pinhole_capture *capture;
	EGLSync sync;
	struct wl_event_source *timer;
	struct timespec start;
	void (*done)(void *data);
	void *data;
};

static void gpu_wait_free(struct capture_gpu_wait *wait) {
	struct egl_scope scope;
	if (egl_enter(&scope, wait->capture->config.renderer)) {
		eglDestroySync(scope.display, wait->sync);
		egl_leave(&scope);
	}
	wl_event_source_remove(wait->timer);
	free(wait);
}

static int handle_gpu_wait_timer(void *data) {
	struct capture_gpu_wait *wait = data;
	struct egl_scope scope;
	EGLint status = EGL_FALSE;
	if (egl_enter(&scope, wait->capture->config.renderer)) {
		status = eglClientWaitSync(scope.display, wait->sync, 0, 0);
		egl_leave(&scope);
	}
	if (status == EGL_TIMEOUT_EXPIRED) {
		wl_event_source_timer_update(wait->timer, 1);
		return 0;
	}
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	wlr_log(WLR_DEBUG, "capture: GPU work done after %.2f ms (the event loop ran meanwhile)%s",
		(double)(end.tv_sec - wait->start.tv_sec) * 1e3 +
		(double)(end.tv_nsec - wait->start.tv_nsec) / 1e6,
		status == EGL_CONDITION_SATISFIED ? "" : "; the fence failed");
	void (*done)(void *data) = wait->done;
	void *done_data = wait->data;
	gpu_wait_free(wait);
	done(done_data);
	return 0;
}

struct capture_gpu_wait *capture_gpu_wait_create(struct pinhole_capture *capture,
		void (*done)(void *data), void *data) {
	if (!capture->gpu_pending) {
		return NULL;
	}
	capture->gpu_pending = false;
	struct wlr_renderer *renderer = capture->config.renderer;
	struct egl_scope scope;
	EGLSync sync = EGL_NO_SYNC;
	if (capture->egl_fences && egl_enter(&scope, renderer)) {
		sync = eglCreateSync(scope.display, EGL_SYNC_FENCE, NULL);
		/* Submits the fence with the work before it. */
		glFlush();
		egl_leave(&scope);
	}
	struct capture_gpu_wait *wait = sync != EGL_NO_SYNC ? calloc(1, sizeof(*wait)) : NULL;
	struct wl_event_loop *loop = wl_display_get_event_loop(capture->config.display);
	if (wait != NULL) {
		wait->timer = wl_event_loop_add_timer(loop, handle_gpu_wait_timer, wait);
	}
	if (wait == NULL || wait->timer == NULL) {
		/* No fences: the old way, inside the event loop. */
		if (sync != EGL_NO_SYNC && egl_enter(&scope, renderer)) {
			eglDestroySync(scope.display, sync);
			egl_leave(&scope);
		}
		free(wait);
		wait_for_renderer(renderer);
		return NULL;
	}
	wait->capture = capture;
	wait->sync = sync;
	wait->done = done;
	wait->data = data;
	clock_gettime(CLOCK_MONOTONIC, &wait->start);
	wl_event_source_timer_update(wait->timer, 1);
	return wait;
}

void capture_gpu_wait_destroy(struct capture_gpu_wait *wait) {
	if (wait != NULL) {
		gpu_wait_free(wait);
	}
}

bool capture_dmabuf_copy(struct pinhole_capture *capture, struct wlr_buffer *dst,
		struct wlr_buffer *src, const pixman_region32_t *region, bool opaque) {
	struct wlr_renderer *renderer = capture->config.renderer;
	if (!capture->dmabuf_enabled) {
		return false;
	}
	struct wlr_texture *texture = wlr_texture_from_buffer(renderer, src);
	if (texture == NULL) {
		wlr_log(WLR_ERROR, "capture: cannot read the source buffer as a texture");
		return false;
	}
	struct wlr_render_pass *pass = wlr_renderer_begin_buffer_pass(renderer, dst, NULL);
	if (pass == NULL) {
		wlr_log(WLR_ERROR, "capture: cannot render into the client's dma-buf");
		wlr_texture_destroy(texture);
		return false;
	}
	struct wlr_box box = {0, 0, dst->width, dst->height};
	if (opaque) {
		/*
		 * What an output shows is opaque: a scanned-out buffer's alpha means
		 * nothing there. Blending it over black gives what the screen showed,
		 * with alpha 1 for readers of an alpha format.
		 */
		wlr_render_pass_add_rect(pass, &(struct wlr_render_rect_options){
			.box = box,
			.color = {0, 0, 0, 1},
			.clip = region,
			.blend_mode = WLR_RENDER_BLEND_MODE_NONE,
		});
	}
	wlr_render_pass_add_texture(pass, &(struct wlr_render_texture_options){
		.texture = texture,
		.dst_box = box,
		.clip = region,
		.filter_mode = WLR_SCALE_FILTER_NEAREST,
		.blend_mode = opaque ? WLR_RENDER_BLEND_MODE_PREMULTIPLIED :
			WLR_RENDER_BLEND_MODE_NONE,
	});
	bool ok = wlr_render_pass_submit(pass);
	wlr_texture_destroy(texture);
	/* The frame waits for it (capture_gpu_wait_create) before it is ready. */
	capture->gpu_pending = capture->gpu_pending || ok;
	return ok;
}

bool capture_dmabuf_draw(struct pinhole_capture *capture, struct wlr_buffer *dst,
		struct wlr_texture *texture, const struct wlr_box *box,
		enum wl_output_transform transform, const pixman_region32_t *clip, bool blend) {
	struct wlr_renderer *renderer = capture->config.renderer;
	if (!capture->dmabuf_enabled) {
		return false;
	}
	struct wlr_render_pass *pass = wlr_renderer_begin_buffer_pass(renderer, dst, NULL);
	if (pass == NULL) {
		wlr_log(WLR_ERROR, "capture: cannot render into the client's dma-buf");
		return false;
	}
	wlr_render_pass_add_texture(pass, &(struct wlr_render_texture_options){
		.texture = texture,
		.dst_box = *box,
		.transform = transform,
		.clip = clip,
		.filter_mode = WLR_SCALE_FILTER_NEAREST,
		.blend_mode = blend ? WLR_RENDER_BLEND_MODE_PREMULTIPLIED :
			WLR_RENDER_BLEND_MODE_NONE,
	});
	bool ok = wlr_render_pass_submit(pass);
	/* Like the blit: waited for before ready. */
	capture->gpu_pending = capture->gpu_pending || ok;
	return ok;
}

bool capture_gpu_staging_needed(struct pinhole_capture *capture, struct wlr_buffer *dst) {
	/* Sources on the GLES renderer are GPU buffers; a client's SHM buffer is not. */
	return capture->dmabuf_enabled && !capture_buffer_is_dmabuf(dst);
}

struct wlr_buffer *capture_gpu_staging_create(struct pinhole_capture *capture, int width,
		int height) {
	uint64_t modifier = DRM_FORMAT_MOD_LINEAR;
	struct wlr_drm_format format = {
		.format = DRM_FORMAT_ARGB8888,
		.len = 1,
		.capacity = 1,
		.modifiers = &modifier,
	};
	struct wlr_buffer *buffer = wlr_allocator_create_buffer(capture->config.allocator, width,
		height, &format);
	struct wlr_dmabuf_attributes attribs;
	if (buffer != NULL && (!wlr_buffer_get_dmabuf(buffer, &attribs) ||
			attribs.modifier != DRM_FORMAT_MOD_LINEAR || attribs.n_planes != 1)) {
		/* The CPU reads it through a mapping: only a linear dma-buf will do. */
		wlr_buffer_drop(buffer);
		buffer = NULL;
	}
	return buffer;
}

bool capture_gpu_staging_read(struct wlr_buffer *staging, struct wlr_buffer *dst,
		const pixman_region32_t *region) {
	struct wlr_dmabuf_attributes attribs;
	if (!wlr_buffer_get_dmabuf(staging, &attribs)) {
		return false;
	}
	size_t size = (size_t)attribs.offset[0] + (size_t)attribs.stride[0] * attribs.height;
	void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, attribs.fd[0], 0);
	if (map == MAP_FAILED) {
		wlr_log_errno(WLR_ERROR, "capture: cannot map the staging dma-buf");
		return false;
	}
	struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
	ioctl(attribs.fd[0], DMA_BUF_IOCTL_SYNC, &sync);
	bool ok = capture_copy_from_memory(NULL, dst, (const uint8_t *)map + attribs.offset[0],
		attribs.format, (int)attribs.stride[0], region);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(attribs.fd[0], DMA_BUF_IOCTL_SYNC, &sync);
	munmap(map, size);
	return ok;
}
