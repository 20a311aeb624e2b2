/*
 * Selections and drag and drop.
 *
 * Clipboard and primary selection: wl-copy and wl-paste (wl-clipboard, over
 * data-control) move text and every byte value exactly; a window that sets
 * the selection through wl_data_device (with the serial of a click) is read
 * back by wl-paste.
 *
 * Drag and drop between two ph-input-client windows, driven by ph-input-tool's
 * virtual pointer: the source starts a drag with the serial of the press it
 * got, offering text/plain and a 32x32 icon; the test checks, from both
 * clients' own event logs, that enter/motion/leave go to the surface under the
 * pointer with surface-local coordinates, that the drop reaches the target,
 * which reads the source's bytes, and, from grim's picture, that the icon is
 * drawn at the cursor during the drag and gone after it. A drag in progress
 * when ph-locker locks the session is cancelled: no icon pixel over the lock,
 * no dnd, pointer or key event to either window while locked, and the keys go
 * to the locker. A stale serial gets
 * no drag (the source is cancelled) and an icon that has a role already gets
 * the role error (wl_data_device.error.role, which wlroots posts on the icon's
 * wl_surface).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define W 640
#define H 480

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

static bool write_file(const char *path, const void *data, size_t size) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok = fd >= 0 && write(fd, data, size) == (ssize_t)size;
	if (fd >= 0) {
		close(fd);
	}
	return ok;
}

static void check_clipboard(struct ph_compositor *c) {
	char out[4096];
	struct ph_process copy;
	ph_spawn(c, &copy, (const char *[]){"wl-copy", "--foreground", "clipboard: héllo", NULL},
		0);
	/* wl-copy offers asynchronously: wl-paste until it sees it (bounded). */
	int code = -1, tries = 0;
	for (; tries < 50; tries++) {
		code = ph_run(c, (const char *[]){"wl-paste", "--no-newline", NULL}, 5000, out,
			sizeof(out));
		if (code == 0 && strcmp(out, "clipboard: héllo") == 0) {
			break;
		}
		ph_sleep_ms(100);
	}
	ph_ok(code == 0 && strcmp(out, "clipboard: héllo") == 0,
		"wl-paste gets wl-copy's clipboard text exactly ('%s', exit %d, %d polls)", out, code,
		tries + 1);

	struct ph_process primary;
	ph_spawn(c, &primary, (const char *[]){"wl-copy", "--foreground", "--primary",
		"primary: wörld", NULL}, 0);
	for (tries = 0; tries < 50; tries++) {
		code = ph_run(c, (const char *[]){"wl-paste", "--primary", "--no-newline", NULL},
			5000, out, sizeof(out));
		if (code == 0 && strcmp(out, "primary: wörld") == 0) {
			break;
		}
		ph_sleep_ms(100);
	}
	ph_ok(code == 0 && strcmp(out, "primary: wörld") == 0,
		"wl-paste --primary gets wl-copy --primary's text exactly ('%s', exit %d)", out, code);
	code = ph_run(c, (const char *[]){"wl-paste", "--no-newline", NULL}, 5000, out,
		sizeof(out));
	ph_ok(code == 0 && strcmp(out, "clipboard: héllo") == 0,
		"the clipboard is untouched by the primary selection ('%s')", out);
	ph_kill(&primary);
	ph_kill(&copy);

	/* Every byte value, through a MIME type of our own. */
	unsigned char bytes[4096];
	for (size_t i = 0; i < sizeof(bytes); i++) {
		bytes[i] = (unsigned char)((i * 7 + i / 256) & 0xff);
	}
	const char *in = ph_scratch("bytes.in");
	const char *out_path = ph_scratch("bytes.out");
	write_file(in, bytes, sizeof(bytes));
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "exec wl-copy --foreground --type application/x-ph-test <'%s'",
		in);
	ph_spawn(c, &copy, (const char *[]){"sh", "-c", cmd, NULL}, 0);
	snprintf(cmd, sizeof(cmd), "wl-paste --list-types | grep -qx application/x-ph-test && "
		"wl-paste --type application/x-ph-test >'%s'", out_path);
	for (tries = 0; tries < 50; tries++) {
		code = ph_run(c, (const char *[]){"sh", "-c", cmd, NULL}, 5000, NULL, 0);
		if (code == 0) {
			break;
		}
		ph_sleep_ms(100);
	}
	char *got = ph_read_file(out_path);
	FILE *f = fopen(out_path, "rb");
	long size = -1;
	if (f != NULL) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
	}
	ph_ok(code == 0 && got != NULL && size == (long)sizeof(bytes) &&
		memcmp(got, bytes, sizeof(bytes)) == 0,
		"4096 bytes of every value go through the clipboard unchanged (got %ld bytes)", size);
	free(got);
	ph_kill(&copy);
}

