#include <assert.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include <wlr/xwayland.h>
#include "seat.h"
#include "server.h"
#include "view.h"
#include "xwayland.h"

struct xwayland {
	struct server *server;
	struct wlr_xwayland *wlr_xwayland;
	struct wl_listener ready;
	struct wl_listener new_surface;
};

/* One per X11 window; managed windows are views, override-redirect ones are not. */
struct xwayland_view {
	struct view base;
	struct xwayland *xwayland;
	struct wlr_xwayland_surface *xsurface;
	struct wlr_scene_tree *unmanaged_tree; /* override-redirect windows only */

	struct wl_listener destroy;
	struct wl_listener associate;
	struct wl_listener dissociate;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener commit;
	struct wl_listener request_configure;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_listener request_activate;
	struct wl_listener request_fullscreen;
	struct wl_listener request_maximize;
	struct wl_listener request_minimize;
	struct wl_listener request_demands_attention;
	struct wl_listener set_hints;
	bool urgency_hint; /* WM_HINTS had the urgency flag at the last look */
	struct wl_listener set_parent;
	struct wl_listener set_title;
	struct wl_listener set_class;
	struct wl_listener set_geometry;
};

static struct xwayland_view *xwayland_view_from_view(struct view *view) {
	assert(view->type == VIEW_XWAYLAND);
	return wl_container_of(view, (struct xwayland_view *)NULL, base);
}

static const char *xwl_get_title(struct view *view) {
	return xwayland_view_from_view(view)->xsurface->title;
}

static const char *xwl_get_app_id(struct view *view) {
	return xwayland_view_from_view(view)->xsurface->class;
}

static void xwl_set_activated(struct view *view, bool activated) {
	struct wlr_xwayland_surface *xsurface = xwayland_view_from_view(view)->xsurface;
	wlr_xwayland_surface_activate(xsurface, activated);
	if (activated) {
		wlr_xwayland_surface_restack(xsurface, NULL, XCB_STACK_MODE_ABOVE);
	}
}

static void xwl_configure(struct view *view, int x, int y, int width, int height) {
	struct wlr_xwayland_surface *xsurface = xwayland_view_from_view(view)->xsurface;
	if (width <= 0 || height <= 0) {
		width = xsurface->width;
		height = xsurface->height;
	}
	wlr_xwayland_surface_configure(xsurface, x, y, width, height);
}

static void xwl_set_fullscreen(struct view *view, bool fullscreen) {
	wlr_xwayland_surface_set_fullscreen(xwayland_view_from_view(view)->xsurface, fullscreen);
}

static void xwl_set_maximized(struct view *view, bool maximized) {
	wlr_xwayland_surface_set_maximized(xwayland_view_from_view(view)->xsurface,
		maximized, maximized);
}

static void xwl_set_minimized(struct view *view, bool minimized) {
	wlr_xwayland_surface_set_minimized(xwayland_view_from_view(view)->xsurface, minimized);
}

/* _NET_WM_STATE_DEMANDS_ATTENTION: what X11 taskbars and pagers read. */
static void xwl_set_urgent(struct view *view, bool urgent) {
	wlr_xwayland_surface_set_demands_attention(xwayland_view_from_view(view)->xsurface, urgent);
}

static struct view *xwl_get_parent(struct view *view) {
	struct wlr_xwayland_surface *parent = xwayland_view_from_view(view)->xsurface->parent;
	return parent != NULL ? parent->data : NULL;
}

static void xwl_get_geometry(struct view *view, struct wlr_box *box) {
	struct wlr_xwayland_surface *xsurface = xwayland_view_from_view(view)->xsurface;
	*box = (struct wlr_box){0, 0, xsurface->width, xsurface->height};
}

/*
 * ICCCM WM_NORMAL_HINTS: a window whose client set USPosition (the user
 * asked, as with -geometry +X+Y) or PPosition (the program chose) goes where
 * the client last put it before mapping, as labwc does. X root coordinates
 * are layout coordinates.
 */
