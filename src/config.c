#include <errno.h>
#include <libinput.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wlr/backend/libinput.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include <xkbcommon/xkbcommon.h>
#include "bindings.h"
#include "config_file.h"
#include "spawn.h"
#include "ini_file.h"
#include "options.h"
#include "output.h"
#include "policy.h"
#include "seat.h"
#include "server.h"

#define DEFAULT_REPEAT_RATE 25
#define DEFAULT_REPEAT_DELAY 600

const char *config_default_path(const struct options *options, char *buf, size_t size) {
	if (options->config_path != NULL) {
		return options->config_path;
	}
	const char *config_home = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (config_home != NULL && config_home[0] == '/') {
		snprintf(buf, size, "%s/pinhole/config", config_home);
	} else if (home != NULL && home[0] != '\0') {
		snprintf(buf, size, "%s/.config/pinhole/config", home);
	} else {
		buf[0] = '\0';
	}
	if (buf[0] != '\0' && access(buf, F_OK) == 0) {
		return buf;
	}
	/* Then the system's (the installed, commented default lives in /etc/xdg). */
	const char *dirs = getenv("XDG_CONFIG_DIRS");
	if (dirs == NULL || dirs[0] == '\0') {
		dirs = "/etc/xdg";
	}
	for (const char *dir = dirs; *dir != '\0';) {
		size_t len = strcspn(dir, ":");
		if (len > 0 && dir[0] == '/') {
			snprintf(buf, size, "%.*s/pinhole/config", (int)len, dir);
			if (access(buf, F_OK) == 0) {
				return buf;
			}
		}
		dir += len + (dir[len] == ':');
	}
	return NULL;
}

/* Parsing */

struct parse_state {
	struct config *config;
	struct xkb_context *xkb_context;
	char keyboard_origin[4096 + 32]; /* where the keymap was last changed */
};

static bool parse_toggle(const char *value, enum config_toggle *out, char *err, size_t err_size) {
	static const char *const on[] = {"yes", "true", "on", "1", "enabled"};
	static const char *const off[] = {"no", "false", "off", "0", "disabled"};
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (strcasecmp(value, on[i]) == 0) {
			*out = CONFIG_ON;
			return true;
		}
		if (strcasecmp(value, off[i]) == 0) {
			*out = CONFIG_OFF;
			return true;
		}
	}
	snprintf(err, err_size, "expected yes or no, not '%s'", value);
	return false;
}

static bool parse_int_range(const char *value, int min, int max, int *out, char *err,
		size_t err_size) {
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || n < min || n > max) {
		snprintf(err, err_size, "expected a whole number from %d to %d, not '%s'", min, max,
			value);
		return false;
	}
	*out = (int)n;
	return true;
}

static bool parse_double_range(const char *value, double min, double max, double *out,
		char *err, size_t err_size) {
	char *end;
	errno = 0;
	double n = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !(n >= min && n <= max)) {
		snprintf(err, err_size, "expected a number from %g to %g, not '%s'", min, max, value);
		return false;
	}
	*out = n;
	return true;
}

static bool set_string(char **field, const char *value, char *err, size_t err_size) {
	char *copy = strdup(value);
	if (copy == NULL) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	free(*field);
	*field = copy;
	return true;
}

static bool unknown_key(const char *section, const char *key, const char *known, char *err,
		size_t err_size) {
	snprintf(err, err_size, "unknown key '%s' in [%s] (expected %s)", key, section, known);
	return false;
}

static bool parse_general(struct parse_state *state, const char *key, const char *value,
		char *err, size_t err_size) {
	struct config *config = state->config;
	if (strcmp(key, "terminal") == 0) {
		return set_string(&config->terminal, value, err, err_size);
	} else if (strcmp(key, "launcher") == 0) {
		return set_string(&config->launcher, value, err, err_size);
	} else if (strcmp(key, "locker") == 0) {
		return set_string(&config->locker, value, err, err_size);
	} else if (strcmp(key, "drag-modifier") == 0) {
		if (!binding_parse_modifier(value, &config->drag_modifier)) {
			snprintf(err, err_size, "expected Super, Alt, Ctrl, Shift or none, not '%s'",
				value);
			return false;
		}
		return true;
	}
	return unknown_key("general", key, "terminal, launcher, locker or drag-modifier", err,
		err_size);
}

