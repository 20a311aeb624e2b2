#include <assert.h>
#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "seat.h"
#include "server.h"
#include "view.h"

/* New windows cascade from the top-left corner of the layout. */
#define VIEW_CASCADE_STEP 32

void view_init(struct view *view, struct server *server, enum view_type type,
		const struct view_impl *impl, struct wlr_surface *surface) {
	view->server = server;
	view->type = type;
	view->impl = impl;
	view->surface = surface;
	wl_list_init(&view->link);
}

void view_finish(struct view *view) {
	if (view->mapped) {
		view_unmap(view);
	}
	wl_list_remove(&view->link);
}

static void foreign_toplevel_state(struct view *view,
		struct wlr_ext_foreign_toplevel_handle_v1_state *state) {
	*state = (struct wlr_ext_foreign_toplevel_handle_v1_state){
		.title = view->impl->get_title(view),
		.app_id = view->impl->get_app_id(view),
	};
}

static int mapped_view_count(struct server *server) {
	int count = 0;
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		count++;
	}
	return count;
}

void view_map(struct view *view, struct wlr_scene_tree *tree) {
	struct server *server = view->server;
	view->scene_tree = tree;
	tree->node.data = view;

	if (!view->fullscreen) {
		struct wlr_box layout;
		wlr_output_layout_get_box(server->output_layout, NULL, &layout);
		int step = VIEW_CASCADE_STEP * (mapped_view_count(server) % 8);
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		/* Place the window's geometry (not its shadow) at the cascade point. */
		view_move(view, layout.x + step - geo.x, layout.y + step - geo.y);
	}

	wl_list_insert(&server->views, &view->link);
	view->mapped = true;

	struct wlr_ext_foreign_toplevel_handle_v1_state state;
	foreign_toplevel_state(view, &state);
	view->foreign_toplevel = wlr_ext_foreign_toplevel_handle_v1_create(
		server->foreign_toplevel_list, &state);
	if (view->foreign_toplevel != NULL) {
		view->foreign_toplevel->data = view;
		view->capture = capture_toplevel_create(server->capture,
			view->foreign_toplevel, view->scene_tree);
	}
	wlr_log(WLR_DEBUG, "view '%s' (%s) mapped", state.title ? state.title : "",
		state.app_id ? state.app_id : "");
	view_focus(view);
}

void view_unmap(struct view *view) {
	struct server *server = view->server;
	view->mapped = false;
	if (view->capture != NULL) {
		capture_toplevel_destroy(view->capture);
		view->capture = NULL;
	}
	if (view->foreign_toplevel != NULL) {
		wlr_ext_foreign_toplevel_handle_v1_destroy(view->foreign_toplevel);
		view->foreign_toplevel = NULL;
	}
	wl_list_remove(&view->link);
	wl_list_init(&view->link);
	seat_view_unmapped(server->seat, view);
	/* Hand focus to the next window, as users expect after a close. */
	if (!wl_list_empty(&server->views)) {
		struct view *next = wl_container_of(server->views.next, next, link);
		view_focus(next);
	}
}

void view_focus(struct view *view) {
	struct server *server = view->server;
	struct wlr_seat *wlr_seat = seat_wlr_seat(server->seat);
	struct wlr_surface *prev = wlr_seat->keyboard_state.focused_surface;
	if (prev == view->surface) {
		return;
	}
	if (prev != NULL) {
		struct view *prev_view = view_from_surface(server, prev);
		if (prev_view != NULL) {
			prev_view->impl->set_activated(prev_view, false);
		}
	}
	wlr_scene_node_raise_to_top(&view->scene_tree->node);
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
	view->impl->set_activated(view, true);
	seat_focus_surface(server->seat, view->surface);
}

void view_move(struct view *view, int x, int y) {
	view->x = x;
	view->y = y;
	if (view->scene_tree != NULL) {
		wlr_scene_node_set_position(&view->scene_tree->node, x, y);
	}
	view->impl->configure(view, x, y, 0, 0);
	if (view->mapped) {
		seat_pointer_rebase(view->server->seat);
	}
}

void view_set_fullscreen(struct view *view, bool fullscreen) {
	struct server *server = view->server;
	if (view->fullscreen == fullscreen) {
		view->impl->set_fullscreen(view, fullscreen);
		return;
	}
	view->fullscreen = fullscreen;
	view->impl->set_fullscreen(view, fullscreen);
	if (fullscreen) {
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		view->saved_box = (struct wlr_box){view->x + geo.x, view->y + geo.y,
			geo.width, geo.height};
		/* The output the window is on, or the first one. */
		struct wlr_output *wlr_output = wlr_output_layout_output_at(
			server->output_layout, view->x + geo.x + geo.width / 2.0,
			view->y + geo.y + geo.height / 2.0);
		struct wlr_box box;
		wlr_output_layout_get_box(server->output_layout, wlr_output, &box);
		view->x = box.x;
		view->y = box.y;
		if (view->scene_tree != NULL) {
			wlr_scene_node_set_position(&view->scene_tree->node, box.x, box.y);
		}
		view->impl->configure(view, box.x, box.y, box.width, box.height);
	} else {
		view->x = view->saved_box.x;
		view->y = view->saved_box.y;
		if (view->scene_tree != NULL) {
			wlr_scene_node_set_position(&view->scene_tree->node, view->x, view->y);
		}
		view->impl->configure(view, view->x, view->y,
			view->saved_box.width, view->saved_box.height);
	}
}

void view_update_identity(struct view *view) {
	if (view->foreign_toplevel == NULL) {
		return;
	}
	struct wlr_ext_foreign_toplevel_handle_v1_state state;
	foreign_toplevel_state(view, &state);
	wlr_ext_foreign_toplevel_handle_v1_update_state(view->foreign_toplevel, &state);
}

void view_content_changed(struct view *view) {
	if (view->capture != NULL) {
		capture_toplevel_content_changed(view->capture);
	}
}

struct view *view_at(struct server *server, double lx, double ly,
		struct wlr_surface **surface, double *sx, double *sy) {
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->tree.node, lx, ly, sx, sy);
	if (node == NULL || node->type != WLR_SCENE_NODE_BUFFER) {
		return NULL;
	}
	struct wlr_scene_buffer *scene_buffer = wlr_scene_buffer_from_node(node);
	struct wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(scene_buffer);
	if (scene_surface == NULL) {
		return NULL;
	}
	*surface = scene_surface->surface;
	/* The view's tree is the nearest ancestor that carries the view. */
	struct wlr_scene_tree *tree = node->parent;
	while (tree != NULL && tree->node.data == NULL) {
		tree = tree->node.parent;
	}
	return tree != NULL ? tree->node.data : NULL;
}

void view_cycle_focus(struct server *server) {
	if (wl_list_length(&server->views) < 2) {
		return;
	}
	/* Focus the least recently focused window, as Alt+Tab cycling does. */
	struct view *last = wl_container_of(server->views.prev, last, link);
	view_focus(last);
}

struct view *view_from_surface(struct server *server, struct wlr_surface *surface) {
	struct wlr_surface *root = wlr_surface_get_root_surface(surface);
	struct view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->surface == root) {
			return view;
		}
	}
	return NULL;
}
