#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>
#include "capture/internal.h"
#include "ext-image-copy-capture-v1-protocol.h"

/*
 * A session remembers, for every wl_buffer it has filled, which part of that
 * buffer is stale. A capture copies only the stale part plus what the client
 * damaged, so a small change costs a small copy whatever buffer comes back.
 */
struct session_buffer {
	struct wlr_buffer *buffer;
	pixman_region32_t stale;
	struct wl_list link; /* capture_session.buffers */
	struct wl_listener destroy;
};

struct capture_session {
	struct wl_resource *resource;
	struct capture_source *source; /* NULL once stopped */
	struct wl_list source_link; /* capture_source.sessions */
	uint32_t options;
	struct capture_frame *frame;
	/* Changed since the last ready event: what the damage events report. */
	pixman_region32_t damage;
	bool delivered_first;
	struct wl_list buffers; /* session_buffer.link */
	/* paint_cursors: where the cursor was last painted or reported, and which image. */
	pixman_region32_t cursor_box;
	uint64_t cursor_serial;
	/* GLES and a SHM client buffer: what the GPU writes before the CPU copy. */
	struct wlr_buffer *staging;
};

enum frame_state {
	FRAME_NEW, /* attach_buffer and damage_buffer allowed */
	FRAME_WAITING, /* capture requested, waiting for content */
	FRAME_COPIED, /* copied, waiting for the content's presentation */
	FRAME_DONE, /* ready or failed sent */
};

struct capture_frame {
	struct wl_resource *resource;
	struct capture_session *session; /* NULL once the session is gone */
	enum frame_state state;
	struct wl_resource *buffer_resource; /* attached wl_buffer */
	struct wl_listener buffer_resource_destroy;
	struct wlr_buffer *buffer; /* locked from capture until done */
	pixman_region32_t client_damage;
	pixman_region32_t reported_damage;
	/* Copied by the GPU, not finished yet: ready waits for it. */
	struct capture_gpu_wait *gpu_wait;
	/* Staged: region of staged_from goes to buffer once the GPU is done. */
	struct wlr_buffer *staged_from;
	pixman_region32_t staged_region;
	/* Waits for the commit of the clock step its capture started. */
	bool step_pending;
};

static const struct ext_image_copy_capture_session_v1_interface session_impl;
static const struct ext_image_copy_capture_frame_v1_interface frame_impl;

static struct capture_session *session_from_resource(struct wl_resource *resource) {
	assert(wl_resource_instance_of(resource, &ext_image_copy_capture_session_v1_interface,
		&session_impl));
	return wl_resource_get_user_data(resource);
}

static struct capture_frame *frame_from_resource(struct wl_resource *resource) {
	assert(wl_resource_instance_of(resource, &ext_image_copy_capture_frame_v1_interface,
		&frame_impl));
	return wl_resource_get_user_data(resource);
}

/* Buffers */

static void session_buffer_destroy(struct session_buffer *record) {
	wl_list_remove(&record->destroy.link);
	wl_list_remove(&record->link);
	pixman_region32_fini(&record->stale);
	free(record);
}

static void handle_session_buffer_destroy(struct wl_listener *listener, void *data) {
	struct session_buffer *record = wl_container_of(listener, record, destroy);
	session_buffer_destroy(record);
}

static struct session_buffer *session_get_buffer(struct capture_session *session,
		struct wlr_buffer *buffer) {
	struct session_buffer *record;
	wl_list_for_each(record, &session->buffers, link) {
		if (record->buffer == buffer) {
			return record;
		}
	}
	record = calloc(1, sizeof(*record));
	if (record == NULL) {
		return NULL;
	}
	record->buffer = buffer;
	/* Never filled by us: all of it is stale, whatever the client said. */
	pixman_region32_init_rect(&record->stale, 0, 0, buffer->width, buffer->height);
	record->destroy.notify = handle_session_buffer_destroy;
	wl_signal_add(&buffer->events.destroy, &record->destroy);
	wl_list_insert(&session->buffers, &record->link);
	return record;
}

static void session_forget_buffers(struct capture_session *session) {
	struct session_buffer *record, *tmp;
	wl_list_for_each_safe(record, tmp, &session->buffers, link) {
		session_buffer_destroy(record);
	}
}

