#include <stdlib.h>
#include <time.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/session.h>
#include <wlr/interfaces/wlr_output.h>
#include <wlr/types/wlr_gamma_control_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_output_management_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "idle.h"
#include "config_file.h"
#include "foreign_toplevel.h"
#include "drm_lease.h"
#include "output.h"
#include "server.h"
#include "step_clock.h"
#include "view.h"
#include "vt_switch.h"

static void output_render(struct output *output) {
	struct wlr_session *session = output->server->session;
	if (session != NULL && !session->active) {
		return; /* another VT is shown: see vt_switch.c */
	}
	struct wlr_scene_output *scene_output = output->scene_output;
	if (!wlr_scene_output_commit(scene_output, NULL)) {
		wlr_log(WLR_DEBUG, "output %s: commit failed", output->wlr_output->name);
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	wlr_scene_output_send_frame_done(scene_output, &now);
	/* What is shown changed: an idle inhibitor may have been covered or uncovered. */
	idle_update_inhibit(output->server->idle);
}

static void handle_frame(struct wl_listener *listener, void *data) {
	struct output *output = wl_container_of(listener, output, frame);
	if (output->clock != NULL) {
		return; /* a stepped output renders when a capture steps it, never on its own */
	}
	output_render(output);
}

static void handle_render_idle(void *data) {
	struct output *output = data;
	output->render_idle = NULL;
	output_render(output);
}

/*
 * wlroots' wlr-screencopy asks for a frame by marking the output as needing
 * one and then holding a render lock until the next commit. A lock that no
 * waiting ext capture frame explains is such a request: on a stepped output
 * it is a step like any capture.
 */
static void handle_step_check_idle(void *data) {
	struct output *output = data;
	output->render_idle = NULL;
	/*
	 * wlroots signals only the first request after a commit, and a stepped
	 * output commits only in steps: take this one so that the next (a
	 * screencopy's) is signalled too. Steps render regardless of the flag.
	 */
	output->wlr_output->needs_frame = false;
	if (output->wlr_output->attach_render_locks > 0 &&
			!capture_output_wants_frame(output->capture)) {
		output_clock_step(output->clock);
	}
}

void output_request_frame(struct output *output, bool force) {
	if (!output->wlr_output->enabled) {
		/* Switched off: captures wait until it is on again (docs/capture.md). */
		return;
	}
	if (output->clock != NULL) {
		/* Rendering waits for a step; only a screencopy request can be one. */
		if (output->render_idle == NULL) {
			output->render_idle = wl_event_loop_add_idle(output->server->event_loop,
				handle_step_check_idle, output);
		}
		return;
	}
	if (force) {
		wlr_output_schedule_frame(output->wlr_output);
	}
	if (!output->render_on_demand || output->render_idle != NULL ||
			!capture_output_wants_frame(output->capture) ||
			!wlr_scene_output_needs_frame(output->scene_output)) {
		return;
	}
	/*
	 * A capture waits and there is new content: render now instead of at the
	 * next tick of the headless frame timer. Deferred to idle so that a burst
	 * of client commits becomes one frame and no rendering happens inside a
	 * client's request handler.
	 */
	output->render_idle = wl_event_loop_add_idle(output->server->event_loop,
		handle_render_idle, output);
}

static void handle_needs_frame(struct wl_listener *listener, void *data) {
	struct output *output = wl_container_of(listener, output, needs_frame);
	output_request_frame(output, false);
}

static void handle_request_state(struct wl_listener *listener, void *data) {
	/* Nested outputs ask to be resized with their host window. */
	struct output *output = wl_container_of(listener, output, request_state);
	const struct wlr_output_event_request_state *event = data;
	wlr_output_commit_state(output->wlr_output, event->state);
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct output *output = wl_container_of(listener, output, destroy);
	wlr_log(WLR_INFO, "output %s removed", output->wlr_output->name);
	if (output->render_idle != NULL) {
		wl_event_source_remove(output->render_idle);
	}
	view_forget_output(output->server, output->wlr_output);
	if (vt_switch_output_away(output->server->vt_switch, output)) {
		/* Only while another VT is shown: its capture sessions wait for it. */
		capture_output_detach(output->capture);
	} else {
		capture_output_destroy(output->capture);
	}
	output_clock_destroy(output->clock);
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->needs_frame.link);
	wl_list_remove(&output->request_state.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	free(output);
}

static void apply_initial_state(struct server *server, struct wlr_output *wlr_output) {
	struct wlr_output_state state;
	wlr_output_state_init(&state);
	wlr_output_state_set_enabled(&state, true);
	struct wlr_output_mode *mode = wlr_output_preferred_mode(wlr_output);
	const struct options *opts = server->options;
	if (mode != NULL) {
		wlr_output_state_set_mode(&state, mode);
	} else if (opts->has_mode) {
		wlr_output_state_set_custom_mode(&state, opts->mode.width, opts->mode.height,
			opts->mode.refresh_mhz);
	}
	config_output_apply_state(config_output_for(server->config, wlr_output), wlr_output,
		&state);
	if (!wlr_output_commit_state(wlr_output, &state)) {
		wlr_log(WLR_ERROR, "output %s: could not enable it", wlr_output->name);
	}
	wlr_output_state_finish(&state);
}

void output_handle_new(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;

	if (wlr_output->non_desktop) {
		/* A VR headset and the like: not part of the desktop, but a client may lease it. */
		bool offered = drm_lease_offer_output(server->drm_lease, wlr_output);
		wlr_log(WLR_INFO, "output %s is not a desktop output: %s", wlr_output->name,
			offered ? "offered for lease (wp-drm-lease-v1)" : "not used");
		return;
	}
	if (!wlr_output_init_render(wlr_output, server->allocator, server->renderer)) {
		wlr_log(WLR_ERROR, "output %s: cannot render to it", wlr_output->name);
		return;
	}
	/* Back from another VT (vt_switch.c): as it was, where it was. */
	bool has_position = false;
	struct wlr_box box = {0};
	bool returning = vt_switch_output_back(server->vt_switch, wlr_output, &has_position, &box);
	if (!returning) {
		apply_initial_state(server, wlr_output);
	}

	struct output *output = calloc(1, sizeof(*output));
	if (output == NULL) {
		return;
	}
	output->server = server;
	output->wlr_output = wlr_output;
	output->has_position = has_position;
	output->box = box;
	output->render_on_demand = wlr_output_is_headless(wlr_output);
	wlr_output->data = output;
	if (server->options->clock == CLOCK_STEP) {
		output->clock = output_clock_create(output, server->options->step_timeout_ms);
	}

	output->frame.notify = handle_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->needs_frame.notify = handle_needs_frame;
	wl_signal_add(&wlr_output->events.needs_frame, &output->needs_frame);
	output->request_state.notify = handle_request_state;
	wl_signal_add(&wlr_output->events.request_state, &output->request_state);
	output->destroy.notify = handle_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wl_list_insert(server->outputs.prev, &output->link);

	output->scene_output = wlr_scene_output_create(server->scene, wlr_output);
	output_place(output, returning ? NULL : config_output_for(server->config, wlr_output));
	output->capture = capture_output_create(server->capture, wlr_output,
		output->scene_output);

	wlr_log(WLR_INFO, "output %s added: %dx%d scale %.2f", wlr_output->name,
		wlr_output->width, wlr_output->height, wlr_output->scale);
}

/* Takes a turned-off output out of the layout (and wlroots takes its wl_output global). */
static void output_layout_remove(struct output *output) {
	struct server *server = output->server;
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		foreign_toplevel_leave_output(view->foreign_management, output->wlr_output);
	}
	wlr_output_layout_remove(server->output_layout, output->wlr_output);
}

