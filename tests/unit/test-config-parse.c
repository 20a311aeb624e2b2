/* Unit tests for the configuration parser: sections, values, bindings and FILE:LINE errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_keyboard.h>
#include "bindings.h"
#include "config_file.h"
#include "harness.h"
#include "options.h"
#include "policy.h"

/*
 * config.c and bindings.c call into the compositor when they apply a
 * configuration or run a binding; parsing never does. These link-time
 * fillers abort so that a parse that reached one would fail the test.
 */
struct seat;
struct server;
struct view;
struct output;
struct wlr_surface;
void seat_apply_config(struct seat *seat) { abort(); }
void output_place(struct output *output, const struct config_output *settings) { abort(); }
struct wlr_seat *seat_wlr_seat(struct seat *seat) { abort(); }
struct view *view_from_surface(struct server *server, struct wlr_surface *surface) { abort(); }
void view_set_fullscreen(struct view *view, bool fullscreen) { abort(); }
void view_cycle_focus(struct server *server) { abort(); }
void server_terminate(struct server *server, int exit_code) { abort(); }

static struct options opts;

static struct config *load(const char *text, char *err, size_t err_size) {
	const char *path = ph_scratch("config");
	FILE *file = fopen(path, "w");
	fputs(text, file);
	fclose(file);
	return config_load(path, &opts, err, err_size);
}

static const struct binding *find_binding(const struct config *config, uint32_t modifiers,
		xkb_keysym_t keysym) {
	for (size_t i = 0; i < config->bindings_len; i++) {
		if (config->bindings[i].modifiers == modifiers && config->bindings[i].keysym == keysym) {
			return &config->bindings[i];
		}
	}
	return NULL;
}

static void expect_error(const char *text, int line, const char *needle) {
	char err[8192] = "";
	struct config *config = load(text, err, sizeof(err));
	char want[1024];
	snprintf(want, sizeof(want), "%s:%d: ", ph_scratch("config"), line);
	ph_ok(config == NULL && strncmp(err, want, strlen(want)) == 0 &&
		strstr(err, needle) != NULL && strchr(err, '\n') == NULL,
		"line %d rejected with '%s': %s", line, needle, err);
	config_destroy(config);
}

static void test_good(void) {
	char err[8192] = "";
	struct config *config = load(
		"# comment\n"
		"[general]\n"
		"terminal = foot --server\n"
		"drag-modifier = Alt\n"
		"[keyboard]\n"
		"layout = de\n"
		"variant = nodeadkeys\n"
		"repeat-rate = 40\n"
		"repeat-delay = 250\n"
		"[touchpad]\n"
		"tap = yes\n"
		"natural-scroll = on\n"
		"[pointer:Logitech USB Mouse]\n"
		"accel-profile = flat\n"
		"accel-speed = -0.5\n"
		"[output:HEADLESS-1]\n"
		"mode = 800x600@30\n"
		"scale = 1.5\n"
		"position = -800,100\n"
		"transform = flipped-90\n"
		"[output:Dell Inc. U2720Q]\n"
		"enabled = no\n"
		"[bindings]\n"
		"Super+Return = exec foot -e htop\n"
		"Print = none\n"
		"Ctrl+Alt+Shift+Super+F12 = reload\n"
		"[autostart]\n"
		"exec = swaybg -c '#336699'\n"
		"exec = mako\n"
		"[capture]\n"
		"deny = app-id:org.example.*\n"
		"default = deny\n", err, sizeof(err));
	ph_ok(config != NULL, "a full configuration loads: %s", err);
	if (config == NULL) {
		return;
	}
	ph_ok(strcmp(config->terminal, "foot --server") == 0 &&
		config->drag_modifier == WLR_MODIFIER_ALT, "[general]");
	ph_ok(strcmp(config->keyboard.layout, "de") == 0 &&
		strcmp(config->keyboard.variant, "nodeadkeys") == 0 &&
		config->keyboard.repeat_rate == 40 && config->keyboard.repeat_delay == 250,
		"[keyboard]");
	ph_ok(config->pointers_len == 2 && config->pointers[0].match == CONFIG_POINTER_TOUCHPAD &&
		config->pointers[0].tap == CONFIG_ON && config->pointers[0].natural_scroll == CONFIG_ON &&
		config->pointers[0].left_handed == CONFIG_UNSET &&
		config->pointers[1].match == CONFIG_POINTER_DEVICE &&
		strcmp(config->pointers[1].device, "Logitech USB Mouse") == 0 &&
		config->pointers[1].accel_profile != 0 && config->pointers[1].has_accel_speed &&
		config->pointers[1].accel_speed == -0.5, "[touchpad] and [pointer:NAME]");
	const struct config_output *out = config->outputs_len == 2 ? &config->outputs[0] : NULL;
	ph_ok(out != NULL && strcmp(out->match, "HEADLESS-1") == 0 && out->has_mode &&
		out->width == 800 && out->height == 600 && out->refresh_mhz == 30000 &&
		out->scale == 1.5 && out->has_position && out->x == -800 && out->y == 100 &&
		out->transform == 5 && out->enabled == CONFIG_UNSET &&
		config->outputs[1].enabled == CONFIG_OFF &&
		strcmp(config->outputs[1].match, "Dell Inc. U2720Q") == 0, "[output:NAME]");
	const struct binding *b = find_binding(config, WLR_MODIFIER_LOGO, XKB_KEY_Return);
	ph_ok(b != NULL && b->action == BINDING_EXEC && strcmp(b->command, "foot -e htop") == 0,
		"a binding replaces the default of the same keys");
	b = find_binding(config, 0, XKB_KEY_Print);
	ph_ok(b != NULL && b->action == BINDING_NONE, "'none' disables a default");
	b = find_binding(config, WLR_MODIFIER_CTRL | WLR_MODIFIER_ALT | WLR_MODIFIER_SHIFT |
		WLR_MODIFIER_LOGO, XKB_KEY_F12);
	ph_ok(b != NULL && b->action == BINDING_RELOAD, "four modifiers");
	ph_ok(find_binding(config, WLR_MODIFIER_SHIFT, XKB_KEY_Print) != NULL &&
		find_binding(config, WLR_MODIFIER_LOGO | WLR_MODIFIER_SHIFT, XKB_KEY_e) != NULL,
		"other defaults stay");
	ph_ok(config->autostart_len == 2 && strcmp(config->autostart[0], "swaybg -c '#336699'") == 0 &&
		strcmp(config->autostart[1], "mako") == 0, "[autostart] in order");
	struct policy_client app = {.sandboxed = true, .app_id = "org.example.App"};
	struct policy_client grim = {.exe = "/usr/bin/grim"};
	enum policy_verdict verdict;
	policy_decide(config->policy, &app, &verdict);
	bool app_denied = verdict == POLICY_DENY;
	policy_decide(config->policy, &grim, &verdict);
	ph_ok(config->policy->rules_len == 1 && app_denied && verdict == POLICY_DENY,
		"[capture] rules and default");
	config_destroy(config);
}

