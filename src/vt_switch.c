#include <stdlib.h>
#include <wlr/backend/session.h>
#include <wlr/util/log.h>
#include "server.h"
#include "vt_switch.h"

struct vt_switch {
	struct server *server;
	struct wl_listener active;
	struct wl_listener session_destroy;
};

static void handle_active(struct wl_listener *listener, void *data) {
	struct vt_switch *vt_switch = wl_container_of(listener, vt_switch, active);
	/*
	 * wlroots 0.20 has already acted: going away it gave up DRM master,
	 * suspended libinput and destroyed the DRM outputs (output capture
	 * sessions on them are stopped; toplevel sessions go on); coming back it
	 * scans the connectors and they are added again through the new-output
	 * path, with their configuration, drawn whole. output_render() draws
	 * nothing while the session is inactive.
	 */
	wlr_log(WLR_INFO, "%s", vt_switch->server->session->active ?
		"session active again (VT switched back): outputs come back" :
		"session inactive (VT switched away): rendering and input stopped");
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
