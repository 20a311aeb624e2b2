#ifndef PINHOLE_BINDINGS_H
#define PINHOLE_BINDINGS_H

/*
 * Key bindings: "Super+Shift+q = close" in the configuration's [bindings]
 * section, on top of built-in defaults that use Super (and Print) so that
 * applications keep their own shortcuts. Also the modifier+drag pointer
 * bindings and the commands bindings start.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xkbcommon/xkbcommon.h>

struct server;
struct config;

enum binding_action {
	BINDING_NONE, /* removes a default binding */
	BINDING_EXEC, /* exec CMD */
	BINDING_TERMINAL,
	BINDING_LAUNCHER,
	BINDING_CLOSE,
	BINDING_FULLSCREEN,
	BINDING_CYCLE,
	BINDING_LOCK,
	BINDING_SCREENSHOT, /* every output */
	BINDING_SCREENSHOT_REGION, /* a region chosen with slurp */
	BINDING_SCREENSHOT_WINDOW, /* the focused window */
	BINDING_RELOAD,
	BINDING_EXIT, /* only on a second press within a second */
};

struct binding {
	uint32_t modifiers; /* WLR_MODIFIER_* */
	xkb_keysym_t keysym; /* lower case */
	enum binding_action action;
	char *command; /* BINDING_EXEC only */
};

/* "Super+Shift+Return" and "exec foot" into a binding; err gets the reason. */
bool binding_parse(const char *keys, const char *action, struct binding *binding,
	char *err, size_t err_size);
/* "Super", "Alt", "Ctrl", "Shift" (or "none") into WLR_MODIFIER_* bits. */
bool binding_parse_modifier(const char *name, uint32_t *modifier);
/* The built-in bindings, in a new array (free with bindings_free). */
struct binding *bindings_defaults(size_t *len);
void bindings_free(struct binding *bindings, size_t len);

/*
 * A key press: translated and untranslated keysyms of the key, modifiers
 * held. True when a binding (or VT switching) took the key. While locked only
 * VT switching does: every other key goes to the locker.
 */
bool bindings_handle_key(struct server *server, const xkb_keysym_t *translated,
	int translated_len, const xkb_keysym_t *raw, int raw_len, uint32_t modifiers,
	bool locked);

/* Starts "/bin/sh -c command", not waited for (it is not our child). */
void bindings_spawn(const char *command);

#endif
