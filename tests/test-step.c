/*
 * The stepped clock (--clock step, docs/stepping.md), through
 * examples/step-agent, which captures = steps an output and prints each
 * frame's presentation time and pixel hash:
 * - the same episode twice, in two fresh compositors, gives byte-identical
 *   frames with weston-simple-shm (its pattern is a function of the frame
 *   callback's time), every step a new frame; with it and weston-simple-egl
 *   (EGL on Mesa's software rasteriser, whose animation follows the wall
 *   clock) step k is presented at exactly k * 10^12 / refresh_mHz ns;
 * - an input sent after reading step k is in the frame of step k+1 (a
 *   client that draws on frame callbacks, like a game: ph-paint
 *   --click-color), and not before;
 * - a client that got a frame callback and never commits (stopped) holds a
 *   step only for --step-timeout, and the log names it;
 * - a wlr-screencopy capture (grim with the ext globals hidden) is a step too,
 *   and so is a window capture, of the output the window is on;
 * - bad --clock and --step-timeout values are one-line errors, exit 2.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define STEPS 24
#define MODE "640x480@60"
/*
 * A client that misses a step's deadline makes that step's frame differ
 * (the log says so): under ASan on a loaded machine give clients time.
 */
#define TEST_STEP_TIMEOUT "10000"
#define REFRESH_MHZ 60000

struct episode {
	char times[STEPS][32];
	unsigned long long hashes[STEPS];
	int steps;
};

static bool wait_mapped(struct ph_compositor *c) {
	for (int waited = 0; waited < 10000; waited += 20) {
		if (ph_compositor_log_contains(c, ") mapped")) {
			return true;
		}
		ph_sleep_ms(20);
	}
	return false;
}

/* Runs step-agent on c; fills what it printed. */
static bool run_agent(struct ph_compositor *c, struct episode *episode, int steps,
		const char *const *extra) {
	const char *argv[16] = {ph_path("step-agent"), "-n", NULL};
	char count[16];
	snprintf(count, sizeof(count), "%d", steps);
	argv[2] = count;
	int argc = 3;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 15; i++) {
		argv[argc++] = extra[i];
	}
	argv[argc] = NULL;
	struct ph_process agent;
	ph_spawn(c, &agent, argv, PH_PIPE_STDOUT);
	episode->steps = 0;
	char line[256];
	while (episode->steps < steps && ph_read_line(&agent, line, sizeof(line), 20000)) {
		int step;
		char time[32];
		unsigned long long hash;
		if (sscanf(line, "step %d time=%31s hash=%llx", &step, time, &hash) != 3 ||
				step != episode->steps + 1) {
			ph_diag("step-agent said: %s", line);
			break;
		}
		snprintf(episode->times[episode->steps], sizeof(episode->times[0]), "%s", time);
		episode->hashes[episode->steps++] = hash;
	}
	int code = ph_wait(&agent, 10000);
	if (code != 0 || episode->steps != steps) {
		ph_diag("step-agent exit %d after %d of %d steps", code, episode->steps, steps);
		return false;
	}
	return true;
}

/* One fresh compositor, the client, N steps. */
static bool episode_of(const char *client, struct episode *episode) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--clock", "step", "--mode", MODE,
			"--step-timeout", TEST_STEP_TIMEOUT, NULL})) {
		return false;
	}
	struct ph_process app;
	ph_spawn(&c, &app, (const char *[]){client, NULL}, 0);
	bool ok = wait_mapped(&c);
	if (!ok) {
		ph_diag("%s did not map", client);
	}
	ok = ok && run_agent(&c, episode, STEPS, NULL);
	if (ph_compositor_log_contains(&c, "did not commit within")) {
		ph_diag("%s missed a step's deadline (see the log)", client);
		ph_compositor_dump_log(&c);
		ok = false;
	}
	ph_kill(&app);
	ph_compositor_finish(&c);
	return ok;
}

/*
 * identical: the client's frames are a function of its frame callbacks' time
 * alone, so two episodes must match byte for byte. weston-simple-egl 16
 * takes its angle from gettimeofday() in redraw(), not from the callback's
 * time: its frames follow the wall clock and can match by chance only; for
 * it the steps, their times and "a new frame every step" are checked.
 */
