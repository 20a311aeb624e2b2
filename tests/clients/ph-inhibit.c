/*
 * ph-inhibit: a window that asks, through idle-inhibit-unstable-v1, that the
 * session not go idle while it is visible (as a video player does).
 *
 *   ph-inhibit [--size WxH] [--color 0xRRGGBB]
 *
 * stdout: "ready WxH" once the window was shown (its first frame callback),
 * with the inhibitor in place. stdin: "release" (destroys the inhibitor,
 * replies "released" after a roundtrip), "quit".
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>
#include "client-common.h"
#include "idle-inhibit-unstable-v1-client-protocol.h"

static struct client client = {.program = "ph-inhibit"};

static struct {
	struct zwp_idle_inhibit_manager_v1 *inhibit_manager;
	struct client_window window;
	struct zwp_idle_inhibitor_v1 *inhibitor;
	bool shown;
} app = {.window = {.width = 200, .height = 150, .format = WL_SHM_FORMAT_XRGB8888,
	.color = 0x30c060}};

static void frame_done(void *data, struct wl_callback *callback, uint32_t time) {
	wl_callback_destroy(callback);
	if (!app.shown) {
		app.shown = true;
		reply("ready %dx%d", app.window.width, app.window.height);
	}
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

/* Every configure shows the window again, and its first frame says "ready". */
static void window_handle_configure(struct client_window *window, bool first) {
	wl_surface_attach(window->surface, client_solid_buffer(&client, window->width,
		window->height, window->format, window->color | 0xff000000u), 0, 0);
	wl_surface_damage_buffer(window->surface, 0, 0, window->width, window->height);
	struct wl_callback *callback = wl_surface_frame(window->surface);
	wl_callback_add_listener(callback, &frame_listener, NULL);
	wl_surface_commit(window->surface);
}

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, zwp_idle_inhibit_manager_v1_interface.name) == 0) {
		app.inhibit_manager = wl_registry_bind(registry, name,
			&zwp_idle_inhibit_manager_v1_interface, 1);
	}
}

static void handle_command(void *data, char *line) {
	if (strcmp(line, "release") == 0) {
		if (app.inhibitor != NULL) {
			zwp_idle_inhibitor_v1_destroy(app.inhibitor);
			app.inhibitor = NULL;
		}
		wl_display_roundtrip(client.display);
		reply("released");
	} else if (strcmp(line, "quit") == 0) {
		exit(0);
	}
}

int main(int argc, char *argv[]) {
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--size") == 0) {
			sscanf(argv[i + 1], "%dx%d", &app.window.width, &app.window.height);
		} else if (strcmp(argv[i], "--color") == 0) {
			app.window.color = (uint32_t)strtoul(argv[i + 1], NULL, 16);
		}
	}
	client.bind_global = bind_global;
	client_connect(&client);
	if (client.compositor == NULL || client.shm == NULL || client.wm_base == NULL ||
			app.inhibit_manager == NULL) {
		client_fail("the compositor lacks idle-inhibit-unstable-v1");
	}
	app.window.handle_configure = window_handle_configure;
	client_window_create(&app.window, &client, "ph-inhibit", NULL);
	app.inhibitor = zwp_idle_inhibit_manager_v1_create_inhibitor(app.inhibit_manager,
		app.window.surface);

	switch (client_run(client.display, &client.running, handle_command, NULL)) {
	case CLIENT_RUN_POLL_FAILED:
	case CLIENT_RUN_CONNECTION_FAILED:
		return 1;
	case CLIENT_RUN_STOPPED:
	case CLIENT_RUN_STDIN_CLOSED:
		break;
	}
	return 0;
}
