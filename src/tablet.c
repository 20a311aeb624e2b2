#include <stdlib.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_tablet_pad.h>
#include <wlr/types/wlr_tablet_tool.h>
#include <wlr/types/wlr_tablet_v2.h>
#include <wlr/util/log.h>
#include <linux/input-event-codes.h>
#include "idle.h"
#include "seat.h"
#include "server.h"
#include "session_lock.h"
#include "tablet.h"
#include "view.h"

struct tablet {
	struct server *server;
	struct seat *seat;
	struct wlr_tablet_manager_v2 *manager;
	struct wl_list devices; /* struct tablet_device.link */
	struct wl_list pads; /* struct tablet_pad.link */
	struct wl_list tools; /* struct tablet_tool.link */
};

/* A tablet (the surface the tools are used on). */
struct tablet_device {
	struct tablet *tablet;
	struct wlr_tablet *wlr_tablet;
	struct wlr_tablet_v2_tablet *tablet_v2;
	struct wl_list link; /* tablet.devices */
	struct wl_listener axis;
	struct wl_listener proximity;
	struct wl_listener tip;
	struct wl_listener button;
	struct wl_listener destroy;
};

/* A tool, created when it first comes into proximity; wlr_tablet_tool.data. */
struct tablet_tool {
	struct tablet *tablet;
	struct wlr_tablet_v2_tablet_tool *tool_v2;
	double x, y; /* the last position on the tablet, 0..1 */
	/* The tool acts as a pointer: the surface under it has no tablet-v2. */
	bool emulating;
	struct wlr_tablet_tool *wlr_tool;
	struct wl_list link; /* tablet.tools */
	struct wl_listener set_cursor;
	struct wl_listener destroy;
};

struct tablet_pad {
	struct tablet *tablet;
	struct wlr_tablet_pad *wlr_pad;
	struct wlr_tablet_v2_tablet_pad *pad_v2;
	struct wlr_surface *focus; /* the surface entered, NULL when none */
	struct wl_list link; /* tablet.pads */
	struct wl_listener button;
	struct wl_listener focus_destroy;
	struct wl_listener destroy;
};

static void handle_tool_set_cursor(struct wl_listener *listener, void *data) {
	struct tablet_tool *tool = wl_container_of(listener, tool, set_cursor);
	struct wlr_tablet_v2_event_cursor *event = data;
	/* Only the client the tool is over may choose its cursor. */
	struct wlr_tablet_tool_client_v2 *current = tool->tool_v2->current_client;
	if (current == NULL || tool->tool_v2->focused_surface == NULL ||
			wl_resource_get_client(tool->tool_v2->focused_surface->resource) !=
			event->seat_client->client) {
		return;
	}
	wlr_cursor_set_surface(seat_cursor(tool->tablet->seat), event->surface,
		event->hotspot_x, event->hotspot_y);
}

static void handle_tool_destroy(struct wl_listener *listener, void *data) {
	struct tablet_tool *tool = wl_container_of(listener, tool, destroy);
	wl_list_remove(&tool->set_cursor.link);
	wl_list_remove(&tool->destroy.link);
	wl_list_remove(&tool->link);
	tool->wlr_tool->data = NULL;
	free(tool);
}

static struct tablet_tool *tool_get(struct tablet *tablet, struct wlr_tablet_tool *wlr_tool) {
	if (wlr_tool->data != NULL) {
		return wlr_tool->data;
	}
	struct tablet_tool *tool = calloc(1, sizeof(*tool));
	if (tool == NULL) {
		return NULL;
	}
	/*
	 * Listening before wlroots' tablet-v2 does: on destroy we leave its
	 * set_cursor signal before it frees it.
	 */
	tool->destroy.notify = handle_tool_destroy;
	wl_signal_add(&wlr_tool->events.destroy, &tool->destroy);
	tool->tool_v2 = wlr_tablet_tool_create(tablet->manager, seat_wlr_seat(tablet->seat),
		wlr_tool);
	if (tool->tool_v2 == NULL) {
		wl_list_remove(&tool->destroy.link);
		free(tool);
		return NULL;
	}
	tool->tablet = tablet;
	tool->wlr_tool = wlr_tool;
	tool->set_cursor.notify = handle_tool_set_cursor;
	wl_signal_add(&tool->tool_v2->events.set_cursor, &tool->set_cursor);
	wl_list_insert(&tablet->tools, &tool->link);
	wlr_tool->data = tool;
	return tool;
}

