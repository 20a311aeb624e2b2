#ifndef PINHOLE_CONFIG_FILE_H
#define PINHOLE_CONFIG_FILE_H

/*
 * The configuration file ($XDG_CONFIG_HOME/pinhole/config or -c FILE), an
 * INI file read with libinih (see docs/configuration.md). Named config_file.h
 * because config.h is meson's generated header.
 *
 * A configuration is parsed whole into a struct config, then applied; a
 * reload (SIGHUP or the reload binding) that fails to parse keeps the old
 * one and logs "FILE:LINE: reason".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bindings;
struct binding;
struct options;
struct policy;
struct server;
struct wlr_input_device;
struct wlr_keyboard;
struct wlr_output;
struct wlr_output_state;

enum config_toggle {
	CONFIG_UNSET,
	CONFIG_OFF,
	CONFIG_ON,
};

struct config_keyboard {
	char *rules, *model, *layout, *variant, *options; /* NULL: XKB_DEFAULT_* / built-in */
	int repeat_rate, repeat_delay; /* keys a second, ms */
};

enum config_pointer_match {
	CONFIG_POINTER_ANY, /* [pointer] */
	CONFIG_POINTER_TOUCHPAD, /* [touchpad] */
	CONFIG_POINTER_DEVICE, /* [pointer:NAME] */
};

struct config_pointer {
	enum config_pointer_match match;
	char *device; /* the libinput device name, for CONFIG_POINTER_DEVICE */
	enum config_toggle tap, natural_scroll, left_handed;
	int accel_profile; /* 0: unset, else enum libinput_config_accel_profile */
	bool has_accel_speed;
	double accel_speed; /* -1 to 1 */
};

struct config_output {
	char *match; /* connector name, or "MAKE MODEL" / "MAKE MODEL SERIAL" */
	bool has_mode;
	int width, height, refresh_mhz;
	double scale; /* 0: unset */
	bool has_position;
	int x, y;
	int transform; /* -1: unset, else enum wl_output_transform */
	enum config_toggle enabled;
};

struct config {
	char *path; /* NULL: no file, the built-in defaults */
	struct config_keyboard keyboard;
	struct config_pointer *pointers;
	size_t pointers_len;
	struct config_output *outputs;
	size_t outputs_len;
	struct binding *bindings;
	size_t bindings_len;
	char **autostart;
	size_t autostart_len;
	char *terminal, *launcher, *locker;
	uint32_t drag_modifier; /* WLR_MODIFIER_*, 0: no modifier+drag */
	/* The command line's capture rules, then the [capture] section's. */
	struct policy *policy;
};

/*
 * The file that applies: -c FILE, else the first of
 * $XDG_CONFIG_HOME/pinhole/config (~/.config/pinhole/config) and
 * DIR/pinhole/config for each DIR of $XDG_CONFIG_DIRS (/etc/xdg) that
 * exists, else NULL (built-in defaults).
 */
const char *config_default_path(const struct options *options, char *buf, size_t size);

/* Parses path (NULL: defaults only). On error writes "FILE:LINE: reason" into err. */
struct config *config_load(const char *path, const struct options *options,
	char *err, size_t err_size);
void config_destroy(struct config *config);

/* The output section for an output, or NULL. */
const struct config_output *config_output_for(const struct config *config,
	struct wlr_output *wlr_output);
/* Adds the section's mode, scale, transform and enabled to state. */
void config_output_apply_state(const struct config_output *output_config,
	struct wlr_output *wlr_output, struct wlr_output_state *state);

/* Keymap and repeat of a keyboard whose keymap is ours to choose. */
void config_apply_keyboard(const struct config *config, struct wlr_keyboard *keyboard);
/* libinput settings of a pointer device (nothing for other devices). */
void config_apply_pointer(const struct config *config, struct wlr_input_device *device);

/*
 * Reads the file again and applies it (keyboards, pointers, outputs,
 * bindings, capture rules for new clients). On a mistake keeps everything as
 * it was, logs "FILE:LINE: reason" and returns false.
 */
bool config_reload(struct server *server);
struct spawner;
/* The autostart commands, once after start-up; they get SIGTERM when pinhole exits. */
void config_run_autostart(const struct config *config, struct spawner *spawner);

#endif
