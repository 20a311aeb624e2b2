#include <stdlib.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_power_management_v1.h>
#include <wlr/util/log.h>
#include "idle.h"
#include "output_power.h"
#include "server.h"

struct output_power {
	struct server *server;
	struct wlr_output_power_manager_v1 *manager;
	struct wl_listener set_mode;
};

static void handle_set_mode(struct wl_listener *listener, void *data) {
	struct output_power *power = wl_container_of(listener, power, set_mode);
	const struct wlr_output_power_v1_set_mode_event *event = data;
	bool on = event->mode == ZWLR_OUTPUT_POWER_V1_MODE_ON;
	struct wlr_output *output = event->output;
	if (output->enabled == on) {
		return;
	}
	struct wlr_output_state state;
	wlr_output_state_init(&state);
	wlr_output_state_set_enabled(&state, on);
	/* wlroots reports the new mode to every client when the commit succeeds. */
	if (wlr_output_commit_state(output, &state)) {
		wlr_log(WLR_INFO, "output %s: power %s", output->name, on ? "on" : "off");
	} else {
		wlr_log(WLR_ERROR, "output %s: could not switch power %s", output->name,
			on ? "on" : "off");
	}
	wlr_output_state_finish(&state);
	/* An inhibitor shown only on this output stops (or starts) counting. */
	idle_update_inhibit(power->server->idle);
}

struct output_power *output_power_create(struct server *server) {
	struct output_power *power = calloc(1, sizeof(*power));
	if (power == NULL) {
		return NULL;
	}
	power->server = server;
	power->manager = wlr_output_power_manager_v1_create(server->display);
	if (power->manager == NULL) {
		free(power);
		return NULL;
	}
	power->set_mode.notify = handle_set_mode;
	wl_signal_add(&power->manager->events.set_mode, &power->set_mode);
	return power;
}

void output_power_destroy(struct output_power *power) {
	if (power == NULL) {
		return;
	}
	wl_list_remove(&power->set_mode.link);
	free(power);
}