/* Frames */

static void frame_release_buffer(struct capture_frame *frame) {
	capture_gpu_wait_destroy(frame->gpu_wait);
	frame->gpu_wait = NULL;
	if (frame->staged_from != NULL) {
		wlr_buffer_unlock(frame->staged_from);
		frame->staged_from = NULL;
	}
	if (frame->buffer != NULL) {
		wlr_buffer_unlock(frame->buffer);
		frame->buffer = NULL;
	}
}

static void frame_fail(struct capture_frame *frame,
		enum ext_image_copy_capture_frame_v1_failure_reason reason) {
	if (frame->state == FRAME_DONE) {
		return;
	}
	frame->state = FRAME_DONE;
	frame_release_buffer(frame);
	ext_image_copy_capture_frame_v1_send_failed(frame->resource, reason);
}

static void frame_send_ready(struct capture_frame *frame, const struct timespec *when) {
	struct wl_resource *resource = frame->resource;
	int nrects;
	const pixman_box32_t *rects = pixman_region32_rectangles(&frame->reported_damage, &nrects);
	for (int i = 0; i < nrects; i++) {
		ext_image_copy_capture_frame_v1_send_damage(resource, rects[i].x1, rects[i].y1,
			rects[i].x2 - rects[i].x1, rects[i].y2 - rects[i].y1);
	}
	struct capture_session *session = frame->session;
	enum wl_output_transform transform = session != NULL && session->source != NULL ?
		session->source->transform : WL_OUTPUT_TRANSFORM_NORMAL;
	ext_image_copy_capture_frame_v1_send_transform(resource, transform);
	uint64_t sec = (uint64_t)when->tv_sec;
	ext_image_copy_capture_frame_v1_send_presentation_time(resource, sec >> 32,
		sec & 0xffffffff, (uint32_t)when->tv_nsec);
	ext_image_copy_capture_frame_v1_send_ready(resource);
	/*
	 * The client is blocked on this event; the event loop would send it
	 * only after the rest of the iteration (the remainder of the output
	 * commit, frame callbacks, other clients' requests). Events keep their
	 * order, and what does not fit now is sent by the loop as usual.
	 */
	wl_client_flush(wl_resource_get_client(resource));
	frame->state = FRAME_DONE;
	frame_release_buffer(frame);
}

/*
 * A client may shrink its pool's file after creating the buffer. wlroots'
 * SIGBUS handler then quietly maps zeroes, so the copy would "succeed" into
 * memory the client never sees: check the file size instead, and fail.
 */
static bool shm_pool_intact(struct capture_session *session, const struct wlr_shm_attributes *shm) {
	struct stat st;
	if (fstat(shm->fd, &st) != 0 ||
			st.st_size < shm->offset + (off_t)shm->stride * shm->height) {
		wlr_log(WLR_DEBUG, "capture session %p: SHM pool shrunk below its buffer",
			(void *)session);
		return false;
	}
	return true;
}

static bool buffer_fits(struct capture_session *session, struct wlr_buffer *buffer) {
	struct capture_source *source = session->source;
	struct pinhole_capture *capture = source->capture;
	if (capture_buffer_is_dmabuf(buffer)) {
		return capture_dmabuf_buffer_fits(capture, buffer, source->width, source->height,
			session);
	}
	struct wlr_shm_attributes shm;
	if (!wlr_buffer_get_shm(buffer, &shm)) {
		wlr_log(WLR_DEBUG, "capture session %p: buffer is not SHM", (void *)session);
		return false;
	}
	bool format_ok = false;
	for (size_t i = 0; i < capture->shm_formats_len; i++) {
		format_ok = format_ok || capture->shm_formats[i] == shm.format;
	}
	if (!format_ok || shm.width != source->width || shm.height != source->height ||
			shm.stride < shm.width * 4) {
		wlr_log(WLR_DEBUG, "capture session %p: buffer %dx%d stride %d format 0x%08x "
			"does not fit %dx%d", (void *)session, shm.width, shm.height, shm.stride,
			shm.format, source->width, source->height);
		return false;
	}
	return shm_pool_intact(session, &shm);
}

