#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_foreign_toplevel_management_v1.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include "foreign_toplevel.h"
#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"

struct foreign_toplevel {
	struct view *view;
	struct wlr_foreign_toplevel_handle_v1 *handle;

	struct wl_listener request_maximize;
	struct wl_listener request_minimize;
	struct wl_listener request_activate;
	struct wl_listener request_fullscreen;
	struct wl_listener request_close;
	struct wl_listener set_rectangle;
};

static const char *view_name(struct view *view) {
	const char *app_id = view->impl->get_app_id(view);
	return app_id != NULL ? app_id : "(no app id)";
}

static void handle_request_maximize(struct wl_listener *listener, void *data) {
	struct foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_maximize);
	struct wlr_foreign_toplevel_handle_v1_maximized_event *event = data;
	wlr_log(WLR_DEBUG, "foreign toplevel %s: %smaximize requested",
		view_name(toplevel->view), event->maximized ? "" : "un");
	view_set_maximized(toplevel->view, event->maximized);
	if (event->maximized) {
		/* A window maximized from a taskbar is one the user wants to see. */
		view_activate(toplevel->view);
	}
}

static void handle_request_minimize(struct wl_listener *listener, void *data) {
	struct foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_minimize);
	struct wlr_foreign_toplevel_handle_v1_minimized_event *event = data;
	wlr_log(WLR_DEBUG, "foreign toplevel %s: %sminimize requested",
		view_name(toplevel->view), event->minimized ? "" : "un");
	if (event->minimized) {
		view_set_minimized(toplevel->view, true);
	} else {
		/* Taskbars unminimize to bring a window back: it comes back focused. */
		view_activate(toplevel->view);
	}
}

static void handle_request_activate(struct wl_listener *listener, void *data) {
	struct foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_activate);
	wlr_log(WLR_DEBUG, "foreign toplevel %s: activation requested",
		view_name(toplevel->view));
	view_activate(toplevel->view);
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct foreign_toplevel *toplevel =
		wl_container_of(listener, toplevel, request_fullscreen);
	struct wlr_foreign_toplevel_handle_v1_fullscreen_event *event = data;
	struct view *view = toplevel->view;
	wlr_log(WLR_DEBUG, "foreign toplevel %s: %sfullscreen requested on %s",
		view_name(view), event->fullscreen ? "" : "un",
		event->output != NULL ? event->output->name : "its output");
	if (event->fullscreen && event->output != NULL && !view->fullscreen &&
			event->output != view_output(view)) {
		/* Fullscreen goes to the output of the view's geometry: move it there first. */
		struct wlr_box box, geo;
		wlr_output_layout_get_box(view->server->output_layout, event->output, &box);
		view->impl->get_geometry(view, &geo);
		if (!wlr_box_empty(&box)) {
			if (view->maximized) {
				view->saved_box.x = box.x - geo.x;
				view->saved_box.y = box.y - geo.y;
			}
			view_move(view, box.x - geo.x, box.y - geo.y);
		}
	}
	view_set_fullscreen(view, event->fullscreen);
	if (event->fullscreen) {
		view_activate(view);
	}
}

static void handle_request_close(struct wl_listener *listener, void *data) {
	struct foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_close);
	wlr_log(WLR_DEBUG, "foreign toplevel %s: close requested", view_name(toplevel->view));
	toplevel->view->impl->close(toplevel->view);
}

static void handle_set_rectangle(struct wl_listener *listener, void *data) {
	/*
	 * Where the taskbar shows the window, for minimize animations; pinhole
	 * animates nothing. wlroots has already checked the rectangle.
	 */
}

static void update_outputs(struct foreign_toplevel *toplevel) {
	struct view *view = toplevel->view;
	struct server *server = view->server;
	struct wlr_box geo, view_box = {0};
	view->impl->get_geometry(view, &geo);
	if (!view->minimized) {
		view_box = (struct wlr_box){view->x + geo.x, view->y + geo.y, geo.width, geo.height};
	}
	struct wlr_output_layout_output *l_output;
	wl_list_for_each(l_output, &server->output_layout->outputs, link) {
		struct wlr_box output_box, overlap;
		wlr_output_layout_get_box(server->output_layout, l_output->output, &output_box);
		bool on = wlr_box_intersection(&overlap, &view_box, &output_box);
		bool listed = false;
		struct wlr_foreign_toplevel_handle_v1_output *entered;
		wl_list_for_each(entered, &toplevel->handle->outputs, link) {
			if (entered->output == l_output->output) {
				listed = true;
				break;
			}
		}
		if (on && !listed) {
			wlr_foreign_toplevel_handle_v1_output_enter(toplevel->handle, l_output->output);
		} else if (!on && listed) {
			wlr_foreign_toplevel_handle_v1_output_leave(toplevel->handle, l_output->output);
		}
	}
	/* Outputs that left the layout (disabled) are left too. */
	struct wlr_foreign_toplevel_handle_v1_output *entered, *tmp;
	wl_list_for_each_safe(entered, tmp, &toplevel->handle->outputs, link) {
		if (wlr_output_layout_get(server->output_layout, entered->output) == NULL) {
			wlr_foreign_toplevel_handle_v1_output_leave(toplevel->handle, entered->output);
		}
	}
}