/* Adds the output to the layout at x, y, or where wlroots' auto layout puts it. */
static void output_layout_add(struct output *output, bool fixed, int x, int y) {
	struct wlr_output_layout *layout = output->server->output_layout;
	if (fixed) {
		wlr_output_layout_add(layout, output->wlr_output, x, y);
	} else {
		wlr_output_layout_add_auto(layout, output->wlr_output);
	}
}

void output_place(struct output *output, const struct config_output *settings) {
	struct server *server = output->server;
	struct wlr_output *wlr_output = output->wlr_output;
	if (!wlr_output->enabled) {
		output_layout_remove(output);
		return;
	}
	if (settings != NULL && settings->has_position) {
		output_layout_add(output, true, settings->x, settings->y);
	} else if (wlr_output_layout_get(server->output_layout, wlr_output) == NULL) {
		/* Turned on again: back where it was, so the desktop keeps its shape. */
		output_layout_add(output, output->has_position, output->box.x, output->box.y);
	}
}

void output_damage_whole(struct output *output) {
	wlr_damage_ring_add_whole(&output->scene_output->damage_ring);
	wlr_output_update_needs_frame(output->wlr_output);
}

struct output *output_from_wlr_output(struct server *server, struct wlr_output *wlr_output) {
	struct output *output;
	wl_list_for_each(output, &server->outputs, link) {
		if (output->wlr_output == wlr_output) {
			return output;
		}
	}
	return NULL;
}

