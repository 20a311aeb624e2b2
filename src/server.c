#include "config.h"
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/multi.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_data_control_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_ext_data_control_v1.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_fractional_scale_v1.h>
#include <wlr/types/wlr_idle_inhibit_v1.h>
#include <wlr/types/wlr_idle_notify_v1.h>
#include <wlr/types/wlr_layer_shell_v1.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_screencopy_v1.h>
#include <wlr/types/wlr_security_context_v1.h>
#include <wlr/types/wlr_single_pixel_buffer_v1.h>
#include <wlr/types/wlr_subcompositor.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_xdg_output_v1.h>
#include <wlr/util/log.h>
#if HAVE_XWAYLAND
#include <wlr/xwayland.h>
#include <wlr/xwayland/shell.h>
#endif
#include "activation.h"
#include "capture/capture.h"
#include "drm_lease.h"
#include "idle.h"
#include "layer_shell.h"
#include "foreign_toplevel.h"
#include "output.h"
#include "output_power.h"
#include "policy.h"
#include "renderer_recovery.h"
#include "seat.h"
#include "server.h"
#include "step_clock.h"
#include "session_lock.h"
#include "view.h"
#include "vt_switch.h"
#include "xdg.h"
#include "xwayland.h"

/* Globals that hand out other clients' pixels: the capture policy decides who sees them. */
static const char *const capture_interfaces[] = {
	"ext_image_copy_capture_manager_v1",
	"ext_output_image_capture_source_manager_v1",
	"ext_foreign_toplevel_image_capture_source_manager_v1",
	"zwlr_screencopy_manager_v1",
	/* Every window's title and app id: only for sandboxed apps that may capture them. */
	"ext_foreign_toplevel_list_v1",
};

/*
 * Globals no sandboxed (wp-security-context-v1) client may see: they inject
 * input, read other clients' data, or control the session and its outputs.
 * By interface name, so that a global is covered the moment pinhole offers
 * it. docs/permissions.md has this table; test-sandbox checks every entry.
 */
static const char *const privileged_interfaces[] = {
	"zwp_virtual_keyboard_manager_v1",
	"zwlr_virtual_pointer_manager_v1",
	"zwlr_data_control_manager_v1",
	"ext_data_control_manager_v1",
	"zwlr_output_manager_v1",
	"zwlr_output_power_manager_v1",
	"zwlr_gamma_control_manager_v1",
	"zwlr_export_dmabuf_manager_v1",
	"zwlr_foreign_toplevel_manager_v1",
	"zwp_input_method_manager_v2",
	"zwp_input_method_v1",
	"zwp_input_panel_v1",
	"ext_session_lock_manager_v1",
	"zwlr_layer_shell_v1",
	"zwp_keyboard_shortcuts_inhibit_manager_v1",
	"ext_transient_seat_manager_v1",
	"wp_security_context_manager_v1", /* contexts do not nest */
	"wp_drm_lease_device_v1", /* takes a display (a VR headset) for itself */
};

static bool name_in(const struct wl_global *global, const char *const *names, size_t len) {
	const char *name = wl_global_get_interface(global)->name;
	for (size_t i = 0; i < len; i++) {
		if (strcmp(name, names[i]) == 0) {
			return true;
		}
	}
	return false;
}

static bool is_capture_global(const struct wl_global *global) {
	return name_in(global, capture_interfaces,
		sizeof(capture_interfaces) / sizeof(capture_interfaces[0]));
}

static bool is_privileged_global(const struct wl_global *global) {
	return name_in(global, privileged_interfaces,
		sizeof(privileged_interfaces) / sizeof(privileged_interfaces[0]));
}

/*
 * What the capture policy knows of a client, worked out on its first request
 * that needs it (its get_registry, in practice) and kept until it disconnects.
 * Not earlier: wlroots attaches the security-context state just after
 * wl_client_create() has announced the client. The executable is read from
 * /proc once, so a client that execs something else after connecting keeps
 * the verdict of the program that connected; for clients that run as our user
 * this is advisory anyway (see include/policy.h).
 */
struct client_policy {
	struct wl_listener destroy;
	enum policy_verdict verdict;
	bool sandboxed;
	bool hidden_logged; /* the filter logs hidden globals once per client */
	char who[PATH_MAX + 512]; /* "pid 42 (/usr/bin/grim)" for logs */
	char why[PATH_MAX + 512]; /* the deciding rule, or the default */
};