static void check_client_selection(struct ph_compositor *c) {
	char line[512], out[1024];
	struct ph_process window;
	ph_spawn(c, &window, (const char *[]){ph_path("ph-input-client"), "--app-id", "copier",
		NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	char log[4096];
	bool ready = ph_expect_line(&window, "ready", line, sizeof(line), 5000);
	/* A click gives the window a serial to set the selection with. */
	struct ph_process tool;
	ph_spawn(c, &tool, (const char *[]){ph_path("ph-input-tool"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ready = ready && ph_expect_line(&tool, "hello", line, sizeof(line), 5000) &&
		command(&tool, "warp 100 100 640 480", "warped") && command(&tool, "press", "pressed") &&
		command(&tool, "release", "released");
	drain(&window, log, sizeof(log));
	ready = ready && strstr(log, "pointer-button 272 0|") != NULL;
	bool copied = ready && command(&window, "copy text/plain from-a-window", "copied");
	int code = -1;
	for (int tries = 0; copied && tries < 50; tries++) {
		code = ph_run(c, (const char *[]){"wl-paste", "--no-newline", NULL}, 5000, out,
			sizeof(out));
		if (code == 0 && strcmp(out, "from-a-window") == 0) {
			break;
		}
		ph_sleep_ms(100);
	}
	ph_ok(copied && code == 0 && strcmp(out, "from-a-window") == 0,
		"a focused window's wl_data_device selection reaches wl-paste ('%s'; window: %s)", out,
		log);
	ph_kill(&tool);
	ph_kill(&window);
}

static bool grab_screen(struct ph_compositor *c, const char *name, struct ph_image *image) {
	char out[512];
	int code = ph_run(c, (const char *[]){"grim", ph_scratch(name), NULL}, 10000, out,
		sizeof(out));
	return code == 0 && ph_image_load(ph_scratch(name), image);
}

/*
 * A drag in progress when the session locks: the lock cancels it (the source
 * gets `cancelled`, the target `leave`), no icon pixel shows over the lock,
 * nothing the pointer does behind the lock reaches the drag's clients, and the
 * keyboard, which a drag holds, goes to the locker.
 */
static void check_drag_across_lock(struct ph_compositor *c, struct ph_process *source,
		struct ph_process *target, struct ph_process *tool) {
	char line[512], log[8192], log2[8192], why[256];
	/* The virtual keyboard exists before the lock: the locker's wl_keyboard is there in time. */
	command(tool, "keys 42", "keyed");
	command(tool, "warp 10 10 640 480", "warped");
	command(tool, "press", "pressed");
	drain(source, log, sizeof(log));
	bool started = command(source, "drag text/plain behind-the-lock 0xFFFF00FF",
		"drag-started");
	command(tool, "warp 150 150 640 480", "warped");
	command(tool, "move 5 5", "moved");
	drain(target, log2, sizeof(log2));
	drain(source, log, sizeof(log));
	ph_ok(started && strstr(log2, "dnd-enter 118 118 text/plain|") != NULL &&
		strstr(log2, "dnd-motion 123 123|") != NULL,
		"a second drag is over the target before the lock: %s", log2);

	struct ph_process locker;
	ph_spawn(c, &locker, (const char *[]){ph_path("ph-locker"), "--input", "--color",
		"0x00ffff", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool locked = ph_expect_line(&locker, "locked", line, sizeof(line), 10000);
	drain(source, log, sizeof(log));
	drain(target, log2, sizeof(log2));
	ph_ok(locked && strstr(log, "source-cancelled|") != NULL &&
		strstr(log, "source-send") == NULL && strstr(log, "source-drop-performed") == NULL,
		"the lock cancels the drag: the source gets cancelled and sends nothing: %s", log);
	ph_ok(locked && strstr(log2, "dnd-leave|") != NULL && strstr(log2, "dnd-drop") == NULL,
		"the target gets leave and no drop: %s", log2);

	/* The cursor (and the icon, if it were still there) over the target's old place. */
	struct ph_image shot = {0};
	bool grabbed = grab_screen(c, "locked-drag.png", &shot);
	ph_ok(grabbed && ph_image_rect_is(&shot, 0, 0, W, H, 0xFF00FFFF, why, sizeof(why)),
		"grim while locked: every pixel is the locker's, no icon pixel (%s)",
		grabbed ? why : "no screenshot");
	ph_image_finish(&shot);

	/* Behind the lock the pointer moves over the target, leaves, comes back and releases. */
	command(tool, "move 3 3", "moved");
	command(tool, "warp 400 400 640 480", "warped");
	command(tool, "warp 150 150 640 480", "warped");
	command(tool, "release", "released");
	command(tool, "keys 30", "keyed");
	char locker_log[1024] = "";
	bool key = false;
	while (!key && ph_read_line(&locker, line, sizeof(line), 5000)) {
		key = strcmp(line, "key 30 pressed") == 0;
		strncat(locker_log, line, sizeof(locker_log) - strlen(locker_log) - 2);
		strcat(locker_log, "|");
	}
	drain(source, log, sizeof(log));
	drain(target, log2, sizeof(log2));
	ph_ok(key, "a key typed after the drag reaches the locker: %s", locker_log);
	ph_ok(strstr(log2, "dnd-") == NULL && strstr(log2, "pointer-") == NULL &&
		strstr(log2, "key ") == NULL,
		"the target gets no dnd, pointer or key event while locked: '%s'", log2);
	ph_ok(strstr(log, "dnd-") == NULL && strstr(log, "source-") == NULL &&
		strstr(log, "pointer-") == NULL && strstr(log, "key ") == NULL,
		"nor does the source: '%s'", log);

	ph_write_line(&locker, "unlock");
	bool unlocked = ph_expect_line(&locker, "unlocked", line, sizeof(line), 5000);
	ph_ok(unlocked && ph_wait(&locker, 5000) == 0, "ph-locker unlocks");
}

/* The same with a drag inside one client (no data source): only its grab can be ended. */
static void check_local_drag_across_lock(struct ph_compositor *c, struct ph_process *source,
		struct ph_process *tool) {
	char line[512], log[8192], why[256];
	command(tool, "warp 10 10 640 480", "warped");
	command(tool, "press", "pressed");
	drain(source, log, sizeof(log));
	bool started = command(source, "drag-local 0xFFFF00FF", "drag-started");
	command(tool, "warp 150 150 640 480", "warped");
	struct ph_image shot = {0};
	bool grabbed = grab_screen(c, "local-drag.png", &shot);
	ph_ok(started && grabbed &&
		ph_image_rect_is(&shot, 150, 150, 32, 32, 0xFFFF00FF, why, sizeof(why)),
		"a drag without a data source shows its icon at the cursor (%s)",
		grabbed ? why : "no screenshot");
	ph_image_finish(&shot);

	struct ph_process locker;
	ph_spawn(c, &locker, (const char *[]){ph_path("ph-locker"), "--input", "--color",
		"0x00ffff", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool locked = ph_expect_line(&locker, "locked", line, sizeof(line), 10000);
	grabbed = grab_screen(c, "local-drag-locked.png", &shot);
	ph_ok(locked && grabbed && ph_image_rect_is(&shot, 0, 0, W, H, 0xFF00FFFF, why, sizeof(why)),
		"locked: every pixel is the locker's, no icon pixel (%s)",
		grabbed ? why : "no screenshot");
	ph_image_finish(&shot);
	command(tool, "keys 30", "keyed");
	bool key = ph_expect_line(&locker, "key 30 pressed", line, sizeof(line), 5000);
	command(tool, "release", "released");
	drain(source, log, sizeof(log));
	ph_ok(key && strstr(log, "key ") == NULL && strstr(log, "pointer-") == NULL,
		"the lock ended the drag's grab: a key reaches the locker, not the window ('%s')",
		log);
	ph_write_line(&locker, "unlock");
	bool unlocked = ph_expect_line(&locker, "unlocked", line, sizeof(line), 5000);
	ph_ok(unlocked && ph_wait(&locker, 5000) == 0, "ph-locker unlocks");
}

static void check_drag_and_drop(struct ph_compositor *c) {
	char line[512], log[8192], log2[8192], why[256];
	/* The source at (0,0), the target cascaded to (32,32) and on top. */
	struct ph_process source, target, tool;
	ph_spawn(c, &source, (const char *[]){ph_path("ph-input-client"), "--size", "100x100",
		"--color", "0xFFFF0000", "--app-id", "dnd-source", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool ready = ph_expect_line(&source, "ready", line, sizeof(line), 5000);
	ph_spawn(c, &target, (const char *[]){ph_path("ph-input-client"), "--size", "200x200",
		"--color", "0xFF00FF00", "--app-id", "dnd-target", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ready = ph_expect_line(&target, "ready", line, sizeof(line), 5000) && ready;
	ph_spawn(c, &tool, (const char *[]){ph_path("ph-input-tool"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ready = ph_expect_line(&tool, "hello", line, sizeof(line), 5000) && ready;
	ph_ok(ready, "two windows and the input tool are up");

	/* A press on the source; the drag starts with its serial. */
	command(&tool, "warp 10 10 640 480", "warped");
	command(&tool, "press", "pressed");
	drain(&source, log, sizeof(log));
	ph_ok(strstr(log, "pointer-button 272 1|") != NULL, "the source got the press: %s", log);
	struct ph_image before = {0};
	bool shot = grab_screen(c, "before.png", &before);
	ph_ok(shot && ph_image_rect_is(&before, 150, 150, 32, 32, 0xFF00FF00, why, sizeof(why)),
		"before the drag the target's pixels are where the icon will be (%s)",
		shot ? why : "no screenshot");
	ph_image_finish(&before);

	char early[4096];
	bool started = command_log(&source, "drag text/plain dnd-payload 0xFFFF00FF",
		"drag-started", early, sizeof(early));
	drain(&source, log, sizeof(log));
	strncat(early, log, sizeof(early) - strlen(early) - 1);
	snprintf(log, sizeof(log), "%s", early);
	ph_ok(started && strstr(log, "dnd-enter 10 10 text/plain|") != NULL,
		"the drag starts over the source, which gets enter at 10,10 with the offer: %s", log);

	/* Over the target: leave for the source, enter and motion for the target. */
	command(&tool, "warp 150 150 640 480", "warped");
	command(&tool, "move 5 5", "moved");
	/* The target first: its accept reaches the source before its roundtrip ends. */
	drain(&target, log2, sizeof(log2));
	drain(&source, log, sizeof(log));
	ph_ok(strstr(log, "dnd-leave|") != NULL && strstr(log, "source-target text/plain|") != NULL,
		"the source gets leave and learns the target accepts text/plain: %s", log);
	ph_ok(strstr(log2, "dnd-enter 118 118 text/plain|") != NULL &&
		strstr(log2, "dnd-motion 123 123|") != NULL &&
		strstr(log2, "pointer-") == NULL,
		"the target gets enter at 118,118 and motion at 123,123, no pointer events: %s", log2);

	struct ph_image during = {0};
	shot = grab_screen(c, "during.png", &during);
	ph_ok(shot && ph_image_rect_is(&during, 155, 155, 32, 32, 0xFFFF00FF, why, sizeof(why)),
		"grim shows the 32x32 icon at the cursor (155,155) during the drag (%s)",
		shot ? why : "no screenshot");
	ph_ok(shot && ph_image_rect_is(&during, 140, 140, 10, 10, 0xFF00FF00, why, sizeof(why)),
		"and the target around it (%s)", shot ? why : "no screenshot");
	ph_image_finish(&during);

	/* Off every window and back: leave, then enter again. */
	command(&tool, "warp 400 400 640 480", "warped");
	drain(&target, log2, sizeof(log2));
	ph_ok(strstr(log2, "dnd-leave|") != NULL, "over the empty desktop the target gets leave: %s",
		log2);
	command(&tool, "warp 150 150 640 480", "warped");
	drain(&target, log2, sizeof(log2));
	ph_ok(strstr(log2, "dnd-enter 118 118 text/plain|") != NULL,
		"back over the target it gets enter again: %s", log2);

	command(&tool, "release", "released");
	bool dropped = ph_expect_line(&target, "dnd-drop", line, sizeof(line), 5000);
	ph_ok(dropped && strcmp(line, "dnd-drop dnd-payload") == 0,
		"the drop reaches the target, which reads the source's bytes: '%s'", line);
	drain(&target, log2, sizeof(log2));
	drain(&source, log, sizeof(log));
	ph_ok(strstr(log, "source-send text/plain|") != NULL &&
		strstr(log, "source-drop-performed|") != NULL && strstr(log, "source-finished|") != NULL,
		"the source sent text/plain, saw the drop performed and finished: %s", log);
	ph_ok(strstr(log2, "pointer-enter 118 118|") != NULL,
		"after the drop the pointer focus is back on the target (%s)", log2);
	struct ph_image after = {0};
	shot = grab_screen(c, "after.png", &after);
	ph_ok(shot && ph_image_rect_is(&after, 150, 150, 32, 32, 0xFF00FF00, why, sizeof(why)),
		"after the drop the icon is gone (%s)", shot ? why : "no screenshot");
	ph_image_finish(&after);

	check_drag_across_lock(c, &source, &target, &tool);
	check_local_drag_across_lock(c, &source, &tool);

	/* A drag with the serial of a press that is over is refused. */
	command(&tool, "warp 10 10 640 480", "warped");
	command(&tool, "press", "pressed");
	command(&tool, "release", "released");
	drain(&source, log, sizeof(log));
	started = command_log(&source, "drag text/plain stale 0xFFFF00FF", "drag-started", early,
		sizeof(early));
	drain(&source, log, sizeof(log));
	strncat(early, log, sizeof(early) - strlen(early) - 1);
	snprintf(log, sizeof(log), "%s", early);
	command(&tool, "warp 150 150 640 480", "warped");
	drain(&target, log2, sizeof(log2));
	ph_ok(started && strstr(log, "source-cancelled|") != NULL && strstr(log, "dnd-") == NULL &&
		strstr(log2, "dnd-") == NULL,
		"a stale serial starts no drag, the source is cancelled: source '%s' target '%s'",
		log, log2);

	/* Protocol misuse: an icon with a role. */
	command(&tool, "warp 10 10 640 480", "warped");
	command(&tool, "press", "pressed");
	ph_write_line(&source, "drag-bad-icon");
	bool error = ph_expect_line(&source, "protocol-error", line, sizeof(line), 5000);
	/* wlroots posts wl_data_device.error.role (0) on the icon's wl_surface object. */
	ph_ok(error && strcmp(line, "protocol-error wl_surface 0") == 0,
		"an icon surface that has a role gets the role error: '%s'", line);
	command(&tool, "release", "released");

	ph_kill(&tool);
	ph_kill(&target);
	ph_kill(&source);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 90);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	/* Windows cascade from (0,0): the drag's windows come first. */
	check_drag_and_drop(&c);
	check_clipboard(&c);
	check_client_selection(&c);
	ph_compositor_finish(&c);
	return ph_finish();
}
