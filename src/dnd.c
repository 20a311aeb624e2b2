#include <stdlib.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include "dnd.h"
#include "seat.h"
#include "server.h"
#include "session_lock.h"

struct dnd {
	struct server *server;
	struct seat *seat;
	struct wlr_seat *wlr_seat;
	/* Drag icons: raised above every other layer when a drag starts. */
	struct wlr_scene_tree *icons;

	struct wl_listener request_start_drag;
	struct wl_listener start_drag;
	struct wl_listener drag_destroy; /* of the drag in progress, if any */
};

static void handle_request_start_drag(struct wl_listener *listener, void *data) {
	struct dnd *dnd = wl_container_of(listener, dnd, request_start_drag);
	struct wlr_seat_request_start_drag_event *event = data;
	/*
	 * Only a client that was just clicked may drag; the serial proves the
	 * press. While locked only the locker may (its pointer focus says so too).
	 */
	if (session_lock_accepts_input(dnd->server->session_lock, event->origin) &&
			wlr_seat_validate_pointer_grab_serial(dnd->wlr_seat, event->origin, event->serial)) {
		wlr_seat_start_pointer_drag(dnd->wlr_seat, event->drag, event->serial);
		return;
	}
	wlr_log(WLR_DEBUG, "dnd: refusing start_drag with serial %u: no matching button press "
		"(or the session is locked and the origin is no lock surface)",
		event->serial);
	/* The drag dies with its source; a drag without a source dies with its client. */
	if (event->drag->source != NULL) {
		wlr_data_source_destroy(event->drag->source);
	}
}

static void handle_drag_destroy(struct wl_listener *listener, void *data) {
	struct dnd *dnd = wl_container_of(listener, dnd, drag_destroy);
	wl_list_remove(&dnd->drag_destroy.link);
	wl_list_init(&dnd->drag_destroy.link);
	/* The drag grab kept the pointer focus to itself: give it back to what is under the cursor. */
	seat_pointer_rebase(dnd->seat);
}

static void handle_start_drag(struct wl_listener *listener, void *data) {
	struct dnd *dnd = wl_container_of(listener, dnd, start_drag);
	struct wlr_drag *drag = data;
	wl_list_remove(&dnd->drag_destroy.link);
	dnd->drag_destroy.notify = handle_drag_destroy;
	wl_signal_add(&drag->events.destroy, &dnd->drag_destroy);
	if (drag->icon != NULL) {
		/* The scene node goes away by itself with the icon. */
		struct wlr_scene_tree *tree = wlr_scene_drag_icon_create(dnd->icons, drag->icon);
		if (tree == NULL) {
			wlr_log(WLR_ERROR, "dnd: cannot show the drag icon");
		}
	}
	wlr_scene_node_raise_to_top(&dnd->icons->node);
	/* The surface under the cursor is the first target, before any motion. */
	seat_pointer_rebase(dnd->seat);
}

void dnd_cancel(struct dnd *dnd) {
	struct wlr_drag *drag = dnd != NULL ? dnd->wlr_seat->drag : NULL;
	if (drag == NULL) {
		return;
	}
	wlr_log(WLR_INFO, "dnd: cancelling the drag in progress");
	if (drag->source != NULL) {
		/* Sends `cancelled`; the drag ends with its source. */
		wlr_data_source_destroy(drag->source);
		return;
	}
	/* A drag inside one client has no source to cancel: ending its grab ends it. */
	switch (drag->grab_type) {
	case WLR_DRAG_GRAB_KEYBOARD_POINTER:
		wlr_seat_pointer_end_grab(dnd->wlr_seat);
		break;
	case WLR_DRAG_GRAB_KEYBOARD_TOUCH:
		wlr_seat_touch_end_grab(dnd->wlr_seat);
		break;
	case WLR_DRAG_GRAB_KEYBOARD:
		wlr_seat_keyboard_end_grab(dnd->wlr_seat);
		break;
	}
}

void dnd_cursor_moved(struct dnd *dnd, double lx, double ly) {
	if (dnd == NULL) {
		return;
	}
	wlr_scene_node_set_position(&dnd->icons->node, (int)lx, (int)ly);
}

struct dnd *dnd_create(struct server *server, struct seat *seat) {
	struct dnd *dnd = calloc(1, sizeof(*dnd));
	if (dnd == NULL) {
		return NULL;
	}
	dnd->server = server;
	dnd->seat = seat;
	dnd->wlr_seat = seat_wlr_seat(seat);
	dnd->icons = wlr_scene_tree_create(&server->scene->tree);
	dnd->request_start_drag.notify = handle_request_start_drag;
	wl_signal_add(&dnd->wlr_seat->events.request_start_drag, &dnd->request_start_drag);
	dnd->start_drag.notify = handle_start_drag;
	wl_signal_add(&dnd->wlr_seat->events.start_drag, &dnd->start_drag);
	wl_list_init(&dnd->drag_destroy.link);
	return dnd;
}

void dnd_destroy(struct dnd *dnd) {
	if (dnd == NULL) {
		return;
	}
	wl_list_remove(&dnd->request_start_drag.link);
	wl_list_remove(&dnd->start_drag.link);
	wl_list_remove(&dnd->drag_destroy.link);
	free(dnd);
}
