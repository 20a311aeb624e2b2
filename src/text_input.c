#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_input_method_v2.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_text_input_v3.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include "layer_shell.h"
#include "server.h"
#include "text_input.h"
#include "view.h"

struct text_input_relay {
	struct server *server;
	struct wlr_seat *seat;
	struct wlr_text_input_manager_v3 *text_input_manager;
	struct wlr_input_method_manager_v2 *input_method_manager;
	struct wlr_input_method_v2 *input_method; /* the seat's one input method, or NULL */
	struct wl_list text_inputs; /* struct text_input.link */
	struct wl_list popups; /* struct input_popup.link */
	struct wlr_scene_tree *popup_tree;

	struct wl_listener new_text_input;
	struct wl_listener new_input_method;
	struct wl_listener keyboard_focus_change;
	struct wl_listener input_method_commit;
	struct wl_listener input_method_new_popup_surface;
	struct wl_listener input_method_grab_keyboard;
	struct wl_listener input_method_destroy;
	struct wl_listener keyboard_grab_destroy;
};

struct text_input {
	struct text_input_relay *relay;
	struct wlr_text_input_v3 *input;
	struct wl_list link; /* text_input_relay.text_inputs */
	struct wl_listener enable;
	struct wl_listener commit;
	struct wl_listener disable;
	struct wl_listener destroy;
	/*
	 * The client had the keyboard focus but no wl_keyboard yet: its
	 * text-input enter waits for the keyboard's enter (see enter_focused).
	 */
	struct wl_listener client_resource_created;
	struct wl_event_source *deferred_enter;
};

struct input_popup {
	struct text_input_relay *relay;
	struct wlr_input_popup_surface_v2 *popup;
	struct wlr_scene_tree *tree;
	struct wl_list link; /* text_input_relay.popups */
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
};

static struct wl_client *text_input_client(struct text_input *text_input) {
	return wl_resource_get_client(text_input->input->resource);
}

/* The enabled text input on the keyboard-focused surface: the one the input method serves. */
static struct text_input *focused_text_input(struct text_input_relay *relay) {
	struct wlr_surface *focused = relay->seat->keyboard_state.focused_surface;
	struct text_input *text_input;
	wl_list_for_each(text_input, &relay->text_inputs, link) {
		if (focused != NULL && text_input->input->focused_surface == focused &&
				text_input->input->current_enabled) {
			return text_input;
		}
	}
	return NULL;
}

/*
 * Where the text field's surface is in the layout: a window's, or a layer
 * surface's (a launcher such as fuzzel takes text input too).
 */
static bool text_field_origin(struct text_input_relay *relay, struct wlr_surface *surface,
		int *lx, int *ly) {
	struct view *view = view_from_surface(relay->server, surface);
	if (view != NULL) {
		return view->scene_tree != NULL &&
			wlr_scene_node_coords(&view->scene_tree->node, lx, ly);
	}
	struct wlr_box output_area;
	return layer_shell_popup_area(surface, lx, ly, &output_area);
}

/* Popups sit under the text cursor of the focused text field, or are hidden. */
static void position_popups(struct text_input_relay *relay) {
	struct text_input *text_input = focused_text_input(relay);
	int lx = 0, ly = 0;
	if (text_input == NULL ||
			!text_field_origin(relay, text_input->input->focused_surface, &lx, &ly)) {
		wlr_scene_node_set_enabled(&relay->popup_tree->node, false);
		return;
	}
	struct wlr_box cursor = text_input->input->current.cursor_rectangle;
	wlr_scene_node_set_enabled(&relay->popup_tree->node, true);
	wlr_scene_node_raise_to_top(&relay->popup_tree->node);
	wlr_scene_node_set_position(&relay->popup_tree->node, lx + cursor.x,
		ly + cursor.y + cursor.height);
	/* The rectangle relative to the popup, which sits just below it. */
	struct wlr_box rect = {0, -cursor.height, cursor.width, cursor.height};
	struct input_popup *popup;
	wl_list_for_each(popup, &relay->popups, link) {
		wlr_input_popup_surface_v2_send_text_input_rectangle(popup->popup, &rect);
	}
}

