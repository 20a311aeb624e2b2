/*
 * ext-session-lock-v1 with swaylock and tests/clients/ph-locker: while the
 * session is locked every output shows only the lock, input reaches only
 * lock surfaces, and no window pixel leaves through any capture path (grim on
 * outputs and regions, grim -T, ph-capture-probe's toplevel sessions old and
 * new, wlr-screencopy); a locker that dies leaves the session locked, a new
 * one takes over and unlocks; held toplevel frames are served after unlock.
 * Every protocol error of the lock gets its code.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "probe.h"

#define GREEN 0xff00ff00u /* the window */
#define RED 0xffff0000u /* the window after it redrew while locked */
#define SWAYLOCK_BLUE 0xff0000ffu
#define LOCKER_CYAN 0xff00ffffu
#define ABANDONED 0xff7f0000u /* pinhole's colour after the locker died */
#define BLACK 0xff000000u

static int count_in_log(struct ph_compositor *c, const char *needle) {
	char *text = ph_read_file(c->log_path);
	int n = 0;
	for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
		n++;
	}
	free(text);
	return n;
}

/* The compositor logged needle at least n times (its log is the event stream here). */
static bool wait_log(struct ph_compositor *c, const char *needle, int n, int timeout_ms) {
	int64_t deadline = ph_now_ms() + timeout_ms;
	while (count_in_log(c, needle) < n) {
		if (ph_now_ms() > deadline) {
			ph_diag("no '%s' (x%d) in the compositor's log", needle, n);
			return false;
		}
		ph_sleep_ms(20);
	}
	return true;
}

/* grim's picture (of everything, an output or a region) is all one colour. */
static void check_grim(struct ph_compositor *c, const char *const *extra, const char *file,
		int width, int height, uint32_t argb, const char *what) {
	const char *argv[8] = {"grim"};
	int argc = 1;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		argv[argc++] = extra[i];
	}
	argv[argc++] = ph_scratch(file);
	argv[argc] = NULL;
	char out[2048];
	int code = ph_run(c, argv, 10000, out, sizeof(out));
	struct ph_image image = {0};
	char why[160] = "unreadable";
	bool ok = code == 0 && ph_image_load(ph_scratch(file), &image);
	if (ok) {
		snprintf(why, sizeof(why), "%dx%d", image.width, image.height);
		ok = image.width == width && image.height == height &&
			ph_image_rect_is(&image, 0, 0, width, height, argb, why, sizeof(why));
		ph_image_finish(&image);
	} else {
		snprintf(why, sizeof(why), "exit %d %.120s", code, out);
	}
	ph_ok(ok, "%s: every pixel 0x%08x (%s)", what, argb, why);
}

/* Lines the client printed so far (without waiting for more than a moment). */
static bool drain_has(struct ph_process *p, const char *prefix) {
	char line[512];
	bool found = false;
	while (ph_read_line(p, line, sizeof(line), 100)) {
		found = found || strncmp(line, prefix, strlen(prefix)) == 0;
	}
	return found;
}

static bool start_locker(struct ph_compositor *c, struct ph_process *p, const char *const *extra) {
	const char *argv[12] = {ph_path("ph-locker")};
	int argc = 1;
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		argv[argc++] = extra[i];
	}
	argv[argc] = NULL;
	return ph_spawn(c, p, argv, PH_PIPE_STDIN | PH_PIPE_STDOUT);
}

static void unlock_with_new_locker(struct ph_compositor *c, const char *what) {
	struct ph_process locker;
	char line[256] = "";
	start_locker(c, &locker, (const char *[]){"--color", "0x00ffff", NULL});
	bool locked = ph_expect_line(&locker, "locked", line, sizeof(line), 5000);
	ph_write_line(&locker, "unlock");
	bool unlocked = ph_expect_line(&locker, "unlocked", line, sizeof(line), 5000);
	ph_ok(locked && unlocked && ph_wait(&locker, 5000) == 0,
		"%s: a new locker takes over and unlocks (%s)", what, line);
}