/* Records a change: reported with the next frame, and stale in every buffer. */
static void session_add_damage(struct capture_session *session, const pixman_region32_t *damage) {
	struct capture_source *source = session->source;
	pixman_region32_union(&session->damage, &session->damage, damage);
	pixman_region32_intersect_rect(&session->damage, &session->damage, 0, 0,
		source->width, source->height);
	struct session_buffer *record;
	wl_list_for_each(record, &session->buffers, link) {
		pixman_region32_union(&record->stale, &record->stale, damage);
	}
}

/* A painting session's cursor moved or changed: damage where it was and where it is. */
static bool session_track_cursor(struct capture_session *session,
		const struct capture_cursor *cursor) {
	struct capture_source *source = session->source;
	pixman_region32_t box;
	pixman_region32_init(&box);
	capture_cursor_buffer_box(cursor, source->transform, source->width, source->height, &box);
	bool same_image = !cursor->visible || cursor->image_serial == session->cursor_serial;
	bool changed = !same_image || !pixman_region32_equal(&box, &session->cursor_box);
	if (changed) {
		pixman_region32_t damage;
		pixman_region32_init(&damage);
		pixman_region32_union(&damage, &box, &session->cursor_box);
		if (!pixman_region32_empty(&damage)) {
			session_add_damage(session, &damage);
		}
		pixman_region32_fini(&damage);
		pixman_region32_copy(&session->cursor_box, &box);
		if (cursor->visible) {
			session->cursor_serial = cursor->image_serial;
		}
	}
	pixman_region32_fini(&box);
	return changed;
}

/*
 * Where a copy writes: the client's buffer, or on the GLES renderer for a SHM
 * client buffer, the session's staging dma-buf (read back once the GPU is done).
 */
static struct wlr_buffer *session_copy_target(struct capture_session *session,
		struct wlr_buffer *buffer) {
	struct capture_source *source = session->source;
	if (source->cpu_content || !capture_gpu_staging_needed(source->capture, buffer)) {
		return buffer;
	}
	if (session->staging != NULL && (session->staging->width != source->width ||
			session->staging->height != source->height)) {
		wlr_buffer_drop(session->staging);
		session->staging = NULL;
	}
	if (session->staging == NULL) {
		session->staging = capture_gpu_staging_create(source->capture, source->width,
			source->height);
		if (session->staging == NULL) {
			wlr_log(WLR_INFO, "capture session %p: no staging dma-buf; reading back "
				"synchronously", (void *)session);
		}
	}
	return session->staging != NULL ? session->staging : buffer;
}

/* The staged region goes into the client's buffer (the GPU is done with it). */
static bool frame_finish_staged(struct capture_frame *frame) {
	if (frame->staged_from == NULL) {
		return true;
	}
	bool ok = capture_gpu_staging_read(frame->staged_from, frame->buffer,
		&frame->staged_region);
	wlr_buffer_unlock(frame->staged_from);
	frame->staged_from = NULL;
	return ok;
}

static void frame_ready_if_presented(struct capture_frame *frame) {
	struct capture_session *session = frame->session;
	struct timespec when;
	if (frame->state == FRAME_COPIED && frame->gpu_wait == NULL && session != NULL &&
			session->source != NULL && session->source->impl->presented(session->source,
				&when)) {
		frame_send_ready(frame, &when);
	}
}

static void handle_frame_gpu_done(void *data) {
	struct capture_frame *frame = data;
	frame->gpu_wait = NULL; /* it freed itself */
	if (!frame_finish_staged(frame)) {
		wlr_log(WLR_ERROR, "capture session %p: reading the staged copy failed",
			(void *)frame->session);
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN);
		return;
	}
	frame_ready_if_presented(frame);
}

/* A region as "x,y WxH ..." for the debug log: the first eight rectangles, then a count. */
static void region_describe(const pixman_region32_t *region, char *out, size_t size) {
	int nrects;
	const pixman_box32_t *rects = pixman_region32_rectangles(region, &nrects);
	size_t len = 0;
	snprintf(out, size, "nothing");
	for (int i = 0; i < nrects && i < 8 && len < size; i++) {
		int n = snprintf(out + len, size - len, "%s%d,%d %dx%d", i > 0 ? " " : "",
			rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1, rects[i].y2 - rects[i].y1);
		len += n > 0 ? (size_t)n : 0;
	}
	if (nrects > 8 && len < size) {
		snprintf(out + len, size - len, " (+%d more)", nrects - 8);
	}
}

