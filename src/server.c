#include "config.h"
#include <signal.h>
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
#include "capture/capture.h"
#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"
#include "xdg.h"
#include "xwayland.h"

/* Globals that hand out other clients' pixels. Sandboxed clients never see them. */
static const char *const capture_interfaces[] = {
	"ext_image_copy_capture_manager_v1",
	"ext_output_image_capture_source_manager_v1",
	"ext_foreign_toplevel_image_capture_source_manager_v1",
	"zwlr_screencopy_manager_v1",
};

static bool is_capture_global(const struct wl_global *global) {
	const char *name = wl_global_get_interface(global)->name;
	for (size_t i = 0; i < sizeof(capture_interfaces) / sizeof(capture_interfaces[0]); i++) {
		if (strcmp(name, capture_interfaces[i]) == 0) {
			return true;
		}
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
		const struct wlr_security_context_v1_state *security =
			wlr_security_context_manager_v1_lookup_client(server->security_context,
				(struct wl_client *)client);
		return security == NULL;
	}
	return true;
}

static bool allow_capture(void *data, struct wl_client *client) {
	struct server *server = data;
	/* Defence in depth: sandboxed clients cannot bind the globals at all. */
	return wlr_security_context_manager_v1_lookup_client(server->security_context,
		client) == NULL;
}

static void request_output_frame(void *data, struct wlr_output *wlr_output, bool force) {
	struct server *server = data;
	struct output *output = output_from_wlr_output(server, wlr_output);
	if (output != NULL) {
		output_request_frame(output, force);
	}
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

static void handle_renderer_lost(struct wl_listener *listener, void *data) {
	struct server *server = wl_container_of(listener, server, renderer_lost);
	wlr_log(WLR_ERROR, "the GPU was reset; pinhole cannot recover the renderer yet");
	server_terminate(server, 1);
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
	wlr_idle_inhibit_v1_create(display);
	wlr_idle_notifier_v1_create(display);
	wlr_screencopy_manager_v1_create(display);
	server->security_context = wlr_security_context_manager_v1_create(display);
	server->foreign_toplevel_list = wlr_ext_foreign_toplevel_list_v1_create(display, 1);
	wl_display_set_global_filter(display, filter_global, server);
}

bool server_init(struct server *server, const struct options *options) {
	server->options = options;
	server->startup_pid = -1;
	/* Listeners start unlinked so server_finish() can run after a partial init. */
	struct wl_listener *listeners[] = {
		&server->new_output, &server->output_layout_change, &server->output_manager_apply,
		&server->output_manager_test, &server->new_xdg_toplevel, &server->new_xdg_popup,
		&server->new_toplevel_decoration, &server->renderer_lost,
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
	server->renderer_lost.notify = handle_renderer_lost;
	wl_signal_add(&server->renderer->events.lost, &server->renderer_lost);
	wlr_renderer_init_wl_display(server->renderer, server->display);
	server->allocator = wlr_allocator_autocreate(server->backend, server->renderer);
	if (server->allocator == NULL) {
		wlr_log(WLR_ERROR, "could not create an allocator");
		return false;
	}
	server->compositor = wlr_compositor_create(server->display, 6, server->renderer);

	server->output_layout = wlr_output_layout_create(server->display);
	server->scene = wlr_scene_create();
	server->scene_layout = wlr_scene_attach_output_layout(server->scene, server->output_layout);
	server->view_tree = wlr_scene_tree_create(&server->scene->tree);
	server->unmanaged_tree = wlr_scene_tree_create(&server->scene->tree);

	create_protocols(server);
	server->seat = seat_create(server);

	struct capture_config capture_config = {
		.display = server->display,
		.renderer = server->renderer,
		.allocator = server->allocator,
		.seat = seat_wlr_seat(server->seat),
		.cursor = seat_cursor(server->seat),
		.request_output_frame = request_output_frame,
		.allow_capture = allow_capture,
		.data = server,
	};
	if (!options->no_ext_capture) {
		server->capture = capture_create(&capture_config);
		if (server->capture == NULL) {
			return false;
		}
	}

	output_manager_init(server);
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
	if (!wlr_backend_start(server->backend)) {
		wlr_log(WLR_ERROR, "could not start the backend");
		return false;
	}
	if (server->headless_backend != NULL) {
		for (int i = 0; i < server->options->outputs; i++) {
			output_add_headless(server);
		}
	}
	setenv("WAYLAND_DISPLAY", server->socket, true);
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
	wl_list_remove(&server->renderer_lost.link);
	capture_destroy(server->capture);
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
	wl_display_destroy(server->display);
	wlr_allocator_destroy(server->allocator);
	wlr_renderer_destroy(server->renderer);
	server->display = NULL;
}