static bool xwl_get_requested_position(struct view *view, int *x, int *y) {
	struct wlr_xwayland_surface *xsurface = xwayland_view_from_view(view)->xsurface;
	if (xsurface->size_hints == NULL || !(xsurface->size_hints->flags &
			(XCB_ICCCM_SIZE_HINT_US_POSITION | XCB_ICCCM_SIZE_HINT_P_POSITION))) {
		return false;
	}
	*x = xsurface->x;
	*y = xsurface->y;
	return true;
}

static void xwl_close(struct view *view) {
	wlr_xwayland_surface_close(xwayland_view_from_view(view)->xsurface);
}

static const struct view_impl xwayland_view_impl = {
	.get_title = xwl_get_title,
	.get_app_id = xwl_get_app_id,
	.set_activated = xwl_set_activated,
	.configure = xwl_configure,
	.set_fullscreen = xwl_set_fullscreen,
	.set_maximized = xwl_set_maximized,
	.set_minimized = xwl_set_minimized,
	.set_urgent = xwl_set_urgent,
	.get_parent = xwl_get_parent,
	.get_geometry = xwl_get_geometry,
	.get_requested_position = xwl_get_requested_position,
	.close = xwl_close,
};

static void handle_map(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, map);
	struct server *server = xwl->base.server;
	struct wlr_xwayland_surface *xsurface = xwl->xsurface;
	if (xsurface->override_redirect) {
		/* Menus and tooltips place themselves; they are not windows of their own. */
		xwl->unmanaged_tree = wlr_scene_tree_create(server->unmanaged_tree);
		wlr_scene_surface_create(xwl->unmanaged_tree, xsurface->surface);
		wlr_scene_node_set_position(&xwl->unmanaged_tree->node, xsurface->x, xsurface->y);
		return;
	}
	struct wlr_scene_tree *tree = wlr_scene_tree_create(server->view_tree);
	wlr_scene_surface_create(tree, xsurface->surface);
	xwl->base.surface = xsurface->surface;
	view_map(&xwl->base, tree);
	/* States the window asked for before it mapped (_NET_WM_STATE on the window). */
	if (xsurface->maximized_horz || xsurface->maximized_vert) {
		view_set_maximized(&xwl->base, true);
	}
	if (xsurface->fullscreen) {
		view_set_fullscreen(&xwl->base, true);
	}
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, unmap);
	if (xwl->unmanaged_tree != NULL) {
		wlr_scene_node_destroy(&xwl->unmanaged_tree->node);
		xwl->unmanaged_tree = NULL;
		return;
	}
	if (xwl->base.mapped) {
		view_unmap(&xwl->base);
		wlr_scene_node_destroy(&xwl->base.scene_tree->node);
		xwl->base.scene_tree = NULL;
	}
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, commit);
	if (xwl->base.mapped) {
		view_committed(&xwl->base);
	}
}

/*
 * When the pairing of an X11 window with its wl_surface completes on the
 * Wayland side, wlroots reads the window's properties with blocking round
 * trips there. X events that arrive meanwhile (the MapRequest of the window,
 * say) are queued inside xcb, and the window manager only drains that queue
 * when its socket becomes readable again: with nothing else happening on X11,
 * the window never maps. A round trip of our own makes the socket readable,
 * so the queue is drained on the next loop iteration.
 */
static void xwm_drain_queued_events(struct xwayland *xwayland) {
	xcb_connection_t *conn = wlr_xwayland_get_xwm_connection(xwayland->wlr_xwayland);
	if (conn == NULL) {
		return;
	}
	xcb_discard_reply(conn, xcb_get_input_focus(conn).sequence);
	xcb_flush(conn);
}

