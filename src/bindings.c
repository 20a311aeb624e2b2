#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/log.h>
#include "bindings.h"
#include "config_file.h"
#include "seat.h"
#include "server.h"
#include "view.h"

/* How long the exit binding waits for its confirming second press. */
#define EXIT_CONFIRM_MS 1000

static const struct {
	const char *name;
	enum binding_action action;
} action_names[] = {
	{"none", BINDING_NONE},
	{"terminal", BINDING_TERMINAL},
	{"launcher", BINDING_LAUNCHER},
	{"close", BINDING_CLOSE},
	{"fullscreen", BINDING_FULLSCREEN},
	{"cycle", BINDING_CYCLE},
	{"lock", BINDING_LOCK},
	{"screenshot", BINDING_SCREENSHOT},
	{"screenshot-region", BINDING_SCREENSHOT_REGION},
	{"screenshot-window", BINDING_SCREENSHOT_WINDOW},
	{"reload", BINDING_RELOAD},
	{"exit", BINDING_EXIT},
};

/*
 * Super for the desktop's own keys, Print for screenshots: applications use
 * Ctrl and Alt combinations, so those stay theirs (Alt+Tab aside, which no
 * application expects to receive).
 */
static const struct {
	const char *keys, *action;
} default_bindings[] = {
	{"Super+Return", "terminal"},
	{"Super+d", "launcher"},
	{"Super+Shift+q", "close"},
	{"Super+f", "fullscreen"},
	{"Alt+Tab", "cycle"},
	{"Super+Tab", "cycle"},
	{"Super+Escape", "lock"},
	{"Print", "screenshot"},
	{"Shift+Print", "screenshot-region"},
	{"Ctrl+Print", "screenshot-window"},
	{"Super+Shift+r", "reload"},
	{"Super+Shift+e", "exit"},
};

bool binding_parse_modifier(const char *name, uint32_t *modifier) {
	static const struct {
		const char *name;
		uint32_t modifier;
	} names[] = {
		{"none", 0},
		{"super", WLR_MODIFIER_LOGO}, {"logo", WLR_MODIFIER_LOGO}, {"mod4", WLR_MODIFIER_LOGO},
		{"alt", WLR_MODIFIER_ALT}, {"mod1", WLR_MODIFIER_ALT},
		{"ctrl", WLR_MODIFIER_CTRL}, {"control", WLR_MODIFIER_CTRL},
		{"shift", WLR_MODIFIER_SHIFT},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*modifier = names[i].modifier;
			return true;
		}
	}
	return false;
}

bool binding_parse(const char *keys, const char *action, struct binding *binding,
		char *err, size_t err_size) {
	*binding = (struct binding){0};
	char buf[256];
	if (snprintf(buf, sizeof(buf), "%s", keys) >= (int)sizeof(buf)) {
		snprintf(err, err_size, "key combination too long");
		return false;
	}
	/* Every part but the last is a modifier; the last is a key ("Super++" is not allowed). */
	char *key = strrchr(buf, '+');
	if (key != NULL) {
		*key++ = '\0';
		for (char *save = NULL, *part = strtok_r(buf, "+", &save); part != NULL;
				part = strtok_r(NULL, "+", &save)) {
			uint32_t modifier;
			if (!binding_parse_modifier(part, &modifier) || modifier == 0) {
				snprintf(err, err_size, "unknown modifier '%s' in '%s' (expected Super, Alt, "
					"Ctrl or Shift)", part, keys);
				return false;
			}
			binding->modifiers |= modifier;
		}
	} else {
		key = buf;
	}
	xkb_keysym_t keysym = xkb_keysym_from_name(key, XKB_KEYSYM_NO_FLAGS);
	if (keysym == XKB_KEY_NoSymbol) {
		keysym = xkb_keysym_from_name(key, XKB_KEYSYM_CASE_INSENSITIVE);
	}
	if (keysym == XKB_KEY_NoSymbol) {
		snprintf(err, err_size, "unknown key '%s' in '%s' (an XKB keysym name such as Return, "
			"Print or q)", key, keys);
		return false;
	}
	binding->keysym = xkb_keysym_to_lower(keysym);

	if (strncmp(action, "exec", 4) == 0 && (action[4] == ' ' || action[4] == '\t')) {
		const char *command = action + 5;
		while (*command == ' ' || *command == '\t') {
			command++;
		}
		if (*command == '\0') {
			snprintf(err, err_size, "'exec' needs a command");
			return false;
		}
		binding->action = BINDING_EXEC;
		binding->command = strdup(command);
		if (binding->command == NULL) {
			snprintf(err, err_size, "out of memory");
			return false;
		}
		return true;
	}
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (strcmp(action, action_names[i].name) == 0) {
			binding->action = action_names[i].action;
			return true;
		}
	}
	snprintf(err, err_size, "unknown action '%s' (expected exec COMMAND, terminal, launcher, "
		"close, fullscreen, cycle, lock, screenshot, screenshot-region, screenshot-window, "
		"reload, exit or none)", action);
	return false;
}