/*
 * Moves the cursor to the tool and sends the tool's position to the
 * surface under it: tablet-v2 proximity and motion when its client has
 * bound tablet-v2, pointer motion otherwise.
 */
static void tool_moved(struct tablet_device *device, struct tablet_tool *tool) {
	struct tablet *tablet = device->tablet;
	struct wlr_cursor *cursor = seat_cursor(tablet->seat);
	double lx, ly;
	wlr_cursor_absolute_to_layout_coords(cursor, &device->wlr_tablet->base, tool->x, tool->y,
		&lx, &ly);
	wlr_cursor_warp_closest(cursor, NULL, lx, ly);

	struct wlr_surface *surface = NULL;
	double sx = 0, sy = 0;
	view_at(tablet->server, cursor->x, cursor->y, &surface, &sx, &sy);
	if (surface != NULL && !session_lock_accepts_input(tablet->server->session_lock, surface)) {
		surface = NULL;
	}
	struct wlr_tablet_v2_tablet_tool *tool_v2 = tool->tool_v2;
	if (tool_v2->is_down && !tool->emulating) {
		/*
		 * A tool that is down stays with the surface it went down on
		 * (wlroots' implicit grab); off that surface there are no
		 * coordinates in it to send.
		 */
		if (surface == tool_v2->focused_surface) {
			wlr_tablet_v2_tablet_tool_notify_motion(tool_v2, sx, sy);
		}
		return;
	}
	if (surface != NULL && wlr_surface_accepts_tablet_v2(surface, device->tablet_v2)) {
		tool->emulating = false;
		wlr_tablet_v2_tablet_tool_notify_proximity_in(tool_v2, device->tablet_v2, surface);
		wlr_tablet_v2_tablet_tool_notify_motion(tool_v2, sx, sy);
		return;
	}
	if (tool_v2->focused_surface != NULL) {
		wlr_tablet_v2_tablet_tool_notify_proximity_out(tool_v2);
	}
	tool->emulating = true;
	seat_cursor_moved_by_tool(tablet->seat);
	wlr_seat_pointer_notify_frame(seat_wlr_seat(tablet->seat));
}

static void handle_tablet_proximity(struct wl_listener *listener, void *data) {
	struct tablet_device *device = wl_container_of(listener, device, proximity);
	struct wlr_tablet_tool_proximity_event *event = data;
	struct tablet_tool *tool = tool_get(device->tablet, event->tool);
	if (tool == NULL) {
		return;
	}
	idle_notify_activity(device->tablet->server->idle, seat_wlr_seat(device->tablet->seat));
	if (event->state == WLR_TABLET_TOOL_PROXIMITY_OUT) {
		wlr_tablet_v2_tablet_tool_notify_proximity_out(tool->tool_v2);
		tool->emulating = false;
		return;
	}
	tool->x = event->x;
	tool->y = event->y;
	tool_moved(device, tool);
}

