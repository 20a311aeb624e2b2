/*
 * ph-locker: an ext-session-lock-v1 client for tests. It locks the session,
 * gives every output (also outputs that appear later) a lock surface of one
 * colour, and unlocks when told to on stdin, the way a screen locker does
 * once the password was right. It can also break each rule of the protocol.
 *
 *   ph-locker [--color 0xRRGGBB] [--no-surfaces] [--ignore-new-outputs]
 *             [--input] [--misbehave MODE]
 *
 * stdout: "configure N WxH" (lock surface of the N-th output), "mapped N"
 * (its first buffer committed and seen by the compositor), "locked",
 * "finished", with --input the pointer and keyboard events it receives
 * ("pointer-enter X Y", "pointer-button CODE pressed|released", "key CODE
 * pressed|released", "keyboard-enter N" with N the output of the surface), and "protocol-error INTERFACE CODE"
 * (then exit 3) if the compositor disconnects it with an error.
 * stdin: "unlock" (unlock_and_destroy and a roundtrip, "unlocked", exit 0),
 * "quit" (exit without unlocking, as a crash would).
 *
 * MODE: unlock-early (unlock_and_destroy before `locked`), destroy-locked
 * (destroy after `locked`), duplicate-output, role (a surface that is a
 * subsurface), already-constructed (a surface with a buffer),
 * commit-before-ack, wrong-size, bad-serial, null-buffer.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "ext-session-lock-v1-client-protocol.h"

#define MAX_OUTPUTS 8

struct lock_output {
	struct wl_output *output;
	uint32_t name;
	int index;
	struct wl_surface *surface;
	struct ext_session_lock_surface_v1 *lock_surface;
	struct wl_buffer *buffer;
	int width, height;
	bool mapped;
};

static struct {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	struct ext_session_lock_manager_v1 *manager;
	struct ext_session_lock_v1 *lock;
	struct lock_output outputs[MAX_OUTPUTS];
	int output_count;
	bool locked;
	uint32_t color;
	bool no_surfaces, ignore_new_outputs, input;
	const char *misbehave;
	bool started; /* the lock was requested: new outputs get surfaces at once */
} app = {.color = 0xff2040a0};

static bool misbehave(const char *mode) {
	return app.misbehave != NULL && strcmp(app.misbehave, mode) == 0;
}

/*
 * A destructor request sent without destroying our proxy: libwayland can then
 * still name the object the compositor's error is about.
 */
static void send_keeping_proxy(struct ext_session_lock_v1 *lock, uint32_t opcode) {
	wl_proxy_marshal_flags((struct wl_proxy *)lock, opcode, NULL,
		wl_proxy_get_version((struct wl_proxy *)lock), 0);
}