static void handle_associate(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, associate);
	struct wlr_surface *surface = xwl->xsurface->surface;
	xwm_drain_queued_events(xwl->xwayland);
	xwl->map.notify = handle_map;
	wl_signal_add(&surface->events.map, &xwl->map);
	xwl->unmap.notify = handle_unmap;
	wl_signal_add(&surface->events.unmap, &xwl->unmap);
	xwl->commit.notify = handle_commit;
	wl_signal_add(&surface->events.commit, &xwl->commit);
	/*
	 * Xwayland may attach and commit the window's first buffer before the
	 * window manager has seen the X11 side of the pairing; wlroots maps an
	 * X11 surface only on a commit after pairing, and a window that draws
	 * once (xlogo, a dialog) would never show. Map it now as that commit would.
	 */
	if (wlr_surface_has_buffer(surface) && !surface->mapped) {
		wlr_log(WLR_DEBUG, "X11 window 0x%x had its buffer before pairing; mapping it",
			xwl->xsurface->window_id);
		wlr_surface_map(surface);
	}
}

static void handle_dissociate(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, dissociate);
	wl_list_remove(&xwl->map.link);
	wl_list_remove(&xwl->unmap.link);
	wl_list_remove(&xwl->commit.link);
	wl_list_init(&xwl->map.link);
	wl_list_init(&xwl->unmap.link);
	wl_list_init(&xwl->commit.link);
}

static void handle_request_configure(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_configure);
	struct wlr_xwayland_surface_configure_event *event = data;
	if (!xwl->base.mapped) {
		/*
		 * Before mapping, and for windows pinhole does not manage (override-
		 * redirect ones place themselves), the X11 client decides.
		 */
		wlr_xwayland_surface_configure(xwl->xsurface, event->x, event->y,
			event->width, event->height);
		return;
	}
	if (xwl->base.fullscreen || xwl->base.maximized) {
		/* The state decides the box: tell the client the one it has. */
		struct wlr_box *box = &xwl->base.state_box;
		wlr_xwayland_surface_configure(xwl->xsurface, box->x, box->y, box->width,
			box->height);
		return;
	}
	/*
	 * A floating window goes where it asks (xdotool windowmove, a toolkit
	 * restoring its place) at the size it asks; the ConfigureNotify that
	 * answers tells it the box it got. wlroots fills in the current values
	 * for what the request leaves out.
	 */
	view_move_resize(&xwl->base, event->x, event->y, event->width, event->height);
}

/* _NET_WM_MOVERESIZE: the same interactive move and resize as xdg-shell windows. */
static void handle_request_move(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_move);
	wlr_log(WLR_DEBUG, "X11 window 0x%x asks for an interactive move",
		xwl->xsurface->window_id);
	if (xwl->base.mapped) {
		seat_begin_interactive(xwl->base.server->seat, &xwl->base, SEAT_GRAB_MOVE, 0);
	}
}

static void handle_request_resize(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_resize);
	struct wlr_xwayland_resize_event *event = data;
	wlr_log(WLR_DEBUG, "X11 window 0x%x asks for an interactive resize (edges 0x%x)",
		xwl->xsurface->window_id, event->edges);
	if (xwl->base.mapped) {
		seat_begin_interactive(xwl->base.server->seat, &xwl->base, SEAT_GRAB_RESIZE,
			event->edges);
	}
}

static void handle_request_activate(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_activate);
	if (xwl->base.mapped) {
		view_focus(&xwl->base);
	}
}

/* An X11 client asking for attention: urgent like an xdg-activation without the right to focus. */
static void handle_request_demands_attention(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_demands_attention);
	if (xwl->base.mapped) {
		view_set_urgent(&xwl->base, xwl->xsurface->demands_attention);
	}
	/* wlroots took the client's word; the state says what pinhole decided. */
	wlr_xwayland_surface_set_demands_attention(xwl->xsurface, xwl->base.urgent);
}

