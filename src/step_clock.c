#include <inttypes.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "output.h"
#include "server.h"
#include "step_clock.h"
#include "view.h"

/* Outputs that report no refresh rate (headless without --mode @Hz) step at 60 Hz. */
#define DEFAULT_REFRESH_MHZ 60000

struct step_wait {
	struct output_clock *clock;
	struct wlr_surface *surface;
	struct wl_listener commit;
	struct wl_listener destroy;
	struct wl_list link; /* output_clock.waits */
};

struct output_clock {
	struct output *output;
	int timeout_ms;
	uint64_t steps; /* the output's time is steps refresh periods */
	struct timespec now;
	bool stepping; /* between a step's frame callbacks and its commit */
	struct wl_list waits; /* struct step_wait.link: surfaces the step waits for */
	struct wl_event_source *timeout;
	struct wl_event_source *render_idle;
	struct wl_listener present;
};

/*
 * Exact nanoseconds of step n, computed from n each time so that no rounding
 * accumulates: at 60 Hz the steps are 16666666 or 16666667 ns apart and step
 * 3 is exactly 50 ms.
 */
static struct timespec step_time(const struct output_clock *clock, uint64_t steps) {
	int refresh_mhz = clock->output->wlr_output->refresh;
	if (refresh_mhz <= 0) {
		refresh_mhz = DEFAULT_REFRESH_MHZ;
	}
	/* 10^12 / mHz is the period in ns; 128-bit so that long episodes cannot overflow. */
	unsigned __int128 ns = (unsigned __int128)steps * 1000000000000ULL / (unsigned)refresh_mhz;
	return (struct timespec){
		.tv_sec = (time_t)(ns / 1000000000U),
		.tv_nsec = (long)(ns % 1000000000U),
	};
}

static void wait_destroy(struct step_wait *wait) {
	wl_list_remove(&wait->commit.link);
	wl_list_remove(&wait->destroy.link);
	wl_list_remove(&wait->link);
	free(wait);
}

static void clock_render(struct output_clock *clock) {
	struct output *output = clock->output;
	clock->stepping = false;
	if (clock->timeout != NULL) {
		wl_event_source_timer_update(clock->timeout, 0);
	}
	/*
	 * A step commits even when nothing changed: the captures waiting for it
	 * complete with this commit, and the clients' next callbacks follow it.
	 */
	struct wlr_output_state state;
	wlr_output_state_init(&state);
	if (!wlr_scene_output_build_state(output->scene_output, &state, NULL) ||
			!wlr_output_commit_state(output->wlr_output, &state)) {
		wlr_log(WLR_ERROR, "output %s: step %" PRIu64 ": rendering failed",
			output->wlr_output->name, clock->steps);
	}
	wlr_output_state_finish(&state);
	/* Window captures that stepped this output take the windows as drawn now. */
	struct view *view;
	wl_list_for_each(view, &output->server->views, link) {
		if (view->capture != NULL && view_output(view) == output->wlr_output) {
			capture_toplevel_stepped(view->capture, &clock->now);
		}
	}
}

static void handle_render_idle(void *data) {
	struct output_clock *clock = data;
	clock->render_idle = NULL;
	clock_render(clock);
}

/* Rendered from idle: the commit that ended the wait is in the scene by then. */
static void clock_render_soon(struct output_clock *clock) {
	if (clock->render_idle == NULL) {
		struct wl_event_loop *loop = clock->output->server->event_loop;
		clock->render_idle = wl_event_loop_add_idle(loop, handle_render_idle, clock);
	}
}

static void wait_done(struct step_wait *wait) {
	struct output_clock *clock = wait->clock;
	wait_destroy(wait);
	if (clock->stepping && wl_list_empty(&clock->waits)) {
		clock_render_soon(clock);
	}
}

static void handle_wait_commit(struct wl_listener *listener, void *data) {
	struct step_wait *wait = wl_container_of(listener, wait, commit);
	wait_done(wait);
}

static void handle_wait_destroy(struct wl_listener *listener, void *data) {
	struct step_wait *wait = wl_container_of(listener, wait, destroy);
	wait_done(wait);
}

