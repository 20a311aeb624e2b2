/*
 * ph-keycombo: presses key combinations through a virtual keyboard
 * (zwp-virtual-keyboard-v1) with the default XKB keymap (us), the way
 * wayvnc or wtype do, so that tests can fire compositor bindings.
 *
 *   ph-keycombo COMBO...     COMBO: "Super+Shift+Return", "Print", "Ctrl+Print"
 *                        (modifiers Super, Shift, Ctrl, Alt; then a keysym name)
 *   ph-keycombo -          the same, one COMBO a line on stdin, with one keyboard
 *                        that stays until stdin ends (so that clients keep
 *                        their wl_keyboard between combinations); prints
 *                        "ready" once the keyboard exists
 *
 * Each combination is pressed and released, modifiers first; a roundtrip
 * after each makes sure the compositor has handled it. Prints "sent COMBO"
 * for each, exits 0; 1 with a message on stderr otherwise.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "client-common.h"

/*
 * virtual-keyboard-unstable-v1 is a wlroots protocol that wayland-protocols
 * does not ship: its two small interfaces are declared here by hand.
 */
extern const struct wl_interface zwp_virtual_keyboard_v1_interface;
static const struct wl_interface *vk_types[] = {
	NULL, NULL, NULL, NULL,
	&wl_seat_interface, &zwp_virtual_keyboard_v1_interface,
};
static const struct wl_message vk_requests[] = {
	{"keymap", "uhu", vk_types},
	{"key", "uuu", vk_types},
	{"modifiers", "uuuu", vk_types},
	{"destroy", "", vk_types},
};
const struct wl_interface zwp_virtual_keyboard_v1_interface = {
	"zwp_virtual_keyboard_v1", 1, 4, vk_requests, 0, NULL,
};
static const struct wl_message vk_manager_requests[] = {
	{"create_virtual_keyboard", "on", vk_types + 4},
};
static const struct wl_interface zwp_virtual_keyboard_manager_v1_interface = {
	"zwp_virtual_keyboard_manager_v1", 1, 1, vk_manager_requests, 0, NULL,
};
enum { VK_KEYMAP, VK_KEY, VK_MODIFIERS, VK_DESTROY };

static struct client client = {.program = "ph-keycombo"};
static struct wl_proxy *manager;
static uint32_t now_ms = 1;

static void bind_global(struct wl_registry *registry, uint32_t name, const char *interface,
		uint32_t version) {
	if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0) {
		manager = wl_registry_bind(registry, name, &zwp_virtual_keyboard_manager_v1_interface, 1);
	}
}

/* The first keycode whose level-0 symbol is keysym. */
static xkb_keycode_t find_keycode(struct xkb_keymap *keymap, xkb_keysym_t keysym) {
	for (xkb_keycode_t code = xkb_keymap_min_keycode(keymap);
			code <= xkb_keymap_max_keycode(keymap); code++) {
		const xkb_keysym_t *syms;
		int n = xkb_keymap_key_get_syms_by_level(keymap, code, 0, 0, &syms);
		for (int i = 0; i < n; i++) {
			if (syms[i] == keysym) {
				return code;
			}
		}
	}
	return 0;
}

/*
 * The compositor does not derive modifiers from a virtual keyboard's keys
 * (wlroots: update_state is false), so each key is followed by the modifier
 * state our own xkb_state computes, as a real client of the protocol does.
 */