static void send_text_input_state(struct text_input_relay *relay,
		struct text_input *text_input) {
	struct wlr_input_method_v2 *input_method = relay->input_method;
	struct wlr_text_input_v3 *input = text_input->input;
	if (input->active_features & WLR_TEXT_INPUT_V3_FEATURE_SURROUNDING_TEXT) {
		wlr_input_method_v2_send_surrounding_text(input_method,
			input->current.surrounding.text != NULL ? input->current.surrounding.text : "",
			input->current.surrounding.cursor, input->current.surrounding.anchor);
	}
	wlr_input_method_v2_send_text_change_cause(input_method, input->current.text_change_cause);
	if (input->active_features & WLR_TEXT_INPUT_V3_FEATURE_CONTENT_TYPE) {
		wlr_input_method_v2_send_content_type(input_method,
			input->current.content_type.hint, input->current.content_type.purpose);
	}
	wlr_input_method_v2_send_done(input_method);
	position_popups(relay);
}

static void deactivate_input_method(struct text_input_relay *relay) {
	if (relay->input_method != NULL) {
		wlr_input_method_v2_send_deactivate(relay->input_method);
		wlr_input_method_v2_send_done(relay->input_method);
	}
	position_popups(relay);
}

static void text_input_handle_enable(struct wl_listener *listener, void *data) {
	struct text_input *text_input = wl_container_of(listener, text_input, enable);
	struct text_input_relay *relay = text_input->relay;
	if (relay->input_method == NULL || focused_text_input(relay) != text_input) {
		return;
	}
	wlr_input_method_v2_send_activate(relay->input_method);
	send_text_input_state(relay, text_input);
}

static void text_input_handle_commit(struct wl_listener *listener, void *data) {
	struct text_input *text_input = wl_container_of(listener, text_input, commit);
	struct text_input_relay *relay = text_input->relay;
	if (relay->input_method == NULL || focused_text_input(relay) != text_input) {
		return;
	}
	send_text_input_state(relay, text_input);
}

static void text_input_handle_disable(struct wl_listener *listener, void *data) {
	struct text_input *text_input = wl_container_of(listener, text_input, disable);
	struct text_input_relay *relay = text_input->relay;
	if (text_input->input->focused_surface != relay->seat->keyboard_state.focused_surface) {
		return;
	}
	deactivate_input_method(relay);
}

static void text_input_handle_destroy(struct wl_listener *listener, void *data) {
	struct text_input *text_input = wl_container_of(listener, text_input, destroy);
	struct text_input_relay *relay = text_input->relay;
	bool was_served = focused_text_input(relay) == text_input;
	wl_list_remove(&text_input->enable.link);
	wl_list_remove(&text_input->commit.link);
	wl_list_remove(&text_input->disable.link);
	wl_list_remove(&text_input->destroy.link);
	wl_list_remove(&text_input->client_resource_created.link);
	if (text_input->deferred_enter != NULL) {
		wl_event_source_remove(text_input->deferred_enter);
	}
	wl_list_remove(&text_input->link);
	free(text_input);
	if (was_served) {
		deactivate_input_method(relay);
	}
}

static bool client_has_keyboard(struct wlr_seat *seat, struct wl_client *client) {
	struct wlr_seat_client *seat_client = wlr_seat_client_for_wl_client(seat, client);
	return seat_client != NULL && !wl_list_empty(&seat_client->keyboards);
}

static void enter_focused(struct text_input_relay *relay, struct text_input *text_input);

static void handle_deferred_enter(void *data) {
	struct text_input *text_input = data;
	text_input->deferred_enter = NULL;
	wl_list_remove(&text_input->client_resource_created.link);
	wl_list_init(&text_input->client_resource_created.link);
	enter_focused(text_input->relay, text_input);
}

/* A wl_keyboard of the client: wlroots sends its enter in the same request, so enter after it. */
static void text_input_handle_client_resource_created(struct wl_listener *listener, void *data) {
	struct text_input *text_input = wl_container_of(listener, text_input, client_resource_created);
	struct wl_resource *resource = data;
	if (strcmp(wl_resource_get_class(resource), "wl_keyboard") != 0 ||
			text_input->deferred_enter != NULL) {
		return;
	}
	struct wl_event_loop *loop = wl_display_get_event_loop(text_input->relay->server->display);
	text_input->deferred_enter = wl_event_loop_add_idle(loop, handle_deferred_enter, text_input);
}

/*
 * "When the seat has the keyboard capability the text-input focus follows
 * the keyboard focus", input method or not: a text field enabled before the
 * input method starts is served as soon as it comes (handle_new_input_method).
 * The text-input enter comes after the client's wl_keyboard.enter (foot
 * refuses one that comes first): a client without a wl_keyboard yet gets it
 * once it has one; without a keyboard on the seat there is no keyboard focus
 * to follow, and no text-input focus.
 */
