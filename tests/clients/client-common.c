#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "client-common.h"

/* For the messages of helpers that are not handed the client. */
static const char *program = "client";

void reply(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

void client_fail(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	exit(1);
}

void client_fail_errno(const char *what) {
	client_fail("%s: %s", what, strerror(errno));
}

void client_noop_pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface) {
}

void client_noop_pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
		wl_fixed_t x, wl_fixed_t y) {
}

void client_noop_pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
}

void client_noop_pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
		uint32_t axis, wl_fixed_t value) {
}

void client_noop_pointer_frame(void *data, struct wl_pointer *pointer) {
}

void client_noop_pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source) {
}

void client_noop_pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
		uint32_t axis) {
}

void client_noop_pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
		int32_t discrete) {
}

void client_noop_keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
		int32_t fd, uint32_t size) {
	close(fd);
}

void client_noop_keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group) {
}

void client_noop_keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
		int32_t delay) {
}

void client_noop_seat_name(void *data, struct wl_seat *seat, const char *name) {
}

void client_noop_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

void client_noop_toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
		int32_t height, struct wl_array *states) {
}

void client_noop_toplevel_close(void *data, struct xdg_toplevel *toplevel) {
}

void client_noop_toplevel_configure_bounds(void *data, struct xdg_toplevel *toplevel,
		int32_t width, int32_t height) {
}

void client_noop_toplevel_wm_capabilities(void *data, struct xdg_toplevel *toplevel,
		struct wl_array *capabilities) {
}

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_handle_ping,
};

static void seat_handle_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
	struct client *client = data;
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && client->pointer_listener != NULL &&
			client->pointer == NULL) {
		client->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(client->pointer, client->pointer_listener, NULL);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && client->keyboard_listener != NULL &&
			client->keyboard == NULL) {
		client->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(client->keyboard, client->keyboard_listener, NULL);
	}
	if (client->handle_seat_capabilities != NULL) {
		client->handle_seat_capabilities(caps);
	}
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_handle_capabilities,
	.name = client_noop_seat_name,
};

static void shm_handle_format(void *data, struct wl_shm *shm, uint32_t format) {
	struct client *client = data;
	if (client->shm_format_count < CLIENT_MAX_SHM_FORMATS) {
		client->shm_formats[client->shm_format_count++] = format;
	}
}

static const struct wl_shm_listener shm_listener = {
	.format = shm_handle_format,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct client *client = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		client->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(client->shm, &shm_listener, client);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && client->seat == NULL) {
		client->seat = wl_registry_bind(registry, name, &wl_seat_interface,
			version < 5 ? version : 5);
		wl_seat_add_listener(client->seat, &seat_listener, client);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		uint32_t wanted = client->wm_base_version > 0 ? client->wm_base_version : 1;
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface,
			version < wanted ? version : wanted);
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, NULL);
	} else if (strcmp(interface, wl_output_interface.name) == 0) {
		if (client->output_count < CLIENT_MAX_OUTPUTS) {
			client->outputs[client->output_count++] = wl_registry_bind(registry, name,
				&wl_output_interface, 1);
		}
	} else if (client->bind_global != NULL) {
		client->bind_global(registry, name, interface, version);
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = client_noop_global_remove,
};