static struct wl_buffer *create_buffer(int width, int height) {
	size_t size = (size_t)width * height * 4;
	int fd = memfd_create("ph-locker", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("ph-locker: memfd");
		exit(1);
	}
	uint32_t *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("ph-locker: mmap");
		exit(1);
	}
	for (size_t i = 0; i < (size_t)width * height; i++) {
		data[i] = app.color | 0xff000000u;
	}
	munmap(data, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(app.shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

static void handle_mapped(void *data, struct wl_callback *callback, uint32_t time) {
	struct lock_output *output = data;
	wl_callback_destroy(callback);
	if (!output->mapped) {
		output->mapped = true;
		reply("mapped %d", output->index);
	}
}

static const struct wl_callback_listener mapped_listener = {.done = handle_mapped};

static void lock_surface_configure(void *data, struct ext_session_lock_surface_v1 *lock_surface,
		uint32_t serial, uint32_t width, uint32_t height) {
	struct lock_output *output = data;
	reply("configure %d %ux%u", output->index, width, height);
	if (misbehave("bad-serial")) {
		ext_session_lock_surface_v1_ack_configure(lock_surface, serial + 1000);
		return;
	}
	if (misbehave("commit-before-ack")) {
		wl_surface_attach(output->surface, create_buffer((int)width, (int)height), 0, 0);
		wl_surface_commit(output->surface);
		return;
	}
	ext_session_lock_surface_v1_ack_configure(lock_surface, serial);
	if (misbehave("null-buffer")) {
		wl_surface_commit(output->surface);
		return;
	}
	int w = (int)width, h = (int)height;
	if (misbehave("wrong-size")) {
		w += 1;
	}
	if (w != output->width || h != output->height || output->buffer == NULL) {
		if (output->buffer != NULL) {
			wl_buffer_destroy(output->buffer);
		}
		output->buffer = create_buffer(w, h);
		output->width = w;
		output->height = h;
	}
	wl_surface_attach(output->surface, output->buffer, 0, 0);
	wl_surface_damage_buffer(output->surface, 0, 0, w, h);
	/* A frame callback fires once the compositor has shown the buffer. */
	struct wl_callback *callback = wl_surface_frame(output->surface);
	wl_callback_add_listener(callback, &mapped_listener, output);
	wl_surface_commit(output->surface);
}

static const struct ext_session_lock_surface_v1_listener lock_surface_listener = {
	.configure = lock_surface_configure,
};

static void create_lock_surface(struct lock_output *output) {
	output->surface = wl_compositor_create_surface(app.compositor);
	if (misbehave("role")) {
		struct wl_surface *parent = wl_compositor_create_surface(app.compositor);
		wl_subcompositor_get_subsurface(app.subcompositor, output->surface, parent);
	}
	if (misbehave("already-constructed")) {
		wl_surface_attach(output->surface, create_buffer(16, 16), 0, 0);
		wl_surface_commit(output->surface);
	}
	output->lock_surface = ext_session_lock_v1_get_lock_surface(app.lock, output->surface,
		output->output);
	ext_session_lock_surface_v1_add_listener(output->lock_surface, &lock_surface_listener,
		output);
	if (misbehave("duplicate-output")) {
		struct wl_surface *second = wl_compositor_create_surface(app.compositor);
		ext_session_lock_v1_get_lock_surface(app.lock, second, output->output);
	}
}

static void lock_locked(void *data, struct ext_session_lock_v1 *lock) {
	app.locked = true;
	reply("locked");
	if (misbehave("destroy-locked")) {
		send_keeping_proxy(lock, EXT_SESSION_LOCK_V1_DESTROY);
		app.lock = NULL;
	}
}

static void lock_finished(void *data, struct ext_session_lock_v1 *lock) {
	reply("finished");
}

static const struct ext_session_lock_v1_listener lock_listener = {
	.locked = lock_locked,
	.finished = lock_finished,
};

/* Input: what reaches us while the session is locked. */

static void pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y) {
	reply("pointer-enter %d %d", wl_fixed_to_int(x), wl_fixed_to_int(y));
}

static void pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface) {
	reply("pointer-leave");
}

static void pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
	reply("pointer-button %u %s", button,
		state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_enter,
	.leave = pointer_leave,
	.motion = client_noop_pointer_motion,
	.button = pointer_button,
	.axis = client_noop_pointer_axis,
	.frame = client_noop_pointer_frame,
	.axis_source = client_noop_pointer_axis_source,
	.axis_stop = client_noop_pointer_axis_stop,
	.axis_discrete = client_noop_pointer_axis_discrete,
};

static int output_of_surface(struct wl_surface *surface) {
	for (int i = 0; i < app.output_count; i++) {
		if (app.outputs[i].surface == surface) {
			return i;
		}
	}
	return -1;
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	reply("keyboard-enter %d", output_of_surface(surface));
}

