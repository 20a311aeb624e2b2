#ifndef PINHOLE_CAPTURE_INTERNAL_H
#define PINHOLE_CAPTURE_INTERNAL_H

/* Shared between the capture module's own files; not part of its interface. */

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <wlr/render/drm_format_set.h>
#include "capture/capture.h"

struct wlr_buffer;
struct wlr_output;
struct wlr_output_cursor;
struct wlr_renderer;
struct capture_source;
struct capture_copy_worker;
struct capture_session;

/*
 * The pointer cursor as one source sees it. Positions and sizes are in the
 * source's buffer pixels (scaled), in its transformed orientation.
 */
struct capture_cursor {
	bool visible; /* the image intersects the source */
	int x, y; /* the hotspot's position */
	int hotspot_x, hotspot_y; /* in the image */
	int width, height;
	const uint32_t *pixels; /* premultiplied ARGB8888, tight stride; NULL when hidden */
	uint64_t image_serial; /* changes whenever the image's pixels or size do */
};

/* A cursor image read back from a wlr_output_cursor, kept until it changes. */
struct capture_cursor_image {
	int width, height;
	uint32_t *pixels;
	uint64_t serial;
};

/* What differs between output and toplevel sources. */
struct capture_source_impl {
	/*
	 * A frame waits for content. force: the session has nothing to copy yet
	 * (first frame), so content is wanted even if nothing changed.
	 */
	void (*request_frame)(struct capture_source *source, bool force);
	/*
	 * A frame was asked for: true when the source's clock steps with it
	 * (capture_config.step_output), and the frame waits for
	 * capture_source_step_committed(). May be NULL.
	 */
	bool (*step)(struct capture_source *source);
	/*
	 * Copies region (buffer coordinates, within the source size) of the
	 * source's current content into dst. Returns false if it could not.
	 */
	bool (*copy)(struct capture_source *source, struct wlr_buffer *dst,
		const pixman_region32_t *region);
	/* The content the next copy would read exists now (a frame can complete at once). */
	bool (*has_content)(struct capture_source *source);
	/*
	 * Whether the content last copied has been presented, and when. If not,
	 * frames wait for capture_source_presented().
	 */
	bool (*presented)(struct capture_source *source, struct timespec *when);
	/* Where the pointer cursor is relative to this source, and its image. */
	void (*get_cursor)(struct capture_source *source, struct capture_cursor *cursor);
};

struct capture_source {
	struct pinhole_capture *capture;
	const struct capture_source_impl *impl;
	int width, height; /* buffer size in pixels */
	enum wl_output_transform transform;
	/* Offer formats with alpha first (cursor images: clients want the shape). */
	bool prefer_alpha;
	/* Its copies read memory, not GPU buffers (cursor images): never staged. */
	bool cpu_content;
	struct wl_list resources; /* ext_image_capture_source_v1 resources */
	struct wl_list sessions; /* capture_session.source_link */
	struct wl_list cursor_sessions; /* cursor_session.source_link */
	struct wl_list link; /* pinhole_capture.sources */
};

struct pinhole_capture {
	struct capture_config config;
	struct wl_global *copy_manager_global;
	struct wl_global *output_source_manager_global;
	struct wl_global *toplevel_source_manager_global;
	struct wl_list outputs; /* capture_output.link */
	/* Sources whose output is away for a VT switch (capture_output_detach). */
	struct wl_list detached_outputs; /* capture_output.link */
	struct wl_list toplevels; /* capture_toplevel.link */
	struct wl_list sources; /* capture_source.link: outputs, toplevels, cursor images */
	/* SHM formats offered to every session (DRM fourcc), first preferred. */
	uint32_t shm_formats[4];
	size_t shm_formats_len;
	struct wl_event_source *cursor_idle; /* a cursor update is scheduled */
	/* DMA-BUF capture (dmabuf.c): only on the GLES renderer with a render node. */
	bool dmabuf_enabled;
	dev_t dmabuf_device; /* the render node */
	struct wlr_drm_format_set dmabuf_formats;
	bool egl_fences; /* EGL 1.5 fences: GPU copies complete outside the event loop */
	bool gpu_pending; /* GPU work was submitted that a frame must wait for */
	bool locked; /* the session is locked: see capture_set_locked() */
	struct capture_copy_worker *copy_worker; /* capture_copy_worker_get() */
	bool copy_worker_tried;
	struct wl_listener display_destroy;
};

