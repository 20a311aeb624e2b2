/*
 * The input protocols of games, remote desktops and IMEs, each checked on
 * what a test client observed (its own event log):
 *
 * - pointer-constraints + relative-pointer: a locked pointer does not move
 *   (no wl_pointer.motion; the next motion after the lock starts from where
 *   it was) while relative motion arrives; a lock with a cursor hint puts the
 *   cursor at the hint when it ends; a confined pointer stays in its region;
 *   a lock ends when another window takes the keyboard and (persistent)
 *   comes back with it.
 * - keyboard-shortcuts-inhibit: Alt+Tab and Alt+Escape reach the inhibiting
 *   window instead of cycling windows or quitting; Ctrl+Alt+F1 (VT switch)
 *   does not; Super+Escape ends the inhibition, after which Alt+Tab cycles
 *   again; a second inhibitor is the already_inhibited error.
 * - text-input-v3 + input-method-v2: the input method learns the text field's
 *   surrounding text and content type; preedit, commit and delete reach the
 *   text field; the keyboard grab gets another keyboard's keys while the
 *   input method's own virtual keyboard types into the window; the popup is
 *   drawn below the text cursor (grim); a second input method is unavailable.
 *   The text input follows the keyboard focus whether or not an input method
 *   runs; one that starts later serves the enabled field at once. A layer
 *   surface (a launcher) gets the same, its popup below its text cursor. A
 *   client that makes its text input before its wl_keyboard gets the
 *   text-input enter only once it has the keyboard, after the keyboard enter.
 * - wlr-gamma-control: pixman on headless outputs cannot apply ramps, so the
 *   client is told `failed`.
 * - sandboxed clients (wp-security-context-v1) do not see the input method,
 *   virtual input, data-control and gamma globals.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "harness.h"

/* Asks p for a roundtrip and collects every line before its answer, '|'-terminated. */
static void drain(struct ph_process *p, char *log, size_t size) {
	log[0] = '\0';
	ph_write_line(p, "roundtrip");
	char line[512];
	size_t len = 0;
	while (ph_read_line(p, line, sizeof(line), 5000)) {
		if (strcmp(line, "roundtrip-done") == 0) {
			return;
		}
		int n = snprintf(log + len, size - len, "%s|", line);
		if (n < 0 || (size_t)n >= size - len) {
			return;
		}
		len += (size_t)n;
	}
	snprintf(log + len, size - len, "(no answer)|");
}

/* Sends cmd and waits for its answer; the lines before it go to log ('|'-terminated). */
static bool command_log(struct ph_process *p, const char *cmd, const char *answer, char *log,
		size_t size) {
	char line[512];
	size_t len = 0;
	log[0] = '\0';
	ph_write_line(p, "%s", cmd);
	while (ph_read_line(p, line, sizeof(line), 5000)) {
		if (strncmp(line, answer, strlen(answer)) == 0) {
			return true;
		}
		int n = snprintf(log + len, size - len, "%s|", line);
		if (n > 0 && (size_t)n < size - len) {
			len += (size_t)n;
		}
	}
	return false;
}

static bool command(struct ph_process *p, const char *cmd, const char *answer) {
	char log[4096];
	return command_log(p, cmd, answer, log, sizeof(log));
}

/* Lines of a command's answer and of a drain after it, '|'-terminated. */
static void command_and_drain(struct ph_process *p, const char *cmd, const char *answer,
		char *log, size_t size) {
	char before[4096], after[4096];
	if (!command_log(p, cmd, answer, before, sizeof(before))) {
		snprintf(before + strlen(before), sizeof(before) - strlen(before), "(no %s)|", answer);
	}
	drain(p, after, sizeof(after));
	snprintf(log, size, "%s%s", before, after);
}

