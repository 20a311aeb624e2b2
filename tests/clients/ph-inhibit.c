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
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include "idle-inhibit-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

static struct {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zwp_idle_inhibit_manager_v1 *inhibit_manager;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct zwp_idle_inhibitor_v1 *inhibitor;
	struct wl_buffer *buffer;
	int width, height;
	uint32_t color;
	bool shown;
} app = {.width = 200, .height = 150, .color = 0x30c060};

static struct wl_buffer *create_buffer(void) {
	size_t size = (size_t)app.width * app.height * 4;
	int fd = memfd_create("ph-inhibit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("ph-inhibit: memfd");
		exit(1);
	}
	uint32_t *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("ph-inhibit: mmap");
		exit(1);
	}
	for (size_t i = 0; i < (size_t)app.width * app.height; i++) {
		data[i] = app.color | 0xff000000u;
	}
	munmap(data, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(app.shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, app.width, app.height,
		app.width * 4, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t time) {
	wl_callback_destroy(callback);
	if (!app.shown) {
		app.shown = true;
		printf("ready %dx%d\n", app.width, app.height);
		fflush(stdout);
	}
}

static const struct wl_callback_listener frame_listener = {.done = frame_done};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
	xdg_surface_ack_configure(xdg_surface, serial);
	if (app.buffer == NULL) {
		app.buffer = create_buffer();
	}
	wl_surface_attach(app.surface, app.buffer, 0, 0);
	wl_surface_damage_buffer(app.surface, 0, 0, app.width, app.height);
	struct wl_callback *callback = wl_surface_frame(app.surface);
	wl_callback_add_listener(callback, &frame_listener, NULL);
	wl_surface_commit(app.surface);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
		int32_t height, struct wl_array *states) {
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
	exit(0);
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		app.compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		app.shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		app.wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(app.wm_base, &wm_base_listener, NULL);
	} else if (strcmp(interface, zwp_idle_inhibit_manager_v1_interface.name) == 0) {
		app.inhibit_manager = wl_registry_bind(registry, name,
			&zwp_idle_inhibit_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void handle_command(const char *line) {
	if (strcmp(line, "release") == 0) {
		if (app.inhibitor != NULL) {
			zwp_idle_inhibitor_v1_destroy(app.inhibitor);
			app.inhibitor = NULL;
		}
		wl_display_roundtrip(app.display);
		printf("released\n");
		fflush(stdout);
	} else if (strcmp(line, "quit") == 0) {
		exit(0);
	}
}

int main(int argc, char *argv[]) {
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--size") == 0) {
			sscanf(argv[i + 1], "%dx%d", &app.width, &app.height);
		} else if (strcmp(argv[i], "--color") == 0) {
			app.color = (uint32_t)strtoul(argv[i + 1], NULL, 16);
		}
	}
	app.display = wl_display_connect(NULL);
	if (app.display == NULL) {
		fprintf(stderr, "ph-inhibit: cannot connect\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(app.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(app.display);
	if (app.compositor == NULL || app.shm == NULL || app.wm_base == NULL ||
			app.inhibit_manager == NULL) {
		fprintf(stderr, "ph-inhibit: the compositor lacks idle-inhibit-unstable-v1\n");
		return 1;
	}
	app.surface = wl_compositor_create_surface(app.compositor);
	app.inhibitor = zwp_idle_inhibit_manager_v1_create_inhibitor(app.inhibit_manager,
		app.surface);
	app.xdg_surface = xdg_wm_base_get_xdg_surface(app.wm_base, app.surface);
	xdg_surface_add_listener(app.xdg_surface, &xdg_surface_listener, NULL);
	app.toplevel = xdg_surface_get_toplevel(app.xdg_surface);
	xdg_toplevel_add_listener(app.toplevel, &toplevel_listener, NULL);
	xdg_toplevel_set_app_id(app.toplevel, "ph-inhibit");
	wl_surface_commit(app.surface);

	char line[256];
	size_t len = 0;
	for (;;) {
		wl_display_flush(app.display);
		struct pollfd fds[2] = {
			{.fd = wl_display_get_fd(app.display), .events = POLLIN},
			{.fd = STDIN_FILENO, .events = POLLIN},
		};
		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			return 1;
		}
		if ((fds[0].revents & (POLLIN | POLLHUP)) && wl_display_dispatch(app.display) < 0) {
			return 1;
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(STDIN_FILENO, line + len, sizeof(line) - len - 1);
			if (n <= 0) {
				return 0;
			}
			len += (size_t)n;
			line[len] = '\0';
			char *nl;
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				handle_command(line);
				len -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, len + 1);
			}
		}
	}
}