void foreign_toplevel_leave_output(struct foreign_toplevel *toplevel,
		struct wlr_output *output) {
	if (toplevel == NULL) {
		return;
	}
	struct wlr_foreign_toplevel_handle_v1_output *entered;
	wl_list_for_each(entered, &toplevel->handle->outputs, link) {
		if (entered->output == output) {
			wlr_foreign_toplevel_handle_v1_output_leave(toplevel->handle, output);
			return;
		}
	}
}

static bool string_changed(const char *old, const char *new) {
	return strcmp(old != NULL ? old : "", new != NULL ? new : "") != 0;
}

void foreign_toplevel_update(struct foreign_toplevel *toplevel) {
	if (toplevel == NULL) {
		return;
	}
	struct view *view = toplevel->view;
	struct wlr_foreign_toplevel_handle_v1 *handle = toplevel->handle;
	const char *title = view->impl->get_title(view);
	const char *app_id = view->impl->get_app_id(view);
	if (string_changed(handle->title, title)) {
		wlr_foreign_toplevel_handle_v1_set_title(handle, title != NULL ? title : "");
	}
	if (string_changed(handle->app_id, app_id)) {
		wlr_foreign_toplevel_handle_v1_set_app_id(handle, app_id != NULL ? app_id : "");
	}

	struct wlr_seat *seat = seat_wlr_seat(view->server->seat);
	bool activated = view->surface != NULL &&
		seat->keyboard_state.focused_surface == view->surface;
	struct {
		uint32_t bit;
		bool value;
		void (*set)(struct wlr_foreign_toplevel_handle_v1 *, bool);
	} states[] = {
		{WLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MAXIMIZED, view->maximized,
			wlr_foreign_toplevel_handle_v1_set_maximized},
		{WLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MINIMIZED, view->minimized,
			wlr_foreign_toplevel_handle_v1_set_minimized},
		{WLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_ACTIVATED, activated,
			wlr_foreign_toplevel_handle_v1_set_activated},
		{WLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_FULLSCREEN, view->fullscreen,
			wlr_foreign_toplevel_handle_v1_set_fullscreen},
	};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (((handle->state & states[i].bit) != 0) != states[i].value) {
			states[i].set(handle, states[i].value);
		}
	}

	struct view *parent = view->impl->get_parent != NULL ? view->impl->get_parent(view) : NULL;
	struct wlr_foreign_toplevel_handle_v1 *parent_handle =
		parent != NULL && parent->foreign_management != NULL ?
		parent->foreign_management->handle : NULL;
	if (handle->parent != parent_handle) {
		wlr_foreign_toplevel_handle_v1_set_parent(handle, parent_handle);
	}
	update_outputs(toplevel);
}

struct foreign_toplevel *foreign_toplevel_create(struct view *view) {
	struct server *server = view->server;
	struct foreign_toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (toplevel == NULL) {
		return NULL;
	}
	toplevel->handle = wlr_foreign_toplevel_handle_v1_create(server->foreign_toplevel_manager);
	if (toplevel->handle == NULL) {
		free(toplevel);
		return NULL;
	}
	toplevel->view = view;
	toplevel->handle->data = view;
	struct wlr_foreign_toplevel_handle_v1 *handle = toplevel->handle;
	toplevel->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&handle->events.request_maximize, &toplevel->request_maximize);
	toplevel->request_minimize.notify = handle_request_minimize;
	wl_signal_add(&handle->events.request_minimize, &toplevel->request_minimize);
	toplevel->request_activate.notify = handle_request_activate;
	wl_signal_add(&handle->events.request_activate, &toplevel->request_activate);
	toplevel->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&handle->events.request_fullscreen, &toplevel->request_fullscreen);
	toplevel->request_close.notify = handle_request_close;
	wl_signal_add(&handle->events.request_close, &toplevel->request_close);
	toplevel->set_rectangle.notify = handle_set_rectangle;
	wl_signal_add(&handle->events.set_rectangle, &toplevel->set_rectangle);
	return toplevel;
}

void foreign_toplevel_destroy(struct foreign_toplevel *toplevel) {
	if (toplevel == NULL) {
		return;
	}
	wl_list_remove(&toplevel->request_maximize.link);
	wl_list_remove(&toplevel->request_minimize.link);
	wl_list_remove(&toplevel->request_activate.link);
	wl_list_remove(&toplevel->request_fullscreen.link);
	wl_list_remove(&toplevel->request_close.link);
	wl_list_remove(&toplevel->set_rectangle.link);
	wlr_foreign_toplevel_handle_v1_destroy(toplevel->handle);
	free(toplevel);
}

void foreign_toplevel_manager_init(struct server *server) {
	server->foreign_toplevel_manager = wlr_foreign_toplevel_manager_v1_create(server->display);
}
