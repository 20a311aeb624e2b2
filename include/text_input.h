#ifndef PINHOLE_TEXT_INPUT_H
#define PINHOLE_TEXT_INPUT_H

#include <stdbool.h>
#include <stdint.h>

struct server;
struct wlr_keyboard;
struct wlr_seat;

/*
 * text-input-v3 and input-method-v2 (IMEs): relays between the text input of
 * the keyboard-focused client and the one input method of the seat. The input
 * method learns when a text field is enabled, its surrounding text and content
 * type; the text field gets the input method's preedit, commit and delete
 * requests. An input method's keyboard grab receives the keys of every
 * keyboard but its own virtual one; its popup surfaces are shown below the
 * text field's cursor rectangle.
 */
struct text_input_relay;

struct text_input_relay *text_input_relay_create(struct server *server, struct wlr_seat *seat);
void text_input_relay_destroy(struct text_input_relay *relay);
/* A key of keyboard: true when the input method's keyboard grab took it. */
bool text_input_relay_grab_key(struct text_input_relay *relay, struct wlr_keyboard *keyboard,
	uint32_t time_msec, uint32_t key, uint32_t state);
/* Modifiers of keyboard changed: true when the keyboard grab took them. */
bool text_input_relay_grab_modifiers(struct text_input_relay *relay,
	struct wlr_keyboard *keyboard);

#endif