static void client_policy_handle_destroy(struct wl_listener *listener, void *data) {
	struct client_policy *client_policy = wl_container_of(listener, client_policy, destroy);
	wl_list_remove(&client_policy->destroy.link);
	free(client_policy);
}

static void client_policy_decide(struct server *server, struct client_policy *client_policy,
		struct wl_client *client) {
	pid_t pid = 0;
	wl_client_get_credentials(client, &pid, NULL, NULL);
	const struct wlr_security_context_v1_state *security =
		wlr_security_context_manager_v1_lookup_client(server->security_context, client);
	char exe[PATH_MAX];
	struct policy_client identity = {
		.sandboxed = security != NULL,
		.engine = security != NULL ? security->sandbox_engine : NULL,
		.app_id = security != NULL ? security->app_id : NULL,
		.exe = policy_exe_of_pid(pid, exe, sizeof(exe)) ? exe : NULL,
	};
	client_policy->sandboxed = identity.sandboxed;
	if (identity.sandboxed) {
		snprintf(client_policy->who, sizeof(client_policy->who),
			"pid %d (sandboxed: engine %s, app-id %s)", (int)pid,
			identity.engine ? identity.engine : "(none)",
			identity.app_id ? identity.app_id : "(none)");
	} else {
		snprintf(client_policy->who, sizeof(client_policy->who), "pid %d (%s)", (int)pid,
			identity.exe ? identity.exe : "executable unknown");
	}

	if (server->policy == NULL) {
		/* No policy given (pinhole always gives one): the built-in defaults. */
		client_policy->verdict = identity.sandboxed ? POLICY_DENY : POLICY_ALLOW;
		snprintf(client_policy->why, sizeof(client_policy->why), "no policy");
		return;
	}
	const struct policy_rule *rule =
		policy_decide(server->policy, &identity, &client_policy->verdict);
	if (rule != NULL) {
		snprintf(client_policy->why, sizeof(client_policy->why), "rule '%s' (%s)",
			rule->text, rule->origin);
	} else {
		policy_default_reason(server->policy, &identity, client_policy->why,
			sizeof(client_policy->why));
	}
	wlr_log(WLR_DEBUG, "policy: client %s: capture %s by %s", client_policy->who,
		client_policy->verdict == POLICY_ALLOW ? "allowed" : "denied", client_policy->why);
}

/* NULL only when out of memory; callers then deny. */
static struct client_policy *client_policy_get(struct server *server,
		const struct wl_client *const_client) {
	/* libwayland's filter hands a const client; nothing here modifies it but the listener. */
	struct wl_client *client = (struct wl_client *)const_client;
	struct wl_listener *listener =
		wl_client_get_destroy_listener(client, client_policy_handle_destroy);
	if (listener != NULL) {
		struct client_policy *client_policy;
		return wl_container_of(listener, client_policy, destroy);
	}
	struct client_policy *client_policy = calloc(1, sizeof(*client_policy));
	if (client_policy == NULL) {
		wlr_log(WLR_ERROR, "policy: out of memory, denying capture");
		return NULL;
	}
	client_policy_decide(server, client_policy, client);
	client_policy->destroy.notify = client_policy_handle_destroy;
	wl_client_add_destroy_listener(client, &client_policy->destroy);
	return client_policy;
}

/*
 * Whether a client may see a capture global. Sandboxed clients the policy
 * denies see none of them (the default for every sandboxed client). Other
 * denied clients still see the ext-image-copy-capture globals, where every
 * session they create is stopped at once, but not wlr-screencopy, which
 * wlroots implements without a per-client hook: hiding it is all we can do.
 */
static bool capture_global_visible(struct server *server, const struct wl_client *client,
		const struct wl_global *global) {
	struct client_policy *client_policy = client_policy_get(server, client);
	if (client_policy == NULL) {
		return false;
	}
	if (client_policy->verdict == POLICY_ALLOW) {
		return true;
	}
	bool screencopy = strcmp(wl_global_get_interface(global)->name,
		"zwlr_screencopy_manager_v1") == 0;
	if (!client_policy->sandboxed && !screencopy) {
		return true;
	}
	if (!client_policy->hidden_logged) {
		client_policy->hidden_logged = true;
		wlr_log(WLR_INFO, "policy: hiding %s from client %s: %s",
			client_policy->sandboxed ? "the capture globals" : "zwlr_screencopy_manager_v1",
			client_policy->who, client_policy->why);
	}
	return false;
}

