/*
 * Window management through the protocols taskbars and launchers use:
 * wlr-foreign-toplevel-management-v1 (wlrctl's toplevel actions and our own
 * lister, tests/clients/ph-toplevels), xdg-activation-v1, and the window
 * states behind them (maximize, minimize, fullscreen; xdg-shell and X11).
 *
 * Every check looks at what the clients saw, not at pinhole's word: window
 * pixels in grim's screenshots, the bytes a terminal received from the keys
 * typed (foot runs `cat` into a file), the configure events and keyboard
 * focus ph-window prints, the handles' events ph-toplevels prints, what the
 * X server says of an X11 window (xwininfo, xprop; xdotool sets its urgency
 * hint), which window Alt+Tab picks (urgent ones first), GTK's own WAYLAND_DEBUG
 * log, and client exits. ph-keyboard keeps a keyboard plugged into the
 * headless seat. Three compositors: one output (foot, ph-window, activation,
 * xlogo, misuse), two outputs (fullscreen on the other output, an output
 * removed under a maximized window), and 1280x720 for gtk3-demo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "probe.h"
#include "wm-checks.h"

#define OUT_W 640
#define OUT_H 480
#define FOOT_A 0xff204080u
#define FOOT_B 0xff80a020u
#define WIN_A 0xffc02020u
#define WIN_B 0xff20c0c0u
#define WIN_C 0xff8040c0u
#define WAIT_MS 8000

static bool box_is_solid(struct wm_box b) {
	return b.count > 0 && b.count == (long)(b.x2 - b.x1) * (b.y2 - b.y1);
}

/*
 * Screenshots until the colour's box is `want` (solid), or absent when want
 * is NULL; returns the last box seen. Windows redraw on their own schedule.
 */
static bool wait_colour(struct ph_compositor *c, uint32_t argb, const struct wm_box *want,
		struct wm_box *seen) {
	int64_t deadline = ph_now_ms() + WAIT_MS;
	for (;;) {
		struct ph_image image;
		if (wm_screenshot(c, NULL, &image)) {
			*seen = wm_colour_box(&image, argb);
			ph_image_finish(&image);
			bool ok = want == NULL ? seen->count == 0 :
				box_is_solid(*seen) && seen->x1 == want->x1 && seen->y1 == want->y1 &&
				seen->x2 == want->x2 && seen->y2 == want->y2;
			if (ok) {
				return true;
			}
		}
		if (ph_now_ms() >= deadline) {
			return false;
		}
		ph_sleep_ms(50);
	}
}

/* Waits for the colour to appear as one solid rectangle, whatever its place. */
static bool wait_window(struct ph_compositor *c, uint32_t argb, struct wm_box *seen) {
	int64_t deadline = ph_now_ms() + WAIT_MS;
	for (;;) {
		struct ph_image image;
		if (wm_screenshot(c, NULL, &image)) {
			*seen = wm_colour_box(&image, argb);
			ph_image_finish(&image);
			if (box_is_solid(*seen) && seen->x2 - seen->x1 > 16) {
				return true;
			}
		}
		if (ph_now_ms() >= deadline) {
			return false;
		}
		ph_sleep_ms(50);
	}
}

/*
 * Reads a process's lines until one contains every needle (NULL-terminated
 * list); the line is left in `line`.
 */
static bool expect(struct ph_process *p, char *line, size_t size, const char *const *needles) {
	int64_t deadline = ph_now_ms() + WAIT_MS;
	while (ph_now_ms() < deadline) {
		if (!ph_read_line(p, line, size, (int)(deadline - ph_now_ms()))) {
			break;
		}
		bool all = true;
		for (int i = 0; needles[i] != NULL && all; i++) {
			all = strstr(line, needles[i]) != NULL;
		}
		if (all) {
			return true;
		}
	}
	ph_diag("no line with '%s'%s%s (last: '%s')", needles[0], needles[1] ? ", '" : "",
		needles[1] ? needles[1] : "", line);
	return false;
}
#define EXPECT(p, line, ...) expect(p, line, sizeof(line), (const char *[]){__VA_ARGS__, NULL})

/* Syncs with a client and collects what it printed before: did it see `needle`? */
static bool saw_before_sync(struct ph_process *p, const char *needle, bool *synced) {
	ph_write_line(p, "sync");
	char line[512];
	bool seen = false;
	*synced = false;
	while (ph_read_line(p, line, sizeof(line), WAIT_MS)) {
		if (strcmp(line, "synced") == 0) {
			*synced = true;
			break;
		}
		seen = seen || strstr(line, needle) != NULL;
	}
	return seen;
}

/* The ph-toplevels id of the handle whose done line is `line`. */
static int handle_id(const char *line) {
	int id = 0;
	sscanf(line, "done %d", &id);
	return id;
}

static bool wait_file(const char *path, const char *content) {
	int64_t deadline = ph_now_ms() + WAIT_MS;
	for (;;) {
		char *data = ph_read_file(path);
		bool ok = data != NULL && strcmp(data, content) == 0;
		if (!ok && ph_now_ms() >= deadline) {
			ph_diag("%s holds '%s', not '%s'", path, data ? data : "(nothing)", content);
		}
		free(data);
		if (ok) {
			return true;
		}
		if (ph_now_ms() >= deadline) {
			return false;
		}
		ph_sleep_ms(50);
	}
}

static bool file_is(const char *path, const char *content) {
	char *data = ph_read_file(path);
	bool ok = data != NULL && strcmp(data, content) == 0;
	if (!ok) {
		ph_diag("%s holds '%s', not '%s'", path, data ? data : "(nothing)", content);
	}
	free(data);
	return ok;
}

