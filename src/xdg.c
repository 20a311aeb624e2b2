#include <assert.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>
#include "layer_shell.h"
#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"
#include "xdg.h"

struct xdg_decoration;

struct xdg_view {
	struct view base;
	struct wlr_xdg_toplevel *toplevel;
	struct xdg_decoration *decoration; /* NULL unless the client asked for one */
	int geometry_x, geometry_y; /* the window geometry's origin at the last commit */

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener commit;
	struct wl_listener destroy;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_listener request_maximize;
	struct wl_listener request_fullscreen;
	struct wl_listener request_minimize;
	struct wl_listener set_parent;
	struct wl_listener set_title;
	struct wl_listener set_app_id;
};

struct xdg_popup {
	struct server *server;
	struct wlr_xdg_popup *popup;
	struct wl_listener commit;
	struct wl_listener destroy;
};

/* Either side may be destroyed first: each clears the other's pointer. */
struct xdg_decoration {
	struct wlr_xdg_toplevel_decoration_v1 *decoration;
	struct xdg_view *view;
	struct wl_listener request_mode;
	struct wl_listener destroy;
};

static struct xdg_view *xdg_view_from_view(struct view *view) {
	assert(view->type == VIEW_XDG);
	return wl_container_of(view, (struct xdg_view *)NULL, base);
}

static const char *xdg_get_title(struct view *view) {
	return xdg_view_from_view(view)->toplevel->title;
}

static const char *xdg_get_app_id(struct view *view) {
	return xdg_view_from_view(view)->toplevel->app_id;
}

static void xdg_set_activated(struct view *view, bool activated) {
	struct wlr_xdg_toplevel *toplevel = xdg_view_from_view(view)->toplevel;
	if (toplevel->base->initialized) {
		wlr_xdg_toplevel_set_activated(toplevel, activated);
	}
}

static void xdg_configure(struct view *view, int x, int y, int width, int height) {
	struct wlr_xdg_toplevel *toplevel = xdg_view_from_view(view)->toplevel;
	if (toplevel->base->initialized && (width > 0 || height > 0)) {
		wlr_xdg_toplevel_set_size(toplevel, width, height);
	}
}

static void xdg_set_fullscreen(struct view *view, bool fullscreen) {
	struct wlr_xdg_toplevel *toplevel = xdg_view_from_view(view)->toplevel;
	if (toplevel->base->initialized) {
		wlr_xdg_toplevel_set_fullscreen(toplevel, fullscreen);
	}
}

static void xdg_set_maximized(struct view *view, bool maximized) {
	struct wlr_xdg_toplevel *toplevel = xdg_view_from_view(view)->toplevel;
	if (toplevel->base->initialized) {
		wlr_xdg_toplevel_set_maximized(toplevel, maximized);
	}
}

static struct view *xdg_get_parent(struct view *view) {
	struct wlr_xdg_toplevel *parent = xdg_view_from_view(view)->toplevel->parent;
	struct wlr_scene_tree *tree = parent != NULL ? parent->base->data : NULL;
	return tree != NULL ? tree->node.data : NULL;
}

static void xdg_get_geometry(struct view *view, struct wlr_box *box) {
	*box = xdg_view_from_view(view)->toplevel->base->geometry;
}

static void xdg_close(struct view *view) {
	wlr_xdg_toplevel_send_close(xdg_view_from_view(view)->toplevel);
}

static const struct view_impl xdg_view_impl = {
	.get_title = xdg_get_title,
	.get_app_id = xdg_get_app_id,
	.set_activated = xdg_set_activated,
	.configure = xdg_configure,
	.set_fullscreen = xdg_set_fullscreen,
	.set_maximized = xdg_set_maximized,
	.get_parent = xdg_get_parent,
	.get_geometry = xdg_get_geometry,
	.close = xdg_close,
};

static void handle_map(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, map);
	xdg->geometry_x = xdg->toplevel->base->geometry.x;
	xdg->geometry_y = xdg->toplevel->base->geometry.y;
	view_map(&xdg->base, xdg->base.scene_tree);
}

/*
 * A window geometry the client did not set is the bounding box of its
 * surfaces: a subsurface placed left of or above the others moves its
 * origin. The window's position is its geometry's, so it follows, and the
 * surfaces stay where they are instead of jumping the other way.
 */
