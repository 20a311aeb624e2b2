#include <assert.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>
#include "seat.h"
#include "server.h"
#include "view.h"
#include "xdg.h"

struct xdg_decoration;

struct xdg_view {
	struct view base;
	struct wlr_xdg_toplevel *toplevel;
	struct xdg_decoration *decoration; /* NULL unless the client asked for one */

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener commit;
	struct wl_listener destroy;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_listener request_maximize;
	struct wl_listener request_fullscreen;
	struct wl_listener set_title;
	struct wl_listener set_app_id;
};

struct xdg_popup {
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
	.get_geometry = xdg_get_geometry,
	.close = xdg_close,
};

static void handle_map(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, map);
	view_map(&xdg->base, xdg->base.scene_tree);
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, unmap);
	view_unmap(&xdg->base);
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct xdg_view *xdg = wl_container_of(listener, xdg, commit);
	struct wlr_xdg_toplevel *toplevel = xdg->toplevel;
	if (toplevel->base->initial_commit) {
		/* Let the client pick its size, unless it asked for fullscreen first. */
		if (toplevel->requested.fullscreen) {
			view_set_fullscreen(&xdg->base, true);
		} else {
			wlr_xdg_toplevel_set_size(toplevel, 0, 0);
		}
		if (xdg->decoration != NULL) {
			wlr_xdg_toplevel_decoration_v1_set_mode(xdg->decoration->decoration,
				WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
		}
		return;
	}
	view_content_changed(&xdg->base);
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
	/* Not supported; xdg-shell still requires a configure in reply. */
	struct xdg_view *xdg = wl_container_of(listener, xdg, request_maximize);
	if (xdg->toplevel->base->initialized) {
		wlr_xdg_surface_schedule_configure(xdg->toplevel->base);
	}
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
	xdg->set_title.notify = handle_set_title;
	wl_signal_add(&toplevel->events.set_title, &xdg->set_title);
	xdg->set_app_id.notify = handle_set_app_id;
	wl_signal_add(&toplevel->events.set_app_id, &xdg->set_app_id);
}

static void handle_popup_commit(struct wl_listener *listener, void *data) {
	struct xdg_popup *popup = wl_container_of(listener, popup, commit);
	if (popup->popup->base->initial_commit) {
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
	struct wlr_xdg_popup *wlr_popup = data;
	struct wlr_xdg_surface *parent = wlr_popup->parent != NULL ?
		wlr_xdg_surface_try_from_wlr_surface(wlr_popup->parent) : NULL;
	if (parent == NULL || parent->data == NULL) {
		/* Parentless popups (layer-shell) are not supported; leave them unmapped. */
		return;
	}
	struct xdg_popup *popup = calloc(1, sizeof(*popup));
	if (popup == NULL) {
		return;
	}
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