static bool parse_keyboard(struct parse_state *state, const char *key, const char *value,
		const char *origin, char *err, size_t err_size) {
	struct config_keyboard *keyboard = &state->config->keyboard;
	char **names[] = {&keyboard->rules, &keyboard->model, &keyboard->layout,
		&keyboard->variant, &keyboard->options};
	static const char *const keys[] = {"rules", "model", "layout", "variant", "options"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i]) == 0) {
			snprintf(state->keyboard_origin, sizeof(state->keyboard_origin), "%s", origin);
			return set_string(names[i], value, err, err_size);
		}
	}
	if (strcmp(key, "repeat-rate") == 0) {
		return parse_int_range(value, 0, 1000, &keyboard->repeat_rate, err, err_size);
	} else if (strcmp(key, "repeat-delay") == 0) {
		return parse_int_range(value, 1, 10000, &keyboard->repeat_delay, err, err_size);
	}
	return unknown_key("keyboard", key,
		"layout, variant, options, model, rules, repeat-rate or repeat-delay", err, err_size);
}

static struct config_pointer *pointer_section(struct config *config,
		enum config_pointer_match match, const char *device) {
	for (size_t i = 0; i < config->pointers_len; i++) {
		struct config_pointer *pointer = &config->pointers[i];
		if (pointer->match == match && (device == NULL || strcmp(pointer->device, device) == 0)) {
			return pointer;
		}
	}
	struct config_pointer *pointers = realloc(config->pointers,
		(config->pointers_len + 1) * sizeof(*pointers));
	if (pointers == NULL) {
		return NULL;
	}
	config->pointers = pointers;
	struct config_pointer *pointer = &pointers[config->pointers_len];
	*pointer = (struct config_pointer){.match = match};
	if (device != NULL && (pointer->device = strdup(device)) == NULL) {
		return NULL;
	}
	config->pointers_len++;
	return pointer;
}

static bool parse_pointer(struct parse_state *state, enum config_pointer_match match,
		const char *device, const char *key, const char *value, char *err, size_t err_size) {
	struct config_pointer *pointer = pointer_section(state->config, match, device);
	if (pointer == NULL) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	if (strcmp(key, "tap") == 0) {
		return parse_toggle(value, &pointer->tap, err, err_size);
	} else if (strcmp(key, "natural-scroll") == 0) {
		return parse_toggle(value, &pointer->natural_scroll, err, err_size);
	} else if (strcmp(key, "left-handed") == 0) {
		return parse_toggle(value, &pointer->left_handed, err, err_size);
	} else if (strcmp(key, "accel-speed") == 0) {
		pointer->has_accel_speed = true;
		return parse_double_range(value, -1, 1, &pointer->accel_speed, err, err_size);
	} else if (strcmp(key, "accel-profile") == 0) {
		if (strcmp(value, "flat") == 0) {
			pointer->accel_profile = LIBINPUT_CONFIG_ACCEL_PROFILE_FLAT;
		} else if (strcmp(value, "adaptive") == 0) {
			pointer->accel_profile = LIBINPUT_CONFIG_ACCEL_PROFILE_ADAPTIVE;
		} else {
			snprintf(err, err_size, "expected flat or adaptive, not '%s'", value);
			return false;
		}
		return true;
	}
	return unknown_key(match == CONFIG_POINTER_TOUCHPAD ? "touchpad" : "pointer", key,
		"tap, natural-scroll, left-handed, accel-profile or accel-speed", err, err_size);
}

static bool parse_transform(const char *value, int *out) {
	static const char *const names[] = {"normal", "90", "180", "270",
		"flipped", "flipped-90", "flipped-180", "flipped-270"};
	for (int i = 0; i < 8; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i; /* enum wl_output_transform has this order */
			return true;
		}
	}
	return false;
}

static struct config_output *output_section(struct config *config, const char *match) {
	for (size_t i = 0; i < config->outputs_len; i++) {
		if (strcmp(config->outputs[i].match, match) == 0) {
			return &config->outputs[i];
		}
	}
	struct config_output *outputs = realloc(config->outputs,
		(config->outputs_len + 1) * sizeof(*outputs));
	if (outputs == NULL) {
		return NULL;
	}
	config->outputs = outputs;
	struct config_output *output = &outputs[config->outputs_len];
	*output = (struct config_output){.transform = -1};
	if ((output->match = strdup(match)) == NULL) {
		return NULL;
	}
	config->outputs_len++;
	return output;
}