static bool spawn_window(struct ph_compositor *c, struct ph_process *p, const char *app_id,
		const char *size) {
	char line[256];
	ph_spawn(c, p, (const char *[]){ph_path("ph-input-client"), "--app-id", app_id, "--size",
		size, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	return ph_expect_line(p, "ready", line, sizeof(line), 5000);
}

static bool spawn_tool(struct ph_compositor *c, struct ph_process *p) {
	char line[256];
	ph_spawn(c, p, (const char *[]){ph_path("ph-input-tool"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	return ph_expect_line(p, "hello", line, sizeof(line), 5000);
}

/* The last "pointer-motion X Y" of a log, or false. */
static bool last_motion(const char *log, int *x, int *y) {
	const char *found = NULL;
	for (const char *p = strstr(log, "pointer-motion "); p != NULL;
			p = strstr(p + 1, "pointer-motion ")) {
		found = p;
	}
	return found != NULL && sscanf(found, "pointer-motion %d %d", x, y) == 2;
}

static void check_constraints(struct ph_compositor *c) {
	char log[8192];
	struct ph_process window, tool;
	bool ready = spawn_window(c, &window, "constrained", "200x150") && spawn_tool(c, &tool);
	ph_ok(ready, "a 200x150 window at 0,0 and the input tool are up");
	command(&tool, "warp 50 50 640 480", "warped");
	command_and_drain(&window, "relative", "relative-ready", log, sizeof(log));
	ph_ok(strstr(log, "pointer-enter 50 50|") != NULL, "the pointer entered at 50,50: %s", log);

	/* Lock without a hint: relative motion only, and the cursor stays. */
	command_and_drain(&window, "lock", "lock-requested", log, sizeof(log));
	ph_ok(strstr(log, "locked|") != NULL, "the lock is active at once: %s", log);
	command(&tool, "move 7 9", "moved");
	command(&tool, "move -3 4", "moved");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "relative-motion 7 9|relative-motion -3 4|") != NULL &&
		strstr(log, "pointer-motion") == NULL,
		"locked: relative motion 7,9 and -3,4 and no pointer motion: %s", log);
	command(&window, "unconstrain", "unconstrained");
	command(&tool, "move 1 1", "moved");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "relative-motion 1 1|pointer-motion 51 51|") != NULL,
		"the cursor did not move while locked: the next motion goes 50,50 -> 51,51: %s", log);

	/* Lock with a cursor hint: the cursor ends up there. */
	command_and_drain(&window, "lock 20 30", "lock-requested", log, sizeof(log));
	ph_ok(strstr(log, "locked|") != NULL, "a lock with a cursor hint of 20,30: %s", log);
	command(&tool, "move 40 40", "moved");
	command_and_drain(&window, "unconstrain", "unconstrained", log, sizeof(log));
	command(&tool, "move 1 1", "moved");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "pointer-motion 21 31|") != NULL,
		"after the lock the cursor is at the hint: the next motion reaches 21,31: %s", log);

	/* Confinement to 20,20 100x80. */
	command_and_drain(&window, "confine 20 20 100 80", "confine-requested", log, sizeof(log));
	ph_ok(strstr(log, "confined|") != NULL, "the confinement is active: %s", log);
	command(&tool, "move 500 500", "moved");
	drain(&window, log, sizeof(log));
	int x = -1, y = -1;
	bool moved = last_motion(log, &x, &y);
	ph_ok(moved && x >= 100 && x < 120 && y >= 80 && y < 100 && strstr(log, "pointer-leave") == NULL &&
		strstr(log, "relative-motion 500 500|") != NULL,
		"confined: a 500,500 motion stops at the region's corner (%d,%d), no leave: %s", x, y,
		log);
	command(&tool, "move -500 -500", "moved");
	drain(&window, log, sizeof(log));
	moved = last_motion(log, &x, &y);
	ph_ok(moved && x >= 20 && x < 30 && y >= 20 && y < 30,
		"and a -500,-500 motion at its top-left corner (%d,%d)", x, y);
	command(&window, "unconstrain", "unconstrained");
	command(&tool, "move 500 500", "moved");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "pointer-leave|") != NULL,
		"unconfined, the same motion leaves the window: %s", log);

	/*
	 * A window that opens takes the keyboard: the lock of the window the
	 * user left ends, and (persistent) comes back with the keyboard focus.
	 */
	command(&tool, "warp 50 50 640 480", "warped");
	command_and_drain(&window, "lock", "lock-requested", log, sizeof(log));
	ph_ok(strstr(log, "locked|") != NULL, "a persistent lock: %s", log);
	struct ph_process thief;
	bool thief_ready = spawn_window(c, &thief, "focus-thief", "100x100");
	drain(&window, log, sizeof(log));
	ph_ok(thief_ready && strstr(log, "unlocked|") != NULL,
		"another window takes the keyboard: the lock ends: %s", log);
	ph_kill(&thief);
	char relocked[256] = "";
	ph_ok(ph_expect_line(&window, "locked", relocked, sizeof(relocked), 5000),
		"the window gets the keyboard back: locked again (%s)", relocked);
	command(&window, "unconstrain", "unconstrained");

	/* A window that dies while it holds a lock: the cursor is free again. */
	command(&tool, "warp 50 50 640 480", "warped");
	command_and_drain(&window, "lock", "lock-requested", log, sizeof(log));
	ph_ok(strstr(log, "locked|") != NULL, "locked again: %s", log);
	ph_write_line(&window, "lock-again");
	char line[256];
	bool error = ph_expect_line(&window, "protocol-error", line, sizeof(line), 5000);
	ph_ok(error && strcmp(line, "protocol-error zwp_pointer_constraints_v1 1") == 0,
		"a second constraint on the surface is already_constrained: '%s'", line);
	ph_kill(&window);
	struct ph_process other;
	bool other_ready = spawn_window(c, &other, "after-lock", "200x150");
	command(&tool, "warp 60 60 640 480", "warped");
	command(&tool, "move 3 4", "moved");
	drain(&other, log, sizeof(log));
	/*
	 * Where the new window is depends on whether the dead one was still
	 * counted. It maps under the pointer and gets it then (before this log)
	 * or at the warp: the warp's enter or motion says where 60,60 is on it.
	 */
	int ex = -1, ey = -1;
	const char *enter = strstr(log, "pointer-enter ");
	const char *first_motion = strstr(log, "pointer-motion ");
	bool entered = enter != NULL ?
		sscanf(enter, "pointer-enter %d %d", &ex, &ey) == 2 :
		first_motion != NULL && sscanf(first_motion, "pointer-motion %d %d", &ex, &ey) == 2;
	moved = last_motion(log, &x, &y);
	ph_ok(other_ready && entered && moved && x == ex + 3 && y == ey + 4,
		"after the locking client died the pointer moves over the next window: %s", log);
	ph_kill(&other);

	ph_kill(&tool);
	ph_kill(&window);
}