struct output *output_at(struct server *server, double lx, double ly) {
	struct wlr_output *wlr_output = wlr_output_layout_output_at(server->output_layout, lx, ly);
	if (wlr_output == NULL) {
		double closest_x, closest_y;
		wlr_output_layout_closest_point(server->output_layout, NULL, lx, ly,
			&closest_x, &closest_y);
		wlr_output = wlr_output_layout_output_at(server->output_layout, closest_x, closest_y);
	}
	return wlr_output != NULL ? output_from_wlr_output(server, wlr_output) : NULL;
}

void output_usable_area(struct server *server, struct wlr_output *wlr_output,
		struct wlr_box *box) {
	struct output *output = output_from_wlr_output(server, wlr_output);
	if (output != NULL && !wlr_box_empty(&output->usable_area)) {
		*box = output->usable_area;
		return;
	}
	/* Not arranged yet: no panel has claimed anything. */
	wlr_output_layout_get_box(server->output_layout, wlr_output, box);
}

bool output_add_headless(struct server *server) {
	if (server->headless_backend == NULL) {
		wlr_log(WLR_ERROR, "cannot add an output: not running headless");
		return false;
	}
	const struct options *opts = server->options;
	int width = opts->has_mode ? opts->mode.width : 1280;
	int height = opts->has_mode ? opts->mode.height : 720;
	return wlr_headless_add_output(server->headless_backend, width, height) != NULL;
}

void output_remove_last(struct server *server) {
	if (wl_list_empty(&server->outputs)) {
		return;
	}
	struct output *output = wl_container_of(server->outputs.prev, output, link);
	wlr_output_destroy(output->wlr_output);
}

/* wlr-output-management: lets wayvnc and wlr-randr style tools change outputs. */

static void send_output_config(struct server *server) {
	struct wlr_output_configuration_v1 *config = wlr_output_configuration_v1_create();
	if (config == NULL) {
		return;
	}
	struct output *output;
	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_output_configuration_head_v1 *head =
			wlr_output_configuration_head_v1_create(config, output->wlr_output);
		if (head == NULL) {
			continue;
		}
		/* An output that is off shows where it was, and returns there when turned on. */
		head->state.x = output->box.x;
		head->state.y = output->box.y;
	}
	wlr_output_manager_v1_set_configuration(server->output_manager, config);
}

