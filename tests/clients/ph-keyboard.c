/*
 * ph-keyboard: a virtual keyboard (zwp_virtual_keyboard_v1) that stays
 * plugged in until stdin closes. A headless seat has no keyboard, so without
 * it every short-lived typing client (wlrctl keyboard type) adds and removes
 * the seat's keyboard capability, and the keys race the clients' new
 * wl_keyboard objects. Prints 'ready' once the compositor has the keymap.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"
#include "virtual-keyboard-unstable-v1-client-protocol.h"

static struct client client = {.program = "ph-keyboard"};
static struct zwp_virtual_keyboard_manager_v1 *manager;

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0) {
		manager = wl_registry_bind(registry, name,
			&zwp_virtual_keyboard_manager_v1_interface, 1);
	}
}

int main(void) {
	client.bind_global = bind_global;
	client_connect(&client);
	struct wl_display *display = client.display;
	if (client.seat == NULL || manager == NULL) {
		fprintf(stderr, "ph-keyboard: no seat or no zwp_virtual_keyboard_manager_v1\n");
		return 2;
	}
	int fd;
	uint32_t size;
	struct xkb_keymap *keymap = client_keymap(&client, NULL, &fd, &size);
	struct zwp_virtual_keyboard_v1 *keyboard =
		zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(manager, client.seat);
	zwp_virtual_keyboard_v1_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, size);
	close(fd);
	xkb_keymap_unref(keymap);
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
	wl_seat_destroy(client.seat);
	wl_registry_destroy(client.registry);
	wl_display_roundtrip(display);
	wl_display_disconnect(display);
	return 0;
}