static bool parse_output(struct parse_state *state, const char *match, const char *key,
		const char *value, char *err, size_t err_size) {
	struct config_output *output = output_section(state->config, match);
	if (output == NULL) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	if (strcmp(key, "mode") == 0) {
		struct mode_request mode;
		if (!parse_mode(value, &mode)) {
			snprintf(err, err_size, "expected a mode WxH or WxH@Hz, not '%s'", value);
			return false;
		}
		output->has_mode = true;
		output->width = mode.width;
		output->height = mode.height;
		output->refresh_mhz = mode.refresh_mhz;
		return true;
	} else if (strcmp(key, "scale") == 0) {
		return parse_double_range(value, 0.25, 8, &output->scale, err, err_size);
	} else if (strcmp(key, "position") == 0) {
		char tail;
		if (sscanf(value, "%d,%d%c", &output->x, &output->y, &tail) != 2) {
			snprintf(err, err_size, "expected a position X,Y, not '%s'", value);
			return false;
		}
		output->has_position = true;
		return true;
	} else if (strcmp(key, "transform") == 0) {
		if (!parse_transform(value, &output->transform)) {
			snprintf(err, err_size, "expected normal, 90, 180, 270, flipped, flipped-90, "
				"flipped-180 or flipped-270, not '%s'", value);
			return false;
		}
		return true;
	} else if (strcmp(key, "enabled") == 0) {
		return parse_toggle(value, &output->enabled, err, err_size);
	}
	return unknown_key("output", key, "mode, scale, position, transform or enabled", err,
		err_size);
}

static bool parse_binding_entry(struct parse_state *state, const char *key, const char *value,
		char *err, size_t err_size) {
	struct config *config = state->config;
	struct binding binding;
	if (!binding_parse(key, value, &binding, err, err_size)) {
		return false;
	}
	/* A binding of the same keys replaces the earlier one (the default, say). */
	for (size_t i = 0; i < config->bindings_len; i++) {
		struct binding *old = &config->bindings[i];
		if (old->modifiers == binding.modifiers && old->keysym == binding.keysym) {
			free(old->command);
			*old = binding;
			return true;
		}
	}
	struct binding *bindings = realloc(config->bindings,
		(config->bindings_len + 1) * sizeof(*bindings));
	if (bindings == NULL) {
		free(binding.command);
		snprintf(err, err_size, "out of memory");
		return false;
	}
	config->bindings = bindings;
	config->bindings[config->bindings_len++] = binding;
	return true;
}

static bool parse_autostart(struct parse_state *state, const char *key, const char *value,
		char *err, size_t err_size) {
	struct config *config = state->config;
	if (strcmp(key, "exec") != 0) {
		return unknown_key("autostart", key, "exec", err, err_size);
	}
	char **autostart = realloc(config->autostart,
		(config->autostart_len + 1) * sizeof(*autostart));
	if (autostart == NULL || (autostart[config->autostart_len] = strdup(value)) == NULL) {
		if (autostart != NULL) {
			config->autostart = autostart;
		}
		snprintf(err, err_size, "out of memory");
		return false;
	}
	config->autostart = autostart;
	config->autostart_len++;
	return true;
}

static bool has_prefix(const char *text, const char *prefix, const char **rest) {
	size_t len = strlen(prefix);
	if (strncmp(text, prefix, len) != 0) {
		return false;
	}
	*rest = text + len;
	return true;
}

static bool parse_entry(void *data, const char *section, const char *key, const char *value,
		const char *origin, char *err, size_t err_size) {
	struct parse_state *state = data;
	const char *name;
	if (strcmp(section, "general") == 0) {
		return parse_general(state, key, value, err, err_size);
	} else if (strcmp(section, "keyboard") == 0) {
		return parse_keyboard(state, key, value, origin, err, err_size);
	} else if (strcmp(section, "pointer") == 0) {
		return parse_pointer(state, CONFIG_POINTER_ANY, NULL, key, value, err, err_size);
	} else if (strcmp(section, "touchpad") == 0) {
		return parse_pointer(state, CONFIG_POINTER_TOUCHPAD, NULL, key, value, err, err_size);
	} else if (has_prefix(section, "pointer:", &name) && name[0] != '\0') {
		return parse_pointer(state, CONFIG_POINTER_DEVICE, name, key, value, err, err_size);
	} else if (has_prefix(section, "output:", &name) && name[0] != '\0') {
		return parse_output(state, name, key, value, err, err_size);
	} else if (strcmp(section, "bindings") == 0) {
		return parse_binding_entry(state, key, value, err, err_size);
	} else if (strcmp(section, "autostart") == 0) {
		return parse_autostart(state, key, value, err, err_size);
	} else if (strcmp(section, "capture") == 0) {
		return policy_parse_entry(state->config->policy, key, value, origin, err, err_size);
	} else if (section[0] == '\0') {
		snprintf(err, err_size, "'%s' outside a section", key);
		return false;
	}
	snprintf(err, err_size, "unknown section [%s] (expected general, keyboard, pointer, "
		"touchpad, pointer:NAME, output:NAME, bindings, autostart or capture)", section);
	return false;
}