static void handle_layout_change(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, output_layout_change);
	/*
	 * pinhole places the scene outputs itself rather than through
	 * wlr_scene_output_layout, which destroys a scene output when its output
	 * leaves the layout: an output turned off keeps its scene output (and
	 * the capture state built on it) for when it is turned on again.
	 */
	struct view_output_move moves[16];
	size_t moves_len = 0;
	struct output *output;
	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_box box;
		wlr_output_layout_get_box(server->output_layout, output->wlr_output, &box);
		if (wlr_box_empty(&box)) {
			continue; /* off or gone: it keeps its last box */
		}
		if (moves_len < sizeof(moves) / sizeof(moves[0])) {
			/* Moved (kanshi, wlr-randr --pos): its windows go with it. */
			moves[moves_len++] = (struct view_output_move){output->wlr_output,
				output->has_position ? output->box : box, box};
		}
		output->has_position = true;
		output->box = box;
		wlr_scene_output_set_position(output->scene_output, box.x, box.y);
	}
	view_follow_outputs(server, moves, moves_len);
	/* A new mode, scale, transform or place: maximized and fullscreen windows refit. */
	view_arrange_states(server, false);
	send_output_config(server);
	/*
	 * Windows of an output that went away or was turned off move to
	 * another, unless the outputs are only away while another VT is shown.
	 */
	if (!vt_switch_outputs_away(server->vt_switch)) {
		view_rescue_orphans(server);
	}
}

static bool apply_config(struct server *server, struct wlr_output_configuration_v1 *config,
		bool test_only) {
	bool ok = true;
	struct wlr_output_configuration_head_v1 *head;
	wl_list_for_each(head, &config->heads, link) {
		struct wlr_output *wlr_output = head->state.output;
		struct wlr_output_state state;
		wlr_output_state_init(&state);
		wlr_output_head_v1_state_apply(&head->state, &state);
		if (test_only) {
			ok = ok && wlr_output_test_state(wlr_output, &state);
		} else if (ok && wlr_output_commit_state(wlr_output, &state)) {
			/* Outputs pinhole cannot render to are never in the layout. */
			struct output *output = output_from_wlr_output(server, wlr_output);
			if (output != NULL && wlr_output->enabled) {
				output_layout_add(output, true, head->state.x, head->state.y);
			} else if (output != NULL) {
				output_layout_remove(output);
			}
		} else {
			wlr_log(WLR_ERROR, "output management: output %s refused its new state",
				wlr_output->name);
			ok = false;
		}
		wlr_output_state_finish(&state);
	}
	return ok;
}

static void handle_manager_apply(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, output_manager_apply);
	struct wlr_output_configuration_v1 *config = data;
	if (apply_config(server, config, false)) {
		wlr_output_configuration_v1_send_succeeded(config);
	} else {
		wlr_output_configuration_v1_send_failed(config);
	}
	wlr_output_configuration_v1_destroy(config);
	send_output_config(server);
	idle_update_inhibit(server->idle);
}

static void handle_manager_test(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, output_manager_test);
	struct wlr_output_configuration_v1 *config = data;
	if (apply_config(server, config, true)) {
		wlr_output_configuration_v1_send_succeeded(config);
	} else {
		wlr_output_configuration_v1_send_failed(config);
	}
	wlr_output_configuration_v1_destroy(config);
}

/*
 * wlr-gamma-control (night-light tools): the scene applies a client's ramps at
 * the next frame of its output and restores the output's own when the client
 * goes away. Outputs without a gamma LUT (headless, nested, DRM drivers
 * without one such as virtio-gpu) take ramps only if the renderer can apply
 * them as an output color transform (in wlroots 0.20 only Vulkan can, not
 * GLES or pixman); otherwise the client gets `failed`.
 */
#define GAMMA_FALLBACK_RAMP_SIZE 256

static void gamma_control_init(struct server *server) {
	struct wlr_gamma_control_manager_v1 *gamma_control =
		wlr_gamma_control_manager_v1_create(server->display);
	if (gamma_control == NULL) {
		return;
	}
	gamma_control->fallback_gamma_size = server->renderer->features.output_color_transform ?
		GAMMA_FALLBACK_RAMP_SIZE : 0;
	wlr_scene_set_gamma_control_manager_v1(server->scene, gamma_control);
}

void output_manager_init(struct server *server) {
	gamma_control_init(server);
	server->output_manager = wlr_output_manager_v1_create(server->display);
	server->output_manager_apply.notify = handle_manager_apply;
	wl_signal_add(&server->output_manager->events.apply, &server->output_manager_apply);
	server->output_manager_test.notify = handle_manager_test;
	wl_signal_add(&server->output_manager->events.test, &server->output_manager_test);
	server->output_layout_change.notify = handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &server->output_layout_change);
}