static void send_key(struct wl_proxy *keyboard, struct xkb_state *state, xkb_keycode_t code,
		bool pressed) {
	wl_proxy_marshal(keyboard, VK_KEY, now_ms++, code - 8, pressed ? 1 : 0);
	xkb_state_update_key(state, code, pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
	wl_proxy_marshal(keyboard, VK_MODIFIERS,
		xkb_state_serialize_mods(state, XKB_STATE_MODS_DEPRESSED),
		xkb_state_serialize_mods(state, XKB_STATE_MODS_LATCHED),
		xkb_state_serialize_mods(state, XKB_STATE_MODS_LOCKED),
		xkb_state_serialize_layout(state, XKB_STATE_LAYOUT_EFFECTIVE));
}

/* Presses and releases one combination; false with a message on stderr if it cannot. */
static bool press_combo(struct wl_display *display, struct wl_proxy *keyboard,
		struct xkb_keymap *keymap, struct xkb_state *state, const char *text) {
	static const struct {
		const char *name;
		xkb_keysym_t keysym;
	} modifier_keys[] = {
		{"Super", XKB_KEY_Super_L}, {"Shift", XKB_KEY_Shift_L},
		{"Ctrl", XKB_KEY_Control_L}, {"Alt", XKB_KEY_Alt_L},
	};
	char combo[256];
	snprintf(combo, sizeof(combo), "%s", text);
	xkb_keycode_t held[8];
	int held_len = 0;
	char *key = combo;
	for (char *plus; (plus = strchr(key, '+')) != NULL && plus[1] != '\0'; key = plus + 1) {
		*plus = '\0';
		xkb_keycode_t code = 0;
		for (size_t m = 0; m < sizeof(modifier_keys) / sizeof(modifier_keys[0]); m++) {
			if (strcasecmp(key, modifier_keys[m].name) == 0) {
				code = find_keycode(keymap, modifier_keys[m].keysym);
			}
		}
		if (code == 0 || held_len == 8) {
			fprintf(stderr, "ph-keycombo: unknown modifier '%s'\n", key);
			return false;
		}
		held[held_len++] = code;
	}
	xkb_keysym_t keysym = xkb_keysym_from_name(key, XKB_KEYSYM_NO_FLAGS);
	xkb_keycode_t code = keysym != XKB_KEY_NoSymbol ? find_keycode(keymap, keysym) : 0;
	if (code == 0) {
		fprintf(stderr, "ph-keycombo: no key for '%s'\n", key);
		return false;
	}
	for (int i = 0; i < held_len; i++) {
		send_key(keyboard, state, held[i], true);
	}
	send_key(keyboard, state, code, true);
	send_key(keyboard, state, code, false);
	for (int i = held_len - 1; i >= 0; i--) {
		send_key(keyboard, state, held[i], false);
	}
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "ph-keycombo: connection lost after '%s'\n", text);
		return false;
	}
	printf("sent %s\n", text);
	fflush(stdout);
	return true;
}

int main(int argc, char *argv[]) {
	if (argc < 2) {
		fprintf(stderr, "usage: ph-keycombo COMBO...\n");
		return 2;
	}
	client.bind_global = bind_global;
	client_connect(&client);
	struct wl_display *display = client.display;
	if (client.seat == NULL || manager == NULL) {
		client_fail("no wl_seat or zwp_virtual_keyboard_manager_v1");
	}
	int fd;
	uint32_t size;
	struct xkb_keymap *keymap = client_keymap(&client, &(struct xkb_rule_names){.layout = "us"},
		&fd, &size);
	struct xkb_state *state = xkb_state_new(keymap);
	struct wl_proxy *keyboard = wl_proxy_marshal_constructor(manager, 0,
		&zwp_virtual_keyboard_v1_interface, client.seat, NULL);
	wl_proxy_marshal(keyboard, VK_KEYMAP, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, size);
	close(fd);
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "ph-keycombo: protocol error after the keymap\n");
		return 1;
	}

	if (strcmp(argv[1], "-") == 0) {
		printf("ready\n");
		fflush(stdout);
		char line[256];
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] != '\0' && !press_combo(display, keyboard, keymap, state, line)) {
				return 1;
			}
		}
	} else {
		for (int a = 1; a < argc; a++) {
			if (!press_combo(display, keyboard, keymap, state, argv[a])) {
				return 1;
			}
		}
	}
	wl_proxy_marshal(keyboard, VK_DESTROY);
	wl_proxy_destroy(keyboard);
	wl_display_roundtrip(display);
	wl_proxy_destroy(manager);
	wl_seat_destroy(client.seat);
	wl_registry_destroy(client.registry);
	xkb_state_unref(state);
	xkb_keymap_unref(keymap);
	wl_display_disconnect(display);
	return 0;
}