static void follow_implicit_geometry(struct xdg_view *xdg) {
	struct wlr_xdg_surface *base = xdg->toplevel->base;
	int dx = base->geometry.x - xdg->geometry_x, dy = base->geometry.y - xdg->geometry_y;
	xdg->geometry_x = base->geometry.x;
	xdg->geometry_y = base->geometry.y;
	if ((dx == 0 && dy == 0) || !wlr_box_empty(&base->current.geometry) ||
			xdg->base.fullscreen || xdg->base.maximized) {
		return;
	}
	view_move(&xdg->base, xdg->base.x + dx, xdg->base.y + dy);
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, unmap);
	view_unmap(&xdg->base);
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, commit);
	struct wlr_xdg_toplevel *toplevel = xdg->toplevel;
	if (toplevel->base->initial_commit) {
		/* What pinhole's window management does (see view.h); clients hide the rest. */
		wlr_xdg_toplevel_set_wm_capabilities(toplevel,
			WLR_XDG_TOPLEVEL_WM_CAPABILITIES_MAXIMIZE |
			WLR_XDG_TOPLEVEL_WM_CAPABILITIES_MINIMIZE |
			WLR_XDG_TOPLEVEL_WM_CAPABILITIES_FULLSCREEN);
		/* Let the client pick its size, unless it asked for a state first. */
		if (toplevel->requested.fullscreen || toplevel->requested.maximized) {
			if (toplevel->requested.maximized) {
				view_set_maximized(&xdg->base, true);
			}
			if (toplevel->requested.fullscreen) {
				view_set_fullscreen(&xdg->base, true);
			}
		} else {
			wlr_xdg_toplevel_set_size(toplevel, 0, 0);
		}
		if (xdg->decoration != NULL) {
			wlr_xdg_toplevel_decoration_v1_set_mode(xdg->decoration->decoration,
				WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
		}
		return;
	}
	if (xdg->base.mapped) {
		follow_implicit_geometry(xdg);
	}
	view_committed(&xdg->base);
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, destroy);
	if (xdg->decoration != NULL) {
		xdg->decoration->view = NULL;
	}
	view_finish(&xdg->base);
	wl_list_remove(&xdg->map.link);
	wl_list_remove(&xdg->unmap.link);
	wl_list_remove(&xdg->commit.link);
	wl_list_remove(&xdg->destroy.link);
	wl_list_remove(&xdg->request_move.link);
	wl_list_remove(&xdg->request_resize.link);
	wl_list_remove(&xdg->request_maximize.link);
	wl_list_remove(&xdg->request_fullscreen.link);
	wl_list_remove(&xdg->request_minimize.link);
	wl_list_remove(&xdg->set_parent.link);
	wl_list_remove(&xdg->set_title.link);
	wl_list_remove(&xdg->set_app_id.link);
	free(xdg);
}

static void handle_request_move(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, request_move);
	seat_begin_interactive(xdg->base.server->seat, &xdg->base, SEAT_GRAB_MOVE, 0);
}

static void handle_request_resize(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, request_resize);
	struct wlr_xdg_toplevel_resize_event *event = data;
	seat_begin_interactive(xdg->base.server->seat, &xdg->base, SEAT_GRAB_RESIZE,
		event->edges);
}

static void handle_request_maximize(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, request_maximize);
	/* Before the initial commit, the request is applied then. */
	if (xdg->toplevel->base->initialized) {
		view_set_maximized(&xdg->base, xdg->toplevel->requested.maximized);
	}
}

static void handle_request_minimize(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, request_minimize);
	if (xdg->base.mapped && xdg->toplevel->requested.minimized) {
		view_set_minimized(&xdg->base, true);
	}
}

static void handle_set_parent(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, set_parent);
	view_parent_changed(&xdg->base);
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, request_fullscreen);
	if (xdg->toplevel->base->initialized) {
		view_set_fullscreen(&xdg->base, xdg->toplevel->requested.fullscreen);
	}
}

static void handle_set_title(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, set_title);
	view_update_identity(&xdg->base);
}

static void handle_set_app_id(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, set_app_id);
	view_update_identity(&xdg->base);
}