/* A locker that breaks a rule is disconnected with exactly that error. */
static void check_error(struct ph_compositor *c, const char *mode, const char *expected) {
	struct ph_process locker;
	char line[256] = "";
	start_locker(c, &locker, (const char *[]){"--misbehave", mode, NULL});
	bool got = ph_expect_line(&locker, "protocol-error", line, sizeof(line), 5000);
	ph_ok(got && strcmp(line, expected) == 0, "%s: '%s' (got '%s')", mode, expected, line);
	ph_wait(&locker, 5000);
	/* It died after asking for the lock: the session stays locked until unlocked. */
	unlock_with_new_locker(c, mode);
}

static void find_identifier(struct ph_compositor *c, const char *app_id, char *identifier,
		size_t size) {
	char out[4096];
	identifier[0] = '\0';
	ph_run(c, (const char *[]){ph_path("capture-shm"), "-l", NULL}, 10000, out, sizeof(out));
	for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		if (strstr(l, app_id) != NULL && strncmp(l, "toplevel ", 9) == 0) {
			char format[16];
			snprintf(format, sizeof(format), "%%%zus", size - 1);
			sscanf(l + 9, format, identifier);
		}
	}
}

static void test_lock_and_capture(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char line[512];
	/* A keyboard that stays, so every client has its wl_keyboard from the start. */
	struct ph_process keys;
	ph_spawn(&c, &keys, (const char *[]){ph_path("ph-keys"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&keys, "hello", line, sizeof(line), 5000), "virtual keyboard ready");
	struct ph_process window;
	/* Wider than the output: it reaches into an output added at x=640 later. */
	ph_spawn(&c, &window, (const char *[]){ph_path("ph-paint"), "--size", "900x240",
		"--color", "0xff00ff00", "--app-id", "secret", "--input", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&window, "keyboard-enter", line, sizeof(line), 5000),
		"the window has the keyboard");
	ph_ok(ph_expect_line(&window, "ready", line, sizeof(line), 5000), "window mapped");
	char identifier[128];
	find_identifier(&c, "secret", identifier, sizeof(identifier));
	ph_ok(identifier[0] != '\0', "window listed: '%s'", identifier);

	/* A toplevel session from before the lock, with one frame delivered. */
	struct probe old;
	probe_start(&c, &old);
	probe_cmd(&old, "toplevel secret", "constraints");
	probe_cmd(&old, "buffer t 0", "buffer");
	probe_cmd(&old, "capture t", "ready");
	ph_ok(probe_word(&old, "t", 10, 10) == GREEN, "before the lock: toplevel capture is green");

	struct ph_process swaylock;
	ph_spawn(&c, &swaylock, (const char *[]){"swaylock", "-c", "0000ff", NULL}, 0);
	ph_ok(wait_log(&c, "session lock: locked (locker pid", 1, 10000),
		"swaylock locked the session");
	/* `locked` may come before swaylock's surface, while pinhole's colour shows. */
	ph_ok(wait_log(&c, "session lock: surface mapped on HEADLESS-1", 1, 10000),
		"swaylock's surface mapped");
	ph_ok(ph_expect_line(&window, "keyboard-leave", line, sizeof(line), 5000),
		"the window lost the keyboard");

	check_grim(&c, NULL, "locked.png", 640, 480, SWAYLOCK_BLUE, "grim while locked");
	check_grim(&c, (const char *[]){"-o", "HEADLESS-1", NULL}, "locked-o.png", 640, 480,
		SWAYLOCK_BLUE, "grim -o while locked");
	check_grim(&c, (const char *[]){"-g", "10,10 200x100", NULL}, "locked-g.png", 200, 100,
		SWAYLOCK_BLUE, "grim -g (a region of the window) while locked");

	/* Toplevel captures: grim -T, the old session, a new session: all held. */
	int held_before = count_in_log(&c, "policy: holding a toplevel capture frame");
	struct ph_process grim_t;
	ph_spawn(&c, &grim_t, (const char *[]){"grim", "-T", identifier, ph_scratch("t.png"),
		NULL}, 0);
	probe_cmd(&old, "capture t", NULL);
	struct probe fresh;
	probe_start(&c, &fresh);
	probe_cmd(&fresh, "toplevel secret", "constraints");
	probe_cmd(&fresh, "buffer n 0", "buffer");
	probe_cmd(&fresh, "fill n 0x12345678", "filled");
	probe_cmd(&fresh, "capture n", NULL);
	ph_ok(wait_log(&c, "policy: holding a toplevel capture frame", held_before + 3, 10000),
		"the policy hook was told of the 3 held frames (grim -T, old and new session)");
	/*
	 * The window draws while locked: new content, still held. Its commit
	 * cannot be waited for (a hidden window gets no frame callbacks); the
	 * frames are checked again below, long after it, and after unlock they
	 * must show it.
	 */
	ph_write_line(&window, "color 0xffff0000");
	struct probe other;
	probe_start(&c, &other);
	ph_ok(!drain_has(&old.process, "ready") && !drain_has(&fresh.process, "ready"),
		"no toplevel frame is ready while locked (old and new session)");
	ph_ok(!ph_exited(&grim_t), "grim -T waits");
	FILE *f = fopen(ph_scratch("t.png"), "r");
	ph_ok(f == NULL, "grim -T wrote no picture while locked");
	if (f != NULL) {
		fclose(f);
	}
	ph_ok(probe_word(&fresh, "n", 10, 10) == 0x12345678,
		"the new session's buffer is untouched while locked");

	/* Input goes nowhere but to lock surfaces. */
	probe_cmd(&other, "click 50 50 640 480", "clicked");

	/* The locker dies: still locked, pinhole's own colour, windows still hidden. */
	kill(swaylock.pid, SIGKILL);
	ph_wait(&swaylock, 5000);
	ph_ok(wait_log(&c, "went away without unlocking", 1, 5000),
		"killing swaylock leaves the session locked");
	check_grim(&c, NULL, "abandoned.png", 640, 480, ABANDONED,
		"grim after the locker died");
	ph_ok(!ph_exited(&grim_t), "grim -T still waits");

	/* A new output while nobody holds the lock: the colour, not the window. */
	kill(c.pid, SIGUSR1);
	ph_ok(wait_log(&c, "output HEADLESS-2 added", 1, 5000), "output HEADLESS-2 added");
	check_grim(&c, (const char *[]){"-o", "HEADLESS-2", NULL}, "new-output.png", 640, 480,
		ABANDONED, "grim -o of the new output (the window reaches into it)");

	/* A new locker takes over; a third one is refused. */
	struct ph_process locker, third;
	start_locker(&c, &locker, (const char *[]){"--color", "0x00ffff", "--input", NULL});
	ph_ok(ph_expect_line(&locker, "locked", line, sizeof(line), 5000),
		"ph-locker takes over the abandoned lock");
	ph_ok(ph_expect_line(&locker, "mapped", line, sizeof(line), 5000) &&
		ph_expect_line(&locker, "mapped", line, sizeof(line), 5000),
		"ph-locker's surfaces on both outputs shown");
	start_locker(&c, &third, NULL);
	ph_ok(ph_expect_line(&third, "finished", line, sizeof(line), 5000),
		"a second lock while locked gets 'finished'");
	ph_kill(&third);
	check_grim(&c, NULL, "takeover.png", 1280, 480, LOCKER_CYAN,
		"grim of both outputs with the new locker");

	/* The keyboard is on one lock surface; a click on the other output moves it. */
	probe_cmd(&other, "click 1000 50 1280 480", "clicked");
	ph_ok(ph_expect_line(&locker, "pointer-button 272 pressed", line, sizeof(line), 5000) &&
		ph_expect_line(&locker, "keyboard-enter 1", line, sizeof(line), 5000),
		"a click on HEADLESS-2 gives its lock surface the keyboard");
	probe_cmd(&other, "click 50 50 1280 480", "clicked");
	ph_ok(ph_expect_line(&locker, "pointer-button 272 pressed", line, sizeof(line), 5000) &&
		ph_expect_line(&locker, "keyboard-enter 0", line, sizeof(line), 5000),
		"the locker gets the click on HEADLESS-1, and the keyboard there");
	/* A window mapped while locked does not take the keyboard. */
	struct ph_process late;
	ph_spawn(&c, &late, (const char *[]){ph_path("ph-paint"), "--app-id", "late", "--input",
		NULL}, PH_PIPE_STDOUT);
	ph_ok(wait_log(&c, "(late) mapped", 1, 5000), "a window mapped while locked");
	ph_write_line(&keys, "key 30");
	ph_ok(ph_expect_line(&keys, "typed", line, sizeof(line), 5000) &&
		ph_expect_line(&locker, "key 30 pressed", line, sizeof(line), 5000),
		"the locker gets the key of a virtual keyboard");
	char out[1024];
	int code;
	bool leaked = false;
	while (ph_read_line(&window, line, sizeof(line), 100)) {
		if (strncmp(line, "pointer-", 8) == 0 || strncmp(line, "key", 3) == 0) {
			ph_diag("the window got '%s' while locked", line);
			leaked = true;
		}
	}
	/* pinhole's bindings are off while locked: Alt+Escape (quit) goes to the locker. */
	ph_write_line(&keys, "mods alt");
	ph_write_line(&keys, "key 1");
	ph_write_line(&keys, "mods none");
	bool typed = ph_expect_line(&keys, "mods", line, sizeof(line), 5000) &&
		ph_expect_line(&keys, "typed", line, sizeof(line), 5000) &&
		ph_expect_line(&keys, "mods", line, sizeof(line), 5000);
	ph_ok(typed && ph_expect_line(&locker, "key 1 pressed", line, sizeof(line), 5000) &&
		!ph_compositor_log_contains(&c, "quit requested"),
		"Alt+Escape while locked reaches the locker and does not quit pinhole");
	ph_ok(!leaked, "the window got no pointer or keyboard event while locked");
	bool late_leaked = false;
	while (ph_read_line(&late, line, sizeof(line), 100)) {
		/* "key" covers keyboard-enter too. */
		if (strncmp(line, "pointer-", 8) == 0 || strncmp(line, "key", 3) == 0) {
			ph_diag("the late window got '%s' while locked", line);
			late_leaked = true;
		}
	}
	ph_ok(!late_leaked, "the window mapped while locked got no keyboard focus, key or pointer event");
	ph_kill(&late);
	ph_ok(!drain_has(&old.process, "ready") && !ph_exited(&grim_t),
		"toplevel frames still held");

	/* An output going away while locked takes its lock surface with it, nothing else. */
	kill(c.pid, SIGUSR2);
	ph_ok(wait_log(&c, "output HEADLESS-2 removed", 1, 5000), "output HEADLESS-2 removed");
	check_grim(&c, NULL, "one-output.png", 640, 480, LOCKER_CYAN,
		"grim after the output went away: still the lock");

	/* Unlock: the held frames are served with what the window shows now. */
	ph_write_line(&locker, "unlock");
	ph_ok(ph_expect_line(&locker, "unlocked", line, sizeof(line), 5000) &&
		ph_wait(&locker, 5000) == 0, "ph-locker unlocked");
	ph_ok(ph_expect_line(&old.process, "ready", line, sizeof(line), 5000),
		"old session's held frame ready after unlock");
	ph_ok(probe_word(&old, "t", 10, 10) == RED, "with the window's new content");
	ph_ok(ph_expect_line(&fresh.process, "ready", line, sizeof(line), 5000),
		"new session's held frame ready after unlock");
	ph_ok(probe_word(&fresh, "n", 10, 10) == RED, "with the window's content");
	ph_ok(ph_expect_line(&window, "keyboard-enter", line, sizeof(line), 5000),
		"the window has the keyboard again");
	ph_ok(ph_wait(&grim_t, 10000) == 0, "grim -T finished after unlock");
	struct ph_image image;
	char why[160] = "unreadable";
	bool ok = ph_image_load(ph_scratch("t.png"), &image);
	if (ok) {
		ok = ph_image_rect_is(&image, 0, 0, 900, 240, RED, why, sizeof(why));
		ph_image_finish(&image);
	}
	ph_ok(ok, "grim -T's picture is the window (%s)", why);
	struct ph_image screen;
	ok = false;
	code = ph_run(&c, (const char *[]){"grim", ph_scratch("unlocked.png"), NULL}, 10000, out,
		sizeof(out));
	if (code == 0 && ph_image_load(ph_scratch("unlocked.png"), &screen)) {
		ok = screen.width == 640 &&
			ph_image_rect_is(&screen, 0, 0, 640, 240, RED, why, sizeof(why)) &&
			ph_image_rect_is(&screen, 0, 240, 640, 240, BLACK, why, sizeof(why));
		ph_image_finish(&screen);
	}
	ph_ok(ok, "after unlock the screen shows the window again (%s)", why);

	probe_cmd(&old, "quit", NULL);
	probe_cmd(&fresh, "quit", NULL);
	probe_cmd(&other, "quit", NULL);
	ph_wait(&old.process, 5000);
	ph_wait(&fresh.process, 5000);
	ph_wait(&other.process, 5000);
	ph_kill(&window);
	ph_write_line(&keys, "quit");
	ph_wait(&keys, 5000);
	ph_compositor_finish(&c);
}

static void test_protocol_errors(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x240", NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	check_error(&c, "unlock-early", "protocol-error ext_session_lock_v1 1");
	check_error(&c, "destroy-locked", "protocol-error ext_session_lock_v1 0");
	check_error(&c, "role", "protocol-error ext_session_lock_v1 2");
	check_error(&c, "duplicate-output", "protocol-error ext_session_lock_v1 3");
	check_error(&c, "already-constructed", "protocol-error ext_session_lock_v1 4");
	check_error(&c, "commit-before-ack", "protocol-error ext_session_lock_surface_v1 0");
	check_error(&c, "null-buffer", "protocol-error ext_session_lock_surface_v1 1");
	check_error(&c, "wrong-size", "protocol-error ext_session_lock_surface_v1 2");
	check_error(&c, "bad-serial", "protocol-error ext_session_lock_surface_v1 3");
	ph_compositor_finish(&c);
}

/* wlr-screencopy is wlroots' own: it reads the buffers outputs commit, which show the lock. */
static void test_screencopy(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--no-ext-capture",
			NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char line[256];
	struct ph_process window, locker;
	ph_spawn(&c, &window, (const char *[]){ph_path("ph-paint"), "--size", "320x240",
		"--color", "0xff00ff00", NULL}, PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&window, "ready", line, sizeof(line), 5000), "window mapped");
	check_grim(&c, (const char *[]){"-g", "0,0 320x240", NULL}, "sc-before.png", 320, 240,
		GREEN, "wlr-screencopy before the lock");
	start_locker(&c, &locker, (const char *[]){"--color", "0x00ffff", NULL});
	ph_ok(ph_expect_line(&locker, "locked", line, sizeof(line), 5000) &&
		ph_expect_line(&locker, "mapped 0", line, sizeof(line), 5000), "locked");
	check_grim(&c, NULL, "sc-locked.png", 640, 480, LOCKER_CYAN,
		"wlr-screencopy (grim) while locked");
	check_grim(&c, (const char *[]){"-g", "0,0 320x240", NULL}, "sc-region.png", 320, 240,
		LOCKER_CYAN, "wlr-screencopy of the window's region while locked");
	ph_write_line(&locker, "unlock");
	ph_ok(ph_expect_line(&locker, "unlocked", line, sizeof(line), 5000), "unlocked");
	ph_wait(&locker, 5000);
	check_grim(&c, (const char *[]){"-g", "0,0 320x240", NULL}, "sc-after.png", 320, 240,
		GREEN, "wlr-screencopy after unlock");
	ph_kill(&window);
	ph_compositor_finish(&c);
}