static void keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	reply("keyboard-leave");
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	reply("key %u %s", key, state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = client_noop_keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = client_noop_keyboard_modifiers,
	.repeat_info = client_noop_keyboard_repeat_info,
};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && app.pointer == NULL) {
		app.pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(app.pointer, &pointer_listener, NULL);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && app.keyboard == NULL) {
		app.keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(app.keyboard, &keyboard_listener, NULL);
	}
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = client_noop_seat_name,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		app.compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_subcompositor_interface.name) == 0) {
		app.subcompositor = wl_registry_bind(registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		app.shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && app.input &&
			app.seat == NULL) {
		app.seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
		wl_seat_add_listener(app.seat, &seat_listener, NULL);
	} else if (strcmp(interface, ext_session_lock_manager_v1_interface.name) == 0) {
		app.manager = wl_registry_bind(registry, name, &ext_session_lock_manager_v1_interface,
			1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 &&
			app.output_count < MAX_OUTPUTS) {
		if (app.started && app.ignore_new_outputs) {
			return;
		}
		struct lock_output *output = &app.outputs[app.output_count];
		output->index = app.output_count++;
		output->name = name;
		output->output = wl_registry_bind(registry, name, &wl_output_interface, 1);
		if (app.started && !app.no_surfaces && app.lock != NULL) {
			create_lock_surface(output);
		}
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
	for (int i = 0; i < app.output_count; i++) {
		struct lock_output *output = &app.outputs[i];
		if (output->name == name && output->lock_surface != NULL) {
			/* The protocol recommends it; the compositor has destroyed its side already. */
			ext_session_lock_surface_v1_destroy(output->lock_surface);
			output->lock_surface = NULL;
		}
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void handle_command(void *data, char *line) {
	if (strcmp(line, "unlock") == 0) {
		if (app.lock != NULL) {
			ext_session_lock_v1_unlock_and_destroy(app.lock);
			app.lock = NULL;
		}
		/* Unlocking is asynchronous: be sure the compositor has it before exiting. */
		if (wl_display_roundtrip(app.display) < 0) {
			return;
		}
		reply("unlocked");
		exit(0);
	} else if (strcmp(line, "quit") == 0) {
		exit(0);
	} else {
		reply("error unknown command '%s'", line);
	}
}

static int parse_args(int argc, char *argv[]) {
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(arg, "--color") == 0 && value != NULL) {
			app.color = (uint32_t)strtoul(value, NULL, 16);
			i++;
		} else if (strcmp(arg, "--misbehave") == 0 && value != NULL) {
			app.misbehave = value;
			i++;
		} else if (strcmp(arg, "--no-surfaces") == 0) {
			app.no_surfaces = true;
		} else if (strcmp(arg, "--ignore-new-outputs") == 0) {
			app.ignore_new_outputs = true;
		} else if (strcmp(arg, "--input") == 0) {
			app.input = true;
		} else {
			fprintf(stderr, "usage: ph-locker [--color 0xRRGGBB] [--no-surfaces] "
				"[--ignore-new-outputs] [--input] [--misbehave MODE]\n");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char *argv[]) {
	if (parse_args(argc, argv) < 0) {
		return 2;
	}
	app.display = wl_display_connect(NULL);
	if (app.display == NULL) {
		fprintf(stderr, "ph-locker: cannot connect to the compositor\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(app.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(app.display);
	if (app.manager == NULL || app.compositor == NULL || app.shm == NULL) {
		fprintf(stderr, "ph-locker: the compositor lacks ext-session-lock-v1\n");
		return 1;
	}
	app.lock = ext_session_lock_manager_v1_lock(app.manager);
	ext_session_lock_v1_add_listener(app.lock, &lock_listener, NULL);
	app.started = true;
	if (misbehave("unlock-early")) {
		send_keeping_proxy(app.lock, EXT_SESSION_LOCK_V1_UNLOCK_AND_DESTROY);
		app.lock = NULL;
	}
	for (int i = 0; i < app.output_count && !app.no_surfaces && app.lock != NULL; i++) {
		create_lock_surface(&app.outputs[i]);
	}

	bool running = true;
	enum client_run_end end = client_run(app.display, &running, handle_command, NULL);
	if (end == CLIENT_RUN_STDIN_CLOSED) {
		/* A locker that keeps the lock until killed. */
		client_run(app.display, &running, NULL, NULL);
	} else if (end == CLIENT_RUN_CONNECTION_FAILED) {
		const struct wl_interface *interface = NULL;
		uint32_t id;
		uint32_t code = wl_display_get_protocol_error(app.display, &interface, &id);
		if (interface != NULL) {
			reply("protocol-error %s %u", interface->name, code);
			return 3;
		}
		reply("disconnected");
	}
	return 1;
}
