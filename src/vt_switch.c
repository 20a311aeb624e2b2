#include <stdlib.h>
#include <string.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "output.h"
#include "server.h"
#include "view.h"
#include "vt_switch.h"

/* An output wlroots destroyed because the session went inactive, as it was. */
struct away_output {
	char *name;
	bool enabled;
	bool has_mode; /* one of its modes, else a custom mode (or none) */
	int32_t width, height, refresh;
	float scale;
	enum wl_output_transform transform;
	bool adaptive_sync;
	bool has_position;
	struct wlr_box box; /* its place in the layout */
	struct wl_list link; /* vt_switch.away */
};

struct vt_switch {
	struct server *server;
	struct wlr_session *session; /* NULL once destroyed */
	struct wl_list away; /* away_output.link */
	struct wl_listener active;
	struct wl_listener session_destroy;
};

static void away_output_destroy(struct away_output *away) {
	wl_list_remove(&away->link);
	free(away->name);
	free(away);
}

static struct away_output *find_away(struct vt_switch *vt_switch, const char *name) {
	struct away_output *away;
	wl_list_for_each(away, &vt_switch->away, link) {
		if (strcmp(away->name, name) == 0) {
			return away;
		}
	}
	return NULL;
}

bool vt_switch_output_away(struct vt_switch *vt_switch, struct output *output) {
	struct wlr_session *session = vt_switch != NULL ? vt_switch->session : NULL;
	if (session == NULL || session->active) {
		return false; /* unplugged, or pinhole is ending: gone for good */
	}
	struct wlr_output *wlr_output = output->wlr_output;
	struct away_output *away = calloc(1, sizeof(*away));
	if (away == NULL || (away->name = strdup(wlr_output->name)) == NULL) {
		free(away);
		return false;
	}
	struct away_output *older = find_away(vt_switch, wlr_output->name);
	if (older != NULL) {
		away_output_destroy(older);
	}
	away->enabled = wlr_output->enabled;
	away->has_mode = wlr_output->current_mode != NULL;
	away->width = wlr_output->width;
	away->height = wlr_output->height;
	away->refresh = wlr_output->refresh;
	away->scale = wlr_output->scale;
	away->transform = wlr_output->transform;
	away->adaptive_sync =
		wlr_output->adaptive_sync_status == WLR_OUTPUT_ADAPTIVE_SYNC_ENABLED;
	away->has_position = output->has_position;
	away->box = output->box;
	wl_list_insert(&vt_switch->away, &away->link);
	wlr_log(WLR_INFO, "output %s: away while another VT is shown (%dx%d at %d,%d%s)",
		away->name, away->width, away->height, away->box.x, away->box.y,
		away->enabled ? "" : ", off");
	return true;
}

static struct wlr_output_mode *find_mode(struct wlr_output *wlr_output,
		const struct away_output *away) {
	struct wlr_output_mode *mode;
	wl_list_for_each(mode, &wlr_output->modes, link) {
		if (mode->width == away->width && mode->height == away->height &&
				mode->refresh == away->refresh) {
			return mode;
		}
	}
	return NULL;
}

bool vt_switch_output_back(struct vt_switch *vt_switch, struct wlr_output *wlr_output,
		bool *has_position, struct wlr_box *box) {
	struct away_output *away = vt_switch != NULL ?
		find_away(vt_switch, wlr_output->name) : NULL;
	if (away == NULL) {
		return false;
	}
	struct wlr_output_state state;
	wlr_output_state_init(&state);
	wlr_output_state_set_enabled(&state, away->enabled);
	bool restorable = true;
	if (away->enabled) {
		struct wlr_output_mode *mode = find_mode(wlr_output, away);
		if (mode != NULL) {
			wlr_output_state_set_mode(&state, mode);
		} else if (!away->has_mode && wl_list_empty(&wlr_output->modes)) {
			wlr_output_state_set_custom_mode(&state, away->width, away->height,
				away->refresh);
		} else {
			restorable = false; /* another monitor on that connector meanwhile */
		}
		wlr_output_state_set_scale(&state, away->scale);
		wlr_output_state_set_transform(&state, away->transform);
		if (away->adaptive_sync) {
			wlr_output_state_set_adaptive_sync_enabled(&state, true);
		}
	}
	bool restored = restorable && wlr_output_commit_state(wlr_output, &state);
	wlr_output_state_finish(&state);
	if (restored) {
		*has_position = away->has_position;
		*box = away->box;
		wlr_log(WLR_INFO, "output %s: back from another VT as it was (%dx%d at %d,%d)",
			away->name, away->width, away->height, away->box.x, away->box.y);
	} else {
		wlr_log(WLR_INFO, "output %s: back from another VT, but its %dx%d@%dmHz mode "
			"cannot be restored: set up as a new output", away->name, away->width,
			away->height, away->refresh);
	}
	away_output_destroy(away);
	return restored;
}