/* The capture rules of the command line, policy files spliced in where they were named. */
static bool add_command_line_policy(struct policy *policy, const struct options *opts,
		char *err, size_t err_size) {
	for (size_t i = 0; i < opts->policy_args_len; i++) {
		const struct policy_arg *arg = &opts->policy_args[i];
		bool ok;
		if (arg->kind == POLICY_ARG_FILE) {
			ok = policy_load_file(policy, arg->value, err, err_size);
		} else {
			/* Already checked by options_parse(); this only fails on allocation. */
			enum policy_verdict verdict =
				arg->kind == POLICY_ARG_ALLOW ? POLICY_ALLOW : POLICY_DENY;
			ok = policy_add_rule(policy, verdict, arg->value,
				verdict == POLICY_ALLOW ? "--allow-capture" : "--deny-capture",
				err, err_size);
		}
		if (!ok) {
			return false;
		}
	}
	return true;
}

/* A keymap that does not compile is a mistake of the file, found now rather than per device. */
static bool check_keymap(struct parse_state *state, char *err, size_t err_size) {
	const struct config_keyboard *keyboard = &state->config->keyboard;
	if (state->keyboard_origin[0] == '\0') {
		return true;
	}
	struct xkb_rule_names names = {
		.rules = keyboard->rules, .model = keyboard->model, .layout = keyboard->layout,
		.variant = keyboard->variant, .options = keyboard->options,
	};
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = context != NULL ?
		xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	bool ok = keymap != NULL;
	if (!ok) {
		snprintf(err, err_size, "%s: [keyboard]: no XKB keymap for layout '%s', variant '%s', "
			"options '%s'", state->keyboard_origin, keyboard->layout ? keyboard->layout : "",
			keyboard->variant ? keyboard->variant : "",
			keyboard->options ? keyboard->options : "");
	}
	xkb_keymap_unref(keymap);
	xkb_context_unref(context);
	return ok;
}