/* Copies the source's current content into the frame's buffer. */
static void frame_copy(struct capture_frame *frame) {
	struct capture_session *session = frame->session;
	struct capture_source *source = session->source;
	struct session_buffer *record = session_get_buffer(session, frame->buffer);
	if (record == NULL) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN);
		return;
	}

	/* The pool may have shrunk while the frame waited for content. */
	struct wlr_shm_attributes shm;
	if (wlr_buffer_get_shm(frame->buffer, &shm) && !shm_pool_intact(session, &shm)) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS);
		return;
	}

	struct capture_cursor cursor = {0};
	if (capture_session_paints_cursor(session)) {
		/* Paint where the cursor is now; damage covers where it was. */
		source->impl->get_cursor(source, &cursor);
		session_track_cursor(session, &cursor);
	}

	struct wlr_buffer *target = session_copy_target(session, frame->buffer);
	pixman_region32_t region;
	pixman_region32_init(&region);
	pixman_region32_union(&region, &record->stale, &frame->client_damage);
	/* The content under the cursor is copied fresh before the cursor goes on top. */
	pixman_region32_union(&region, &region, &session->cursor_box);
	pixman_region32_intersect_rect(&region, &region, 0, 0, source->width, source->height);
	bool ok = pixman_region32_empty(&region) || source->impl->copy(source, target, &region);
	if (ok && cursor.visible) {
		ok = capture_paint_cursor(source->capture, target, &cursor, source->transform,
			source->width, source->height);
	}
	if (ok && target != frame->buffer) {
		frame->staged_from = wlr_buffer_lock(target);
		pixman_region32_copy(&frame->staged_region, &region);
	}
	if (ok) {
		frame->gpu_wait = capture_gpu_wait_create(source->capture, handle_frame_gpu_done, frame);
		/* No wait: the GPU is done already (or there was no GPU work). */
		ok = frame->gpu_wait != NULL || frame_finish_staged(frame);
	}
	if (!ok) {
		wlr_log(WLR_ERROR, "capture session %p: copy failed", (void *)session);
		pixman_region32_fini(&region);
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_UNKNOWN);
		return;
	}
	/* Where the cursor is painted, this buffer differs from the source. */
	pixman_region32_copy(&record->stale, &session->cursor_box);

	if (!session->delivered_first || pixman_region32_empty(&session->damage)) {
		/* The first frame carries full damage, and damage is never empty. */
		pixman_region32_fini(&frame->reported_damage);
		pixman_region32_init_rect(&frame->reported_damage, 0, 0, source->width,
			source->height);
	} else {
		pixman_region32_copy(&frame->reported_damage, &session->damage);
	}
	pixman_region32_clear(&session->damage);
	session->delivered_first = true;
	if (wlr_log_get_verbosity() >= WLR_DEBUG) {
		char copied_text[320], damage_text[320];
		region_describe(&region, copied_text, sizeof(copied_text));
		region_describe(&frame->reported_damage, damage_text, sizeof(damage_text));
		wlr_log(WLR_DEBUG, "capture session %p: frame into wl_buffer@%u (buffer %p): "
			"copied %s; damage reported %s", (void *)session,
			frame->buffer_resource != NULL ? wl_resource_get_id(frame->buffer_resource) : 0,
			(void *)frame->buffer, copied_text, damage_text);
	}
	pixman_region32_fini(&region);
	frame->state = FRAME_COPIED;
	frame_ready_if_presented(frame);
}

/* While the session is locked, toplevel frames wait (capture_set_locked). */
static bool session_held(struct capture_session *session) {
	struct capture_source *source = session->source;
	return source != NULL && source->capture->locked && capture_source_is_toplevel(source);
}

static void frame_hold(struct capture_frame *frame) {
	struct pinhole_capture *capture = frame->session->source->capture;
	wlr_log(WLR_DEBUG, "capture session %p: frame held while the session is locked",
		(void *)frame->session);
	if (capture->config.frame_held != NULL) {
		capture->config.frame_held(capture->config.data,
			wl_resource_get_client(frame->resource));
	}
}

