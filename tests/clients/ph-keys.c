/*
 * ph-keys: a virtual keyboard (zwp_virtual_keyboard_v1) that stays while it
 * runs, so clients have their wl_keyboard before a test types, and types
 * what stdin says.
 *
 * stdin: "key CODE" (evdev code, pressed and released), "mods alt|none" (the
 * modifier state a virtual keyboard reports itself), "quit".
 * stdout: "hello" once the keyboard exists, "typed CODE" once the compositor
 * has the key (after a roundtrip), "mods" likewise.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"

/*
 * virtual-keyboard-unstable-v1, written out by hand: its XML is not
 * installed with wlroots or wayland-protocols, and three requests do.
 */
static const struct wl_interface virtual_keyboard_interface;
static const struct wl_interface *types[] = {
	NULL, NULL, NULL, NULL, &wl_seat_interface, &virtual_keyboard_interface,
};
static const struct wl_message manager_requests[] = {
	{"create_virtual_keyboard", "on", types + 4},
};
static const struct wl_interface manager_interface = {
	"zwp_virtual_keyboard_manager_v1", 1, 1, manager_requests, 0, NULL,
};
enum { KEYBOARD_KEYMAP = 0, KEYBOARD_KEY = 1, KEYBOARD_MODIFIERS = 2, KEYBOARD_DESTROY = 3 };
static const struct wl_message keyboard_requests[] = {
	{"keymap", "uhu", types},
	{"key", "uuu", types},
	{"modifiers", "uuuuu", types},
	{"destroy", "", types},
};
static const struct wl_interface virtual_keyboard_interface = {
	"zwp_virtual_keyboard_v1", 1, 4, keyboard_requests, 0, NULL,
};

static struct client client = {.program = "ph-keys"};
static struct wl_proxy *manager;

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, manager_interface.name) == 0) {
		manager = wl_registry_bind(registry, name, &manager_interface, 1);
	}
}

int main(void) {
	client.bind_global = bind_global;
	client_connect(&client);
	struct wl_display *display = client.display;
	if (client.seat == NULL || manager == NULL) {
		client_fail("the compositor lacks zwp_virtual_keyboard_manager_v1");
	}
	int fd;
	uint32_t size;
	struct xkb_keymap *keymap = client_keymap(&client, NULL, &fd, &size);
	struct wl_proxy *keyboard = wl_proxy_marshal_flags(manager, 0,
		&virtual_keyboard_interface, 1, 0, client.seat, NULL);
	wl_proxy_marshal_flags(keyboard, KEYBOARD_KEYMAP, NULL, 1, 0,
		XKB_KEYMAP_FORMAT_TEXT_V1, fd, size);
	wl_display_roundtrip(display);
	close(fd);
	xkb_mod_index_t alt_index = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_ALT);
	uint32_t alt = alt_index == XKB_MOD_INVALID ? 0 : 1u << alt_index;
	xkb_keymap_unref(keymap);
	printf("hello\n");
	fflush(stdout);

	char line[128];
	uint32_t time = 0;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		unsigned code;
		if (strncmp(line, "mods ", 5) == 0) {
			uint32_t depressed = strncmp(line + 5, "alt", 3) == 0 ? alt : 0;
			wl_proxy_marshal_flags(keyboard, KEYBOARD_MODIFIERS, NULL, 1, 0, depressed,
				0u, 0u, 0u);
			if (wl_display_roundtrip(display) < 0) {
				return 1;
			}
			printf("mods\n");
			fflush(stdout);
		} else if (sscanf(line, "key %u", &code) == 1) {
			wl_proxy_marshal_flags(keyboard, KEYBOARD_KEY, NULL, 1, 0, time++, code,
				WL_KEYBOARD_KEY_STATE_PRESSED);
			wl_proxy_marshal_flags(keyboard, KEYBOARD_KEY, NULL, 1, 0, time++, code,
				WL_KEYBOARD_KEY_STATE_RELEASED);
			if (wl_display_roundtrip(display) < 0) {
				return 1;
			}
			printf("typed %u\n", code);
			fflush(stdout);
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		}
	}
	wl_proxy_marshal_flags(keyboard, KEYBOARD_DESTROY, NULL, 1, WL_MARSHAL_FLAG_DESTROY);
	wl_display_roundtrip(display);
	wl_proxy_destroy(manager);
	wl_seat_destroy(client.seat);
	wl_registry_destroy(client.registry);
	wl_display_disconnect(display);
	return 0;
}