static void check_episodes(const char *client, bool identical) {
	struct episode first, second;
	bool ran = episode_of(client, &first) && episode_of(client, &second);
	ph_ok(ran, "%s: two episodes of %d steps in two fresh compositors", client, STEPS);
	if (!ran) {
		return;
	}
	int same = 0, new_frames = 0, exact_times = 0;
	for (int i = 0; i < STEPS; i++) {
		same += first.hashes[i] == second.hashes[i];
		new_frames += i == 0 || (first.hashes[i] != first.hashes[i - 1] &&
			second.hashes[i] != second.hashes[i - 1]);
		/* Step k at k * 10^12 / mHz ns, floored: no drift over the episode. */
		unsigned long long ns = (unsigned long long)(i + 1) * 1000000000000ULL / REFRESH_MHZ;
		char expected[32];
		snprintf(expected, sizeof(expected), "%llu.%09llu", ns / 1000000000ULL,
			ns % 1000000000ULL);
		exact_times += strcmp(first.times[i], expected) == 0 &&
			strcmp(second.times[i], expected) == 0;
		if ((identical && first.hashes[i] != second.hashes[i]) ||
				strcmp(first.times[i], expected) != 0) {
			ph_diag("%s step %d: %s %016llx / %s %016llx (expected time %s)", client, i + 1,
				first.times[i], first.hashes[i], second.times[i], second.hashes[i], expected);
		}
	}
	if (identical) {
		ph_ok(same == STEPS, "%s: the two episodes' frames are byte-identical (%d of %d)",
			client, same, STEPS);
	}
	if (identical) {
		ph_ok(new_frames == STEPS, "%s: every step is a new frame (%d of %d)", client,
			new_frames, STEPS);
	}
	ph_ok(exact_times == STEPS, "%s: step k is presented at k periods of 60 Hz exactly "
		"(%d of %d)", client, exact_times, STEPS);
}

static uint32_t saved_pixel(const char *dir, int step, int x, int y) {
	char path[600];
	snprintf(path, sizeof(path), "%s/step-%d.ppm", dir, step);
	struct ph_image image;
	if (!ph_image_load(path, &image)) {
		return 0;
	}
	uint32_t pixel = ph_image_at(&image, x, y) & 0xffffff;
	ph_image_finish(&image);
	return pixel;
}

static void check_input_next_step(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--clock", "step", "--mode", MODE,
			"--step-timeout", TEST_STEP_TIMEOUT, NULL})) {
		ph_ok(false, "compositor for the input check");
		return;
	}
	struct ph_process app;
	ph_spawn(&c, &app, (const char *[]){ph_path("ph-paint"), "--size", "200x150", "--color",
		"0xFF3366CC", "--click-color", "0xFF00FF00", NULL}, PH_PIPE_STDOUT);
	/* (Its stdout is piped only to keep its lines out of this test's TAP.) */
	/* Its first frame callback, and so its "ready", only comes with the first step. */
	bool ready = wait_mapped(&c);
	ph_ok(ready, "ph-paint --click-color is mapped");
	struct episode episode;
	const char *dir = ph_scratch("frames");
	char mkdir_cmd[600];
	snprintf(mkdir_cmd, sizeof(mkdir_cmd), "mkdir -p '%s'", dir);
	ph_run(NULL, (const char *[]){"sh", "-c", mkdir_cmd, NULL}, 5000, NULL, 0);
	bool ran = ready && run_agent(&c, &episode, 8, (const char *[]){"--click", "5:50,50",
		"--save", dir, NULL});
	ph_ok(ran, "step-agent clicked at 50,50 after reading step 5");
	int before = 0, after = 0;
	for (int step = 1; ran && step <= 8; step++) {
		uint32_t pixel = saved_pixel(dir, step, 50, 50);
		before += step <= 5 && pixel == 0x3366cc;
		after += step > 5 && pixel == 0x00ff00;
		ph_diag("step %d: pixel 50,50 = %06x", step, pixel);
	}
	ph_ok(before == 5, "steps 1-5 show the window before the click (%d of 5)", before);
	ph_ok(after == 3, "steps 6-8 show what the click changed, from the very next step "
		"(%d of 3)", after);
	ph_ok(!ph_compositor_log_contains(&c, "did not commit within"),
		"no step went on without ph-paint");
	if (after != 3) {
		ph_compositor_dump_log(&c);
	}
	ph_kill(&app);
	ph_compositor_finish(&c);
}

static void check_stalled_client(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--clock", "step", "--mode", MODE,
			"--step-timeout", "300", NULL})) {
		ph_ok(false, "compositor for the stalled-client check");
		return;
	}
	struct ph_process app;
	ph_spawn(&c, &app, (const char *[]){"weston-simple-shm", NULL}, 0);
	struct episode episode;
	bool ok = wait_mapped(&c) && run_agent(&c, &episode, 2, NULL);
	/* It has a frame callback pending and can no longer answer it. */
	kill(app.pid, SIGSTOP);
	int64_t start = ph_now_ms();
	ok = ok && run_agent(&c, &episode, 3, NULL);
	int64_t took = ph_now_ms() - start;
	ph_ok(ok, "a stopped client does not stall the steps (3 steps in %lld ms with "
		"--step-timeout 300)", (long long)took);
	ph_ok(ph_compositor_log_contains(&c, "did not commit within 300 ms") &&
		ph_compositor_log_contains(&c, "missed it"),
		"the log says which step's surface missed its deadline");
	kill(app.pid, SIGCONT);
	ph_kill(&app);
	ph_compositor_finish(&c);
}