bool capture_session_paints_cursor(struct capture_session *session) {
	return session->options & EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS;
}

static bool session_has_new_content(struct capture_session *session) {
	return !session->delivered_first || !pixman_region32_empty(&session->damage);
}

static void frame_handle_destroy(struct wl_client *client, struct wl_resource *resource) {
	wl_resource_destroy(resource);
}

static void frame_detach_buffer_resource(struct capture_frame *frame) {
	if (frame->buffer_resource != NULL) {
		wl_list_remove(&frame->buffer_resource_destroy.link);
		frame->buffer_resource = NULL;
	}
}

static void handle_buffer_resource_destroy(struct wl_listener *listener, void *data) {
	struct capture_frame *frame = wl_container_of(listener, frame, buffer_resource_destroy);
	wl_list_remove(&frame->buffer_resource_destroy.link);
	frame->buffer_resource = NULL;
}

static void frame_handle_attach_buffer(struct wl_client *client, struct wl_resource *resource,
		struct wl_resource *buffer_resource) {
	struct capture_frame *frame = frame_from_resource(resource);
	if (frame == NULL) {
		return;
	}
	if (frame->state != FRAME_NEW) {
		capture_post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED,
			"attach_buffer sent after capture");
		return;
	}
	frame_detach_buffer_resource(frame);
	frame->buffer_resource = buffer_resource;
	frame->buffer_resource_destroy.notify = handle_buffer_resource_destroy;
	wl_resource_add_destroy_listener(buffer_resource, &frame->buffer_resource_destroy);
}

static void frame_handle_damage_buffer(struct wl_client *client, struct wl_resource *resource,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	struct capture_frame *frame = frame_from_resource(resource);
	if (frame == NULL) {
		return;
	}
	if (frame->state != FRAME_NEW) {
		capture_post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED,
			"damage_buffer sent after capture");
		return;
	}
	if (x < 0 || y < 0 || width <= 0 || height <= 0) {
		capture_post_error(resource,
			EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_INVALID_BUFFER_DAMAGE,
			"invalid damage %d,%d %dx%d", x, y, width, height);
		return;
	}
	/* Clients damage "everything" with INT32_MAX: clamp instead of overflowing. */
	int64_t x2 = (int64_t)x + width, y2 = (int64_t)y + height;
	pixman_region32_union_rect(&frame->client_damage, &frame->client_damage, x, y,
		(unsigned int)((x2 > INT32_MAX ? INT32_MAX : x2) - x),
		(unsigned int)((y2 > INT32_MAX ? INT32_MAX : y2) - y));
}

static void frame_handle_capture(struct wl_client *client, struct wl_resource *resource) {
	struct capture_frame *frame = frame_from_resource(resource);
	if (frame == NULL) {
		return;
	}
	if (frame->state != FRAME_NEW) {
		capture_post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_ALREADY_CAPTURED,
			"capture sent twice");
		return;
	}
	if (frame->buffer_resource == NULL) {
		capture_post_error(resource, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_ERROR_NO_BUFFER,
			"capture sent without a buffer");
		return;
	}
	frame->state = FRAME_WAITING;
	struct capture_session *session = frame->session;
	if (session == NULL || session->source == NULL) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
		return;
	}
	frame->buffer = wlr_buffer_try_from_resource(frame->buffer_resource);
	if (frame->buffer == NULL || !buffer_fits(session, frame->buffer)) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS);
		return;
	}
	struct capture_source *source = session->source;
	if (session_held(session)) {
		frame_hold(frame);
		return;
	}
	if (source->impl->step != NULL && source->impl->step(source)) {
		frame->step_pending = true;
		return;
	}
	if (session_has_new_content(session) && source->impl->has_content(source)) {
		frame_copy(frame);
		return;
	}
	source->impl->request_frame(source, !source->impl->has_content(source));
}

static const struct ext_image_copy_capture_frame_v1_interface frame_impl = {
	.destroy = frame_handle_destroy,
	.attach_buffer = frame_handle_attach_buffer,
	.damage_buffer = frame_handle_damage_buffer,
	.capture = frame_handle_capture,
};