static int handle_timeout(void *data) {
	struct output_clock *clock = data;
	if (!clock->stepping) {
		return 0;
	}
	int late = wl_list_length(&clock->waits);
	wlr_log(WLR_ERROR, "output %s: step %" PRIu64 ": %d surface%s did not commit within "
		"%d ms; rendering without them", clock->output->wlr_output->name, clock->steps, late,
		late == 1 ? "" : "s", clock->timeout_ms);
	struct step_wait *wait, *tmp;
	wl_list_for_each_safe(wait, tmp, &clock->waits, link) {
		struct wl_client *client = wl_resource_get_client(wait->surface->resource);
		pid_t pid = 0;
		wl_client_get_credentials(client, &pid, NULL, NULL);
		wlr_log(WLR_ERROR, "output %s: step %" PRIu64 ": surface %p of pid %d missed it",
			clock->output->wlr_output->name, clock->steps, (void *)wait->surface, (int)pid);
		wait_destroy(wait);
	}
	clock_render_soon(clock);
	return 0;
}

/* A surface whose frame callback this step completes: the step waits for its commit. */
static void add_wait(struct wlr_scene_buffer *buffer, int sx, int sy, void *data) {
	struct output_clock *clock = data;
	struct wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(buffer);
	if (scene_surface == NULL || buffer->primary_output != clock->output->scene_output) {
		return;
	}
	struct wlr_surface *surface = scene_surface->surface;
	if (wl_list_empty(&surface->current.frame_callback_list)) {
		return;
	}
	struct step_wait *wait;
	wl_list_for_each(wait, &clock->waits, link) {
		if (wait->surface == surface) {
			return;
		}
	}
	wait = calloc(1, sizeof(*wait));
	if (wait == NULL) {
		return; /* the step just does not wait for this one */
	}
	wait->clock = clock;
	wait->surface = surface;
	wait->commit.notify = handle_wait_commit;
	wl_signal_add(&surface->events.commit, &wait->commit);
	wait->destroy.notify = handle_wait_destroy;
	wl_signal_add(&surface->events.destroy, &wait->destroy);
	wl_list_insert(clock->waits.prev, &wait->link);
}

void output_clock_step(struct output_clock *clock) {
	if (clock == NULL || clock->stepping) {
		return;
	}
	clock->stepping = true;
	clock->steps++;
	clock->now = step_time(clock, clock->steps);
	struct wlr_scene_output *scene_output = clock->output->scene_output;
	wlr_scene_output_for_each_buffer(scene_output, add_wait, clock);
	wlr_scene_output_send_frame_done(scene_output, &clock->now);
	wlr_log(WLR_DEBUG, "output %s: step %" PRIu64 " at %lld.%09ld s, waiting for %d surfaces",
		clock->output->wlr_output->name, clock->steps, (long long)clock->now.tv_sec,
		clock->now.tv_nsec, wl_list_length(&clock->waits));
	if (wl_list_empty(&clock->waits)) {
		clock_render_soon(clock);
	} else {
		wl_event_source_timer_update(clock->timeout, clock->timeout_ms);
	}
}

static void handle_present(struct wl_listener *listener, void *data) {
	struct output_clock *clock = wl_container_of(listener, clock, present);
	/*
	 * The backend's event is not const, and the listeners that read it
	 * (the scene's presentation feedback, the capture source) come later:
	 * the output's time is the step's.
	 */
	struct wlr_output_event_present *event = data;
	event->when = clock->now;
}

struct output_clock *output_clock_create(struct output *output, int timeout_ms) {
	struct output_clock *clock = calloc(1, sizeof(*clock));
	if (clock == NULL) {
		return NULL;
	}
	clock->output = output;
	clock->timeout_ms = timeout_ms;
	wl_list_init(&clock->waits);
	clock->timeout = wl_event_loop_add_timer(output->server->event_loop, handle_timeout, clock);
	if (clock->timeout == NULL) {
		free(clock);
		return NULL;
	}
	clock->present.notify = handle_present;
	wl_signal_add(&output->wlr_output->events.present, &clock->present);
	wlr_log(WLR_INFO, "output %s: stepped clock, time 0", output->wlr_output->name);
	return clock;
}

void output_clock_destroy(struct output_clock *clock) {
	if (clock == NULL) {
		return;
	}
	struct step_wait *wait, *tmp;
	wl_list_for_each_safe(wait, tmp, &clock->waits, link) {
		wait_destroy(wait);
	}
	if (clock->render_idle != NULL) {
		wl_event_source_remove(clock->render_idle);
	}
	wl_event_source_remove(clock->timeout);
	wl_list_remove(&clock->present.link);
	free(clock);
}