static void handle_set_hints(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, set_hints);
	xcb_icccm_wm_hints_t *hints = xwl->xsurface->hints;
	bool urgency = hints != NULL && (hints->flags & XCB_ICCCM_WM_HINT_X_URGENCY);
	/* Only a change of the flag counts: focus clears the urgency, the client's flag may stay. */
	if (urgency != xwl->urgency_hint) {
		xwl->urgency_hint = urgency;
		if (xwl->base.mapped) {
			const char *class = xwl->xsurface->class;
			wlr_log(WLR_INFO, "xwayland: %s %s its urgency hint", class ? class : "(no class)",
				urgency ? "sets" : "clears");
			view_set_urgent(&xwl->base, urgency);
		}
	}
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_fullscreen);
	if (xwl->base.mapped) {
		view_set_fullscreen(&xwl->base, xwl->xsurface->fullscreen);
	}
}

static void handle_request_maximize(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_maximize);
	struct wlr_xwayland_surface *xsurface = xwl->xsurface;
	if (xwl->base.mapped) {
		/* pinhole maximizes both ways or not at all. */
		view_set_maximized(&xwl->base, xsurface->maximized_horz || xsurface->maximized_vert);
	}
}

static void handle_request_minimize(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, request_minimize);
	struct wlr_xwayland_minimize_event *event = data;
	if (!xwl->base.mapped) {
		return;
	}
	if (event->minimize) {
		view_set_minimized(&xwl->base, true);
	} else {
		view_activate(&xwl->base);
	}
}

static void handle_set_parent(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, set_parent);
	view_parent_changed(&xwl->base);
}

static void handle_set_title(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, set_title);
	view_update_identity(&xwl->base);
}

static void handle_set_class(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, set_class);
	view_update_identity(&xwl->base);
}

static void handle_set_geometry(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, set_geometry);
	if (xwl->unmanaged_tree != NULL) {
		wlr_scene_node_set_position(&xwl->unmanaged_tree->node, xwl->xsurface->x,
			xwl->xsurface->y);
	}
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct xwayland_view *xwl = wl_container_of(listener, xwl, destroy);
	if (xwl->xsurface->surface != NULL) {
		handle_unmap(&xwl->unmap, NULL);
		handle_dissociate(&xwl->dissociate, NULL);
	}
	view_finish(&xwl->base);
	wl_list_remove(&xwl->map.link);
	wl_list_remove(&xwl->unmap.link);
	wl_list_remove(&xwl->commit.link);
	wl_list_remove(&xwl->destroy.link);
	wl_list_remove(&xwl->associate.link);
	wl_list_remove(&xwl->dissociate.link);
	wl_list_remove(&xwl->request_configure.link);
	wl_list_remove(&xwl->request_move.link);
	wl_list_remove(&xwl->request_resize.link);
	wl_list_remove(&xwl->request_activate.link);
	wl_list_remove(&xwl->request_fullscreen.link);
	wl_list_remove(&xwl->request_maximize.link);
	wl_list_remove(&xwl->request_minimize.link);
	wl_list_remove(&xwl->request_demands_attention.link);
	wl_list_remove(&xwl->set_hints.link);
	wl_list_remove(&xwl->set_parent.link);
	wl_list_remove(&xwl->set_title.link);
	wl_list_remove(&xwl->set_class.link);
	wl_list_remove(&xwl->set_geometry.link);
	free(xwl);
}