static void test_defaults(void) {
	char err[256] = "";
	struct config *config = config_load(NULL, &opts, err, sizeof(err));
	ph_ok(config != NULL && config->keyboard.repeat_rate == 25 &&
		config->drag_modifier == WLR_MODIFIER_LOGO, "no file: built-in defaults");
	/* The defaults leave Ctrl and Alt combinations (but Alt+Tab) to applications. */
	bool polite = config != NULL;
	for (size_t i = 0; config != NULL && i < config->bindings_len; i++) {
		const struct binding *b = &config->bindings[i];
		bool app_shortcut = (b->modifiers & (WLR_MODIFIER_CTRL | WLR_MODIFIER_ALT)) &&
			!(b->modifiers & WLR_MODIFIER_LOGO) && b->keysym != XKB_KEY_Tab &&
			b->keysym != XKB_KEY_Print;
		polite = polite && !app_shortcut && (b->modifiers != 0 || b->keysym == XKB_KEY_Print);
	}
	ph_ok(polite, "default bindings use Super or Print (and Alt+Tab)");
	ph_ok(config != NULL && find_binding(config, 0, XKB_KEY_Print)->action == BINDING_SCREENSHOT &&
		find_binding(config, WLR_MODIFIER_SHIFT, XKB_KEY_Print)->action ==
			BINDING_SCREENSHOT_REGION &&
		find_binding(config, WLR_MODIFIER_CTRL, XKB_KEY_Print)->action ==
			BINDING_SCREENSHOT_WINDOW, "Print, Shift+Print, Ctrl+Print take screenshots");
	config_destroy(config);
	char path_buf[64];
	struct options with_c = {.config_path = "/nonexistent/pinhole.conf"};
	ph_ok(strcmp(config_default_path(&with_c, path_buf, sizeof(path_buf)),
		"/nonexistent/pinhole.conf") == 0, "-c names the file even when it is missing");
	config = config_load("/nonexistent/pinhole.conf", &opts, err, sizeof(err));
	ph_ok(config == NULL && strcmp(err, "/nonexistent/pinhole.conf: No such file or directory")
		== 0, "missing file: %s", err);
}