static bool filter_global(const struct wl_client *client, const struct wl_global *global,
		void *data) {
	struct server *server = data;
#if HAVE_XWAYLAND
	/* xwayland_shell_v1 is for the Xwayland server only. */
	if (server->xwayland != NULL) {
		struct wlr_xwayland *xwl = xwayland_get_wlr(server->xwayland);
		if (xwl->shell_v1 != NULL && global == xwl->shell_v1->global) {
			return xwl->server != NULL && client == xwl->server->client;
		}
	}
#endif
	if (is_capture_global(global)) {
		return capture_global_visible(server, client, global);
	}
	if (is_privileged_global(global)) {
		return server->security_context == NULL ||
			wlr_security_context_manager_v1_lookup_client(server->security_context,
				client) == NULL;
	}
	return true;
}

static const char *capture_request_name(enum capture_request request) {
	switch (request) {
	case CAPTURE_REQUEST_OUTPUT_SESSION:
		return "an output capture session";
	case CAPTURE_REQUEST_TOPLEVEL_SESSION:
		return "a toplevel capture session";
	case CAPTURE_REQUEST_CURSOR_SESSION:
		return "a cursor capture session";
	case CAPTURE_REQUEST_TOPLEVEL_SOURCE:
		return "a toplevel capture source";
	}
	return "a capture request";
}

static bool allow_capture(void *data, struct wl_client *client, enum capture_request request) {
	struct server *server = data;
	struct client_policy *client_policy = client_policy_get(server, client);
	if (client_policy != NULL && client_policy->verdict == POLICY_ALLOW) {
		return true;
	}
	wlr_log(WLR_INFO, "policy: denied %s to client %s: %s", capture_request_name(request),
		client_policy != NULL ? client_policy->who : "?",
		client_policy != NULL ? client_policy->why : "out of memory");
	return false;
}

static void frame_held(void *data, struct wl_client *client) {
	struct server *server = data;
	struct client_policy *client_policy = client_policy_get(server, client);
	wlr_log(WLR_INFO, "policy: holding a toplevel capture frame of client %s until the "
		"session is unlocked", client_policy != NULL ? client_policy->who : "?");
}

static void request_output_frame(void *data, struct wlr_output *wlr_output, bool force) {
	struct server *server = data;
	struct output *output = output_from_wlr_output(server, wlr_output);
	if (output != NULL) {
		output_request_frame(output, force);
	}
}

static bool step_output(void *data, struct wlr_output *wlr_output) {
	struct server *server = data;
	struct output *output = output_from_wlr_output(server, wlr_output);
	if (output == NULL || output->clock == NULL) {
		return false;
	}
	output_clock_step(output->clock);
	return true;
}

static bool step_toplevel(void *data, struct wlr_ext_foreign_toplevel_handle_v1 *handle) {
	struct server *server = data;
	struct view *view = handle->data;
	struct wlr_output *wlr_output = view != NULL ? view_output(view) : NULL;
	return wlr_output != NULL && step_output(server, wlr_output);
}

static int handle_terminate_signal(int signal, void *data) {
	struct server *server = data;
	wlr_log(WLR_INFO, "caught signal %d, shutting down", signal);
	server_terminate(server, 0);
	return 0;
}

static int handle_sigusr1(int signal, void *data) {
	output_add_headless(data);
	return 0;
}

static int handle_sigusr2(int signal, void *data) {
	output_remove_last(data);
	return 0;
}

void server_terminate(struct server *server, int exit_code) {
	server->exit_code = exit_code;
	wl_display_terminate(server->display);
}

static struct wlr_backend *create_backend(struct server *server) {
	const struct options *opts = server->options;
	char outputs[16];
	snprintf(outputs, sizeof(outputs), "%d", opts->outputs);
	setenv("WLR_WL_OUTPUTS", outputs, true);
	setenv("WLR_X11_OUTPUTS", outputs, true);