/* wlroots' wlr-screencopy (grim with the ext globals hidden): each capture is a step too. */
static void check_screencopy(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--clock", "step", "--mode", MODE,
			"--no-ext-capture", "--step-timeout", TEST_STEP_TIMEOUT, NULL})) {
		ph_ok(false, "compositor for the screencopy check");
		return;
	}
	struct ph_process app;
	ph_spawn(&c, &app, (const char *[]){"weston-simple-shm", NULL}, 0);
	bool mapped = wait_mapped(&c);
	unsigned long long hashes[3] = {0};
	int taken = 0;
	for (int i = 0; mapped && i < 3; i++) {
		char path[600], out[1024];
		snprintf(path, sizeof(path), "%s/grim-%d.png", ph_scratch(""), i + 1);
		int code = ph_run(&c, (const char *[]){"grim", path, NULL}, 20000, out, sizeof(out));
		struct ph_image image;
		if (code != 0 || !ph_image_load(path, &image)) {
			ph_diag("grim %d: exit %d: %s", i + 1, code, out);
			break;
		}
		unsigned long long hash = 0xcbf29ce484222325ULL;
		for (int p = 0; p < image.width * image.height; p++) {
			hash = (hash ^ image.pixels[p]) * 0x100000001b3ULL;
		}
		hashes[taken++] = hash;
		ph_image_finish(&image);
	}
	ph_ok(taken == 3, "grim over wlr-screencopy completes on a stepped clock (%d of 3)", taken);
	ph_ok(ph_compositor_log_contains(&c, "step 3 at 0.050000000 s") &&
		!ph_compositor_log_contains(&c, "step 4 at"),
		"each screencopy capture was exactly one step");
	ph_ok(taken == 3 && hashes[0] != hashes[1] && hashes[1] != hashes[2],
		"each grim picture is a new frame of weston-simple-shm");
	ph_kill(&app);
	ph_compositor_finish(&c);
}

/*
 * A window capture steps the output the window is on: capture-shm --loop on
 * weston-simple-shm's toplevel gets one new frame per step, presented at the
 * step's time.
 */
static void check_toplevel(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--clock", "step", "--mode", MODE,
			"--step-timeout", TEST_STEP_TIMEOUT, NULL})) {
		ph_ok(false, "compositor for the window check");
		return;
	}
	struct ph_process app;
	ph_spawn(&c, &app, (const char *[]){"weston-simple-shm", NULL}, 0);
	char out[16384];
	int code = wait_mapped(&c) ? ph_run(&c, (const char *[]){ph_path("capture-shm"), "-a",
		"org.freedesktop.weston.simple-shm", "--loop", "5", NULL}, 30000, out, sizeof(out)) : -1;
	int exact = 0, damaged = 0;
	const char *p = out;
	for (int k = 1; k <= 5; k++) {
		unsigned long long ns = (unsigned long long)k * 1000000000000ULL / REFRESH_MHZ;
		char expected[64];
		snprintf(expected, sizeof(expected), "presentation_time=%llu.%09llu", ns / 1000000000ULL,
			ns % 1000000000ULL);
		const char *at = p != NULL ? strstr(p, expected) : NULL;
		exact += at != NULL;
		p = at != NULL ? at + 1 : p;
		char frame[32];
		snprintf(frame, sizeof(frame), "frame %d latency_ms=", k - 1);
		const char *f = strstr(out, frame);
		damaged += f != NULL && strstr(f, "damage=") != NULL &&
			strncmp(strstr(f, "damage=") + 7, "none", 4) != 0;
	}
	ph_ok(code == 0 && exact == 5, "a window capture steps its output: 5 frames at steps 1-5 "
		"(%d exact, capture-shm exit %d)", exact, code);
	if (exact != 5) {
		ph_diag("%s", out);
	}
	ph_ok(damaged == 5, "each a new frame of the window (%d of 5 with damage)", damaged);
	ph_ok(ph_compositor_log_contains(&c, "step 5 at") &&
		!ph_compositor_log_contains(&c, "step 6 at"), "exactly one step per window frame");
	ph_kill(&app);
	ph_compositor_finish(&c);
}

static void check_bad_options(void) {
	static const char *const bad[][2] = {
		{"--clock", "bogus"}, {"--step-timeout", "0"}, {"--step-timeout", "-5"},
		{"--step-timeout", "soon"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[4096];
		int code = ph_run(NULL, (const char *[]){ph_path("pinhole"), bad[i][0], bad[i][1],
			NULL}, 10000, out, sizeof(out));
		char expected[64];
		snprintf(expected, sizeof(expected), "pinhole: invalid %s '%s'", bad[i][0], bad[i][1]);
		ph_ok(code == 2 && strncmp(out, expected, strlen(expected)) == 0,
			"%s %s: exit %d, '%.*s'", bad[i][0], bad[i][1], code,
			(int)strcspn(out, "\n"), out);
	}
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 240);
	check_bad_options();
	check_episodes("weston-simple-shm", true);
	check_episodes("weston-simple-egl", false);
	check_input_next_step();
	check_stalled_client();
	check_screencopy();
	check_toplevel();
	return ph_finish();
}