static void test_errors(void) {
	expect_error("[general]\nterminal = foot\n[keybord]\nlayout = de\n", 4,
		"unknown section [keybord]");
	expect_error("terminal = foot\n", 1, "outside a section");
	expect_error("[general]\nthis is not a key value line\n", 2, "expected '[section]'");
	expect_error("[keyboard]\nrepeat-rate = fast\n", 2, "whole number");
	expect_error("[keyboard]\nlayout = xx-nonexistent\n", 2, "no XKB keymap");
	expect_error("[keyboard]\nlayot = de\n", 2, "unknown key 'layot'");
	expect_error("[touchpad]\ntap = perhaps\n", 2, "yes or no");
	expect_error("[pointer]\naccel-speed = 2\n", 2, "from -1 to 1");
	expect_error("[pointer]\naccel-profile = fast\n", 2, "flat or adaptive");
	expect_error("[output:X]\nmode = big\n", 2, "WxH");
	expect_error("[output:X]\nscale = 0\n", 2, "0.25");
	expect_error("[output:X]\nposition = 10\n", 2, "X,Y");
	expect_error("[output:X]\ntransform = 45\n", 2, "flipped-270");
	expect_error("[bindings]\nHyper+x = close\n", 2, "unknown modifier 'Hyper'");
	expect_error("[bindings]\nSuper+NoSuchKey = close\n", 2, "unknown key 'NoSuchKey'");
	expect_error("[bindings]\nSuper+x = explode\n", 2, "unknown action 'explode'");
	expect_error("[bindings]\nSuper+x = exec\n", 2, "unknown action 'exec'");
	expect_error("[autostart]\nrun = foot\n", 2, "unknown key 'run'");
	expect_error("[capture]\nallow = everyone\n", 2, "unknown matcher 'everyone'");
	expect_error("[general]\ndrag-modifier = Hyper\n", 2, "Super, Alt");
	char long_line[400];
	snprintf(long_line, sizeof(long_line), "[autostart]\nexec = %0250d\n", 0);
	expect_error(long_line, 2, "longer than");
	/* Only the first mistake is reported, with its own line. */
	expect_error("[general]\nterminal = foot\n\n[keyboard]\nrepeat-rate = x\n[nope]\n", 5,
		"whole number");
}

/* The installed default configuration: everything commented out, so exactly the defaults. */
static void test_shipped(void) {
	char path[1024], err[8192] = "";
	ph_source_path("pinhole.config", path, sizeof(path));
	struct config *shipped = config_load(path, &opts, err, sizeof(err));
	struct config *defaults = config_load(NULL, &opts, err, sizeof(err));
	bool same = shipped != NULL && defaults != NULL &&
		shipped->bindings_len == defaults->bindings_len && shipped->pointers_len == 0 &&
		shipped->outputs_len == 0 && shipped->autostart_len == 0 &&
		shipped->keyboard.layout == NULL && shipped->terminal == NULL &&
		shipped->drag_modifier == defaults->drag_modifier && shipped->policy->rules_len == 0;
	for (size_t i = 0; same && i < defaults->bindings_len; i++) {
		same = shipped->bindings[i].keysym == defaults->bindings[i].keysym &&
			shipped->bindings[i].modifiers == defaults->bindings[i].modifiers &&
			shipped->bindings[i].action == defaults->bindings[i].action;
	}
	ph_ok(same, "pinhole.config loads and equals the built-in defaults %s", err);
	/* Its commented bindings, uncommented, are the defaults too. */
	char *text = ph_read_file(path);
	char uncommented[16384] = "";
	bool in_bindings = false;
	for (char *line = text != NULL ? strtok(text, "\n") : NULL; line != NULL;
			line = strtok(NULL, "\n")) {
		if (line[0] == '[') {
			in_bindings = strcmp(line, "[bindings]") == 0;
			strcat(uncommented, line);
			strcat(uncommented, "\n");
		} else if (in_bindings && strncmp(line, "# ", 2) == 0 && strstr(line, " = ") != NULL) {
			strcat(uncommented, line + 2);
			strcat(uncommented, "\n");
		}
	}
	free(text);
	struct config *explicit = load(uncommented, err, sizeof(err));
	same = explicit != NULL && defaults != NULL &&
		explicit->bindings_len == defaults->bindings_len;
	for (size_t i = 0; same && i < defaults->bindings_len; i++) {
		same = explicit->bindings[i].action == defaults->bindings[i].action;
	}
	ph_ok(same, "the documented bindings are the defaults (%zu) %s",
		explicit != NULL ? explicit->bindings_len : 0, err);
	config_destroy(explicit);
	config_destroy(shipped);
	config_destroy(defaults);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 30);
	test_good();
	test_defaults();
	test_errors();
	test_shipped();
	return ph_finish();
}
