/*
 * Soak: 8 concurrent sessions (4 on the output, 4 on a window) capture
 * 10,000 frames each in lock-step with a client that paints a new colour
 * every iteration (ph-stress soak). Every frame must show its colour (one
 * pixel; every 100th iteration every pixel of every session's frame), and
 * the compositor's RSS and fd count must stay flat.
 *
 * ASan keeps freed memory in a quarantine (256 MB by default), which would
 * look like growth: the compositor runs with an 8 MB quarantine, so RSS
 * shows what pinhole itself holds. LSan still checks leaks at exit.
 *
 * test-soak [ITERATIONS [SESSIONS]]   (tools/dev fuzz --soak)
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"

/* Growth allowed after warm-up: generous, this is a leak check, not a benchmark. */
#define RSS_SLACK_KB 4096

int main(int argc, char *argv[]) {
	int iterations = argc > 1 ? atoi(argv[1]) : 10000;
	int sessions = argc > 2 ? atoi(argv[2]) : 8;
	ph_init(argc, argv, 120 + iterations / 100);
	ph_plan(7);
	char asan[512];
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(asan, sizeof(asan), "%s%squarantine_size_mb=8", old != NULL ? old : "",
		old != NULL && old[0] != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", asan, 1);

	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x240", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	char iterations_arg[16], sessions_arg[16];
	snprintf(iterations_arg, sizeof(iterations_arg), "%d", iterations);
	snprintf(sessions_arg, sizeof(sessions_arg), "%d", sessions);
	struct ph_process soak;
	ph_spawn(&c, &soak, (const char *[]){ph_path("ph-stress"), "soak", iterations_arg,
		sessions_arg, NULL}, PH_PIPE_STDOUT);
	char line[1024], result[1024] = "";
	long first_rss = -1, warm_rss = -1, last_rss = -1, first_fds = -1, last_fds = -1;
	long max_fds = -1, frames = 0, whole_frames = -1;
	int checkpoints = 0;
	int64_t deadline = ph_now_ms() + (60 + iterations / 100) * 1000;
	while (ph_now_ms() < deadline &&
			ph_read_line(&soak, line, sizeof(line), (int)(deadline - ph_now_ms()))) {
		int iteration;
		long f, rss, fds;
		if (sscanf(line, "whole-frames %ld", &whole_frames) == 1) {
			continue;
		}
		if (sscanf(line, "checkpoint iteration=%d frames=%ld rss_kb=%ld fds=%ld", &iteration,
				&f, &rss, &fds) == 4) {
			ph_diag("%s", line);
			if (checkpoints == 0) {
				first_rss = rss;
				first_fds = fds;
			} else if (checkpoints == 1) {
				/* After a tenth of the run: allocator pools and caches are warm. */
				warm_rss = rss;
			}
			last_rss = rss;
			last_fds = fds;
			max_fds = fds > max_fds ? fds : max_fds;
			frames = f;
			checkpoints++;
		} else if (strstr(line, " soak: ") != NULL || strncmp(line, "FAIL", 4) == 0 ||
				line[0] == '#') {
			ph_diag("%s", line);
			if (line[0] != '#') {
				snprintf(result, sizeof(result), "%s", line);
			}
		}
	}
	int code = ph_wait(&soak, 10000);
	ph_ok(code == 0 && strncmp(result, "PASS", 4) == 0, "every frame showed its colour: %s",
		result);
	ph_ok(frames == (long)iterations * sessions, "%ld frames of %ld", frames,
		(long)iterations * sessions);
	/* ph-stress checks every pixel of every session's frame on iterations 0, 100, 200, ... */
	long want_whole = (long)((iterations + 99) / 100) * sessions;
	ph_ok(whole_frames == want_whole, "%ld frames checked whole, every pixel (%ld expected: "
		"every 100th iteration, all sessions)", whole_frames, want_whole);
	ph_ok(checkpoints >= 2 && first_fds > 0 && last_fds == first_fds && max_fds == first_fds,
		"fd count flat: %ld at the start, %ld at most, %ld at the end", first_fds, max_fds,
		last_fds);
	ph_ok(checkpoints >= 2 && warm_rss > 0 && last_rss - warm_rss < RSS_SLACK_KB,
		"RSS flat after warm-up: %ld KiB at the start, %ld KiB warm, %ld KiB at the end "
		"(%+ld KiB)", first_rss, warm_rss, last_rss, last_rss - warm_rss);
	ph_compositor_finish(&c);
	return ph_finish();
}