static void frame_destroy(struct capture_frame *frame) {
	if (frame->session != NULL) {
		frame->session->frame = NULL;
	}
	frame_detach_buffer_resource(frame);
	frame_release_buffer(frame);
	pixman_region32_fini(&frame->client_damage);
	pixman_region32_fini(&frame->reported_damage);
	pixman_region32_fini(&frame->staged_region);
	wl_resource_set_user_data(frame->resource, NULL);
	free(frame);
}

static void frame_handle_resource_destroy(struct wl_resource *resource) {
	struct capture_frame *frame = frame_from_resource(resource);
	if (frame != NULL) {
		frame_destroy(frame);
	}
}

/* Sessions */

static void session_handle_create_frame(struct wl_client *client, struct wl_resource *resource,
		uint32_t id) {
	struct capture_session *session = session_from_resource(resource);
	if (session != NULL && session->frame != NULL) {
		capture_post_error(resource, EXT_IMAGE_COPY_CAPTURE_SESSION_V1_ERROR_DUPLICATE_FRAME,
			"a frame already exists for this session");
		return;
	}
	struct wl_resource *frame_resource = wl_resource_create(client,
		&ext_image_copy_capture_frame_v1_interface, wl_resource_get_version(resource), id);
	if (frame_resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	struct capture_frame *frame = calloc(1, sizeof(*frame));
	if (frame == NULL) {
		wl_resource_destroy(frame_resource);
		wl_client_post_no_memory(client);
		return;
	}
	frame->resource = frame_resource;
	frame->session = session;
	pixman_region32_init(&frame->client_damage);
	pixman_region32_init(&frame->reported_damage);
	pixman_region32_init(&frame->staged_region);
	wl_resource_set_implementation(frame_resource, &frame_impl, frame,
		frame_handle_resource_destroy);
	if (session != NULL) {
		session->frame = frame;
	}
}

static void session_handle_destroy(struct wl_client *client, struct wl_resource *resource) {
	wl_resource_destroy(resource);
}

static const struct ext_image_copy_capture_session_v1_interface session_impl = {
	.create_frame = session_handle_create_frame,
	.destroy = session_handle_destroy,
};

void capture_session_send_constraints(struct capture_session *session) {
	struct capture_source *source = session->source;
	struct pinhole_capture *capture = source->capture;
	ext_image_copy_capture_session_v1_send_buffer_size(session->resource,
		(uint32_t)source->width, (uint32_t)source->height);
	/* Two passes when alpha comes first: clients take the first format they know. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < capture->shm_formats_len; i++) {
			uint32_t format = capture->shm_formats[i];
			bool first_pass = !source->prefer_alpha || capture_format_has_alpha(format);
			if (first_pass == (pass == 0)) {
				ext_image_copy_capture_session_v1_send_shm_format(session->resource,
					capture_drm_format_to_shm(format));
			}
		}
	}
	capture_dmabuf_send_constraints(capture, session->resource);
	ext_image_copy_capture_session_v1_send_done(session->resource);
}

void capture_session_stop(struct capture_session *session) {
	if (session->source == NULL) {
		return;
	}
	wl_list_remove(&session->source_link);
	session->source = NULL;
	session_forget_buffers(session);
	if (session->frame != NULL && session->frame->state != FRAME_NEW) {
		frame_fail(session->frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
	}
	ext_image_copy_capture_session_v1_send_stopped(session->resource);
}

void capture_session_damage(struct capture_session *session, const pixman_region32_t *damage) {
	struct capture_source *source = session->source;
	session_add_damage(session, damage);
	/* A scan-out commit brings damage but no copyable frame: keep waiting for one. */
	struct capture_frame *frame = session->frame;
	if (frame != NULL && frame->state == FRAME_WAITING && !frame->step_pending &&
			!session_held(session) &&
			session_has_new_content(session) && source->impl->has_content(source)) {
		frame_copy(frame);
	}
}

void capture_session_step_committed(struct capture_session *session) {
	struct capture_frame *frame = session->frame;
	struct capture_source *source = session->source;
	if (frame == NULL || frame->state != FRAME_WAITING || !frame->step_pending) {
		return;
	}
	frame->step_pending = false;
	if (session_held(session)) {
		frame_hold(frame); /* locked meanwhile: served at unlock like any held frame */
		return;
	}
	if (source->impl->has_content(source)) {
		frame_copy(frame);
	} else {
		/* The step's commit was no whole frame (a partial scan-out): composite one. */
		source->impl->request_frame(source, true);
	}
}

void capture_session_presented(struct capture_session *session, const struct timespec *when) {
	struct capture_frame *frame = session->frame;
	if (frame != NULL && frame->state == FRAME_COPIED && frame->gpu_wait == NULL) {
		frame_send_ready(frame, when);
	}
}

static void session_cursor_update(struct capture_session *session,
		const struct capture_cursor *cursor) {
	if (session->source == NULL || !capture_session_paints_cursor(session) ||
			!session_track_cursor(session, cursor)) {
		return;
	}
	/* A moved cursor is new content for this session alone. */
	struct capture_frame *frame = session->frame;
	struct capture_source *source = session->source;
	if (frame != NULL && frame->state == FRAME_WAITING && !frame->step_pending &&
			!session_held(session) &&
			source->impl->has_content(source)) {
		frame_copy(frame);
	}
}

void capture_session_constraints_changed(struct capture_session *session) {
	struct capture_source *source = session->source;
	/* Old buffers no longer fit; everything is new to the next one. */
	session_forget_buffers(session);
	pixman_region32_clear(&session->cursor_box);
	pixman_region32_fini(&session->damage);
	pixman_region32_init_rect(&session->damage, 0, 0, source->width, source->height);
	struct capture_frame *frame = session->frame;
	if (frame != NULL && frame->state == FRAME_WAITING && !buffer_fits(session, frame->buffer)) {
		frame_fail(frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS);
	}
	capture_session_send_constraints(session);
}

bool capture_session_is_waiting(struct capture_session *session) {
	return session->frame != NULL && session->frame->state == FRAME_WAITING;
}

static void session_handle_resource_destroy(struct wl_resource *resource) {
	struct capture_session *session = session_from_resource(resource);
	if (session == NULL) {
		return;
	}
	if (session->source != NULL) {
		wl_list_remove(&session->source_link);
	}
	session_forget_buffers(session);
	if (session->frame != NULL) {
		/* The frame outlives its session as an inert object. */
		if (session->frame->state == FRAME_WAITING || session->frame->state == FRAME_COPIED) {
			frame_fail(session->frame, EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_STOPPED);
		}
		session->frame->session = NULL;
	}
	pixman_region32_fini(&session->damage);
	pixman_region32_fini(&session->cursor_box);
	wlr_buffer_drop(session->staging);
	free(session);
}

void capture_session_create(struct wl_client *client, uint32_t version, uint32_t id,
		struct capture_source *source, uint32_t options) {
	struct wl_resource *resource = wl_resource_create(client,
		&ext_image_copy_capture_session_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	struct capture_session *session = calloc(1, sizeof(*session));
	if (session == NULL) {
		wl_resource_destroy(resource);
		wl_client_post_no_memory(client);
		return;
	}
	session->resource = resource;
	session->options = options;
	wl_list_init(&session->buffers);
	wl_list_init(&session->source_link);
	pixman_region32_init(&session->damage);
	pixman_region32_init(&session->cursor_box);
	wl_resource_set_implementation(resource, &session_impl, session,
		session_handle_resource_destroy);

	if (source == NULL) {
		/* The source is gone, or the compositor denied this client (capture.c). */
		wlr_log(WLR_DEBUG, "capture session %p: no source, stopped", (void *)session);
		ext_image_copy_capture_session_v1_send_stopped(resource);
		return;
	}
	session->source = source;
	wl_list_insert(&source->sessions, &session->source_link);
	wlr_log(WLR_DEBUG, "capture session %p: %dx%d, options 0x%x", (void *)session,
		source->width, source->height, options);
	capture_session_send_constraints(session);
}

/* Source-wide operations: they walk the source's sessions. */

void capture_source_stop_sessions(struct capture_source *source) {
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		capture_session_stop(session);
	}
}

void capture_source_set_constraints(struct capture_source *source, int width, int height,
		enum wl_output_transform transform) {
	if (source->width == width && source->height == height &&
			source->transform == transform) {
		return;
	}
	source->width = width;
	source->height = height;
	source->transform = transform;
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		capture_session_constraints_changed(session);
	}
}

