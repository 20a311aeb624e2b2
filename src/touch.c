#include <stdlib.h>
#include <time.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_touch.h>
#include <wlr/util/log.h>
#include "seat.h"
#include "server.h"
#include "touch.h"
#include "view.h"

struct touch {
	struct server *server;
	struct seat *seat;
	struct wlr_seat *wlr_seat;
	struct wlr_cursor *cursor;
	struct wl_list devices; /* struct touch_device.link */
	struct wl_list points; /* struct touch_point.link */

	struct wl_listener down;
	struct wl_listener up;
	struct wl_listener motion;
	struct wl_listener cancel;
	struct wl_listener frame;
};

struct touch_device {
	struct touch *touch;
	struct wlr_input_device *device;
	struct wl_list link; /* touch.devices */
	struct wl_listener destroy;
};

/*
 * A point that went down on a surface. Its later motion is reported relative
 * to that surface even when it leaves it, so we keep where the surface was.
 */
struct touch_point {
	struct touch *touch;
	int32_t id;
	double surface_lx, surface_ly; /* layout position of the surface origin */
	struct wl_list link; /* touch.points */
	struct wl_listener surface_destroy;
};

static struct touch_point *find_point(struct touch *touch, int32_t id) {
	struct touch_point *point;
	wl_list_for_each(point, &touch->points, link) {
		if (point->id == id) {
			return point;
		}
	}
	return NULL;
}

static void point_destroy(struct touch_point *point) {
	wl_list_remove(&point->surface_destroy.link);
	wl_list_remove(&point->link);
	free(point);
}

static void remove_point(struct touch *touch, int32_t id) {
	struct touch_point *point = find_point(touch, id);
	if (point != NULL) {
		point_destroy(point);
	}
}