struct config *config_load(const char *path, const struct options *options,
		char *err, size_t err_size) {
	struct config *config = calloc(1, sizeof(*config));
	if (config == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	config->keyboard.repeat_rate = DEFAULT_REPEAT_RATE;
	config->keyboard.repeat_delay = DEFAULT_REPEAT_DELAY;
	binding_parse_modifier("Super", &config->drag_modifier);
	config->bindings = bindings_defaults(&config->bindings_len);
	config->policy = policy_create();
	if (config->bindings == NULL || config->policy == NULL ||
			(path != NULL && (config->path = strdup(path)) == NULL)) {
		snprintf(err, err_size, "out of memory");
		config_destroy(config);
		return NULL;
	}
	if (!add_command_line_policy(config->policy, options, err, err_size)) {
		config_destroy(config);
		return NULL;
	}
	if (path == NULL) {
		return config;
	}
	struct parse_state state = {.config = config};
	if (!ini_file_parse(path, parse_entry, &state, err, err_size) ||
			!check_keymap(&state, err, err_size)) {
		config_destroy(config);
		return NULL;
	}
	return config;
}

void config_destroy(struct config *config) {
	if (config == NULL) {
		return;
	}
	struct config_keyboard *keyboard = &config->keyboard;
	free(keyboard->rules);
	free(keyboard->model);
	free(keyboard->layout);
	free(keyboard->variant);
	free(keyboard->options);
	for (size_t i = 0; i < config->pointers_len; i++) {
		free(config->pointers[i].device);
	}
	free(config->pointers);
	for (size_t i = 0; i < config->outputs_len; i++) {
		free(config->outputs[i].match);
	}
	free(config->outputs);
	bindings_free(config->bindings, config->bindings_len);
	for (size_t i = 0; i < config->autostart_len; i++) {
		free(config->autostart[i]);
	}
	free(config->autostart);
	free(config->terminal);
	free(config->launcher);
	free(config->locker);
	policy_destroy(config->policy);
	free(config->path);
	free(config);
}

/* Applying */

const struct config_output *config_output_for(const struct config *config,
		struct wlr_output *wlr_output) {
	char make_model[256], make_model_serial[512];
	snprintf(make_model, sizeof(make_model), "%s %s",
		wlr_output->make ? wlr_output->make : "", wlr_output->model ? wlr_output->model : "");
	snprintf(make_model_serial, sizeof(make_model_serial), "%s %s", make_model,
		wlr_output->serial ? wlr_output->serial : "");
	for (size_t i = 0; config != NULL && i < config->outputs_len; i++) {
		const char *match = config->outputs[i].match;
		if (strcmp(match, wlr_output->name) == 0 || strcmp(match, make_model) == 0 ||
				strcmp(match, make_model_serial) == 0) {
			return &config->outputs[i];
		}
	}
	return NULL;
}

void config_output_apply_state(const struct config_output *output_config,
		struct wlr_output *wlr_output, struct wlr_output_state *state) {
	if (output_config == NULL) {
		return;
	}
	if (output_config->enabled == CONFIG_OFF) {
		wlr_output_state_set_enabled(state, false);
		return;
	}
	wlr_output_state_set_enabled(state, true);
	if (output_config->has_mode) {
		/* A mode the output lists, else a custom one (headless and nested outputs). */
		struct wlr_output_mode *mode, *best = NULL;
		wl_list_for_each(mode, &wlr_output->modes, link) {
			if (mode->width == output_config->width && mode->height == output_config->height &&
					(output_config->refresh_mhz == 0 ||
					abs(mode->refresh - output_config->refresh_mhz) < 500) &&
					(best == NULL || mode->refresh > best->refresh)) {
				best = mode;
			}
		}
		if (best != NULL) {
			wlr_output_state_set_mode(state, best);
		} else {
			wlr_output_state_set_custom_mode(state, output_config->width,
				output_config->height, output_config->refresh_mhz);
		}
	}
	/* What the section leaves out is the default, so that deleting a line and reloading undoes it. */
	wlr_output_state_set_scale(state, output_config->scale > 0 ? (float)output_config->scale : 1);
	wlr_output_state_set_transform(state, output_config->transform >= 0 ?
		(enum wl_output_transform)output_config->transform : WL_OUTPUT_TRANSFORM_NORMAL);
}

void config_apply_keyboard(const struct config *config, struct wlr_keyboard *keyboard) {
	const struct config_keyboard *settings = &config->keyboard;
	struct xkb_rule_names names = {
		.rules = settings->rules, .model = settings->model, .layout = settings->layout,
		.variant = settings->variant, .options = settings->options,
	};
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_keymap *keymap = context != NULL ?
		xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	if (keymap != NULL) {
		wlr_keyboard_set_keymap(keyboard, keymap);
	} else {
		wlr_log(WLR_ERROR, "keyboard %s: no keymap for layout '%s'", keyboard->base.name,
			settings->layout ? settings->layout : "(default)");
	}
	xkb_keymap_unref(keymap);
	xkb_context_unref(context);
	wlr_keyboard_set_repeat_info(keyboard, settings->repeat_rate, settings->repeat_delay);
}

static void apply_pointer_settings(const struct config_pointer *settings,
		struct libinput_device *device) {
	if (settings->tap != CONFIG_UNSET && libinput_device_config_tap_get_finger_count(device) > 0) {
		libinput_device_config_tap_set_enabled(device, settings->tap == CONFIG_ON ?
			LIBINPUT_CONFIG_TAP_ENABLED : LIBINPUT_CONFIG_TAP_DISABLED);
	}
	if (settings->natural_scroll != CONFIG_UNSET &&
			libinput_device_config_scroll_has_natural_scroll(device)) {
		libinput_device_config_scroll_set_natural_scroll_enabled(device,
			settings->natural_scroll == CONFIG_ON);
	}
	if (settings->left_handed != CONFIG_UNSET &&
			libinput_device_config_left_handed_is_available(device)) {
		libinput_device_config_left_handed_set(device, settings->left_handed == CONFIG_ON);
	}
	if (libinput_device_config_accel_is_available(device)) {
		if (settings->accel_profile != 0) {
			libinput_device_config_accel_set_profile(device,
				(enum libinput_config_accel_profile)settings->accel_profile);
		}
		if (settings->has_accel_speed) {
			libinput_device_config_accel_set_speed(device, settings->accel_speed);
		}
	}
}

void config_apply_pointer(const struct config *config, struct wlr_input_device *device) {
	if (!wlr_input_device_is_libinput(device)) {
		return; /* virtual and nested pointers have no settings */
	}
	struct libinput_device *handle = wlr_libinput_get_device_handle(device);
	bool touchpad = libinput_device_config_tap_get_finger_count(handle) > 0;
	/*
	 * libinput's defaults first: a setting removed from the file by a
	 * reload goes back to what the device had before pinhole set it.
	 */
	if (touchpad) {
		libinput_device_config_tap_set_enabled(handle,
			libinput_device_config_tap_get_default_enabled(handle));
	}
	if (libinput_device_config_scroll_has_natural_scroll(handle)) {
		libinput_device_config_scroll_set_natural_scroll_enabled(handle,
			libinput_device_config_scroll_get_default_natural_scroll_enabled(handle));
	}
	if (libinput_device_config_left_handed_is_available(handle)) {
		libinput_device_config_left_handed_set(handle,
			libinput_device_config_left_handed_get_default(handle));
	}
	if (libinput_device_config_accel_is_available(handle)) {
		libinput_device_config_accel_set_profile(handle,
			libinput_device_config_accel_get_default_profile(handle));
		libinput_device_config_accel_set_speed(handle,
			libinput_device_config_accel_get_default_speed(handle));
	}
	/* General first, specific last: [pointer], [touchpad], [pointer:NAME]. */
	enum config_pointer_match order[] = {CONFIG_POINTER_ANY, CONFIG_POINTER_TOUCHPAD,
		CONFIG_POINTER_DEVICE};
	for (size_t o = 0; o < 3; o++) {
		for (size_t i = 0; i < config->pointers_len; i++) {
			const struct config_pointer *settings = &config->pointers[i];
			if (settings->match != order[o] ||
					(order[o] == CONFIG_POINTER_TOUCHPAD && !touchpad) ||
					(order[o] == CONFIG_POINTER_DEVICE &&
					strcmp(settings->device, libinput_device_get_name(handle)) != 0)) {
				continue;
			}
			wlr_log(WLR_DEBUG, "pointer %s: applying its configuration", device->name);
			apply_pointer_settings(settings, handle);
		}
	}
}

static void apply_outputs(struct server *server) {
	struct output *output;
	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_output *wlr_output = output->wlr_output;
		const struct config_output *settings = config_output_for(server->config, wlr_output);
		if (settings == NULL) {
			continue;
		}
		struct wlr_output_state state;
		wlr_output_state_init(&state);
		config_output_apply_state(settings, wlr_output, &state);
		if (!wlr_output_commit_state(wlr_output, &state)) {
			wlr_log(WLR_ERROR, "output %s: could not apply its configuration",
				wlr_output->name);
		}
		wlr_output_state_finish(&state);
		output_place(output, settings);
	}
}