static void check_shortcuts_inhibit(struct ph_compositor *c) {
	char log[8192], log2[8192];
	struct ph_process first, second, tool;
	/* Windows cascade: "first" at 32,32 after the previous test's window is gone, or 0,0. */
	bool ready = spawn_window(c, &first, "first", "100x100") &&
		spawn_window(c, &second, "second", "100x100") && spawn_tool(c, &tool);
	ph_ok(ready, "two windows and the input tool are up");
	/* The virtual keyboard is created by the first keys; the focused window gets enter. */
	command(&tool, "keys 42", "keyed");
	drain(&second, log, sizeof(log));
	ph_ok(strstr(log, "keyboard-enter|") != NULL,
		"the second window has the keyboard focus: %s", log);

	command_and_drain(&second, "inhibit", "inhibit-requested", log, sizeof(log));
	ph_ok(strstr(log, "inhibitor-active|") != NULL, "its inhibitor is active at once: %s", log);
	drain(&first, log, sizeof(log));
	command(&tool, "keys 56 15", "keyed");
	drain(&second, log, sizeof(log));
	drain(&first, log2, sizeof(log2));
	ph_ok(strstr(log, "key 15 1|key 15 0|") != NULL && strstr(log, "keyboard-leave") == NULL &&
		strstr(log2, "keyboard-enter") == NULL,
		"Alt+Tab reaches the inhibiting window and cycles nothing: %s", log);
	command(&tool, "keys 56 1", "keyed");
	drain(&second, log, sizeof(log));
	ph_ok(strstr(log, "key 1 1|key 1 0|") != NULL,
		"Alt+Escape reaches it too, and pinhole keeps running: %s", log);
	command(&tool, "keys 29 56 59", "keyed");
	drain(&second, log, sizeof(log));
	ph_ok(strstr(log, "key 59 1") == NULL && strstr(log, "key 56 1|") != NULL,
		"Ctrl+Alt+F1 (VT switch) stays with pinhole: %s", log);

	command(&tool, "keys 125 1", "keyed");
	drain(&second, log, sizeof(log));
	ph_ok(strstr(log, "inhibitor-inactive|") != NULL && strstr(log, "key 1 1") == NULL,
		"Super+Escape ends the inhibition and is not delivered: %s", log);
	command(&tool, "keys 56 15", "keyed");
	drain(&second, log, sizeof(log));
	drain(&first, log2, sizeof(log2));
	ph_ok(strstr(log, "keyboard-leave|") != NULL && strstr(log, "key 15") == NULL &&
		strstr(log2, "keyboard-enter|") != NULL,
		"then Alt+Tab cycles windows again: second '%s', first '%s'", log, log2);
	command(&tool, "keys 56 15", "keyed");
	drain(&second, log, sizeof(log));
	ph_ok(strstr(log, "keyboard-enter|") != NULL && strstr(log, "inhibitor-active|") != NULL,
		"the inhibitor is active again when its window gets the focus back: %s", log);

	ph_write_line(&second, "inhibit-again");
	char line[256];
	bool error = ph_expect_line(&second, "protocol-error", line, sizeof(line), 5000);
	ph_ok(error && strcmp(line,
		"protocol-error zwp_keyboard_shortcuts_inhibit_manager_v1 0") == 0,
		"a second inhibitor for the surface is already_inhibited: '%s'", line);
	ph_kill(&tool);
	ph_kill(&second);
	ph_kill(&first);
}