static void handle_tablet_axis(struct wl_listener *listener, void *data) {
	struct tablet_device *device = wl_container_of(listener, device, axis);
	struct wlr_tablet_tool_axis_event *event = data;
	struct tablet_tool *tool = tool_get(device->tablet, event->tool);
	if (tool == NULL) {
		return;
	}
	idle_notify_activity(device->tablet->server->idle, seat_wlr_seat(device->tablet->seat));
	/* Only the axes that changed carry a value. */
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_X) {
		tool->x = event->x;
	}
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_Y) {
		tool->y = event->y;
	}
	if (event->updated_axes & (WLR_TABLET_TOOL_AXIS_X | WLR_TABLET_TOOL_AXIS_Y)) {
		tool_moved(device, tool);
	}
	struct wlr_tablet_v2_tablet_tool *tool_v2 = tool->tool_v2;
	if (tool->emulating || tool_v2->focused_surface == NULL) {
		return;
	}
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_PRESSURE) {
		wlr_tablet_v2_tablet_tool_notify_pressure(tool_v2, event->pressure);
	}
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_DISTANCE) {
		wlr_tablet_v2_tablet_tool_notify_distance(tool_v2, event->distance);
	}
	if (event->updated_axes & (WLR_TABLET_TOOL_AXIS_TILT_X | WLR_TABLET_TOOL_AXIS_TILT_Y)) {
		wlr_tablet_v2_tablet_tool_notify_tilt(tool_v2, event->tilt_x, event->tilt_y);
	}
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_ROTATION) {
		wlr_tablet_v2_tablet_tool_notify_rotation(tool_v2, event->rotation);
	}
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_SLIDER) {
		wlr_tablet_v2_tablet_tool_notify_slider(tool_v2, event->slider);
	}
	if (event->updated_axes & WLR_TABLET_TOOL_AXIS_WHEEL) {
		wlr_tablet_v2_tablet_tool_notify_wheel(tool_v2, event->wheel_delta, 0);
	}
}

static void handle_tablet_tip(struct wl_listener *listener, void *data) {
	struct tablet_device *device = wl_container_of(listener, device, tip);
	struct wlr_tablet_tool_tip_event *event = data;
	struct tablet *tablet = device->tablet;
	struct tablet_tool *tool = tool_get(tablet, event->tool);
	if (tool == NULL) {
		return;
	}
	idle_notify_activity(tablet->server->idle, seat_wlr_seat(tablet->seat));
	bool down = event->state == WLR_TABLET_TOOL_TIP_DOWN;
	if (down && !session_lock_is_locked(tablet->server->session_lock)) {
		/* A pen put down on a window focuses it, as a click does. */
		struct wlr_cursor *cursor = seat_cursor(tablet->seat);
		struct wlr_surface *surface = NULL;
		double sx, sy;
		struct view *view = view_at(tablet->server, cursor->x, cursor->y, &surface, &sx, &sy);
		if (view != NULL) {
			view_focus(view);
		}
	}
	if (tool->emulating) {
		struct wlr_seat *wlr_seat = seat_wlr_seat(tablet->seat);
		wlr_seat_pointer_notify_button(wlr_seat, event->time_msec, BTN_LEFT,
			down ? WL_POINTER_BUTTON_STATE_PRESSED : WL_POINTER_BUTTON_STATE_RELEASED);
		wlr_seat_pointer_notify_frame(wlr_seat);
		return;
	}
	if (tool->tool_v2->focused_surface == NULL) {
		return;
	}
	if (down) {
		wlr_tablet_v2_tablet_tool_notify_down(tool->tool_v2);
		wlr_tablet_tool_v2_start_implicit_grab(tool->tool_v2);
	} else {
		wlr_tablet_v2_tablet_tool_notify_up(tool->tool_v2);
	}
}

static void handle_tablet_button(struct wl_listener *listener, void *data) {
	struct tablet_device *device = wl_container_of(listener, device, button);
	struct wlr_tablet_tool_button_event *event = data;
	struct tablet *tablet = device->tablet;
	struct tablet_tool *tool = tool_get(tablet, event->tool);
	if (tool == NULL) {
		return;
	}
	idle_notify_activity(tablet->server->idle, seat_wlr_seat(tablet->seat));
	if (tool->emulating) {
		/* The pen's first button is a right click, as in libinput's pointer emulation. */
		struct wlr_seat *wlr_seat = seat_wlr_seat(tablet->seat);
		uint32_t button = event->button == BTN_STYLUS ? BTN_RIGHT :
			event->button == BTN_STYLUS2 ? BTN_MIDDLE : event->button;
		wlr_seat_pointer_notify_button(wlr_seat, event->time_msec, button,
			event->state == WLR_BUTTON_PRESSED ? WL_POINTER_BUTTON_STATE_PRESSED :
			WL_POINTER_BUTTON_STATE_RELEASED);
		wlr_seat_pointer_notify_frame(wlr_seat);
		return;
	}
	if (tool->tool_v2->focused_surface != NULL) {
		wlr_tablet_v2_tablet_tool_notify_button(tool->tool_v2, event->button,
			event->state == WLR_BUTTON_PRESSED ? ZWP_TABLET_PAD_V2_BUTTON_STATE_PRESSED :
			ZWP_TABLET_PAD_V2_BUTTON_STATE_RELEASED);
	}
}