bool config_reload(struct server *server) {
	const char *path = server->config->path;
	char buf[PATH_MAX];
	if (path == NULL) {
		/* Started without a file: one may have been created since. */
		path = config_default_path(server->options, buf, sizeof(buf));
	}
	char err[4096 + 1024];
	struct config *config = config_load(path, server->options, err, sizeof(err));
	if (config == NULL) {
		/* The one line a user needs, at every log level; the rest for -v. */
		fprintf(stderr, "pinhole: %s\n", err);
		wlr_log(WLR_INFO, "configuration not reloaded: the running one stays");
		return false;
	}
	struct config *old = server->config;
	server->config = config;
	server->policy = config->policy;
	config_destroy(old);
	seat_apply_config(server->seat);
	apply_outputs(server);
	/* path may have been the old configuration's, freed above. */
	wlr_log(WLR_INFO, "configuration reloaded from %s",
		config->path != NULL ? config->path : "(defaults)");
	return true;
}

void config_run_autostart(const struct config *config, struct spawner *spawner) {
	for (size_t i = 0; i < config->autostart_len; i++) {
		wlr_log(WLR_INFO, "autostart: %s", config->autostart[i]);
		/* Like -s: each a process group of its own that ends with the session. */
		spawner_run(spawner, config->autostart[i], true, NULL, NULL);
	}
}