static int wlrctl(struct ph_compositor *c, const char *const *argv) {
	char out[1024];
	int code = ph_run(c, argv, 10000, out, sizeof(out));
	if (code != 0) {
		ph_diag("wlrctl %s %s: exit %d: %s", argv[1], argv[2], code, out);
	}
	return code;
}

static void spawn_foot(struct ph_compositor *c, struct ph_process *p, const char *app_id,
		uint32_t bg, const char *typed) {
	char bg_opt[48], cmd[512];
	snprintf(bg_opt, sizeof(bg_opt), "colors-dark.background=%06x", bg & 0xffffff);
	/* Cursor hidden, no echo: the window is its background colour only. */
	snprintf(cmd, sizeof(cmd), "printf '\\033[?25l'; stty raw -echo; exec cat > %s", typed);
	ph_spawn(c, p, (const char *[]){"foot", "-o", bg_opt, "-o", "main.pad=0x0",
		"-o", "csd.preferred=none", "--app-id", app_id, "-W", "20x5", "sh", "-c", cmd, NULL},
		0);
}

/* wlrctl's toplevel actions on two foot terminals, seen by ph-toplevels. */
static void test_foot(struct ph_compositor *c, struct ph_process *toplevels) {
	char line[1024];
	/* ph_scratch() reuses its buffer. */
	char typed_a[512], typed_b[512];
	snprintf(typed_a, sizeof(typed_a), "%s", ph_scratch("foot-a.txt"));
	snprintf(typed_b, sizeof(typed_b), "%s", ph_scratch("foot-b.txt"));
	struct ph_process foot_a, foot_b;
	struct wm_box a_box, b_box, seen;
	spawn_foot(c, &foot_a, "foot-a", FOOT_A, typed_a);
	bool a_up = wait_window(c, FOOT_A, &a_box);
	spawn_foot(c, &foot_b, "foot-b", FOOT_B, typed_b);
	bool b_up = wait_window(c, FOOT_B, &b_box);
	ph_ok(a_up && b_up, "two foot windows shown: %dx%d at %d,%d and %dx%d at %d,%d",
		a_box.x2 - a_box.x1, a_box.y2 - a_box.y1, a_box.x1, a_box.y1,
		b_box.x2 - b_box.x1, b_box.y2 - b_box.y1, b_box.x1, b_box.y1);

	bool listed_a = EXPECT(toplevels, line, "app_id=foot-a ", "title=foot ",
		"outputs=HEADLESS-1 ", "parent=-");
	int id_a = handle_id(line);
	bool listed_b = EXPECT(toplevels, line, "app_id=foot-b ", "states=activated ",
		"outputs=HEADLESS-1 ", "parent=-");
	int id_b = handle_id(line);
	ph_ok(listed_a && listed_b && id_a > 0 && id_b > 0 && id_a != id_b,
		"ph-toplevels lists both with title, app id, output HEADLESS-1, no parent; "
		"foot-b, mapped last, activated (ids %d, %d)", id_a, id_b);

	/* focus */
	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "focus", "app_id:foot-a", NULL});
	bool activated = EXPECT(toplevels, line, "app_id=foot-a ", "states=activated ");
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "a1", NULL});
	bool keys = wait_file(typed_a, "a1") && file_is(typed_b, "");
	ph_ok(activated && keys, "wlrctl toplevel focus: foot-a activated and the keys typed "
		"next reach its terminal, none foot-b's");

	/* minimize, then restore by activation */
	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "minimize", "app_id:foot-a", NULL});
	bool minimized = EXPECT(toplevels, line, "app_id=foot-a ", "states=minimized ",
		"outputs=- ");
	bool focus_moved = EXPECT(toplevels, line, "app_id=foot-b ", "states=activated ");
	bool hidden = wait_colour(c, FOOT_A, NULL, &seen);
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "b1", NULL});
	keys = wait_file(typed_b, "b1") && file_is(typed_a, "a1");
	ph_ok(minimized && focus_moved && hidden && keys, "wlrctl toplevel minimize: foot-a "
		"minimized and off screen (%ld pixels left), foot-b activated and gets the keys",
		seen.count);

	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "focus", "app_id:foot-a", NULL});
	bool restored = EXPECT(toplevels, line, "app_id=foot-a ", "states=activated ",
		"outputs=HEADLESS-1 ");
	bool back = wait_colour(c, FOOT_A, &a_box, &seen);
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "a2", NULL});
	keys = wait_file(typed_a, "a1a2") && file_is(typed_b, "b1");
	ph_ok(restored && back && keys, "wlrctl toplevel focus restores the minimized foot-a: "
		"where it was (%d,%d-%d,%d), activated, gets the keys", seen.x1, seen.y1, seen.x2,
		seen.y2);

	/* minimize, then restore by Alt+Tab */
	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "minimize", "app_id:foot-a", NULL});
	minimized = EXPECT(toplevels, line, "app_id=foot-a ", "states=minimized ");
	hidden = wait_colour(c, FOOT_A, NULL, &seen);
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "\t", "modifiers", "ALT", NULL});
	restored = EXPECT(toplevels, line, "app_id=foot-a ", "states=activated ");
	back = wait_colour(c, FOOT_A, &a_box, &seen);
	ph_ok(minimized && hidden && restored && back, "Alt+Tab brings the minimized foot-a back, "
		"activated, where it was");

	/* maximize, unmaximize */
	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "maximize", "app_id:foot-a", NULL});
	bool maximized = EXPECT(toplevels, line, "app_id=foot-a ", "states=maximized,activated ");
	struct wm_box full = {0, 0, OUT_W, OUT_H, 0};
	bool fills = wait_colour(c, FOOT_A, &full, &seen);
	ph_ok(maximized && fills, "wlrctl toplevel maximize: foot-a maximized, its background "
		"fills the %dx%d output (seen %d,%d-%d,%d)", OUT_W, OUT_H, seen.x1, seen.y1, seen.x2,
		seen.y2);
	ph_write_line(toplevels, "unmaximize %d", id_a);
	bool unmaximized = EXPECT(toplevels, line, "app_id=foot-a ", "states=activated ");
	back = wait_colour(c, FOOT_A, &a_box, &seen);
	ph_ok(unmaximized && back, "unset_maximized: foot-a back to its size and place "
		"(%d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);

	/* fullscreen */
	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "fullscreen", "app_id:foot-b", NULL});
	bool fullscreen = EXPECT(toplevels, line, "app_id=foot-b ", "states=activated,fullscreen ");
	bool covers = wait_colour(c, FOOT_B, &full, &seen);
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "b2", NULL});
	keys = wait_file(typed_b, "b1b2");
	ph_ok(fullscreen && covers && keys, "wlrctl toplevel fullscreen: foot-b fullscreen, "
		"covering the output, and focused");

	/* close */
	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "close", "app_id:foot-b", NULL});
	int code = ph_wait(&foot_b, WAIT_MS);
	bool closed = EXPECT(toplevels, line, "closed ", "app_id=foot-b");
	bool refocused = EXPECT(toplevels, line, "app_id=foot-a ", "states=activated ");
	ph_ok(code >= 0 && closed && refocused, "wlrctl toplevel close: foot-b exits (status %d), "
		"its handle is closed, foot-a activated again", code);
	ph_write_line(toplevels, "close %d", id_a);
	code = ph_wait(&foot_a, WAIT_MS);
	closed = EXPECT(toplevels, line, "closed ", "app_id=foot-a");
	ph_ok(code >= 0 && closed, "ph-toplevels close: foot-a exits too (status %d)", code);
}