static void enter_focused(struct text_input_relay *relay, struct text_input *text_input) {
	struct wlr_surface *focused = relay->seat->keyboard_state.focused_surface;
	struct wl_client *client = text_input_client(text_input);
	if (focused == NULL || text_input->input->focused_surface == focused ||
			wl_resource_get_client(focused->resource) != client ||
			!(relay->seat->capabilities & WL_SEAT_CAPABILITY_KEYBOARD)) {
		return;
	}
	if (!client_has_keyboard(relay->seat, client)) {
		if (wl_list_empty(&text_input->client_resource_created.link)) {
			wl_client_add_resource_created_listener(client,
				&text_input->client_resource_created);
		}
		return;
	}
	wlr_text_input_v3_send_enter(text_input->input, focused);
}

static void handle_new_text_input(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay = wl_container_of(listener, relay, new_text_input);
	struct wlr_text_input_v3 *input = data;
	if (input->seat != relay->seat) {
		return;
	}
	struct text_input *text_input = calloc(1, sizeof(*text_input));
	if (text_input == NULL) {
		wl_resource_post_no_memory(input->resource);
		return;
	}
	text_input->relay = relay;
	text_input->input = input;
	text_input->enable.notify = text_input_handle_enable;
	wl_signal_add(&input->events.enable, &text_input->enable);
	text_input->commit.notify = text_input_handle_commit;
	wl_signal_add(&input->events.commit, &text_input->commit);
	text_input->disable.notify = text_input_handle_disable;
	wl_signal_add(&input->events.disable, &text_input->disable);
	text_input->destroy.notify = text_input_handle_destroy;
	wl_signal_add(&input->events.destroy, &text_input->destroy);
	text_input->client_resource_created.notify = text_input_handle_client_resource_created;
	wl_list_init(&text_input->client_resource_created.link);
	wl_list_insert(&relay->text_inputs, &text_input->link);
	enter_focused(relay, text_input);
}

static void handle_keyboard_focus_change(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay = wl_container_of(listener, relay, keyboard_focus_change);
	struct wlr_seat_keyboard_focus_change_event *event = data;
	struct text_input *text_input;
	wl_list_for_each(text_input, &relay->text_inputs, link) {
		struct wlr_text_input_v3 *input = text_input->input;
		if (input->focused_surface != NULL && input->focused_surface != event->new_surface) {
			if (input->current_enabled && relay->input_method != NULL) {
				wlr_input_method_v2_send_deactivate(relay->input_method);
				wlr_input_method_v2_send_done(relay->input_method);
			}
			wlr_text_input_v3_send_leave(input);
		}
		enter_focused(relay, text_input);
	}
	position_popups(relay);
}

static void handle_input_method_commit(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay = wl_container_of(listener, relay, input_method_commit);
	struct wlr_input_method_v2 *input_method = relay->input_method;
	struct text_input *text_input = focused_text_input(relay);
	if (text_input == NULL) {
		return;
	}
	struct wlr_text_input_v3 *input = text_input->input;
	if (input_method->current.preedit.text != NULL) {
		wlr_text_input_v3_send_preedit_string(input, input_method->current.preedit.text,
			input_method->current.preedit.cursor_begin,
			input_method->current.preedit.cursor_end);
	}
	if (input_method->current.commit_text != NULL) {
		wlr_text_input_v3_send_commit_string(input, input_method->current.commit_text);
	}
	if (input_method->current.delete.before_length != 0 ||
			input_method->current.delete.after_length != 0) {
		wlr_text_input_v3_send_delete_surrounding_text(input,
			input_method->current.delete.before_length,
			input_method->current.delete.after_length);
	}
	wlr_text_input_v3_send_done(input);
}

static void popup_handle_map(struct wl_listener *listener, void *data) {
	struct input_popup *popup = wl_container_of(listener, popup, map);
	wlr_scene_node_set_enabled(&popup->tree->node, true);
	position_popups(popup->relay);
}

static void popup_handle_unmap(struct wl_listener *listener, void *data) {
	struct input_popup *popup = wl_container_of(listener, popup, unmap);
	wlr_scene_node_set_enabled(&popup->tree->node, false);
}

static void popup_handle_destroy(struct wl_listener *listener, void *data) {
	struct input_popup *popup = wl_container_of(listener, popup, destroy);
	wl_list_remove(&popup->map.link);
	wl_list_remove(&popup->unmap.link);
	wl_list_remove(&popup->destroy.link);
	wl_list_remove(&popup->link);
	wlr_scene_node_destroy(&popup->tree->node);
	free(popup);
}