	enum backend_choice choice = opts->backend;
	if (choice == BACKEND_HEADLESS) {
		goto headless;
	}
	switch (choice) {
	case BACKEND_DRM:
		setenv("WLR_BACKENDS", "drm,libinput", true);
		break;
	case BACKEND_WAYLAND:
		setenv("WLR_BACKENDS", "wayland", true);
		break;
	case BACKEND_X11:
		setenv("WLR_BACKENDS", "x11", true);
		break;
	default:
		break;
	}
	struct wlr_backend *backend = wlr_backend_autocreate(server->event_loop, &server->session);
	if (backend != NULL || choice != BACKEND_AUTO) {
		if (backend == NULL) {
			wlr_log(WLR_ERROR, "could not start the requested backend");
		}
		return backend;
	}
	wlr_log(WLR_INFO, "no display and no seat: running headless");

headless:
	server->headless_backend = wlr_headless_backend_create(server->event_loop);
	if (server->headless_backend == NULL) {
		return NULL;
	}
	backend = wlr_multi_backend_create(server->event_loop);
	wlr_multi_backend_add(backend, server->headless_backend);
	return backend;
}

static void create_protocols(struct server *server) {
	struct wl_display *display = server->display;
	wlr_subcompositor_create(display);
	wlr_data_device_manager_create(display);
	wlr_primary_selection_v1_device_manager_create(display);
	wlr_data_control_manager_v1_create(display);
	wlr_ext_data_control_manager_v1_create(display, 1);
	wlr_xdg_output_manager_v1_create(display, server->output_layout);
	wlr_presentation_create(display, server->backend, 2);
	wlr_viewporter_create(display);
	wlr_single_pixel_buffer_manager_v1_create(display);
	wlr_fractional_scale_manager_v1_create(display, 1);
	wlr_screencopy_manager_v1_create(display);
	server->security_context = wlr_security_context_manager_v1_create(display);
	server->drm_lease = drm_lease_create(server);
	server->foreign_toplevel_list = wlr_ext_foreign_toplevel_list_v1_create(display, 1);
	foreign_toplevel_manager_init(server);
	server->activation = activation_create(server);
	wl_display_set_global_filter(display, filter_global, server);
}

bool server_init(struct server *server, const struct options *options) {
	server->options = options;
	/* Listeners start unlinked so server_finish() can run after a partial init. */
	struct wl_listener *listeners[] = {
		&server->new_output, &server->output_layout_change, &server->output_manager_apply,
		&server->output_manager_test, &server->new_xdg_toplevel, &server->new_xdg_popup,
		&server->new_toplevel_decoration,
	};
	for (size_t i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++) {
		wl_list_init(&listeners[i]->link);
	}
	wl_list_init(&server->outputs);
	wl_list_init(&server->views);
	server->display = wl_display_create();
	server->event_loop = wl_display_get_event_loop(server->display);

	server->backend = create_backend(server);
	if (server->backend == NULL) {
		wlr_log(WLR_ERROR, "could not create a backend");
		return false;
	}
	server->renderer = wlr_renderer_autocreate(server->backend);
	if (server->renderer == NULL) {
		wlr_log(WLR_ERROR, "could not create a renderer");
		return false;
	}
	server->renderer_recovery = renderer_recovery_create(server);
	wlr_renderer_init_wl_display(server->renderer, server->display);
	server->allocator = wlr_allocator_autocreate(server->backend, server->renderer);
	if (server->allocator == NULL) {
		wlr_log(WLR_ERROR, "could not create an allocator");
		return false;
	}
	server->compositor = wlr_compositor_create(server->display, 6, server->renderer);

	server->output_layout = wlr_output_layout_create(server->display);
	server->scene = wlr_scene_create();
	struct wlr_scene_tree *root = &server->scene->tree;
	server->layer_trees[ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND] = wlr_scene_tree_create(root);
	server->layer_trees[ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM] = wlr_scene_tree_create(root);
	server->view_tree = wlr_scene_tree_create(root);
	server->unmanaged_tree = wlr_scene_tree_create(root);
	server->layer_trees[ZWLR_LAYER_SHELL_V1_LAYER_TOP] = wlr_scene_tree_create(root);
	server->fullscreen_tree = wlr_scene_tree_create(root);
	server->layer_trees[ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY] = wlr_scene_tree_create(root);
	server->layer_popup_tree = wlr_scene_tree_create(root);
	/* A session lock's tree goes here, above everything else. */

	create_protocols(server);
	server->idle = idle_create(server);
	server->output_power = output_power_create(server);
	server->seat = seat_create(server);
	server->layer_shell = layer_shell_create(server);
	if (server->layer_shell == NULL) {
		wlr_log(WLR_ERROR, "could not create the layer shell");
		return false;
	}

	struct capture_config capture_config = {
		.display = server->display,
		.renderer = server->renderer,
		.allocator = server->allocator,
		.seat = seat_wlr_seat(server->seat),
		.cursor = seat_cursor(server->seat),
		.request_output_frame = request_output_frame,
		.step_output = step_output,
		.step_toplevel = step_toplevel,
		.allow_capture = allow_capture,
		.frame_held = frame_held,
		.data = server,
	};
	if (!options->no_ext_capture) {
		server->capture = capture_create(&capture_config);
		if (server->capture == NULL) {
			return false;
		}
	}

	output_manager_init(server);
	server->session_lock = session_lock_create(server);
	server->vt_switch = vt_switch_create(server);
	if (server->idle == NULL || server->output_power == NULL || server->session_lock == NULL) {
		wlr_log(WLR_ERROR, "could not create the session lock, idle or output power globals");
		return false;
	}
	server->new_output.notify = output_handle_new;
	wl_signal_add(&server->backend->events.new_output, &server->new_output);
	xdg_init(server);
#if HAVE_XWAYLAND
	server->xwayland = xwayland_create(server);
#endif

	server->sigint_source = wl_event_loop_add_signal(server->event_loop, SIGINT,
		handle_terminate_signal, server);
	server->sigterm_source = wl_event_loop_add_signal(server->event_loop, SIGTERM,
		handle_terminate_signal, server);
	server->sigusr1_source = wl_event_loop_add_signal(server->event_loop, SIGUSR1,
		handle_sigusr1, server);
	server->sigusr2_source = wl_event_loop_add_signal(server->event_loop, SIGUSR2,
		handle_sigusr2, server);
	return true;
}