static void spawn_window(struct ph_compositor *c, struct ph_process *p, const char *app_id,
		uint32_t colour, bool maximized) {
	char colour_arg[16];
	snprintf(colour_arg, sizeof(colour_arg), "%06x", colour & 0xffffff);
	ph_spawn(c, p, (const char *[]){ph_path("ph-window"), "--app-id", app_id, "--color",
		colour_arg, maximized ? "--maximized" : NULL, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
}

/* A client's own maximize/minimize requests, wm_capabilities, a dialog's parent. */
static void test_client_states(struct ph_compositor *c, struct ph_process *toplevels) {
	char line[1024];
	struct ph_process win;
	struct wm_box seen, placed;
	spawn_window(c, &win, "ph-window-a", WIN_A, false);
	bool caps = EXPECT(&win, line, "wm-capabilities ");
	ph_ok(caps && strstr(line, "maximize") && strstr(line, "minimize") &&
		strstr(line, "fullscreen") && !strstr(line, "window_menu"),
		"xdg wm_capabilities advertise what works: '%s'", line);
	bool shown = EXPECT(&win, line, "ready 160x120") && wait_window(c, WIN_A, &placed);

	ph_write_line(&win, "maximize");
	bool configured = EXPECT(&win, line, "configure 640 480 ", "maximized");
	struct wm_box full = {0, 0, OUT_W, OUT_H, 0};
	bool fills = wait_colour(c, WIN_A, &full, &seen);
	bool state = EXPECT(toplevels, line, "app_id=ph-window-a ", "states=maximized,activated ");
	ph_ok(shown && configured && fills && state, "xdg_toplevel.set_maximized: configure with "
		"the output's %dx%d and the maximized state; the window fills the output",
		OUT_W, OUT_H);

	ph_write_line(&win, "unmaximize");
	configured = EXPECT(&win, line, "configure 160 120 ");
	bool back = configured && strstr(line, "maximized") == NULL &&
		wait_colour(c, WIN_A, &placed, &seen);
	ph_ok(back, "unset_maximized: configure back to 160x120, not maximized, where it was "
		"(%d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);

	ph_write_line(&win, "minimize");
	bool minimized = EXPECT(toplevels, line, "app_id=ph-window-a ", "states=minimized ");
	bool hidden = wait_colour(c, WIN_A, NULL, &seen);
	ph_ok(minimized && hidden, "xdg_toplevel.set_minimized: minimized and off screen");

	ph_write_line(toplevels, "unminimize %d", handle_id(line));
	bool restored = EXPECT(toplevels, line, "app_id=ph-window-a ", "states=activated ");
	bool focused = EXPECT(&win, line, "keyboard-enter");
	back = wait_colour(c, WIN_A, &placed, &seen);
	ph_ok(restored && focused && back, "unset_minimized from a taskbar: shown again, "
		"activated, with keyboard focus");

	ph_write_line(&win, "dialog");
	bool parented = EXPECT(toplevels, line, "app_id=ph-window-a-dialog ", "parent=");
	int parent = 0;
	char *p = strstr(line, "parent=");
	sscanf(p + 7, "%d", &parent);
	struct ph_process other;
	spawn_window(c, &other, "ph-window-max", WIN_B, true);
	configured = EXPECT(&other, line, "configure 640 480 ", "maximized");
	fills = wait_colour(c, WIN_B, &full, &seen);
	EXPECT(toplevels, line, "app_id=ph-window-a ");
	int id_a = handle_id(line);
	ph_ok(parented && parent == id_a && id_a > 0, "a dialog's handle names its parent "
		"(parent=%d, ph-window-a is %d)", parent, id_a);
	ph_ok(configured && fills, "a window that asks to be maximized before it maps gets "
		"the maximized size in its first configure and fills the output");
	ph_write_line(&other, "quit");
	ph_write_line(&win, "quit");
	ph_ok(ph_wait(&other, WAIT_MS) == 0 && ph_wait(&win, WAIT_MS) == 0,
		"both ph-window clients exit cleanly");
}

static bool read_token(struct ph_process *p, char *token, size_t size) {
	char line[512];
	if (!EXPECT(p, line, "token ")) {
		return false;
	}
	snprintf(token, size, "%s", line + 6);
	return token[0] != '\0';
}

/* Which of the windows got the keyboard since the last look (NULL: none did). */
static struct ph_process *who_entered(struct ph_process *const *wins, int n, bool *synced) {
	struct ph_process *entered = NULL;
	*synced = true;
	for (int i = 0; i < n; i++) {
		bool ok;
		if (saw_before_sync(wins[i], "keyboard-enter", &ok) && entered == NULL) {
			entered = wins[i];
		}
		*synced = *synced && ok;
	}
	return entered;
}

/* Alt+Tab through a virtual keyboard: the window that asked for attention comes first. */
static struct ph_process *alt_tab(struct ph_compositor *c, struct ph_process *const *wins,
		int n) {
	bool synced;
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "\t", "modifiers", "ALT", NULL});
	struct ph_process *entered = who_entered(wins, n, &synced);
	return synced ? entered : NULL;
}

/* `from` (focused) hands focus to `to` with a valid token; the token is left in `token`. */
static bool hand_focus(struct ph_process *from, struct ph_process *to, char *token,
		size_t size) {
	char line[256];
	ph_write_line(from, "token");
	if (!read_token(from, token, size)) {
		return false;
	}
	ph_write_line(to, "activate %s", token);
	return EXPECT(to, line, "keyboard-enter") && EXPECT(from, line, "keyboard-leave");
}

/*
 * b asks for activation with what `request` produced while c has the
 * keyboard: focus stays on c (b sees no enter, c no leave), and b is marked
 * urgent, which Alt+Tab shows by going to b rather than to the least recently
 * focused a. Then c gets the keyboard back.
 */
static void check_attention_only(struct ph_compositor *c, struct ph_process *a,
		struct ph_process *b, struct ph_process *cw, const char *token, const char *what) {
	struct ph_process *wins[] = {a, b, cw};
	char back[256];
	ph_write_line(b, "activate %s", token);
	bool synced_b, synced_c;
	bool b_entered = saw_before_sync(b, "keyboard-enter", &synced_b);
	bool c_left = saw_before_sync(cw, "keyboard-leave", &synced_c);
	ph_ok(synced_b && synced_c && !b_entered && !c_left,
		"%s: focus does not move (act-b saw no enter, act-c no leave)", what);
	struct ph_process *next = alt_tab(c, wins, 3);
	ph_ok(next == b, "%s: act-b is urgent: Alt+Tab goes to it, not to the least recently "
		"focused act-a (went to %s)", what, next == a ? "act-a" : next == cw ? "act-c" :
		next == b ? "act-b" : "none");
	ph_ok(hand_focus(b, cw, back, sizeof(back)), "%s: act-b hands the keyboard back to act-c",
		what);
}

/* The point of a window's colour box that no other window covers, from grim. */
static bool visible_point(struct ph_compositor *c, uint32_t argb, int *x, int *y) {
	struct ph_image image;
	if (!wm_screenshot(c, NULL, &image)) {
		return false;
	}
	struct wm_box b = wm_colour_box(&image, argb);
	bool ok = b.count > 0 && ph_image_at(&image, b.x1 + 2, b.y1 + 2) == argb;
	*x = b.x1 + 2;
	*y = b.y1 + 2;
	ph_image_finish(&image);
	return ok;
}

/* xdg-activation: who may take focus, who only gets marked urgent. */
static void test_activation(struct ph_compositor *c, struct ph_process *toplevels) {
	char line[1024], token[256], used[256];
	struct ph_process a, b, cw, tool;
	spawn_window(c, &a, "act-a", WIN_A, false);
	bool a_focus = EXPECT(&a, line, "keyboard-enter");
	spawn_window(c, &b, "act-b", WIN_B, false);
	bool b_focus = EXPECT(&b, line, "keyboard-enter");
	bool a_left = EXPECT(&a, line, "keyboard-leave");
	spawn_window(c, &cw, "act-c", WIN_C, false);
	bool c_focus = EXPECT(&cw, line, "keyboard-enter");
	bool b_left = EXPECT(&b, line, "keyboard-leave");
	ph_ok(a_focus && b_focus && a_left && c_focus && b_left,
		"act-a, act-b, act-c mapped in turn; act-c has the keyboard");

	/* The focused client hands focus on. */
	ph_write_line(&cw, "token");
	bool got = read_token(&cw, token, sizeof(token));
	ph_write_line(&b, "activate %s", token);
	bool entered = EXPECT(&b, line, "keyboard-enter");
	bool left = EXPECT(&cw, line, "keyboard-leave");
	bool listed = EXPECT(toplevels, line, "app_id=act-b ", "states=activated ");
	ph_ok(got && entered && left && listed, "a token from the focused client (its serial and "
		"surface) activates another window: act-b gets the keyboard, act-c loses it");
	ph_ok(hand_focus(&b, &cw, used, sizeof(used)), "and act-b hands it back the same way");

	check_attention_only(c, &a, &b, &cw, "not-a-token", "an invalid token");
	/* `used` activated act-c already: wlroots forgot it, as it forgets expired ones. */
	check_attention_only(c, &a, &b, &cw, used, "a token used once already");

	/* A token asked for by a client without focus: wlroots refuses it at commit. */
	ph_write_line(&b, "token");
	got = read_token(&b, token, sizeof(token));
	check_attention_only(c, &a, &b, &cw, token, "a token from an unfocused client (keyboard "
		"serial)");

	/* wlroots takes a serial of the pointer's enter; pinhole wants the keyboard's client. */
	ph_spawn(c, &tool, (const char *[]){ph_path("ph-input-tool"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	int x = 0, y = 0;
	bool visible = ph_expect_line(&tool, "hello", line, sizeof(line), WAIT_MS) &&
		visible_point(c, WIN_B, &x, &y);
	ph_write_line(&tool, "warp %d %d %d %d", x, y, OUT_W, OUT_H);
	bool pointed = visible && ph_expect_line(&tool, "warped", line, sizeof(line), WAIT_MS) &&
		EXPECT(&b, line, "pointer-enter");
	ph_write_line(&b, "token-pointer");
	got = pointed && read_token(&b, token, sizeof(token));
	ph_ok(got, "the pointer over act-b (%d,%d) gives it an enter serial and a token", x, y);
	check_attention_only(c, &a, &b, &cw, token, "a token with the pointer's serial of an "
		"unfocused client");
	ph_kill(&tool);

	/* A token without an input serial: attention only. */
	ph_write_line(&b, "token-bare");
	got = read_token(&b, token, sizeof(token));
	check_attention_only(c, &a, &b, &cw, got ? token : "-", "a token without an input serial");

	/* Focus cleared the urgency: Alt+Tab goes back to plain least-recently-focused order. */
	struct ph_process *wins[] = {&a, &b, &cw};
	struct ph_process *next = alt_tab(c, wins, 3);
	ph_ok(next == &a, "focus cleared the urgency: the next Alt+Tab goes to the least recently "
		"focused act-a");

	/* Misuse: committing a token twice is xdg_activation_token_v1.already_used. */
	ph_write_line(&b, "token-commit-twice");
	bool error = EXPECT(&b, line, "protocol-error ");
	ph_ok(error && strcmp(line, "protocol-error xdg_activation_token_v1 0") == 0 &&
		ph_wait(&b, WAIT_MS) == 3, "a token committed twice: '%s' (already_used = 0)", line);
	bool synced;
	saw_before_sync(&a, "-", &synced);
	ph_ok(synced, "the compositor goes on serving the other client");
	ph_write_line(&a, "quit");
	ph_wait(&a, WAIT_MS);
	ph_write_line(&cw, "quit");
	ph_wait(&cw, WAIT_MS);
	ph_kill(&b);
}

/* Opens a FIFO for writing once its reader is there (a shell in a terminal starting up). */
static int open_fifo_writer(const char *path) {
	int64_t deadline = ph_now_ms() + WAIT_MS;
	for (;;) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 || errno != ENXIO || ph_now_ms() >= deadline) {
			return fd;
		}
		ph_sleep_ms(20);
	}
}

/*
 * A real client asking for attention: foot with bell.urgent=yes rings its
 * bell while another window has the keyboard, and signals urgency through
 * xdg-activation (its own token). Focus stays where it is; Alt+Tab goes to
 * foot rather than to the least recently focused window.
 */
static void test_foot_bell(struct ph_compositor *c, struct ph_process *toplevels) {
	char line[1024], cmd[512];
	const char *fifo = ph_scratch("bell.fifo");
	unlink(fifo);
	bool made = mkfifo(fifo, 0600) == 0;
	struct ph_process a, foot, cw;
	spawn_window(c, &a, "bell-a", WIN_A, false);
	bool ready = made && EXPECT(&a, line, "keyboard-enter");
	/* The bell rings once the test writes a line into the FIFO. */
	snprintf(cmd, sizeof(cmd), "printf '\\033[?25l'; read x < '%s'; printf '\\a'; exec cat",
		fifo);
	ph_spawn(c, &foot, (const char *[]){"foot", "-o", "bell.urgent=yes", "-o",
		"main.pad=0x0", "-o", "csd.preferred=none", "--app-id", "foot-bell", "-W", "20x5",
		"sh", "-c", cmd, NULL}, 0);
	ready = ready && EXPECT(toplevels, line, "app_id=foot-bell ", "states=activated ");
	spawn_window(c, &cw, "bell-c", WIN_C, false);
	ready = ready && EXPECT(&cw, line, "keyboard-enter") &&
		EXPECT(toplevels, line, "app_id=bell-c ", "states=activated ");
	int fd = ready ? open_fifo_writer(fifo) : -1;
	ph_ok(ready && fd >= 0, "bell-a, foot 1.28 (bell.urgent=yes) and bell-c mapped in turn; "
		"bell-c has the keyboard, foot's shell waits on the FIFO");
	bool rang = fd >= 0 && write(fd, "ring\n", 5) == 5;
	if (fd >= 0) {
		close(fd);
	}
	/* pinhole's log is only the moment to look; the checks are the clients' own events. */
	int64_t deadline = ph_now_ms() + WAIT_MS;
	while (rang && !ph_compositor_log_contains(c, "foot-bell demands attention") &&
			ph_now_ms() < deadline) {
		ph_sleep_ms(20);
	}
	bool asked = rang && ph_compositor_log_contains(c, "foot-bell demands attention");
	bool synced;
	bool c_left = saw_before_sync(&cw, "keyboard-leave", &synced);
	ph_ok(asked && synced && !c_left, "foot rang its bell and asked for attention; bell-c "
		"keeps the keyboard (no leave)");
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "\t", "modifiers", "ALT", NULL});
	bool foot_active = EXPECT(toplevels, line, "app_id=foot-bell ", "states=activated ");
	bool a_entered = saw_before_sync(&a, "keyboard-enter", &synced);
	c_left = EXPECT(&cw, line, "keyboard-leave");
	ph_ok(foot_active && c_left && !a_entered, "foot is urgent: Alt+Tab activates it, not the "
		"least recently focused bell-a");
	ph_write_line(&a, "quit");
	ph_write_line(&cw, "quit");
	ph_ok(ph_wait(&a, WAIT_MS) == 0 && ph_wait(&cw, WAIT_MS) == 0, "bell-a and bell-c exit");
	ph_kill(&foot);
	unlink(fifo);
}