static void handle_new_toplevel(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, new_xdg_toplevel);
	struct wlr_xdg_toplevel *toplevel = data;

	struct xdg_view *xdg = calloc(1, sizeof(*xdg));
	if (xdg == NULL) {
		wl_resource_post_no_memory(toplevel->resource);
		return;
	}
	xdg->toplevel = toplevel;
	view_init(&xdg->base, server, VIEW_XDG, &xdg_view_impl, toplevel->base->surface);
	xdg->base.scene_tree = wlr_scene_xdg_surface_create(server->view_tree, toplevel->base);
	/* Popups find their parent's tree through the xdg_surface. */
	toplevel->base->data = xdg->base.scene_tree;
	xdg->base.scene_tree->node.data = &xdg->base;

	xdg->map.notify = handle_map;
	wl_signal_add(&toplevel->base->surface->events.map, &xdg->map);
	xdg->unmap.notify = handle_unmap;
	wl_signal_add(&toplevel->base->surface->events.unmap, &xdg->unmap);
	xdg->commit.notify = handle_commit;
	wl_signal_add(&toplevel->base->surface->events.commit, &xdg->commit);
	xdg->destroy.notify = handle_destroy;
	wl_signal_add(&toplevel->events.destroy, &xdg->destroy);
	xdg->request_move.notify = handle_request_move;
	wl_signal_add(&toplevel->events.request_move, &xdg->request_move);
	xdg->request_resize.notify = handle_request_resize;
	wl_signal_add(&toplevel->events.request_resize, &xdg->request_resize);
	xdg->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&toplevel->events.request_maximize, &xdg->request_maximize);
	xdg->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&toplevel->events.request_fullscreen, &xdg->request_fullscreen);
	xdg->request_minimize.notify = handle_request_minimize;
	wl_signal_add(&toplevel->events.request_minimize, &xdg->request_minimize);
	xdg->set_parent.notify = handle_set_parent;
	wl_signal_add(&toplevel->events.set_parent, &xdg->set_parent);
	xdg->set_title.notify = handle_set_title;
	wl_signal_add(&toplevel->events.set_title, &xdg->set_title);
	xdg->set_app_id.notify = handle_set_app_id;
	wl_signal_add(&toplevel->events.set_app_id, &xdg->set_app_id);
}

void xdg_popup_unconstrain(struct server *server, struct wlr_xdg_popup *popup) {
	/* The surface the chain of popups hangs from: a window or a layer surface. */
	struct wlr_surface *root = popup->parent;
	struct wlr_xdg_popup *parent_popup;
	while (root != NULL && (parent_popup = wlr_xdg_popup_try_from_wlr_surface(root)) != NULL) {
		root = parent_popup->parent;
	}
	if (root == NULL) {
		return;
	}
	root = wlr_surface_get_root_surface(root);
	int root_lx, root_ly;
	struct wlr_box area;
	struct view *view = view_from_surface(server, root);
	if (view != NULL) {
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		struct output *output = output_at(server, view->x + geo.x + geo.width / 2.0,
			view->y + geo.y + geo.height / 2.0);
		if (output == NULL) {
			return;
		}
		output_usable_area(server, output->wlr_output, &area);
		root_lx = view->x;
		root_ly = view->y;
	} else if (!layer_shell_popup_area(root, &root_lx, &root_ly, &area)) {
		return;
	}
	struct wlr_box box = {
		.x = area.x - root_lx,
		.y = area.y - root_ly,
		.width = area.width,
		.height = area.height,
	};
	wlr_xdg_popup_unconstrain_from_box(popup, &box);
}

static void handle_popup_commit(struct wl_listener *listener, void *data) {
	struct xdg_popup *popup = wl_container_of(listener, popup, commit);
	if (popup->popup->base->initial_commit) {
		xdg_popup_unconstrain(popup->server, popup->popup);
		wlr_xdg_surface_schedule_configure(popup->popup->base);
		return;
	}
	/* A popup's content belongs to the window whose tree it hangs in. */
	struct wlr_scene_tree *tree = popup->popup->base->data;
	while (tree != NULL && tree->node.data == NULL) {
		tree = tree->node.parent;
	}
	if (tree != NULL) {
		view_content_changed(tree->node.data);
	}
}

