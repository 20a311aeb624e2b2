#include <stdlib.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>
#include "output.h"
#include "server.h"
#include "vt_switch.h"

struct vt_switch {
	struct server *server;
	struct wl_listener active;
	struct wl_listener session_destroy;
};

static void handle_active(struct wl_listener *listener, void *data) {
	struct vt_switch *vt_switch = wl_container_of(listener, vt_switch, active);
	struct server *server = vt_switch->server;
	if (!server->session->active) {
		/*
		 * wlroots has given up DRM master and suspended libinput; output
		 * commits would fail. Frames (and capture frames) wait meanwhile.
		 */
		wlr_log(WLR_INFO, "session inactive (VT switched away): rendering and input stopped");
		return;
	}
	/*
	 * wlroots has restored each connector's last state; what another VT
	 * showed meanwhile is not ours to know, so every output is drawn whole.
	 */
	struct output *output;
	wl_list_for_each(output, &server->outputs, link) {
		if (output->wlr_output->enabled) {
			output_damage_whole(output);
		}
	}
	wlr_log(WLR_INFO, "session active again (VT switched back): outputs redrawn");
}

static void handle_session_destroy(struct wl_listener *listener, void *data) {
	struct vt_switch *vt_switch = wl_container_of(listener, vt_switch, session_destroy);
	wl_list_remove(&vt_switch->active.link);
	wl_list_remove(&vt_switch->session_destroy.link);
	wl_list_init(&vt_switch->active.link);
	wl_list_init(&vt_switch->session_destroy.link);
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
	wl_list_remove(&vt_switch->active.link);
	wl_list_remove(&vt_switch->session_destroy.link);
	free(vt_switch);
}
