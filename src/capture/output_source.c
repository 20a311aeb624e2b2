#include <stdlib.h>
#include <time.h>
#include <wlr/config.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>
#include "capture/internal.h"
#if WLR_HAS_X11_BACKEND
#include <wlr/backend/x11.h>
#endif

/*
 * An output source reads what the output commits. It keeps the last committed
 * buffer locked, so the current screen can be copied at any time without
 * rendering again, and whatever produced it (composition or direct scan-out)
 * stays as it is.
 */
struct capture_output {
	struct capture_source base;
	struct wlr_output *output;
	struct wl_list link; /* pinhole_capture.outputs */
	struct wlr_buffer *current; /* locked; NULL before the first commit */
	uint32_t current_seq; /* commit that produced current */
	bool presented;
	struct timespec present_time;
	/* Direct scan-out is off while a frame waits after a commit that was not a full frame. */
	bool scanout_locked;

	struct wl_listener commit;
	struct wl_listener present;
};

static struct capture_output *output_from_source(struct capture_source *source) {
	return wl_container_of(source, (struct capture_output *)NULL, base);
}

static void output_request_frame(struct capture_source *source, bool force) {
	struct capture_output *output = output_from_source(source);
	struct pinhole_capture *capture = source->capture;
	/*
	 * A full-screen scan-out buffer can be copied as it is; only when the
	 * last commit was not a whole frame does the next one have to be composited.
	 */
	if (!output->scanout_locked && output->current == NULL) {
		wlr_output_lock_attach_render(output->output, true);
		output->scanout_locked = true;
	}
	if (capture->config.request_output_frame != NULL) {
		capture->config.request_output_frame(capture->config.data, output->output, force);
	}
}

static bool output_copy(struct capture_source *source, struct wlr_buffer *dst,
		const pixman_region32_t *region) {
	struct capture_output *output = output_from_source(source);
	if (output->current == NULL) {
		return false;
	}
	/* What the output shows is opaque, whatever alpha a scanned-out buffer carries. */
	return capture_copy_buffer(source->capture, dst, output->current, region, true);
}

static bool output_has_content(struct capture_source *source) {
	return output_from_source(source)->current != NULL;
}

static bool output_presented(struct capture_source *source, struct timespec *when) {
	struct capture_output *output = output_from_source(source);
	*when = output->present_time;
	return output->presented;
}

static const struct capture_source_impl output_source_impl = {
	.request_frame = output_request_frame,
	.copy = output_copy,
	.has_content = output_has_content,
	.presented = output_presented,
};

static void update_constraints(struct capture_output *output) {
	struct wlr_output *wlr_output = output->output;
	capture_source_set_constraints(&output->base, wlr_output->width, wlr_output->height,
		wlr_output->transform);
}

/*
 * A directly scanned-out client buffer may be smaller than the output and
 * placed with a source crop and destination box; only a buffer that is the
 * whole screen can be copied as it is.
 */
static bool is_full_frame(struct wlr_output *wlr_output, const struct wlr_output_state *state) {
	const struct wlr_buffer *buffer = state->buffer;
	const struct wlr_fbox *src = &state->buffer_src_box;
	const struct wlr_box *dst = &state->buffer_dst_box;
	bool src_whole = (src->width == 0 && src->height == 0) ||
		(src->x == 0 && src->y == 0 && src->width == buffer->width &&
			src->height == buffer->height);
	bool dst_whole = (dst->width == 0 && dst->height == 0) ||
		(dst->x == 0 && dst->y == 0 && dst->width == wlr_output->width &&
			dst->height == wlr_output->height);
	return src_whole && dst_whole && buffer->width == wlr_output->width &&
		buffer->height == wlr_output->height && !(state->committed & WLR_OUTPUT_STATE_LAYERS);
}

static void unlock_scanout_if_idle(struct capture_output *output) {
	if (output->scanout_locked && !capture_source_is_wanted(&output->base)) {
		wlr_output_lock_attach_render(output->output, false);
		output->scanout_locked = false;
	}
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct capture_output *output = wl_container_of(listener, output, commit);
	const struct wlr_output_event_commit *event = data;
	const struct wlr_output_state *state = event->state;

	if (state->committed & (WLR_OUTPUT_STATE_MODE | WLR_OUTPUT_STATE_TRANSFORM |
			WLR_OUTPUT_STATE_ENABLED)) {
		update_constraints(output);
	}
	if (!(state->committed & WLR_OUTPUT_STATE_BUFFER) || state->buffer == NULL) {
		return;
	}
	if (output->current != NULL) {
		wlr_buffer_unlock(output->current);
		output->current = NULL;
	}
	/* Not a full frame: frames wait for the next composite, which the lock forces. */
	if (is_full_frame(output->output, state)) {
		output->current = wlr_buffer_lock(state->buffer);
	}
	output->current_seq = output->output->commit_seq;
	output->presented = false;

	capture_source_damage(&output->base,
		(state->committed & WLR_OUTPUT_STATE_DAMAGE) ? &state->damage : NULL);
	if (output->current == NULL && capture_source_is_wanted(&output->base)) {
		output_request_frame(&output->base, true);
	}
	unlock_scanout_if_idle(output);
}

static void handle_present(struct wl_listener *listener, void *data) {
	struct capture_output *output = wl_container_of(listener, output, present);
	const struct wlr_output_event_present *event = data;
	uint32_t seq = event->commit_seq;
#if WLR_HAS_X11_BACKEND
	/*
	 * wlroots' X11 backend (0.20.2, and master as of 2026-07) numbers its
	 * present events with wlr_output.commit_seq as it was before the commit;
	 * the other backends, wlr_presentation and the header use the value after
	 * it. Without this, a frame on a still X11 output waits forever for a
	 * present of the commit that produced it.
	 */
	if (wlr_output_is_x11(output->output)) {
		seq++;
	}
#endif
	if (output->current == NULL || output->presented || seq < output->current_seq) {
		return;
	}
	output->presented = true;
	if (event->presented) {
		output->present_time = event->when;
	} else {
		/* Discarded (e.g. disabled output): the content is still what was captured. */
		clock_gettime(CLOCK_MONOTONIC, &output->present_time);
	}
	capture_source_presented(&output->base, &output->present_time);
}

struct capture_output *capture_output_create(struct pinhole_capture *capture,
		struct wlr_output *wlr_output) {
	if (capture == NULL) {
		return NULL;
	}
	struct capture_output *output = calloc(1, sizeof(*output));
	if (output == NULL) {
		return NULL;
	}
	capture_source_init(&output->base, capture, &output_source_impl);
	output->output = wlr_output;
	update_constraints(output);
	output->commit.notify = handle_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	output->present.notify = handle_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	wl_list_insert(&capture->outputs, &output->link);
	return output;
}

void capture_output_destroy(struct capture_output *output) {
	if (output == NULL) {
		return;
	}
	capture_source_finish(&output->base);
	unlock_scanout_if_idle(output);
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->present.link);
	wl_list_remove(&output->link);
	if (output->current != NULL) {
		wlr_buffer_unlock(output->current);
	}
	free(output);
}

bool capture_output_wants_frame(struct capture_output *output) {
	return output != NULL && capture_source_is_wanted(&output->base);
}

struct capture_source *capture_output_source(struct pinhole_capture *capture,
		struct wlr_output *wlr_output) {
	struct capture_output *output;
	wl_list_for_each(output, &capture->outputs, link) {
		if (output->output == wlr_output) {
			return &output->base;
		}
	}
	return NULL;
}