static void check_input_method(struct ph_compositor *c) {
	char log[8192], log2[8192], line[256], why[256];
	struct ph_process window, ime, keyboard;
	bool ready = spawn_window(c, &window, "text-field", "300x200") && spawn_tool(c, &ime) &&
		spawn_tool(c, &keyboard);
	ph_ok(ready, "a window, an input method and a keyboard are up");
	/* Give the window the keyboard focus and learn where it is. */
	command(&keyboard, "keys 42", "keyed");
	command(&ime, "keys 42", "keyed");
	command_and_drain(&window, "text-input", "text-input-ready", log, sizeof(log));
	ph_ok(strstr(log, "ti-enter|") != NULL,
		"the text input follows the keyboard focus, input method or not: %s", log);

	/* The window enabled its text field on enter; the input method that comes serves it. */
	command_and_drain(&ime, "im", "im-ready", log2, sizeof(log2));
	drain(&window, log, sizeof(log));
	drain(&ime, log2 + strlen(log2), sizeof(log2) - strlen(log2));
	ph_ok(strstr(log, "ti-enter") == NULL && strstr(log, "ti-leave") == NULL,
		"an input method that starts does not move the text input's focus: %s", log);
	ph_ok(strstr(log2, "im-activate|") != NULL && strstr(log2, "im-surrounding hello 5 5|") &&
		strstr(log2, "im-content-type 0 0|") != NULL && strstr(log2, "im-done|") != NULL,
		"the input method is activated for the text field enabled before it came, with its "
		"surrounding text and content type: %s", log2);

	command(&ime, "im-preedit ni 0 2", "im-committed");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "ti-preedit ni 0 2|ti-done") != NULL, "preedit reaches the text input: %s",
		log);
	command(&ime, "im-commit-string 你好", "im-committed");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "ti-commit 你好|ti-done") != NULL && strstr(log, "ti-preedit") == NULL,
		"a UTF-8 commit string reaches it, with the preedit gone: %s", log);
	command(&ime, "im-delete 2 1", "im-committed");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "ti-delete 2 1|ti-done") != NULL,
		"delete_surrounding_text reaches it: %s", log);

	/* The keyboard grab: another keyboard's keys go to the input method. */
	command_and_drain(&ime, "im-grab", "im-grabbed", log2, sizeof(log2));
	ph_ok(strstr(log2, "grab-keymap|") != NULL, "the keyboard grab gets a keymap: %s", log2);
	command(&keyboard, "keys 30", "keyed");
	drain(&ime, log2, sizeof(log2));
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log2, "grab-key 30 1|grab-key 30 0|") != NULL && strstr(log, "key 30") == NULL,
		"a key of another keyboard goes to the grab, not the window: ime '%s' window '%s'",
		log2, log);
	command(&ime, "keys 31", "keyed");
	drain(&ime, log2, sizeof(log2));
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "key 31 1|key 31 0|") != NULL && strstr(log2, "grab-key 31") == NULL,
		"the input method's own virtual keyboard types into the window: window '%s'", log);

	/* The popup: below the cursor rectangle (10,20 5x15) of the window at 0,0. */
	command_and_drain(&ime, "im-popup 0xFF00FFFF", "im-popup-ready", log2, sizeof(log2));
	ph_ok(strstr(log2, "popup-rectangle 0 -15 5 15|") != NULL,
		"the popup learns the text cursor rectangle relative to itself: %s", log2);
	char out[512];
	struct ph_image shot = {0};
	int code = ph_run(c, (const char *[]){"grim", ph_scratch("popup.png"), NULL}, 10000, out,
		sizeof(out));
	bool loaded = code == 0 && ph_image_load(ph_scratch("popup.png"), &shot);
	ph_ok(loaded && ph_image_rect_is(&shot, 10, 35, 40, 20, 0xFF00FFFF, why, sizeof(why)),
		"grim shows the 40x20 popup at 10,35, below the text cursor (%s)",
		loaded ? why : "no screenshot");
	ph_image_finish(&shot);

	/* One input method per seat. */
	command_and_drain(&keyboard, "im", "im-ready", log2, sizeof(log2));
	ph_ok(strstr(log2, "im-unavailable|") != NULL && strstr(log2, "im-activate") == NULL,
		"a second input method is told it is unavailable: %s", log2);

	command(&ime, "im-destroy", "im-destroyed");
	drain(&window, log, sizeof(log));
	ph_ok(strstr(log, "ti-leave") == NULL,
		"when the input method goes, the text input keeps the keyboard's focus: %s", log);

	/* The next input method takes over; a popup surface that has a role is an error. */
	struct ph_process misuser;
	ready = spawn_tool(c, &misuser);
	command_and_drain(&misuser, "im", "im-ready", log2, sizeof(log2));
	/* The text field is still enabled: the input method is activated at once. */
	drain(&window, log, sizeof(log));
	drain(&misuser, log2 + strlen(log2), sizeof(log2) - strlen(log2));
	ph_ok(ready && strstr(log2, "im-activate|") != NULL && strstr(log, "ti-enter") == NULL,
		"a new input method takes over the text field: ime '%s' window '%s'", log2, log);
	command(&misuser, "im-popup 0xFF00FFFF", "im-popup-ready");
	ph_write_line(&misuser, "im-popup-again");
	bool error = ph_expect_line(&misuser, "protocol-error", line, sizeof(line), 5000);
	/* input-method-v2 defines no error enum; wlroots posts code 0 on the input method. */
	ph_ok(error && strcmp(line, "protocol-error zwp_input_method_v2 0") == 0,
		"a second popup role for the same surface is a protocol error: '%s'",
		error ? line : "none");
	ph_kill(&misuser);
	ph_kill(&keyboard);
	ph_kill(&ime);
	ph_kill(&window);
}