bool vt_switch_outputs_away(struct vt_switch *vt_switch) {
	return vt_switch != NULL && ((vt_switch->session != NULL && !vt_switch->session->active) ||
		!wl_list_empty(&vt_switch->away));
}

static void handle_active(struct wl_listener *listener, void *data) {
	struct vt_switch *vt_switch = wl_container_of(listener, vt_switch, active);
	struct server *server = vt_switch->server;
	/*
	 * wlroots' backends listened first and have already acted. Going away,
	 * the DRM backend gave up DRM master and destroyed the outputs (each
	 * went through vt_switch_output_away() and capture_output_detach()),
	 * and libinput was suspended: its devices go with its next dispatch.
	 * output_render() draws nothing while the session is inactive.
	 */
	if (!vt_switch->session->active) {
		wlr_log(WLR_INFO, "session inactive (VT switched away): rendering and input "
			"stopped, %d output(s) away", wl_list_length(&vt_switch->away));
		return;
	}
	/*
	 * Coming back, the DRM backend has scanned the connectors: the outputs
	 * that are still there were added again (output_handle_new() gave them
	 * their state and place back, and their capture sources their sessions),
	 * and libinput resumed. What did not come back was unplugged meanwhile.
	 */
	int missing = wl_list_length(&vt_switch->away);
	struct away_output *away, *tmp;
	wl_list_for_each_safe(away, tmp, &vt_switch->away, link) {
		wlr_log(WLR_INFO, "output %s: not back after the VT switch (unplugged meanwhile)",
			away->name);
		away_output_destroy(away);
	}
	capture_outputs_drop_detached(server->capture);
	/* Windows of outputs that did not come back go to one that did. */
	view_rescue_orphans(server);
	wlr_log(WLR_INFO, "session active again (VT switched back): %d output(s) back, "
		"%d not", wl_list_length(&server->outputs), missing);
}

static void handle_session_destroy(struct wl_listener *listener, void *data) {
	struct vt_switch *vt_switch = wl_container_of(listener, vt_switch, session_destroy);
	wl_list_remove(&vt_switch->active.link);
	wl_list_remove(&vt_switch->session_destroy.link);
	wl_list_init(&vt_switch->active.link);
	wl_list_init(&vt_switch->session_destroy.link);
	vt_switch->session = NULL;
}

struct vt_switch *vt_switch_create(struct server *server) {
	if (server->session == NULL) {
		return NULL;
	}
	struct vt_switch *vt_switch = calloc(1, sizeof(*vt_switch));
	if (vt_switch == NULL) {
		return NULL;
	}
	vt_switch->server = server;
	vt_switch->session = server->session;
	wl_list_init(&vt_switch->away);
	vt_switch->active.notify = handle_active;
	wl_signal_add(&server->session->events.active, &vt_switch->active);
	vt_switch->session_destroy.notify = handle_session_destroy;
	wl_signal_add(&server->session->events.destroy, &vt_switch->session_destroy);
	return vt_switch;
}

void vt_switch_destroy(struct vt_switch *vt_switch) {
	if (vt_switch == NULL) {
		return;
	}
	/* Ending while another VT is shown: what waited for outputs ends now. */
	capture_outputs_drop_detached(vt_switch->server->capture);
	struct away_output *away, *tmp;
	wl_list_for_each_safe(away, tmp, &vt_switch->away, link) {
		away_output_destroy(away);
	}
	wl_list_remove(&vt_switch->active.link);
	wl_list_remove(&vt_switch->session_destroy.link);
	free(vt_switch);
}