bool server_start(struct server *server) {
	server->socket = wl_display_add_socket_auto(server->display);
	if (server->socket == NULL) {
		wlr_log(WLR_ERROR, "could not open a Wayland socket (is XDG_RUNTIME_DIR set?)");
		return false;
	}
	if (!server_start_backend(server)) {
		return false;
	}
	setenv("WAYLAND_DISPLAY", server->socket, true);
	return true;
}

bool server_start_backend(struct server *server) {
	if (!wlr_backend_start(server->backend)) {
		wlr_log(WLR_ERROR, "could not start the backend");
		return false;
	}
	if (server->headless_backend != NULL) {
		for (int i = 0; i < server->options->outputs; i++) {
			output_add_headless(server);
		}
	}
	return true;
}

void server_finish(struct server *server) {
	if (server->display == NULL) {
		return;
	}
	/* Clients go first so that their objects release compositor state. */
	wl_display_destroy_clients(server->display);
#if HAVE_XWAYLAND
	xwayland_destroy(server->xwayland);
	server->xwayland = NULL;
#endif
	xdg_finish(server);
	/* Its scene trees and output listeners go while the scene and outputs exist. */
	session_lock_destroy(server->session_lock);
	server->session_lock = NULL;
	layer_shell_destroy(server->layer_shell);
	server->layer_shell = NULL;
	/* The seat listens to the backend's input devices: it goes first. */
	seat_destroy(server->seat);
	server->seat = NULL;
	wl_list_remove(&server->new_output.link);
	if (server->backend != NULL) {
		/* Destroys the outputs, whose handlers release their capture state. */
		wlr_backend_destroy(server->backend);
	}
	wl_list_remove(&server->output_manager_apply.link);
	wl_list_remove(&server->output_manager_test.link);
	wl_list_remove(&server->output_layout_change.link);
	renderer_recovery_destroy(server->renderer_recovery);
	vt_switch_destroy(server->vt_switch);
	server->vt_switch = NULL;
	server->renderer_recovery = NULL;
	capture_destroy(server->capture);
	idle_destroy(server->idle);
	output_power_destroy(server->output_power);
	struct wl_event_source *sources[] = {
		server->sigint_source, server->sigterm_source,
		server->sigusr1_source, server->sigusr2_source,
	};
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (sources[i] != NULL) {
			wl_event_source_remove(sources[i]);
		}
	}
	if (server->scene != NULL) {
		wlr_scene_node_destroy(&server->scene->tree.node);
	}
	activation_destroy(server->activation);
	server->activation = NULL;
	wl_display_destroy(server->display);
	server->drm_lease = NULL; /* went with the display */
	wlr_allocator_destroy(server->allocator);
	wlr_renderer_destroy(server->renderer);
	server->display = NULL;
}