static void handle_input_method_new_popup_surface(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay =
		wl_container_of(listener, relay, input_method_new_popup_surface);
	struct wlr_input_popup_surface_v2 *wlr_popup = data;
	struct input_popup *popup = calloc(1, sizeof(*popup));
	if (popup == NULL) {
		wl_resource_post_no_memory(wlr_popup->resource);
		return;
	}
	popup->relay = relay;
	popup->popup = wlr_popup;
	popup->tree = wlr_scene_tree_create(relay->popup_tree);
	if (popup->tree == NULL || wlr_scene_subsurface_tree_create(popup->tree,
			wlr_popup->surface) == NULL) {
		if (popup->tree != NULL) {
			wlr_scene_node_destroy(&popup->tree->node);
		}
		free(popup);
		wl_resource_post_no_memory(wlr_popup->resource);
		return;
	}
	wlr_scene_node_set_enabled(&popup->tree->node, wlr_popup->surface->mapped);
	popup->map.notify = popup_handle_map;
	wl_signal_add(&wlr_popup->surface->events.map, &popup->map);
	popup->unmap.notify = popup_handle_unmap;
	wl_signal_add(&wlr_popup->surface->events.unmap, &popup->unmap);
	popup->destroy.notify = popup_handle_destroy;
	wl_signal_add(&wlr_popup->events.destroy, &popup->destroy);
	wl_list_insert(&relay->popups, &popup->link);
	position_popups(relay);
}

static void handle_keyboard_grab_destroy(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay = wl_container_of(listener, relay, keyboard_grab_destroy);
	wl_list_remove(&relay->keyboard_grab_destroy.link);
	wl_list_init(&relay->keyboard_grab_destroy.link);
	/* The focused client saw no modifier changes while the grab had them. */
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(relay->seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_modifiers(relay->seat, &keyboard->modifiers);
	}
}

static void handle_input_method_grab_keyboard(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay =
		wl_container_of(listener, relay, input_method_grab_keyboard);
	struct wlr_input_method_keyboard_grab_v2 *grab = data;
	wlr_input_method_keyboard_grab_v2_set_keyboard(grab, wlr_seat_get_keyboard(relay->seat));
	wl_list_remove(&relay->keyboard_grab_destroy.link);
	relay->keyboard_grab_destroy.notify = handle_keyboard_grab_destroy;
	wl_signal_add(&grab->events.destroy, &relay->keyboard_grab_destroy);
}

static void handle_input_method_destroy(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay = wl_container_of(listener, relay, input_method_destroy);
	wl_list_remove(&relay->input_method_commit.link);
	wl_list_remove(&relay->input_method_new_popup_surface.link);
	wl_list_remove(&relay->input_method_grab_keyboard.link);
	wl_list_remove(&relay->input_method_destroy.link);
	wl_list_init(&relay->input_method_commit.link);
	wl_list_init(&relay->input_method_new_popup_surface.link);
	wl_list_init(&relay->input_method_grab_keyboard.link);
	wl_list_init(&relay->input_method_destroy.link);
	relay->input_method = NULL;
	/* The text inputs keep the keyboard's focus; the next input method serves them. */
	wlr_log(WLR_DEBUG, "input method gone");
}

static void handle_new_input_method(struct wl_listener *listener, void *data) {
	struct text_input_relay *relay = wl_container_of(listener, relay, new_input_method);
	struct wlr_input_method_v2 *input_method = data;
	if (input_method->seat != relay->seat) {
		return;
	}
	if (relay->input_method != NULL) {
		wlr_log(WLR_INFO, "input method refused: the seat has one already");
		wlr_input_method_v2_send_unavailable(input_method);
		return;
	}
	relay->input_method = input_method;
	relay->input_method_commit.notify = handle_input_method_commit;
	wl_signal_add(&input_method->events.commit, &relay->input_method_commit);
	relay->input_method_new_popup_surface.notify = handle_input_method_new_popup_surface;
	wl_signal_add(&input_method->events.new_popup_surface,
		&relay->input_method_new_popup_surface);
	relay->input_method_grab_keyboard.notify = handle_input_method_grab_keyboard;
	wl_signal_add(&input_method->events.grab_keyboard, &relay->input_method_grab_keyboard);
	relay->input_method_destroy.notify = handle_input_method_destroy;
	wl_signal_add(&input_method->events.destroy, &relay->input_method_destroy);
	wlr_log(WLR_DEBUG, "input method ready");
	/* A text field that was enabled with no input method to serve it is served now. */
	struct text_input *text_input = focused_text_input(relay);
	if (text_input != NULL) {
		wlr_input_method_v2_send_activate(input_method);
		send_text_input_state(relay, text_input);
	}
}

