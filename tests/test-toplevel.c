/*
 * Toplevel capture: the window with its popup and subsurface, at its own
 * extent, with transparency where it has no pixels and its own alpha kept,
 * even while another window covers it on screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "probe.h"

#define SHM_ARGB8888 0

static void check_word(struct probe *probe, const char *buffer, int x, int y, uint32_t want,
		const char *what) {
	uint32_t got = probe_word(probe, buffer, x, y);
	ph_ok(got == want, "%s: (%d,%d) is 0x%08x, expected 0x%08x", what, x, y, got, want);
}

/*
 * A capture of BUFFER is waiting when the window runs COMMAND: the frame must
 * be ready with exactly the damage EXPECTED.
 */
static void check_damage_after(struct probe *probe, const char *buffer, struct ph_process *window,
		const char *command, const char *expected, const char *what) {
	char cmd[64], line[256] = "no reply";
	snprintf(cmd, sizeof(cmd), "capture %s", buffer);
	probe_cmd(probe, cmd, NULL);
	ph_write_line(window, "%s", command);
	bool ready = false;
	while (!ready && ph_read_line(&probe->process, line, sizeof(line), 5000) &&
			strncmp(line, "failed", 6) != 0) {
		ready = strncmp(line, "ready", 5) == 0;
	}
	char want[96];
	snprintf(want, sizeof(want), "ready damage=%s", expected);
	ph_ok(ready && strcmp(line, want) == 0, "%s: damage is exactly %s (%s)", what, expected,
		line);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 90);
	ph_plan(31);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	char line[256];
	struct ph_process window, cover, translucent;
	ph_spawn(&c, &window, (const char *[]){ph_path("ph-paint"), "--pattern", "quad",
		"--size", "200x150", "--app-id", "target",
		"--subsurface", "20x20+10x10:0xffff00ff",
		"--popup", "150x100+60x40:0xffffff00", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&window, "popup-ready", line, sizeof(line), 5000),
		"window with popup and subsurface mapped");
	/* A larger window on top hides most of the target on screen. */
	ph_spawn(&c, &cover, (const char *[]){ph_path("ph-paint"), "--size", "500x400",
		"--color", "0xff202020", "--app-id", "cover", NULL}, PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&cover, "ready", line, sizeof(line), 5000), "covering window mapped");
	ph_spawn(&c, &translucent, (const char *[]){ph_path("ph-paint"), "--size", "64x64",
		"--format", "argb", "--color", "0x80ff0000", "--app-id", "translucent", NULL},
		PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&translucent, "ready", line, sizeof(line), 5000),
		"translucent window mapped");

	struct probe probe;
	probe_start(&c, &probe);
	probe_cmd(&probe, "toplevel target", "constraints");
	/* The popup at (150,100) size 60x40 sticks out to x=210: the capture grows with it. */
	ph_ok(strncmp(probe.line, "constraints 210x150 ", 20) == 0,
		"extent covers window and popup: %s", probe.line);
	probe_cmd(&probe, "buffer t 0", "buffer");
	probe_cmd(&probe, "capture t", "ready");
	ph_ok(strstr(probe.line, "damage=0,0,210,150") != NULL, "first frame fully damaged: %s",
		probe.line);
	check_word(&probe, "t", 5, 5, 0xffff0000, "top-left quadrant, though covered on screen");
	check_word(&probe, "t", 150, 20, 0xff00ff00, "top-right quadrant");
	check_word(&probe, "t", 5, 140, 0xff0000ff, "bottom-left quadrant");
	check_word(&probe, "t", 120, 90, 0xffffffff, "bottom-right quadrant");
	check_word(&probe, "t", 25, 25, 0xffff00ff, "subsurface");
	check_word(&probe, "t", 170, 120, 0xffffff00, "popup");
	check_word(&probe, "t", 205, 10, 0x00000000, "transparent outside the window");

	/*
	 * Only what changed is damaged: a rectangle the window draws, then its
	 * subsurface made desynchronized and committed alone (as a video
	 * player's), which must wake the capture too. The window is covered on
	 * screen, so ph-paint's replies (frame callbacks) may never come.
	 */
	check_damage_after(&probe, "t", &window, "rect 100 10 20 20 0xff112233", "100,10,20,20",
		"a rectangle drawn in the window");
	check_word(&probe, "t", 110, 20, 0xff112233, "the rectangle");
	check_damage_after(&probe, "t", &window, "sub-color 0xff00ffff", "20,20,10,10",
		"a desynchronized subsurface's own commit");
	check_word(&probe, "t", 25, 25, 0xff00ffff, "the subsurface's new colour");
	check_word(&probe, "t", 110, 20, 0xff112233, "the rectangle kept");

	probe_cmd(&probe, "destroy-session", "destroyed");
	probe_cmd(&probe, "toplevel translucent", "constraints");
	probe_cmd(&probe, "buffer a 0", "buffer");
	probe_cmd(&probe, "capture a", "ready");
	check_word(&probe, "a", 30, 30, 0x80800000, "window alpha kept (premultiplied)");

	/*
	 * On a HiDPI output the capture has the output's pixels, not the logical
	 * size. The cover goes first: it would stick out of the output made
	 * 320x240 by the scale, come back inside it at 0,0 and hide the whole
	 * target, and a window shown on no output keeps the scale it was last
	 * shown at (src/capture/toplevel_source.c).
	 */
	ph_kill(&cover);
	char out[1024];
	int code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--scale", "2",
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "output scale set to 2 (%d %s)", code, out);
	struct probe scaled;
	probe_start(&c, &scaled);
	probe_cmd(&scaled, "toplevel target", "constraints");
	ph_ok(strncmp(scaled.line, "constraints 420x300 ", 20) == 0,
		"toplevel captured at scale 2: %s", scaled.line);
	probe_cmd(&scaled, "buffer s 0", "buffer");
	probe_cmd(&scaled, "capture s", "ready");
	check_word(&scaled, "s", 10, 10, 0xffff0000, "scale 2: top-left quadrant");
	check_word(&scaled, "s", 300, 40, 0xff00ff00, "scale 2: top-right quadrant");
	check_word(&scaled, "s", 50, 50, 0xff00ffff, "scale 2: subsurface (its new colour)");
	check_word(&scaled, "s", 340, 240, 0xffffff00, "scale 2: popup");
	check_word(&scaled, "s", 410, 20, 0x00000000, "scale 2: transparent outside");
	/* Twice the size, and a pixel more all round: linear filtering reaches that far. */
	check_damage_after(&scaled, "s", &window, "rect 100 10 20 20 0xff445566", "199,19,42,42",
		"scale 2: a rectangle drawn, at twice its size, filtering included");
	check_word(&scaled, "s", 220, 40, 0xff445566, "scale 2: the rectangle");
	probe_cmd(&scaled, "quit", NULL);
	ph_wait(&scaled.process, 5000);

	/* Closing a captured window stops its session. */
	probe_cmd(&probe, "capture a", NULL); /* no reply: it waits for content */
	ph_kill(&translucent);
	/* The close may overtake the capture request: either order is correct. */
	bool failed = false, stopped = false;
	while ((!failed || !stopped) && ph_read_line(&probe.process, line, sizeof(line), 5000)) {
		failed = failed || strcmp(line, "failed 2") == 0;
		stopped = stopped || strcmp(line, "stopped") == 0;
	}
	ph_ok(failed, "pending frame failed with 'stopped'");
	ph_ok(stopped, "session stopped when the window closed");

	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&window);
	ph_kill(&cover);
	ph_compositor_finish(&c);
	return ph_finish();
}