static void handle_tablet_destroy(struct wl_listener *listener, void *data) {
	struct tablet_device *device = wl_container_of(listener, device, destroy);
	wl_list_remove(&device->axis.link);
	wl_list_remove(&device->proximity.link);
	wl_list_remove(&device->tip.link);
	wl_list_remove(&device->button.link);
	wl_list_remove(&device->destroy.link);
	wl_list_remove(&device->link);
	free(device);
}

static void add_tablet(struct tablet *tablet, struct wlr_input_device *input_device) {
	struct tablet_device *device = calloc(1, sizeof(*device));
	if (device == NULL) {
		return;
	}
	device->tablet_v2 = wlr_tablet_create(tablet->manager, seat_wlr_seat(tablet->seat),
		input_device);
	if (device->tablet_v2 == NULL) {
		free(device);
		return;
	}
	device->tablet = tablet;
	device->wlr_tablet = wlr_tablet_from_input_device(input_device);
	struct wlr_tablet *wlr_tablet = device->wlr_tablet;
	device->axis.notify = handle_tablet_axis;
	wl_signal_add(&wlr_tablet->events.axis, &device->axis);
	device->proximity.notify = handle_tablet_proximity;
	wl_signal_add(&wlr_tablet->events.proximity, &device->proximity);
	device->tip.notify = handle_tablet_tip;
	wl_signal_add(&wlr_tablet->events.tip, &device->tip);
	device->button.notify = handle_tablet_button;
	wl_signal_add(&wlr_tablet->events.button, &device->button);
	device->destroy.notify = handle_tablet_destroy;
	wl_signal_add(&input_device->events.destroy, &device->destroy);
	wl_list_insert(&tablet->devices, &device->link);
	wlr_log(WLR_DEBUG, "tablet '%s' added", input_device->name);
}

/* Pads */

static void pad_set_focus(struct tablet_pad *pad, struct wlr_surface *surface) {
	if (pad->focus == surface) {
		return;
	}
	if (pad->focus != NULL) {
		wlr_tablet_v2_tablet_pad_notify_leave(pad->pad_v2, pad->focus);
		wl_list_remove(&pad->focus_destroy.link);
		wl_list_init(&pad->focus_destroy.link);
		pad->focus = NULL;
	}
	if (surface == NULL || wl_list_empty(&pad->tablet->devices)) {
		return;
	}
	/* A pad belongs to a tablet; which one matters little with one tablet per seat. */
	struct tablet_device *device = wl_container_of(pad->tablet->devices.next, device, link);
	if (!wlr_surface_accepts_tablet_v2(surface, device->tablet_v2)) {
		return;
	}
	wlr_tablet_v2_tablet_pad_notify_enter(pad->pad_v2, device->tablet_v2, surface);
	pad->focus = surface;
	wl_signal_add(&surface->events.destroy, &pad->focus_destroy);
}

static void handle_pad_focus_destroy(struct wl_listener *listener, void *data) {
	struct tablet_pad *pad = wl_container_of(listener, pad, focus_destroy);
	wl_list_remove(&pad->focus_destroy.link);
	wl_list_init(&pad->focus_destroy.link);
	pad->focus = NULL;
}