/* An input method types through its own virtual keyboard: those keys must not loop back. */
static bool keyboard_of_grab_client(struct wlr_input_method_keyboard_grab_v2 *grab,
		struct wlr_keyboard *keyboard) {
	struct wlr_virtual_keyboard_v1 *virtual_keyboard =
		wlr_input_device_get_virtual_keyboard(&keyboard->base);
	return virtual_keyboard != NULL && wl_resource_get_client(virtual_keyboard->resource) ==
		wl_resource_get_client(grab->resource);
}

static struct wlr_input_method_keyboard_grab_v2 *active_grab(struct text_input_relay *relay,
		struct wlr_keyboard *keyboard) {
	if (relay == NULL || relay->input_method == NULL || relay->input_method->keyboard_grab == NULL) {
		return NULL;
	}
	struct wlr_input_method_keyboard_grab_v2 *grab = relay->input_method->keyboard_grab;
	return keyboard_of_grab_client(grab, keyboard) ? NULL : grab;
}

bool text_input_relay_grab_key(struct text_input_relay *relay, struct wlr_keyboard *keyboard,
		uint32_t time_msec, uint32_t key, uint32_t state) {
	struct wlr_input_method_keyboard_grab_v2 *grab = active_grab(relay, keyboard);
	if (grab == NULL) {
		return false;
	}
	wlr_input_method_keyboard_grab_v2_set_keyboard(grab, keyboard);
	wlr_input_method_keyboard_grab_v2_send_key(grab, time_msec, key, state);
	return true;
}

bool text_input_relay_grab_modifiers(struct text_input_relay *relay,
		struct wlr_keyboard *keyboard) {
	struct wlr_input_method_keyboard_grab_v2 *grab = active_grab(relay, keyboard);
	if (grab == NULL) {
		return false;
	}
	wlr_input_method_keyboard_grab_v2_set_keyboard(grab, keyboard);
	wlr_input_method_keyboard_grab_v2_send_modifiers(grab, &keyboard->modifiers);
	return true;
}

struct text_input_relay *text_input_relay_create(struct server *server, struct wlr_seat *seat) {
	struct text_input_relay *relay = calloc(1, sizeof(*relay));
	if (relay == NULL) {
		return NULL;
	}
	relay->server = server;
	relay->seat = seat;
	wl_list_init(&relay->text_inputs);
	wl_list_init(&relay->popups);
	relay->popup_tree = wlr_scene_tree_create(&server->scene->tree);
	wlr_scene_node_set_enabled(&relay->popup_tree->node, false);
	relay->text_input_manager = wlr_text_input_manager_v3_create(server->display);
	relay->input_method_manager = wlr_input_method_manager_v2_create(server->display);
	relay->new_text_input.notify = handle_new_text_input;
	wl_signal_add(&relay->text_input_manager->events.new_text_input, &relay->new_text_input);
	relay->new_input_method.notify = handle_new_input_method;
	wl_signal_add(&relay->input_method_manager->events.new_input_method,
		&relay->new_input_method);
	relay->keyboard_focus_change.notify = handle_keyboard_focus_change;
	wl_signal_add(&seat->keyboard_state.events.focus_change, &relay->keyboard_focus_change);
	wl_list_init(&relay->input_method_commit.link);
	wl_list_init(&relay->input_method_new_popup_surface.link);
	wl_list_init(&relay->input_method_grab_keyboard.link);
	wl_list_init(&relay->input_method_destroy.link);
	wl_list_init(&relay->keyboard_grab_destroy.link);
	return relay;
}

void text_input_relay_destroy(struct text_input_relay *relay) {
	if (relay == NULL) {
		return;
	}
	struct text_input *text_input, *text_input_tmp;
	wl_list_for_each_safe(text_input, text_input_tmp, &relay->text_inputs, link) {
		text_input_handle_destroy(&text_input->destroy, NULL);
	}
	struct input_popup *popup, *popup_tmp;
	wl_list_for_each_safe(popup, popup_tmp, &relay->popups, link) {
		popup_handle_destroy(&popup->destroy, NULL);
	}
	wl_list_remove(&relay->new_text_input.link);
	wl_list_remove(&relay->new_input_method.link);
	wl_list_remove(&relay->keyboard_focus_change.link);
	wl_list_remove(&relay->input_method_commit.link);
	wl_list_remove(&relay->input_method_new_popup_surface.link);
	wl_list_remove(&relay->input_method_grab_keyboard.link);
	wl_list_remove(&relay->input_method_destroy.link);
	wl_list_remove(&relay->keyboard_grab_destroy.link);
	free(relay);
}
