#ifndef PINHOLE_SERVER_H
#define PINHOLE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_scene.h>
#include "config.h"
#include "options.h"

struct idle;
struct output_power;
struct config;
struct pinhole_capture;
struct layer_shell;
struct policy;
struct seat;
struct session_lock;
struct xwayland;
struct activation;
struct renderer_recovery;
struct vt_switch;
struct drm_lease;

/*
 * The compositor: one per process. Each concern (outputs, views, seat,
 * XWayland, capture) keeps its own state in its own struct and hangs off this.
 */
struct server {
	struct wl_display *display;
	struct wl_event_loop *event_loop;
	const struct options *options;
	const char *socket;

	struct wlr_backend *backend;
	struct wlr_backend *headless_backend; /* NULL unless headless outputs can be added */
	struct wlr_session *session;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_compositor *compositor;

	struct wlr_scene *scene;
	/* Bottom to top: the order of these trees in the scene is the stacking order. */
	struct wlr_scene_tree *layer_trees[4]; /* layer-shell, by zwlr_layer_shell_v1 layer */
	struct wlr_scene_tree *view_tree; /* toplevel windows, between bottom and top */
	struct wlr_scene_tree *unmanaged_tree; /* X11 override-redirect windows */
	struct wlr_scene_tree *fullscreen_tree; /* fullscreen windows: over top, under overlay */
	struct wlr_scene_tree *layer_popup_tree; /* popups of layer surfaces */
	struct wlr_output_layout *output_layout;
	struct wl_list outputs; /* struct output.link */
	struct wlr_output_manager_v1 *output_manager;

	struct wl_list views; /* struct view.link, most recently focused first */
	struct wlr_xdg_shell *xdg_shell;
	struct wlr_ext_foreign_toplevel_list_v1 *foreign_toplevel_list;
	struct wlr_foreign_toplevel_manager_v1 *foreign_toplevel_manager;
	struct activation *activation; /* xdg-activation-v1 */

	struct seat *seat;
	struct layer_shell *layer_shell;
	struct xwayland *xwayland;
	struct pinhole_capture *capture;
	struct session_lock *session_lock;
	struct idle *idle;
	struct output_power *output_power;
	struct renderer_recovery *renderer_recovery; /* follows GPU resets */
	struct vt_switch *vt_switch; /* follows the libseat session; NULL without one */
	struct drm_lease *drm_lease; /* wp-drm-lease-v1; NULL without a DRM backend */
	struct wlr_security_context_manager_v1 *security_context;
	/* Who may capture; set (and destroyed) by the caller of server_init(). */
	struct policy *policy;
	/* The configuration file's settings; policy is its policy. Owned by main(). */
	struct config *config;
	int64_t exit_requested_ms; /* first press of the exit binding, CLOCK_MONOTONIC */

	struct wl_event_source *sigint_source, *sigterm_source;
	struct wl_event_source *sigusr1_source, *sigusr2_source;
	int exit_code;

	struct wl_listener new_output;
	struct wl_listener output_layout_change;
	struct wl_listener output_manager_apply;
	struct wl_listener output_manager_test;
	struct wl_listener new_xdg_toplevel;
	struct wl_listener new_xdg_popup;
	struct wl_listener new_toplevel_decoration;
};

bool server_init(struct server *server, const struct options *options);
bool server_start(struct server *server);
/* The backend and its outputs without a listening socket: for embedders that hand
 * out client connections themselves (wl_client_create). server_start() calls it. */
bool server_start_backend(struct server *server);
void server_finish(struct server *server);
void server_terminate(struct server *server, int exit_code);

#endif