static uint32_t now_msec(void) {
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

/*
 * The surface a finger is on goes away: the client gets the point's up
 * (wl_touch says a point's events go to the surface it went down on, and
 * there is none left), and the rest of the finger's events go nowhere.
 */
static void handle_point_surface_destroy(struct wl_listener *listener, void *data) {
	struct touch_point *point = wl_container_of(listener, point, surface_destroy);
	struct touch *touch = point->touch;
	int32_t id = point->id;
	point_destroy(point);
	wlr_seat_touch_notify_up(touch->wlr_seat, now_msec(), id);
	wlr_seat_touch_notify_frame(touch->wlr_seat);
}

static void handle_down(struct wl_listener *listener, void *data) {
	struct touch *touch = wl_container_of(listener, touch, down);
	struct wlr_touch_down_event *event = data;
	double lx, ly;
	wlr_cursor_absolute_to_layout_coords(touch->cursor, &event->touch->base,
		event->x, event->y, &lx, &ly);
	struct wlr_surface *surface = NULL;
	double sx, sy;
	struct view *view = view_at(touch->server, lx, ly, &surface, &sx, &sy);
	wlr_log(WLR_DEBUG, "touch %d down at %.2f,%.2f: surface %p", event->touch_id, lx, ly,
		(void *)surface);
	if (surface == NULL || !wlr_surface_accepts_touch(surface, touch->wlr_seat)) {
		return;
	}
	if (view != NULL) {
		view_focus(view);
	}
	remove_point(touch, event->touch_id); /* a device that repeats an id restarts it */
	struct touch_point *point = calloc(1, sizeof(*point));
	if (point == NULL) {
		return;
	}
	point->touch = touch;
	point->id = event->touch_id;
	point->surface_lx = lx - sx;
	point->surface_ly = ly - sy;
	wl_list_insert(&touch->points, &point->link);
	point->surface_destroy.notify = handle_point_surface_destroy;
	wl_signal_add(&surface->events.destroy, &point->surface_destroy);
	wlr_seat_touch_notify_down(touch->wlr_seat, surface, event->time_msec, event->touch_id,
		sx, sy);
}

static void handle_up(struct wl_listener *listener, void *data) {
	struct touch *touch = wl_container_of(listener, touch, up);
	struct wlr_touch_up_event *event = data;
	if (find_point(touch, event->touch_id) == NULL) {
		return;
	}
	remove_point(touch, event->touch_id);
	wlr_seat_touch_notify_up(touch->wlr_seat, event->time_msec, event->touch_id);
}

static void handle_motion(struct wl_listener *listener, void *data) {
	struct touch *touch = wl_container_of(listener, touch, motion);
	struct wlr_touch_motion_event *event = data;
	struct touch_point *point = find_point(touch, event->touch_id);
	if (point == NULL) {
		return;
	}
	double lx, ly;
	wlr_cursor_absolute_to_layout_coords(touch->cursor, &event->touch->base,
		event->x, event->y, &lx, &ly);
	wlr_seat_touch_notify_motion(touch->wlr_seat, event->time_msec, event->touch_id,
		lx - point->surface_lx, ly - point->surface_ly);
}

static void handle_cancel(struct wl_listener *listener, void *data) {
	struct touch *touch = wl_container_of(listener, touch, cancel);
	struct wlr_touch_cancel_event *event = data;
	struct wlr_touch_point *point = wlr_seat_touch_get_point(touch->wlr_seat,
		event->touch_id);
	remove_point(touch, event->touch_id);
	if (point != NULL && point->client != NULL) {
		wlr_seat_touch_notify_cancel(touch->wlr_seat, point->client);
	}
}

static void handle_frame(struct wl_listener *listener, void *data) {
	struct touch *touch = wl_container_of(listener, touch, frame);
	wlr_seat_touch_notify_frame(touch->wlr_seat);
}

static void handle_device_destroy(struct wl_listener *listener, void *data) {
	struct touch_device *device = wl_container_of(listener, device, destroy);
	struct touch *touch = device->touch;
	wlr_cursor_detach_input_device(touch->cursor, device->device);
	wl_list_remove(&device->destroy.link);
	wl_list_remove(&device->link);
	free(device);
	seat_update_capabilities(touch->seat);
}

void touch_add_device(struct touch *touch, struct wlr_input_device *input_device) {
	struct touch_device *device = calloc(1, sizeof(*device));
	if (device == NULL) {
		return;
	}
	device->touch = touch;
	device->device = input_device;
	device->destroy.notify = handle_device_destroy;
	wl_signal_add(&input_device->events.destroy, &device->destroy);
	wl_list_insert(&touch->devices, &device->link);
	wlr_cursor_attach_input_device(touch->cursor, input_device);
	wlr_log(WLR_DEBUG, "touch device '%s' added", input_device->name);
}

bool touch_has_devices(struct touch *touch) {
	return touch != NULL && !wl_list_empty(&touch->devices);
}

struct touch *touch_create(struct server *server, struct seat *seat) {
	struct touch *touch = calloc(1, sizeof(*touch));
	if (touch == NULL) {
		return NULL;
	}
	touch->server = server;
	touch->seat = seat;
	touch->wlr_seat = seat_wlr_seat(seat);
	touch->cursor = seat_cursor(seat);
	wl_list_init(&touch->devices);
	wl_list_init(&touch->points);
	touch->down.notify = handle_down;
	wl_signal_add(&touch->cursor->events.touch_down, &touch->down);
	touch->up.notify = handle_up;
	wl_signal_add(&touch->cursor->events.touch_up, &touch->up);
	touch->motion.notify = handle_motion;
	wl_signal_add(&touch->cursor->events.touch_motion, &touch->motion);
	touch->cancel.notify = handle_cancel;
	wl_signal_add(&touch->cursor->events.touch_cancel, &touch->cancel);
	touch->frame.notify = handle_frame;
	wl_signal_add(&touch->cursor->events.touch_frame, &touch->frame);
	return touch;
}

void touch_destroy(struct touch *touch) {
	if (touch == NULL) {
		return;
	}
	struct touch_device *device, *device_tmp;
	wl_list_for_each_safe(device, device_tmp, &touch->devices, link) {
		wlr_cursor_detach_input_device(touch->cursor, device->device);
		wl_list_remove(&device->destroy.link);
		wl_list_remove(&device->link);
		free(device);
	}
	struct touch_point *point, *point_tmp;
	wl_list_for_each_safe(point, point_tmp, &touch->points, link) {
		point_destroy(point);
	}
	wl_list_remove(&touch->down.link);
	wl_list_remove(&touch->up.link);
	wl_list_remove(&touch->motion.link);
	wl_list_remove(&touch->cancel.link);
	wl_list_remove(&touch->frame.link);
	free(touch);
}