void client_connect(struct client *client) {
	program = client->program;
	client->running = true;
	wl_list_init(&client->buffers);
	client->display = wl_display_connect(NULL);
	if (client->display == NULL) {
		client_fail("cannot connect to the compositor");
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	wl_display_roundtrip(client->display);
}

struct solid_buffer {
	struct wl_list link; /* client.buffers */
	struct wl_buffer *wl_buffer;
};

static void solid_buffer_destroy(struct solid_buffer *buffer) {
	wl_buffer_destroy(buffer->wl_buffer);
	wl_list_remove(&buffer->link);
	free(buffer);
}

void client_disconnect(struct client *client) {
	struct solid_buffer *buffer, *tmp;
	wl_list_for_each_safe(buffer, tmp, &client->buffers, link) {
		solid_buffer_destroy(buffer);
	}
	if (client->pointer != NULL) {
		wl_pointer_destroy(client->pointer);
	}
	if (client->keyboard != NULL) {
		wl_keyboard_destroy(client->keyboard);
	}
	for (int i = 0; i < client->output_count; i++) {
		wl_output_destroy(client->outputs[i]);
	}
	if (client->wm_base != NULL) {
		xdg_wm_base_destroy(client->wm_base);
	}
	if (client->seat != NULL) {
		wl_seat_destroy(client->seat);
	}
	if (client->shm != NULL) {
		wl_shm_destroy(client->shm);
	}
	if (client->compositor != NULL) {
		wl_compositor_destroy(client->compositor);
	}
	wl_registry_destroy(client->registry);
	wl_display_disconnect(client->display);
}

void client_report_protocol_error(struct wl_display *display) {
	const struct wl_interface *interface = NULL;
	uint32_t id;
	uint32_t code = wl_display_get_protocol_error(display, &interface, &id);
	reply("protocol-error %s %u", interface != NULL ? interface->name : "?", code);
}

int client_memfd(struct client *client, const void *data, size_t size) {
	int fd = memfd_create(client->program, MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		client_fail_errno("memfd");
	}
	if (data != NULL && pwrite(fd, data, size, 0) != (ssize_t)size) {
		client_fail_errno("write");
	}
	return fd;
}

struct xkb_keymap *client_keymap(struct client *client, const struct xkb_rule_names *names,
		int *fd, uint32_t *size) {
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = context != NULL ?
		xkb_keymap_new_from_names(context, names, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	/* The keymap holds its own reference to the context. */
	xkb_context_unref(context);
	char *text = keymap != NULL ?
		xkb_keymap_get_as_string(keymap, XKB_KEYMAP_FORMAT_TEXT_V1) : NULL;
	if (text == NULL) {
		client_fail("no keymap");
	}
	*size = (uint32_t)strlen(text) + 1;
	*fd = client_memfd(client, text, *size);
	free(text);
	return keymap;
}

static void buffer_handle_release(void *data, struct wl_buffer *wl_buffer) {
	solid_buffer_destroy(data);
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

struct wl_buffer *client_solid_buffer(struct client *client, int width, int height,
		uint32_t format, uint32_t color) {
	size_t size = (size_t)width * height * 4;
	int fd = client_memfd(client, NULL, size);
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		client_fail_errno("mmap");
	}
	for (size_t i = 0; i < size / 4; i++) {
		pixels[i] = color;
	}
	munmap(pixels, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(client->shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
		format);
	wl_shm_pool_destroy(pool);
	close(fd);
	struct solid_buffer *entry = calloc(1, sizeof(*entry));
	if (entry == NULL) {
		client_fail_errno("calloc");
	}
	entry->wl_buffer = buffer;
	wl_list_insert(&client->buffers, &entry->link);
	wl_buffer_add_listener(buffer, &buffer_listener, entry);
	return buffer;
}

static void window_configure_default(struct client_window *window, bool first) {
	if (first) {
		wl_surface_attach(window->surface, client_solid_buffer(window->client,
			window->width, window->height, window->format, window->color), 0, 0);
		wl_surface_commit(window->surface);
		wl_display_roundtrip(window->client->display);
		reply("ready");
	} else {
		wl_surface_commit(window->surface);
	}
}

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct client_window *window = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	bool first = !window->configured;
	window->configured = true;
	if (window->handle_configure != NULL) {
		window->handle_configure(window, first);
	} else {
		window_configure_default(window, first);
	}
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void toplevel_handle_close(void *data, struct xdg_toplevel *toplevel) {
	struct client_window *window = data;
	window->client->running = false;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = client_noop_toplevel_configure,
	.close = toplevel_handle_close,
	.configure_bounds = client_noop_toplevel_configure_bounds,
	.wm_capabilities = client_noop_toplevel_wm_capabilities,
};

void client_window_create(struct client_window *window, struct client *client,
		const char *app_id, const char *title) {
	window->client = client;
	window->surface = wl_compositor_create_surface(client->compositor);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	xdg_toplevel_set_app_id(window->toplevel, app_id);
	if (title != NULL) {
		xdg_toplevel_set_title(window->toplevel, title);
	}
	wl_surface_commit(window->surface);
}

enum client_run_end client_run(struct wl_display *display, const bool *running,
		void (*handle_line)(void *data, char *line), void *data) {
	char line[1024];
	size_t len = 0;
	while (*running) {
		/* Events a roundtrip read along with its answer wait in the queue: not in poll. */
		while (wl_display_prepare_read(display) != 0) {
			if (wl_display_dispatch_pending(display) < 0) {
				return CLIENT_RUN_CONNECTION_FAILED;
			}
		}
		wl_display_flush(display);
		struct pollfd fds[2] = {
			{.fd = wl_display_get_fd(display), .events = POLLIN},
			{.fd = handle_line != NULL ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (poll(fds, 2, -1) < 0) {
			wl_display_cancel_read(display);
			if (errno == EINTR) {
				continue;
			}
			return CLIENT_RUN_POLL_FAILED;
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (wl_display_read_events(display) < 0) {
				return CLIENT_RUN_CONNECTION_FAILED;
			}
		} else {
			wl_display_cancel_read(display);
		}
		if (wl_display_dispatch_pending(display) < 0) {
			return CLIENT_RUN_CONNECTION_FAILED;
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(STDIN_FILENO, line + len, sizeof(line) - len - 1);
			if (n <= 0) {
				return CLIENT_RUN_STDIN_CLOSED;
			}
			len += (size_t)n;
			line[len] = '\0';
			char *nl;
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				handle_line(data, line);
				/* Report an error the command caused at once, before the next
				 * command runs on a dead connection. */
				wl_display_flush(display);
				if (wl_display_get_error(display) != 0) {
					return CLIENT_RUN_CONNECTION_FAILED;
				}
				len -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, len + 1);
			}
		}
	}
	return CLIENT_RUN_STOPPED;
}

int client_main_loop(struct wl_display *display, const bool *running,
		void (*handle_line)(void *data, char *line), void *data) {
	switch (client_run(display, running, handle_line, data)) {
	case CLIENT_RUN_POLL_FAILED:
		return 1;
	case CLIENT_RUN_CONNECTION_FAILED:
		client_report_protocol_error(display);
		return 3;
	case CLIENT_RUN_STOPPED:
	case CLIENT_RUN_STDIN_CLOSED:
		break;
	}
	return 0;
}