static void handle_new_surface(struct wl_listener *listener, void *data) {
	struct xwayland *xwayland = wl_container_of(listener, xwayland, new_surface);
	struct wlr_xwayland_surface *xsurface = data;
	struct xwayland_view *xwl = calloc(1, sizeof(*xwl));
	if (xwl == NULL) {
		return;
	}
	xwl->xwayland = xwayland;
	xwl->xsurface = xsurface;
	/* Parents are found through their X11 surface. */
	xsurface->data = &xwl->base;
	view_init(&xwl->base, xwayland->server, VIEW_XWAYLAND, &xwayland_view_impl, NULL);
	wl_list_init(&xwl->map.link);
	wl_list_init(&xwl->unmap.link);
	wl_list_init(&xwl->commit.link);

	xwl->destroy.notify = handle_destroy;
	wl_signal_add(&xsurface->events.destroy, &xwl->destroy);
	xwl->associate.notify = handle_associate;
	wl_signal_add(&xsurface->events.associate, &xwl->associate);
	xwl->dissociate.notify = handle_dissociate;
	wl_signal_add(&xsurface->events.dissociate, &xwl->dissociate);
	xwl->request_configure.notify = handle_request_configure;
	wl_signal_add(&xsurface->events.request_configure, &xwl->request_configure);
	xwl->request_move.notify = handle_request_move;
	wl_signal_add(&xsurface->events.request_move, &xwl->request_move);
	xwl->request_resize.notify = handle_request_resize;
	wl_signal_add(&xsurface->events.request_resize, &xwl->request_resize);
	xwl->request_activate.notify = handle_request_activate;
	wl_signal_add(&xsurface->events.request_activate, &xwl->request_activate);
	xwl->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&xsurface->events.request_fullscreen, &xwl->request_fullscreen);
	xwl->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&xsurface->events.request_maximize, &xwl->request_maximize);
	xwl->request_minimize.notify = handle_request_minimize;
	wl_signal_add(&xsurface->events.request_minimize, &xwl->request_minimize);
	xwl->request_demands_attention.notify = handle_request_demands_attention;
	wl_signal_add(&xsurface->events.request_demands_attention, &xwl->request_demands_attention);
	xwl->set_hints.notify = handle_set_hints;
	wl_signal_add(&xsurface->events.set_hints, &xwl->set_hints);
	xwl->set_parent.notify = handle_set_parent;
	wl_signal_add(&xsurface->events.set_parent, &xwl->set_parent);
	xwl->set_title.notify = handle_set_title;
	wl_signal_add(&xsurface->events.set_title, &xwl->set_title);
	xwl->set_class.notify = handle_set_class;
	wl_signal_add(&xsurface->events.set_class, &xwl->set_class);
	xwl->set_geometry.notify = handle_set_geometry;
	wl_signal_add(&xsurface->events.set_geometry, &xwl->set_geometry);
}

static void handle_ready(struct wl_listener *listener, void *data) {
	struct xwayland *xwayland = wl_container_of(listener, xwayland, ready);
	wlr_xwayland_set_seat(xwayland->wlr_xwayland, seat_wlr_seat(xwayland->server->seat));
	wlr_log(WLR_INFO, "XWayland is ready on DISPLAY=%s", xwayland->wlr_xwayland->display_name);
}

struct xwayland *xwayland_create(struct server *server) {
	struct xwayland *xwayland = calloc(1, sizeof(*xwayland));
	if (xwayland == NULL) {
		return NULL;
	}
	xwayland->server = server;
	xwayland->wlr_xwayland = wlr_xwayland_create(server->display, server->compositor, true);
	if (xwayland->wlr_xwayland == NULL) {
		wlr_log(WLR_ERROR, "XWayland is not available; X11 applications will not run");
		free(xwayland);
		return NULL;
	}
	xwayland->ready.notify = handle_ready;
	wl_signal_add(&xwayland->wlr_xwayland->events.ready, &xwayland->ready);
	xwayland->new_surface.notify = handle_new_surface;
	wl_signal_add(&xwayland->wlr_xwayland->events.new_surface, &xwayland->new_surface);
	setenv("DISPLAY", xwayland->wlr_xwayland->display_name, true);
	wlr_log(WLR_INFO, "XWayland will start on demand on DISPLAY=%s",
		xwayland->wlr_xwayland->display_name);
	return xwayland;
}

void xwayland_destroy(struct xwayland *xwayland) {
	if (xwayland == NULL) {
		return;
	}
	wl_list_remove(&xwayland->ready.link);
	wl_list_remove(&xwayland->new_surface.link);
	wlr_xwayland_destroy(xwayland->wlr_xwayland);
	free(xwayland);
}

struct wlr_xwayland *xwayland_get_wlr(struct xwayland *xwayland) {
	return xwayland->wlr_xwayland;
}