static void handle_popup_destroy(struct wl_listener *listener, void *data) {
	struct xdg_popup *popup = wl_container_of(listener, popup, destroy);
	wl_list_remove(&popup->commit.link);
	wl_list_remove(&popup->destroy.link);
	free(popup);
}

static void handle_new_popup(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, new_xdg_popup);
	struct wlr_xdg_popup *wlr_popup = data;
	struct wlr_xdg_surface *parent = wlr_popup->parent != NULL ?
		wlr_xdg_surface_try_from_wlr_surface(wlr_popup->parent) : NULL;
	if (parent == NULL || parent->data == NULL) {
		/*
		 * No parent yet: a layer surface adopts it with get_popup (layer_shell.c),
		 * or it never maps.
		 */
		return;
	}
	struct xdg_popup *popup = calloc(1, sizeof(*popup));
	if (popup == NULL) {
		return;
	}
	popup->server = server;
	popup->popup = wlr_popup;
	struct wlr_scene_tree *parent_tree = parent->data;
	wlr_popup->base->data = wlr_scene_xdg_surface_create(parent_tree, wlr_popup->base);

	popup->commit.notify = handle_popup_commit;
	wl_signal_add(&wlr_popup->base->surface->events.commit, &popup->commit);
	popup->destroy.notify = handle_popup_destroy;
	wl_signal_add(&wlr_popup->events.destroy, &popup->destroy);
}

/* Decorations: pinhole draws none, so it always asks for client-side ones. */

static void handle_decoration_request_mode(struct wl_listener *listener, void *data) {
	struct xdg_decoration *deco = wl_container_of(listener, deco, request_mode);
	if (deco->decoration->toplevel->base->initialized) {
		wlr_xdg_toplevel_decoration_v1_set_mode(deco->decoration,
			WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	}
}

static void handle_decoration_destroy(struct wl_listener *listener, void *data) {
	struct xdg_decoration *deco = wl_container_of(listener, deco, destroy);
	if (deco->view != NULL) {
		deco->view->decoration = NULL;
	}
	wl_list_remove(&deco->request_mode.link);
	wl_list_remove(&deco->destroy.link);
	free(deco);
}

static void handle_new_decoration(struct wl_listener *listener, void *data) {
	struct wlr_xdg_toplevel_decoration_v1 *decoration = data;
	struct xdg_decoration *deco = calloc(1, sizeof(*deco));
	if (deco == NULL) {
		return;
	}
	deco->decoration = decoration;
	deco->request_mode.notify = handle_decoration_request_mode;
	wl_signal_add(&decoration->events.request_mode, &deco->request_mode);
	deco->destroy.notify = handle_decoration_destroy;
	wl_signal_add(&decoration->events.destroy, &deco->destroy);
	/* The toplevel exists before its decoration, so its view does too. */
	struct wlr_scene_tree *tree = decoration->toplevel->base->data;
	if (tree != NULL && tree->node.data != NULL) {
		deco->view = xdg_view_from_view(tree->node.data);
		deco->view->decoration = deco;
	}
	handle_decoration_request_mode(&deco->request_mode, NULL);
}

void xdg_init(struct server *server) {
	server->xdg_shell = wlr_xdg_shell_create(server->display, 6);
	server->new_xdg_toplevel.notify = handle_new_toplevel;
	wl_signal_add(&server->xdg_shell->events.new_toplevel, &server->new_xdg_toplevel);
	server->new_xdg_popup.notify = handle_new_popup;
	wl_signal_add(&server->xdg_shell->events.new_popup, &server->new_xdg_popup);

	struct wlr_xdg_decoration_manager_v1 *decorations =
		wlr_xdg_decoration_manager_v1_create(server->display);
	server->new_toplevel_decoration.notify = handle_new_decoration;
	wl_signal_add(&decorations->events.new_toplevel_decoration,
		&server->new_toplevel_decoration);
}

void xdg_finish(struct server *server) {
	wl_list_remove(&server->new_xdg_toplevel.link);
	wl_list_remove(&server->new_xdg_popup.link);
	wl_list_remove(&server->new_toplevel_decoration.link);
}