struct binding *bindings_defaults(size_t *len) {
	size_t count = sizeof(default_bindings) / sizeof(default_bindings[0]);
	struct binding *bindings = calloc(count, sizeof(*bindings));
	if (bindings == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		char err[256];
		if (!binding_parse(default_bindings[i].keys, default_bindings[i].action, &bindings[i],
				err, sizeof(err))) {
			wlr_log(WLR_ERROR, "default binding %s: %s", default_bindings[i].keys, err);
			abort(); /* the table above is wrong */
		}
	}
	*len = count;
	return bindings;
}

void bindings_free(struct binding *bindings, size_t len) {
	for (size_t i = 0; i < len; i++) {
		free(bindings[i].command);
	}
	free(bindings);
}

void bindings_spawn(const char *command) {
	/*
	 * Twice forked so that the compositor never has to reap it; it stays in
	 * our process group, so whoever ends the session's group ends it too.
	 */
	pid_t pid = fork();
	if (pid < 0) {
		wlr_log_errno(WLR_ERROR, "could not start '%s'", command);
		return;
	}
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (fork() == 0) {
			execl("/bin/sh", "/bin/sh", "-c", command, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static struct view *focused_view(struct server *server) {
	struct wlr_seat *seat = seat_wlr_seat(server->seat);
	struct wlr_surface *surface = seat->keyboard_state.focused_surface;
	return surface != NULL ? view_from_surface(server, surface) : NULL;
}

/*
 * Screenshots go to $XDG_PICTURES_DIR, else what xdg-user-dir says, else
 * ~/Pictures; the name is the time, to the millisecond, so that they sort.
 */
static void take_screenshot(struct server *server, enum binding_action action) {
	char grim_args[512] = "";
	if (action == BINDING_SCREENSHOT_REGION) {
		snprintf(grim_args, sizeof(grim_args), "-g \"$region\"");
	} else if (action == BINDING_SCREENSHOT_WINDOW) {
		struct view *view = focused_view(server);
		if (view == NULL || view->foreign_toplevel == NULL) {
			wlr_log(WLR_INFO, "screenshot of the focused window: no window has the focus");
			return;
		}
		/* Identifiers are opaque, but ours are hex digits: no quoting trouble. */
		snprintf(grim_args, sizeof(grim_args), "-T '%s'", view->foreign_toplevel->identifier);
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	localtime_r(&now.tv_sec, &tm);
	char name[64];
	size_t len = strftime(name, sizeof(name), "screenshot-%Y%m%d-%H%M%S", &tm);
	snprintf(name + len, sizeof(name) - len, "-%03ld.png", now.tv_nsec / 1000000);
	char command[1024];
	snprintf(command, sizeof(command),
		"%s"
		"dir=\"${XDG_PICTURES_DIR:-$(xdg-user-dir PICTURES 2>/dev/null)}\"; "
		"dir=\"${dir:-$HOME/Pictures}\"; "
		"mkdir -p \"$dir\" && exec grim %s \"$dir/%s\"",
		action == BINDING_SCREENSHOT_REGION ? "region=\"$(slurp)\" || exit 1; " : "",
		grim_args, name);
	wlr_log(WLR_INFO, "screenshot: %s", command);
	bindings_spawn(command);
}

static int64_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_binding(struct server *server, const struct binding *binding) {
	const struct config *config = server->config;
	struct view *view;
	switch (binding->action) {
	case BINDING_NONE:
		break;
	case BINDING_EXEC:
		wlr_log(WLR_INFO, "binding: exec %s", binding->command);
		bindings_spawn(binding->command);
		break;
	case BINDING_TERMINAL:
		bindings_spawn(config->terminal != NULL ? config->terminal : "foot");
		break;
	case BINDING_LAUNCHER:
		/* fuzzel when present; say so when there is nothing to run. */
		bindings_spawn(config->launcher != NULL ? config->launcher :
			"command -v fuzzel >/dev/null && exec fuzzel || "
			"echo 'pinhole: no launcher: install fuzzel or set launcher in [general]' >&2");
		break;
	case BINDING_CLOSE:
		if ((view = focused_view(server)) != NULL) {
			view->impl->close(view);
		}
		break;
	case BINDING_FULLSCREEN:
		if ((view = focused_view(server)) != NULL) {
			view_set_fullscreen(view, !view->fullscreen);
		}
		break;
	case BINDING_CYCLE:
		view_cycle_focus(server);
		break;
	case BINDING_LOCK:
		bindings_spawn(config->locker != NULL ? config->locker : "swaylock -f");
		break;
	case BINDING_SCREENSHOT:
	case BINDING_SCREENSHOT_REGION:
	case BINDING_SCREENSHOT_WINDOW:
		take_screenshot(server, binding->action);
		break;
	case BINDING_RELOAD:
		config_reload(server);
		break;
	case BINDING_EXIT:;
		int64_t now = now_ms();
		if (server->exit_requested_ms != 0 &&
				now - server->exit_requested_ms <= EXIT_CONFIRM_MS) {
			wlr_log(WLR_INFO, "exit confirmed from the keyboard");
			server_terminate(server, 0);
		} else {
			wlr_log(WLR_INFO, "exit requested: press the exit binding again within a second "
				"to end the session");
			server->exit_requested_ms = now;
		}
		break;
	}
}

static bool keysym_in(xkb_keysym_t keysym, const xkb_keysym_t *syms, int len) {
	for (int i = 0; i < len; i++) {
		if (xkb_keysym_to_lower(syms[i]) == keysym) {
			return true;
		}
	}
	return false;
}

bool bindings_handle_key(struct server *server, const xkb_keysym_t *translated,
		int translated_len, const xkb_keysym_t *raw, int raw_len, uint32_t modifiers,
		bool locked) {
	for (int i = 0; i < translated_len; i++) {
		if (translated[i] >= XKB_KEY_XF86Switch_VT_1 &&
				translated[i] <= XKB_KEY_XF86Switch_VT_12) {
			if (server->session != NULL) {
				wlr_session_change_vt(server->session,
					translated[i] - XKB_KEY_XF86Switch_VT_1 + 1);
			}
			return true;
		}
	}
	/* While locked, VT switching is the only shortcut: keys go to the locker. */
	if (locked) {
		return false;
	}
	/* Lock keys never change what a combination means. */
	modifiers &= WLR_MODIFIER_SHIFT | WLR_MODIFIER_CTRL | WLR_MODIFIER_ALT | WLR_MODIFIER_LOGO;
	const struct config *config = server->config;
	for (size_t i = 0; i < config->bindings_len; i++) {
		const struct binding *binding = &config->bindings[i];
		if (binding->modifiers != modifiers || binding->action == BINDING_NONE) {
			continue;
		}
		/* Untranslated first, so Shift+Print is Print with Shift, not Sys_Req. */
		if (keysym_in(binding->keysym, raw, raw_len) ||
				keysym_in(binding->keysym, translated, translated_len)) {
			run_binding(server, binding);
			return true;
		}
	}
	return false;
}