static void handle_pad_button(struct wl_listener *listener, void *data) {
	struct tablet_pad *pad = wl_container_of(listener, pad, button);
	struct wlr_tablet_pad_button_event *event = data;
	struct wlr_seat *wlr_seat = seat_wlr_seat(pad->tablet->seat);
	idle_notify_activity(pad->tablet->server->idle, wlr_seat);
	/* Pad buttons follow the keyboard focus. */
	pad_set_focus(pad, wlr_seat->keyboard_state.focused_surface);
	if (pad->focus == NULL) {
		return;
	}
	wlr_tablet_v2_tablet_pad_notify_button(pad->pad_v2, event->button, event->time_msec,
		event->state == WLR_BUTTON_PRESSED ? ZWP_TABLET_PAD_V2_BUTTON_STATE_PRESSED :
		ZWP_TABLET_PAD_V2_BUTTON_STATE_RELEASED);
}

static void handle_pad_destroy(struct wl_listener *listener, void *data) {
	struct tablet_pad *pad = wl_container_of(listener, pad, destroy);
	wl_list_remove(&pad->focus_destroy.link);
	wl_list_remove(&pad->button.link);
	wl_list_remove(&pad->destroy.link);
	wl_list_remove(&pad->link);
	free(pad);
}

static void add_pad(struct tablet *tablet, struct wlr_input_device *input_device) {
	struct tablet_pad *pad = calloc(1, sizeof(*pad));
	if (pad == NULL) {
		return;
	}
	pad->pad_v2 = wlr_tablet_pad_create(tablet->manager, seat_wlr_seat(tablet->seat),
		input_device);
	if (pad->pad_v2 == NULL) {
		free(pad);
		return;
	}
	pad->tablet = tablet;
	pad->wlr_pad = wlr_tablet_pad_from_input_device(input_device);
	pad->button.notify = handle_pad_button;
	wl_signal_add(&pad->wlr_pad->events.button, &pad->button);
	pad->focus_destroy.notify = handle_pad_focus_destroy;
	wl_list_init(&pad->focus_destroy.link);
	pad->destroy.notify = handle_pad_destroy;
	wl_signal_add(&input_device->events.destroy, &pad->destroy);
	wl_list_insert(&tablet->pads, &pad->link);
	wlr_log(WLR_DEBUG, "tablet pad '%s' added", input_device->name);
}

void tablet_add_device(struct tablet *tablet, struct wlr_input_device *device) {
	if (device->type == WLR_INPUT_DEVICE_TABLET) {
		add_tablet(tablet, device);
	} else if (device->type == WLR_INPUT_DEVICE_TABLET_PAD) {
		add_pad(tablet, device);
	}
}

struct tablet *tablet_create(struct server *server, struct seat *seat) {
	struct tablet *tablet = calloc(1, sizeof(*tablet));
	if (tablet == NULL) {
		return NULL;
	}
	tablet->manager = wlr_tablet_v2_create(server->display);
	if (tablet->manager == NULL) {
		free(tablet);
		return NULL;
	}
	tablet->server = server;
	tablet->seat = seat;
	wl_list_init(&tablet->devices);
	wl_list_init(&tablet->pads);
	wl_list_init(&tablet->tools);
	return tablet;
}

void tablet_destroy(struct tablet *tablet) {
	if (tablet == NULL) {
		return;
	}
	/* The devices outlive the seat (the backend goes last): stop listening to them. */
	struct tablet_device *device, *device_tmp;
	wl_list_for_each_safe(device, device_tmp, &tablet->devices, link) {
		handle_tablet_destroy(&device->destroy, NULL);
	}
	struct tablet_pad *pad, *pad_tmp;
	wl_list_for_each_safe(pad, pad_tmp, &tablet->pads, link) {
		handle_pad_destroy(&pad->destroy, NULL);
	}
	struct tablet_tool *tool, *tool_tmp;
	wl_list_for_each_safe(tool, tool_tmp, &tablet->tools, link) {
		handle_tool_destroy(&tool->destroy, NULL);
	}
	free(tablet);
}