/* An X11 window through the same view layer: the X server's own view of it. */
static void test_xwayland(struct ph_compositor *c, struct ph_process *toplevels) {
	if (access("/usr/bin/Xwayland", X_OK) != 0 || access("/usr/bin/xlogo", X_OK) != 0) {
		ph_ok(false, "Xwayland and xlogo are installed");
		return;
	}
	char line[1024], out[8192];
	struct ph_process xlogo;
	ph_spawn(c, &xlogo, (const char *[]){"xlogo", "-geometry", "120x100", NULL}, 0);
	bool listed = EXPECT(toplevels, line, "app_id=XLogo ", "states=activated ");
	int id = handle_id(line);
	ph_ok(listed, "xlogo listed and activated (%s)", line);

	wlrctl(c, (const char *[]){"wlrctl", "toplevel", "maximize", "app_id:XLogo", NULL});
	bool maximized = EXPECT(toplevels, line, "app_id=XLogo ", "states=maximized,activated ");
	bool sized = false, net_state = false;
	int64_t deadline = ph_now_ms() + WAIT_MS;
	while (!(sized && net_state) && ph_now_ms() < deadline) {
		ph_run(c, (const char *[]){"xwininfo", "-name", "xlogo", NULL}, 5000, out,
			sizeof(out));
		sized = strstr(out, "Width: 640\n") && strstr(out, "Height: 480\n") &&
			strstr(out, "Absolute upper-left X:  0\n") &&
			strstr(out, "Absolute upper-left Y:  0\n");
		ph_run(c, (const char *[]){"xprop", "-name", "xlogo", "_NET_WM_STATE", NULL}, 5000,
			out, sizeof(out));
		net_state = strstr(out, "_NET_WM_STATE_MAXIMIZED_VERT") &&
			strstr(out, "_NET_WM_STATE_MAXIMIZED_HORZ");
		if (!(sized && net_state)) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(maximized && sized && net_state, "X11 maximize: xwininfo sees 640x480 at 0,0 and "
		"_NET_WM_STATE has both maximized atoms");

	ph_write_line(toplevels, "minimize %d", id);
	bool minimized = EXPECT(toplevels, line, "app_id=XLogo ", "states=maximized,minimized ");
	bool iconic = false;
	deadline = ph_now_ms() + WAIT_MS;
	while (!iconic && ph_now_ms() < deadline) {
		ph_run(c, (const char *[]){"xprop", "-name", "xlogo", "WM_STATE", NULL}, 5000, out,
			sizeof(out));
		iconic = strstr(out, "window state: Iconic") != NULL;
		if (!iconic) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(minimized && iconic, "X11 minimize: WM_STATE is Iconic");

	ph_write_line(toplevels, "activate %d", id);
	bool restored = EXPECT(toplevels, line, "app_id=XLogo ", "states=maximized,activated ");
	bool normal = false;
	deadline = ph_now_ms() + WAIT_MS;
	while (!normal && ph_now_ms() < deadline) {
		ph_run(c, (const char *[]){"xprop", "-name", "xlogo", "WM_STATE", NULL}, 5000, out,
			sizeof(out));
		normal = strstr(out, "window state: Normal") != NULL;
		if (!normal) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(restored && normal, "activate restores it: WM_STATE Normal, activated");

	/*
	 * Urgency: xlogo between two windows in focus order (x-b least recently
	 * focused, x-c focused), then the urgency hint set in its WM_HINTS.
	 */
	struct ph_process xb, xc;
	spawn_window(c, &xb, "x-b", WIN_B, false);
	bool ready = EXPECT(&xb, line, "keyboard-enter");
	ph_write_line(toplevels, "activate %d", id);
	ready = ready && EXPECT(toplevels, line, "app_id=XLogo ", "states=maximized,activated ") &&
		EXPECT(&xb, line, "keyboard-leave");
	spawn_window(c, &xc, "x-c", WIN_C, false);
	ready = ready && EXPECT(&xc, line, "keyboard-enter");
	int code = ph_run(c, (const char *[]){"xdotool", "search", "--name", "^xlogo$",
		"set_window", "--urgency", "1", NULL}, 5000, out, sizeof(out));
	bool attention = false;
	deadline = ph_now_ms() + WAIT_MS;
	while (!attention && ph_now_ms() < deadline) {
		ph_run(c, (const char *[]){"xprop", "-name", "xlogo", "_NET_WM_STATE", NULL}, 5000,
			out, sizeof(out));
		attention = strstr(out, "_NET_WM_STATE_DEMANDS_ATTENTION") != NULL;
		if (!attention) {
			ph_sleep_ms(100);
		}
	}
	bool synced;
	bool c_left = saw_before_sync(&xc, "keyboard-leave", &synced);
	ph_ok(ready && code == 0 && attention && synced && !c_left, "xdotool sets xlogo's urgency "
		"hint: the X server shows _NET_WM_STATE_DEMANDS_ATTENTION (what X11 taskbars read), "
		"x-c keeps the keyboard");
	wlrctl(c, (const char *[]){"wlrctl", "keyboard", "type", "\t", "modifiers", "ALT", NULL});
	bool activated = EXPECT(toplevels, line, "app_id=XLogo ", "states=maximized,activated ");
	bool b_entered = saw_before_sync(&xb, "keyboard-enter", &synced);
	bool cleared = false;
	deadline = ph_now_ms() + WAIT_MS;
	while (!cleared && ph_now_ms() < deadline) {
		ph_run(c, (const char *[]){"xprop", "-name", "xlogo", "_NET_WM_STATE", NULL}, 5000,
			out, sizeof(out));
		cleared = strstr(out, "_NET_WM_STATE_DEMANDS_ATTENTION") == NULL;
		if (!cleared) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(activated && synced && !b_entered && cleared, "Alt+Tab goes to the urgent xlogo, "
		"not the least recently focused x-b; focused, it no longer demands attention");
	ph_write_line(&xb, "quit");
	ph_write_line(&xc, "quit");
	ph_ok(ph_wait(&xb, WAIT_MS) == 0 && ph_wait(&xc, WAIT_MS) == 0, "x-b and x-c exit");
	ph_kill(&xlogo);
	EXPECT(toplevels, line, "closed ", "app_id=XLogo");
}

/* Misuse of the management protocol gets its error code. */
static void test_misuse(struct ph_compositor *c) {
	char line[512];
	struct ph_process win, lister;
	spawn_window(c, &win, "victim", WIN_A, false);
	EXPECT(&win, line, "ready ");
	ph_spawn(c, &lister, (const char *[]){ph_path("ph-toplevels"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool listed = EXPECT(&lister, line, "app_id=victim ");
	ph_write_line(&lister, "rect %d 0 0 -10 10", handle_id(line));
	bool error = EXPECT(&lister, line, "protocol-error ");
	ph_ok(listed && error &&
		strcmp(line, "protocol-error zwlr_foreign_toplevel_handle_v1 0") == 0 &&
		ph_wait(&lister, WAIT_MS) == 3,
		"set_rectangle with a negative width: '%s' (invalid_rectangle = 0)", line);
	bool synced;
	saw_before_sync(&win, "-", &synced);
	ph_ok(synced, "the window's client is still served");
	ph_write_line(&win, "quit");
	ph_wait(&win, WAIT_MS);
}

/*
 * Two outputs side by side: a window's handle lists the outputs it overlaps,
 * and a taskbar can fullscreen it on the other one (grim -o shows which).
 */
static void test_outputs(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--outputs", "2",
			NULL})) {
		ph_ok(false, "compositor with two outputs started");
		return;
	}
	char line[1024], out[1024];
	struct ph_process toplevels, win;
	ph_spawn(&c, &toplevels, (const char *[]){ph_path("ph-toplevels"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool listed = ph_expect_line(&toplevels, "listed", line, sizeof(line), WAIT_MS);
	spawn_window(&c, &win, "two-outputs", WIN_B, false);
	bool on_first = listed && EXPECT(&toplevels, line, "app_id=two-outputs ",
		"outputs=HEADLESS-1 ");
	int id = handle_id(line);
	ph_write_line(&toplevels, "fullscreen-on %d HEADLESS-2", id);
	bool on_second = EXPECT(&toplevels, line, "app_id=two-outputs ", "states=activated,fullscreen ",
		"outputs=HEADLESS-2 ");
	bool covers = false;
	int64_t deadline = ph_now_ms() + WAIT_MS;
	while (!covers && ph_now_ms() < deadline) {
		struct ph_image image;
		char why[128];
		if (ph_run(&c, (const char *[]){"grim", "-o", "HEADLESS-2", ph_scratch("o2.png"), NULL},
				10000, out, sizeof(out)) == 0 && ph_image_load(ph_scratch("o2.png"), &image)) {
			covers = ph_image_rect_is(&image, 0, 0, image.width, image.height, WIN_B, why,
				sizeof(why));
			ph_image_finish(&image);
		}
		if (!covers) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(on_first && on_second && covers, "set_fullscreen on HEADLESS-2: the handle leaves "
		"HEADLESS-1 for HEADLESS-2 and grim -o HEADLESS-2 is all the window's colour");
	ph_write_line(&toplevels, "unfullscreen %d", id);
	bool back = EXPECT(&toplevels, line, "app_id=two-outputs ", "states=activated ",
		"outputs=HEADLESS-2 ");
	/* It stays on the output it was sent to, at its own size, in that output's corner. */
	struct wm_box seen = {0};
	bool placed = false;
	deadline = ph_now_ms() + WAIT_MS;
	while (!placed && ph_now_ms() < deadline) {
		struct ph_image image;
		if (ph_run(&c, (const char *[]){"grim", "-o", "HEADLESS-2", ph_scratch("o2.png"), NULL},
				10000, out, sizeof(out)) == 0 && ph_image_load(ph_scratch("o2.png"), &image)) {
			seen = wm_colour_box(&image, WIN_B);
			placed = box_is_solid(seen) && seen.x1 == 0 && seen.y1 == 0 && seen.x2 == 160 &&
				seen.y2 == 120;
			ph_image_finish(&image);
		}
		if (!placed) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(back && placed, "unset_fullscreen: the window stays on HEADLESS-2, 160x120 at its "
		"corner (seen %d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);

	/* Maximized there, then HEADLESS-2 goes away (SIGUSR2): it fills HEADLESS-1. */
	ph_write_line(&toplevels, "maximize %d", id);
	bool maximized = EXPECT(&toplevels, line, "app_id=two-outputs ",
		"states=maximized,activated ", "outputs=HEADLESS-2 ");
	kill(c.pid, SIGUSR2);
	bool moved = EXPECT(&toplevels, line, "app_id=two-outputs ", "states=maximized,activated ",
		"outputs=HEADLESS-1 ");
	struct wm_box full = {0, 0, OUT_W, OUT_H, 0};
	bool fills = wait_colour(&c, WIN_B, &full, &seen);
	ph_ok(maximized && moved && fills, "a window maximized on an output that goes away is "
		"maximized on the remaining one: handle on HEADLESS-1, grim sees it fill the %dx%d "
		"layout (seen %d,%d-%d,%d)", OUT_W, OUT_H, seen.x1, seen.y1, seen.x2, seen.y2);
	ph_write_line(&win, "quit");
	ph_wait(&win, WAIT_MS);
	ph_write_line(&toplevels, "quit");
	ph_ok(ph_wait(&toplevels, WAIT_MS) == 0, "ph-toplevels saw outputs entered and left in "
		"order, no protocol error");
	ph_compositor_finish(&c);
}

static bool corner_black(const struct ph_image *image) {
	char why[128];
	return ph_image_rect_is(image, image->width - 10, image->height - 10, 10, 10, 0xff000000u,
		why, sizeof(why));
}

/*
 * GTK's own maximize: a double click on gtk3-demo's header bar makes GTK send
 * xdg_toplevel.set_maximized (its titlebar double-click action), and the
 * configure that answers carries the output's size. GTK's WAYLAND_DEBUG log is
 * the record of both; the screenshot shows the window covering the output.
 */
static void test_gtk(void) {
	if (access("/usr/bin/gtk3-demo", X_OK) != 0) {
		ph_ok(false, "gtk3-demo (gtk-3-examples) is installed");
		return;
	}
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "1280x720", NULL})) {
		ph_ok(false, "compositor for GTK started");
		return;
	}
	char line[4096];
	struct ph_process gtk;
	/* A session bus of its own: GtkApplication registers on one. */
	ph_spawn(&c, &gtk, (const char *[]){"env", "GDK_BACKEND=wayland", "WAYLAND_DEBUG=client",
		"NO_AT_BRIDGE=1", "GTK_USE_PORTAL=0", "sh", "-c",
		"exec dbus-run-session -- gtk3-demo 2>&1", NULL}, PH_PIPE_STDOUT);
	bool caps = EXPECT(&gtk, line, "xdg_toplevel#", ".wm_capabilities(array[12])");
	bool activated = EXPECT(&gtk, line, "xdg_toplevel#", ".configure(0, 0, array[4])");
	/* Drawn: the header bar is where we click, the corner beyond the window black. */
	bool drawn = false;
	int64_t deadline = ph_now_ms() + WAIT_MS;
	while (!drawn && ph_now_ms() < deadline) {
		struct ph_image image;
		if (wm_screenshot(&c, NULL, &image)) {
			drawn = ph_image_at(&image, 400, 20) != 0xff000000u && corner_black(&image);
			ph_image_finish(&image);
		}
		if (!drawn) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(caps && activated && drawn, "gtk3-demo mapped: wm_capabilities with three "
		"entries, activated, drawn at the top-left");
	struct probe probe;
	bool clicked = probe_start(&c, &probe) &&
		probe_cmd(&probe, "click 400 20 1280 720", "clicked") &&
		probe_cmd(&probe, "click 400 20 1280 720", "clicked");
	bool requested = EXPECT(&gtk, line, "-> xdg_toplevel#", ".set_maximized()");
	bool configured = EXPECT(&gtk, line, "xdg_toplevel#", ".configure(1280, 720, ");
	bool covers = false;
	deadline = ph_now_ms() + WAIT_MS;
	while (!covers && ph_now_ms() < deadline) {
		struct ph_image image;
		if (wm_screenshot(&c, NULL, &image)) {
			char why[128];
			covers = !corner_black(&image) &&
				!ph_image_rect_is(&image, 0, image.height - 10, 10, 10, 0xff000000u, why,
					sizeof(why));
			ph_image_finish(&image);
		}
		if (!covers) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(clicked && requested && configured && covers, "a double click on GTK's header bar: "
		"GTK asks set_maximized, gets configure(1280, 720), and covers the output's corners");
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&gtk);
	ph_compositor_finish(&c);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 200);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process keyboard, toplevels;
	char line[512];
	ph_spawn(&c, &keyboard, (const char *[]){ph_path("ph-keyboard"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_spawn(&c, &toplevels, (const char *[]){ph_path("ph-toplevels"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool ready = ph_expect_line(&keyboard, "ready", line, sizeof(line), WAIT_MS) &&
		ph_expect_line(&toplevels, "listed", line, sizeof(line), WAIT_MS);
	ph_ok(ready, "a keyboard plugged in, ph-toplevels bound zwlr_foreign_toplevel_manager_v1");
	if (ready) {
		test_foot(&c, &toplevels);
		test_client_states(&c, &toplevels);
		test_activation(&c, &toplevels);
		test_foot_bell(&c, &toplevels);
		test_xwayland(&c, &toplevels);
		test_misuse(&c);
	}
	ph_write_line(&toplevels, "quit");
	ph_ok(ph_wait(&toplevels, WAIT_MS) == 0, "ph-toplevels saw no protocol error");
	ph_kill(&keyboard);
	ph_compositor_finish(&c);
	test_outputs();
	test_gtk();
	return ph_finish();
}