/*
 * wl_resource_post_error, logged with the object and the client's pid: a
 * client that disconnects shows why in the compositor's log.
 */
void capture_post_error(struct wl_resource *resource, uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void capture_source_init(struct capture_source *source, struct pinhole_capture *capture,
	const struct capture_source_impl *impl);
/* Stops every session and makes every source resource inert. */
void capture_source_finish(struct capture_source *source);
void capture_source_stop_sessions(struct capture_source *source);
/* Size or transform changed: sessions get new constraints. */
void capture_source_set_constraints(struct capture_source *source, int width, int height,
	enum wl_output_transform transform);
/* New content arrived with this damage (buffer coordinates, NULL: everything). */
void capture_source_damage(struct capture_source *source, const pixman_region32_t *damage);
/* The content copied since the last call was presented at when: frames become ready. */
/* The commit a step produced: frames waiting for the step take it, changed or not. */
void capture_source_step_committed(struct capture_source *source);
void capture_source_presented(struct capture_source *source, const struct timespec *when);
bool capture_source_has_painting_sessions(struct capture_source *source);
/* The cursor moved or changed: painting sessions of the source follow it. */
void capture_source_cursor_update(struct capture_source *source,
	const struct capture_cursor *cursor);
/* True while a frame of this source waits for new content. */
bool capture_source_is_wanted(struct capture_source *source);
struct wl_resource *capture_source_create_resource(struct wl_client *client, uint32_t id,
	struct capture_source *source);
struct capture_source *capture_source_from_resource(struct wl_resource *resource);

/* The source of an output or toplevel; NULL if pinhole does not know it. */
struct capture_source *capture_output_source(struct pinhole_capture *capture,
	struct wlr_output *output);
struct capture_toplevel *capture_toplevel_from_handle(struct pinhole_capture *capture,
	struct wlr_ext_foreign_toplevel_handle_v1 *handle);
struct capture_source *capture_toplevel_source(struct capture_toplevel *toplevel);
/* Whether a source is a toplevel's (the compositor's policy hook tells them apart). */
bool capture_source_is_toplevel(struct capture_source *source);
/* The session was locked: what outputs committed before is not served any more. */
void capture_outputs_forget_content(struct pinhole_capture *capture);
/* The session was unlocked: held toplevel frames with new content are served. */
void capture_source_release_held(struct capture_source *source);
/*
 * The source's content was replaced as a whole (its output came back after a
 * VT switch): everything is damaged, and waiting frames ask for new content.
 */
void capture_source_content_replaced(struct capture_source *source);

/*
 * The renderer is being replaced (capture_set_renderer), the old one still
 * current: frames whose GPU work is in flight go back to waiting with all of
 * their buffer stale, staging buffers are dropped.
 */
void capture_source_drop_renderer_state(struct capture_source *source);
/* Sessions follow new DMA-BUF constraints; waiting frames ask for content again. */
void capture_source_renderer_changed(struct capture_source *source, bool constraints_changed);
/* Each output source lets go of its last commit and offscreen buffer (old allocator). */
void capture_outputs_drop_renderer_state(struct pinhole_capture *capture);
void capture_toplevels_drop_renderer_state(struct pinhole_capture *capture);

/* Pointer cursor sessions and cursor painting (cursor.c) */
void capture_cursor_session_create(struct wl_client *client, uint32_t version, uint32_t id,
	struct capture_source *source, struct wl_resource *pointer);
/* Leaves and stops the source's cursor sessions; they stay as inert objects. */
void capture_source_finish_cursor_sessions(struct capture_source *source);
/*
 * Something that may move or change the cursor happened (an output's cursor
 * moved, was damaged or committed): cursor sessions and painting sessions are
 * brought up to date once the event loop is idle.
 */
void capture_cursor_schedule_update(struct pinhole_capture *capture);
/* The pointer's cursor on an output: the first enabled wlr_output_cursor, or NULL. */
struct wlr_output_cursor *capture_output_pointer_cursor(struct wlr_output *output);
/* Reads the cursor's image into image; its serial changes if the pixels did. */
void capture_cursor_image_update(struct capture_cursor_image *image,
	struct wlr_renderer *renderer, struct wlr_output_cursor *cursor);
void capture_cursor_image_finish(struct capture_cursor_image *image);
/* The output source's view of the cursor (also used for toplevels on that output). */
void capture_output_get_cursor(struct capture_source *source, struct capture_cursor *cursor);
/* The output source whose area holds the cursor's hotspot, or NULL. */
struct capture_source *capture_output_source_under_cursor(struct pinhole_capture *capture);
/*
 * Composites the cursor over dst (source-sized): by the CPU where dst exposes
 * its memory, else (dma-bufs) with the renderer.
 */
bool capture_paint_cursor(struct pinhole_capture *capture, struct wlr_buffer *dst,
	const struct capture_cursor *cursor, enum wl_output_transform transform,
	int source_width, int source_height);
/* A pixel of the transformed (logical) orientation to buffer coordinates. */
void capture_transformed_to_buffer(int *x, int *y, enum wl_output_transform transform,
	int source_width, int source_height);
/* A box of the transformed orientation to buffer coordinates, clipped to the source. */
struct wlr_box;
void capture_transformed_box_to_buffer(const struct wlr_box *box,
	enum wl_output_transform transform, int source_width, int source_height,
	pixman_region32_t *region);
/* The cursor's image box in the source's buffer coordinates (transform undone). */
void capture_cursor_buffer_box(const struct capture_cursor *cursor,
	enum wl_output_transform transform, int source_width, int source_height,
	pixman_region32_t *box);

/* Sessions (session.c) */
void capture_session_create(struct wl_client *client, uint32_t version, uint32_t id,
	struct capture_source *source, uint32_t options);
void capture_session_stop(struct capture_session *session);
/* Source damage: mark everything stale and serve a waiting frame. */
void capture_session_damage(struct capture_session *session, const pixman_region32_t *damage);
void capture_session_presented(struct capture_session *session, const struct timespec *when);
void capture_session_step_committed(struct capture_session *session);
bool capture_session_paints_cursor(struct capture_session *session);
void capture_session_send_constraints(struct capture_session *session);
/* The source's size or transform changed: renegotiate, fail frames that no longer fit. */
void capture_session_constraints_changed(struct capture_session *session);
bool capture_session_is_waiting(struct capture_session *session);

/* Offscreen scene rendering (render.c) */
struct wlr_scene_node;
/* A scene node's size as wlr_scene lays it out (0x0 for trees). */
void capture_scene_node_size(struct wlr_scene_node *node, int *width, int *height);
/*
 * Renders node and its children into dst, clipped: the scene point
 * (origin_x, origin_y) lands on dst's 0,0, logical sizes times scale, over
 * background (premultiplied RGBA).
 */
bool capture_render_scene(struct wlr_renderer *renderer, struct wlr_buffer *dst,
	struct wlr_scene_node *node, double origin_x, double origin_y, float scale,
	const float background[4], const pixman_region32_t *clip);

/* Pixel copies (copy.c) */
uint32_t capture_shm_format_to_drm(uint32_t shm_format);
uint32_t capture_drm_format_to_shm(uint32_t drm_format);
bool capture_format_has_alpha(uint32_t drm_format);
/* Whether copy_rect_convert() can read or write this format. */
bool capture_format_is_supported(uint32_t drm_format);
/* One pixel between ARGB8888 order and a supported format (a red/blue swap or nothing). */
uint32_t capture_pixel_from_argb(uint32_t argb, uint32_t dst_format);
uint32_t capture_pixel_to_argb(uint32_t pixel, uint32_t src_format);
/* worker: NULL, or a helper that takes part of copies of CAPTURE_SHARED_COPY_MIN_BYTES or more. */
void capture_copy_rect(struct capture_copy_worker *worker, void *dst, int dst_stride,
	uint32_t dst_format, const void *src, int src_stride, uint32_t src_format,
	int x, int y, int width, int height);
/*
 * Copies region from src to dst (same size). CPU copy when both expose their
 * memory, otherwise a texture read through the renderer. opaque: src's alpha
 * channel means nothing (what an output shows), readers get alpha 0xff.
 */
bool capture_copy_buffer(struct pinhole_capture *capture, struct wlr_buffer *dst,
	struct wlr_buffer *src, const pixman_region32_t *region, bool opaque);
/* Copies region from memory (src_format, src_stride) into a CPU-accessible dst. */
bool capture_copy_from_memory(struct capture_copy_worker *worker, struct wlr_buffer *dst,
	const void *src, uint32_t src_format, int src_stride, const pixman_region32_t *region);

/*
 * A helper thread for large copies (copy_worker.c). Smaller copies are not
 * worth waking it; bands are what it and the caller claim in turn.
 */
#define CAPTURE_SHARED_COPY_MIN_BYTES (2u << 20)
#define CAPTURE_SHARED_COPY_BAND_BYTES (256u << 10)
typedef void (*capture_copy_band_fn)(void *data, int band);
/* NULL when the process may use one CPU only, or the thread cannot start. */
struct capture_copy_worker *capture_copy_worker_create(void);
void capture_copy_worker_destroy(struct capture_copy_worker *worker);
/* Calls band(data, i) for every i in [0, bands), on this thread and the helper's. */
void capture_copy_worker_run(struct capture_copy_worker *worker, int bands,
	capture_copy_band_fn band, void *data);
/* The capture's helper, started on first use; NULL if there is none. */
struct capture_copy_worker *capture_copy_worker_get(struct pinhole_capture *capture);

/* DMA-BUF capture (dmabuf.c) */
void capture_dmabuf_init(struct pinhole_capture *capture);
void capture_dmabuf_finish(struct pinhole_capture *capture);
/* The renderer changed: DMA-BUF state from the new one; true if sessions' constraints change. */
bool capture_dmabuf_reinit(struct pinhole_capture *capture);
/* dmabuf_device and dmabuf_format events, if DMA-BUF capture is on. */
void capture_dmabuf_send_constraints(struct pinhole_capture *capture,
	struct wl_resource *session_resource);
bool capture_buffer_is_dmabuf(struct wlr_buffer *buffer);
/* A dma-buf of an advertised format/modifier and of this size. */
bool capture_dmabuf_buffer_fits(struct pinhole_capture *capture, struct wlr_buffer *buffer,
	int width, int height, const void *session);
/*
 * Draws texture into the dma-buf dst at box (buffer coordinates) with a
 * transform, clipped, blended or not, and waits until it is written.
 */
struct wlr_texture;
bool capture_dmabuf_draw(struct pinhole_capture *capture, struct wlr_buffer *dst,
	struct wlr_texture *texture, const struct wlr_box *box,
	enum wl_output_transform transform, const pixman_region32_t *clip, bool blend);
/*
 * Waiting for the GPU work submitted so far (blits, cursor draws) without
 * stalling the event loop: done(data) is called once it finished. NULL when
 * there was none, or when it had to be waited for at once (no fences).
 */
struct capture_gpu_wait;
struct capture_gpu_wait *capture_gpu_wait_create(struct pinhole_capture *capture,
	void (*done)(void *data), void *data);
void capture_gpu_wait_destroy(struct capture_gpu_wait *wait);
/*
 * SHM frames on the GLES renderer: the GPU writes a linear staging dma-buf,
 * and once its fence signalled the CPU copies the region into the client's
 * buffer, so glReadPixels never blocks the event loop.
 */
bool capture_gpu_staging_needed(struct pinhole_capture *capture, struct wlr_buffer *dst);
struct wlr_buffer *capture_gpu_staging_create(struct pinhole_capture *capture, int width,
	int height);
bool capture_gpu_staging_read(struct wlr_buffer *staging, struct wlr_buffer *dst,
	const pixman_region32_t *region);
/* Blits region of src into the dma-buf dst; capture_gpu_wait_create waits for it. */
bool capture_dmabuf_copy(struct pinhole_capture *capture, struct wlr_buffer *dst,
	struct wlr_buffer *src, const pixman_region32_t *region, bool opaque);

#endif