void capture_source_damage(struct capture_source *source, const pixman_region32_t *damage) {
	pixman_region32_t full;
	if (damage == NULL) {
		pixman_region32_init_rect(&full, 0, 0, source->width, source->height);
		damage = &full;
	}
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		capture_session_damage(session, damage);
	}
	if (damage == &full) {
		pixman_region32_fini(&full);
	}
}

void capture_source_step_committed(struct capture_source *source) {
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		capture_session_step_committed(session);
	}
}

void capture_source_presented(struct capture_source *source, const struct timespec *when) {
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		capture_session_presented(session, when);
	}
}

bool capture_source_is_wanted(struct capture_source *source) {
	struct capture_session *session;
	wl_list_for_each(session, &source->sessions, source_link) {
		if (capture_session_is_waiting(session)) {
			return true;
		}
	}
	return false;
}

void capture_source_content_replaced(struct capture_source *source) {
	pixman_region32_t full;
	pixman_region32_init_rect(&full, 0, 0, source->width, source->height);
	bool waiting = false;
	struct capture_session *session;
	wl_list_for_each(session, &source->sessions, source_link) {
		session_add_damage(session, &full);
		struct capture_frame *frame = session->frame;
		if (frame == NULL || frame->state != FRAME_WAITING) {
			continue;
		}
		/* A step of the old content's clock will not commit: step the new one. */
		frame->step_pending = source->impl->step != NULL && source->impl->step(source);
		waiting = waiting || !frame->step_pending;
	}
	pixman_region32_fini(&full);
	if (waiting) {
		source->impl->request_frame(source, !source->impl->has_content(source));
	}
}

