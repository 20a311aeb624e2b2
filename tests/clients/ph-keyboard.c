/*
 * ph-keyboard: a virtual keyboard (zwp_virtual_keyboard_v1) that stays
 * plugged in until stdin closes. A headless seat has no keyboard, so without
 * it every short-lived typing client (wlrctl keyboard type) adds and removes
 * the seat's keyboard capability, and the keys race the clients' new
 * wl_keyboard objects. Prints 'ready' once the compositor has the keymap.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "virtual-keyboard-unstable-v1-client-protocol.h"

static struct wl_seat *seat;
static struct zwp_virtual_keyboard_manager_v1 *manager;

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (strcmp(interface, wl_seat_interface.name) == 0 && seat == NULL) {
		seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0) {
		manager = wl_registry_bind(registry, name,
			&zwp_virtual_keyboard_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

int main(void) {
	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		fprintf(stderr, "ph-keyboard: cannot connect\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(display);
	if (seat == NULL || manager == NULL) {
		fprintf(stderr, "ph-keyboard: no seat or no zwp_virtual_keyboard_manager_v1\n");
		return 2;
	}
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = context != NULL ?
		xkb_keymap_new_from_names(context, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	char *text = keymap != NULL ? xkb_keymap_get_as_string(keymap, XKB_KEYMAP_FORMAT_TEXT_V1) :
		NULL;
	if (text == NULL) {
		fprintf(stderr, "ph-keyboard: no keymap\n");
		return 1;
	}
	size_t size = strlen(text) + 1;
	int fd = memfd_create("ph-keyboard-keymap", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, size) != (ssize_t)size) {
		perror("ph-keyboard: keymap");
		return 1;
	}
	struct zwp_virtual_keyboard_v1 *keyboard =
		zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(manager, seat);
	zwp_virtual_keyboard_v1_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd,
		(uint32_t)size);
	close(fd);
	free(text);
	xkb_keymap_unref(keymap);
	xkb_context_unref(context);
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "ph-keyboard: the compositor refused the keyboard\n");
		return 3;
	}
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
	}
	zwp_virtual_keyboard_v1_destroy(keyboard);
	zwp_virtual_keyboard_manager_v1_destroy(manager);
	wl_proxy_destroy((struct wl_proxy *)seat);
	wl_registry_destroy(registry);
	wl_display_roundtrip(display);
	wl_display_disconnect(display);
	return 0;
}