/* A sandboxed client (Flatpak) can neither lock the screen nor switch outputs off. */
static void test_sandbox(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x240", NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char plain[8192], sandboxed[8192];
	int code = ph_run(&c, (const char *[]){ph_path("ph-sandbox"), "--list-globals", NULL},
		10000, plain, sizeof(plain));
	int code_sandboxed = ph_run(&c, (const char *[]){ph_path("ph-sandbox"), "--engine",
		"org.flatpak", "--app-id", "org.example.App", "--", ph_path("ph-sandbox"),
		"--list-globals", NULL}, 10000, sandboxed, sizeof(sandboxed));
	const char *globals[] = {"ext_session_lock_manager_v1", "zwlr_output_power_manager_v1"};
	for (size_t i = 0; i < 2; i++) {
		char needle[96];
		snprintf(needle, sizeof(needle), "global %s\n", globals[i]);
		ph_ok(code == 0 && strstr(plain, needle) != NULL, "unsandboxed clients see %s",
			globals[i]);
		ph_ok(code_sandboxed == 0 && strstr(sandboxed, "global wl_compositor\n") != NULL &&
			strstr(sandboxed, needle) == NULL, "sandboxed clients do not see %s",
			globals[i]);
	}
	ph_compositor_finish(&c);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);
	test_sandbox();
	test_lock_and_capture();
	test_protocol_errors();
	test_screencopy();
	return ph_finish();
}