void capture_source_release_held(struct capture_source *source) {
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		struct capture_frame *frame = session->frame;
		if (frame != NULL && frame->state == FRAME_WAITING &&
				session_has_new_content(session) && source->impl->has_content(source)) {
			frame_copy(frame);
		}
	}
}

bool capture_source_has_painting_sessions(struct capture_source *source) {
	struct capture_session *session;
	wl_list_for_each(session, &source->sessions, source_link) {
		if (capture_session_paints_cursor(session)) {
			return true;
		}
	}
	return false;
}

void capture_source_cursor_update(struct capture_source *source,
		const struct capture_cursor *cursor) {
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		session_cursor_update(session, cursor);
	}
}

void capture_source_drop_renderer_state(struct capture_source *source) {
	struct capture_session *session;
	wl_list_for_each(session, &source->sessions, source_link) {
		wlr_buffer_drop(session->staging);
		session->staging = NULL;
		struct capture_frame *frame = session->frame;
		if (frame == NULL || frame->state != FRAME_COPIED || frame->gpu_wait == NULL) {
			continue;
		}
		/* What the lost GPU was writing may never arrive: copy it all again. */
		capture_gpu_wait_destroy(frame->gpu_wait);
		frame->gpu_wait = NULL;
		if (frame->staged_from != NULL) {
			wlr_buffer_unlock(frame->staged_from);
			frame->staged_from = NULL;
		}
		frame->state = FRAME_WAITING;
		session_forget_buffers(session);
		pixman_region32_union(&session->damage, &session->damage,
			&frame->reported_damage);
	}
}

void capture_source_renderer_changed(struct capture_source *source, bool constraints_changed) {
	struct capture_session *session, *tmp;
	wl_list_for_each_safe(session, tmp, &source->sessions, source_link) {
		if (constraints_changed) {
			capture_session_constraints_changed(session);
		}
		struct capture_frame *frame = session->frame;
		if (frame == NULL || frame->state != FRAME_WAITING || frame->step_pending ||
				session_held(session)) {
			continue;
		}
		if (session_has_new_content(session) && source->impl->has_content(source)) {
			frame_copy(frame);
		} else {
			source->impl->request_frame(source, !source->impl->has_content(source));
		}
	}
}
