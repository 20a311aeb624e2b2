#include <EGL/egl.h>
#include <GLES2/gl2.h>
#include <drm_fourcc.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
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
 * So the blit is waited for (glFinish) before the frame can become ready; the
 * cost is the blit's own time, inside the event loop. An asynchronous wait on
 * a DRM syncobj timeline (where the renderer supports timelines) is the
 * obvious next step.
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

/* Waits until the GPU (or llvmpipe's threads) finished what was submitted. */
static void wait_for_renderer(struct wlr_renderer *renderer) {
	struct wlr_egl *egl = wlr_gles2_renderer_get_egl(renderer);
	EGLDisplay display = wlr_egl_get_display(egl);
	EGLContext context = wlr_egl_get_context(egl);
	EGLDisplay prev_display = eglGetCurrentDisplay();
	EGLContext prev_context = eglGetCurrentContext();
	EGLSurface prev_draw = eglGetCurrentSurface(EGL_DRAW);
	EGLSurface prev_read = eglGetCurrentSurface(EGL_READ);
	if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
		wlr_log(WLR_ERROR, "capture: eglMakeCurrent failed; cannot wait for the blit");
		return;
	}
	glFinish();
	if (prev_context != EGL_NO_CONTEXT) {
		eglMakeCurrent(prev_display, prev_draw, prev_read, prev_context);
	} else {
		eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
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
	if (ok) {
		struct timespec start, end;
		clock_gettime(CLOCK_MONOTONIC, &start);
		wait_for_renderer(renderer);
		clock_gettime(CLOCK_MONOTONIC, &end);
		/* The price of the wait, inside the event loop: worth seeing in a log. */
		pixman_box32_t *extents = pixman_region32_extents(region);
		wlr_log(WLR_DEBUG, "capture: dma-buf blit of %dx%d (extents) waited %.2f ms",
			extents->x2 - extents->x1, extents->y2 - extents->y1,
			(double)(end.tv_sec - start.tv_sec) * 1e3 +
			(double)(end.tv_nsec - start.tv_nsec) / 1e6);
	}
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
	if (ok) {
		/* Like the blit: the client may read as soon as ready is sent. */
		wait_for_renderer(renderer);
	}
	return ok;
}