/*
 * The text-input enter comes after the client's wl_keyboard.enter (foot
 * refuses one that comes first). A client that has the keyboard focus but
 * makes its text input before its wl_keyboard waits for the enter until it
 * gets the keyboard (src/text_input.c defers it to after the keyboard's).
 */
static void check_text_input_late_keyboard(struct ph_compositor *c) {
	char log[8192], before[4096];
	struct ph_process keyboard, window;
	/* The seat gets a keyboard first: the window that opens then has the keyboard focus. */
	bool ready = spawn_tool(c, &keyboard) && command(&keyboard, "keys 42", "keyed");
	char line[256];
	ph_spawn(c, &window, (const char *[]){ph_path("ph-input-client"), "--app-id", "late-keyboard",
		"--late-keyboard", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ready = ph_expect_line(&window, "ready", line, sizeof(line), 5000) && ready;
	ph_ok(ready, "a keyboard, and a window without a wl_keyboard, are up");

	command_and_drain(&window, "text-input", "text-input-ready", before, sizeof(before));
	ph_ok(strstr(before, "ti-enter") == NULL && strstr(before, "keyboard-enter") == NULL,
		"no text-input enter for a focused client without a wl_keyboard: %s", before);
	command_and_drain(&window, "keyboard", "keyboard-ready", log, sizeof(log));
	const char *keyboard_enter = strstr(log, "keyboard-enter|");
	const char *text_input_enter = strstr(log, "ti-enter|");
	ph_ok(keyboard_enter != NULL && text_input_enter != NULL &&
		keyboard_enter < text_input_enter && strstr(text_input_enter + 1, "ti-enter") == NULL,
		"once it gets its wl_keyboard: the keyboard enter, then one text-input enter: %s", log);
	ph_kill(&window);
	ph_kill(&keyboard);
}

/*
 * A launcher's search field (fuzzel, say) is a layer surface: its text input
 * gets the keyboard's focus, the input method's text, and the popup below
 * its text cursor.
 */
static void check_input_method_layer(struct ph_compositor *c) {
	char log[4096], log2[4096], line[256], why[256];
	struct ph_process launcher, ime;
	/*
	 * The seat needs a keyboard for a text-input focus (it follows the
	 * keyboard focus): the input method's tool brings a virtual one first.
	 */
	bool ready = spawn_tool(c, &ime);
	command(&ime, "keys 42", "keyed");
	/* 200x100 on the overlay at 300,200, holding the keyboard like a launcher. */
	ph_spawn(c, &launcher, (const char *[]){ph_path("ph-layer"), "--layer", "overlay",
		"--anchor", "tl", "--margin", "200,0,0,300", "--size", "200x100", "--keyboard",
		"exclusive", "--color", "0xff0000ff", "--text-input", NULL}, PH_PIPE_STDOUT);
	bool entered = false, mapped = false;
	while (!mapped && ph_read_line(&launcher, line, sizeof(line), 10000)) {
		entered = entered || strcmp(line, "ti-enter") == 0;
		mapped = strncmp(line, "mapped", 6) == 0;
	}
	while (!entered && ph_read_line(&launcher, line, sizeof(line), 5000)) {
		entered = strcmp(line, "ti-enter") == 0;
	}
	ph_ok(mapped && entered, "a launcher on the overlay layer: mapped %d, text input entered %d",
		mapped, entered);
	command_and_drain(&ime, "im", "im-ready", log2, sizeof(log2));
	/*
	 * The launcher enables its field when it gets the enter; the input
	 * method is activated once pinhole has that enable, which may come
	 * after the input method: wait for its done.
	 */
	while (strstr(log2, "im-done|") == NULL && ph_read_line(&ime, line, sizeof(line), 5000)) {
		snprintf(log2 + strlen(log2), sizeof(log2) - strlen(log2), "%s|", line);
	}
	ph_ok(ready && strstr(log2, "im-activate|") != NULL && strstr(log2, "im-done|") != NULL,
		"the input method is activated for the launcher's field: %s", log2);
	command(&ime, "im-commit-string firefox", "im-committed");
	bool committed = false;
	log[0] = '\0';
	while (!committed && ph_read_line(&launcher, line, sizeof(line), 5000)) {
		committed = strcmp(line, "ti-commit firefox") == 0;
		snprintf(log + strlen(log), sizeof(log) - strlen(log), "%s|", line);
	}
	ph_ok(committed, "the input method's text reaches the launcher: %s", log);

	command_and_drain(&ime, "im-popup 0xFF00FFFF", "im-popup-ready", log2, sizeof(log2));
	ph_ok(strstr(log2, "popup-rectangle 0 -15 5 15|") != NULL,
		"the popup learns the launcher's text cursor rectangle: %s", log2);
	char out[512];
	struct ph_image shot = {0};
	int code = ph_run(c, (const char *[]){"grim", ph_scratch("layer-popup.png"), NULL}, 10000,
		out, sizeof(out));
	bool loaded = code == 0 && ph_image_load(ph_scratch("layer-popup.png"), &shot);
	/* The cursor rectangle 10,20 5x15 of the surface at 300,200: the popup at 310,235. */
	ph_ok(loaded && ph_image_rect_is(&shot, 310, 235, 40, 20, 0xFF00FFFF, why, sizeof(why)),
		"grim shows the 40x20 popup at 310,235, below the launcher's text cursor, above the "
		"overlay (%s)", loaded ? why : "no screenshot");
	ph_image_finish(&shot);
	ph_kill(&ime);
	ph_kill(&launcher);
}

static void check_gamma(struct ph_compositor *c) {
	char log[4096];
	struct ph_process tool;
	bool ready = spawn_tool(c, &tool);
	command_and_drain(&tool, "gamma 0", "gamma-requested", log, sizeof(log));
	ph_ok(ready && strstr(log, "gamma-failed|") != NULL && strstr(log, "gamma-size") == NULL,
		"gamma control on a headless output with pixman: failed, no ramp size: %s", log);
	ph_kill(&tool);
}

/*
 * A sandboxed client (wp-security-context-v1, as Flatpak) sees none of the
 * globals that read or inject other clients' input or change every client's
 * colours, and still sees those that act on its own surfaces.
 */
static void check_sandbox(struct ph_compositor *c) {
	static const char *const privileged[] = {
		"zwp_input_method_manager_v2", "zwp_virtual_keyboard_manager_v1",
		"zwlr_virtual_pointer_manager_v1", "zwlr_data_control_manager_v1",
		"ext_data_control_manager_v1", "zwlr_gamma_control_manager_v1",
		/* A sandboxed app could take every shortcut, Super+Escape (lock) aside. */
		"zwp_keyboard_shortcuts_inhibit_manager_v1",
	};
	static const char *const own_surfaces[] = {
		"zwp_pointer_constraints_v1", "zwp_relative_pointer_manager_v1",
		"zwp_text_input_manager_v3",
		"zwp_pointer_gestures_v1", "wl_data_device_manager",
		"zwp_primary_selection_device_manager_v1",
	};
	char plain[8192], sandboxed[8192], needle[128];
	int code = ph_run(c, (const char *[]){ph_path("ph-sandbox"), "--list-globals", NULL},
		10000, plain, sizeof(plain));
	int code2 = ph_run(c, (const char *[]){ph_path("ph-sandbox"), "--engine", "org.flatpak",
		"--app-id", "org.example.Game", "--", ph_path("ph-sandbox"), "--list-globals", NULL},
		10000, sandboxed, sizeof(sandboxed));
	bool listed = code == 0 && code2 == 0 && strstr(plain, "\ndone") != NULL &&
		strstr(sandboxed, "\ndone") != NULL;
	ph_ok(listed, "globals listed outside and inside a sandbox (exit %d, %d)", code, code2);
	for (size_t i = 0; i < sizeof(privileged) / sizeof(privileged[0]); i++) {
		snprintf(needle, sizeof(needle), "global %s\n", privileged[i]);
		ph_ok(listed && strstr(plain, needle) != NULL && strstr(sandboxed, needle) == NULL,
			"%s: offered, but not to sandboxed clients", privileged[i]);
	}
	for (size_t i = 0; i < sizeof(own_surfaces) / sizeof(own_surfaces[0]); i++) {
		snprintf(needle, sizeof(needle), "global %s\n", own_surfaces[i]);
		ph_ok(listed && strstr(plain, needle) != NULL && strstr(sandboxed, needle) != NULL,
			"%s: offered to sandboxed clients too", own_surfaces[i]);
	}
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	check_constraints(&c);
	check_gamma(&c);
	check_sandbox(&c);
	ph_compositor_finish(&c);

	/* Each with its windows at 0,0 of a fresh compositor. */
	if (ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		check_shortcuts_inhibit(&c);
		ph_compositor_finish(&c);
	} else {
		ph_ok(false, "compositor started");
	}
	if (ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		check_input_method(&c);
		check_input_method_layer(&c);
		ph_compositor_finish(&c);
	} else {
		ph_ok(false, "compositor started");
	}
	if (ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		check_text_input_late_keyboard(&c);
		ph_compositor_finish(&c);
	} else {
		ph_ok(false, "compositor started");
	}
	return ph_finish();
}
