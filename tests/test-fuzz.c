/*
 * The capture protocols under a request-sequence fuzzer (ph-stress fuzz):
 * seeded random sequences of valid and invalid requests, each on a fresh
 * connection, against one compositor. The fuzzer itself checks every
 * protocol error, frame outcome and hang against its model; here we check
 * that it ran them all, that the compositor is alive afterwards and still
 * captures the right pixels for a normal client, and that it exits without
 * a sanitizer report (ASan, UBSan, LSan leaks).
 *
 * test-fuzz [--count N | N] [--seconds S] [--seed S]   (tools/dev fuzz)
 * The seed is printed; every failing sequence prints a replay command.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"

int main(int argc, char *argv[]) {
	long count = 2000, seconds = 0;
	unsigned long long seed = (unsigned long long)time(NULL);
	if (getenv("PH_FUZZ_SEED") != NULL) {
		seed = strtoull(getenv("PH_FUZZ_SEED"), NULL, 0);
	}
	static const struct option options[] = {
		{"count", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 't'},
		{"seed", required_argument, NULL, 's'},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "n:t:s:", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtol(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: test-fuzz [--count N | N] [--seconds S] [--seed S]\n");
			return 2;
		}
	}
	if (optind < argc) {
		count = strtol(argv[optind], NULL, 0);
	}
	/* A generous bound for the ASan build (about 1 ms per sequence here). */
	ph_init(argc, argv, (int)(seconds > 0 ? seconds + 120 : count / 20 + 120));
	ph_plan(seconds > 0 || count >= 100 ? 7 : 6);

	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x240", "--outputs", "2",
			NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	char count_arg[32], seconds_arg[32], seed_arg[32];
	snprintf(count_arg, sizeof(count_arg), "%ld", count);
	snprintf(seconds_arg, sizeof(seconds_arg), "%ld", seconds);
	snprintf(seed_arg, sizeof(seed_arg), "%llu", seed);
	ph_diag("fuzz seed %s: replay this run with tools/dev fuzz %s --seed %s", seed_arg,
		seconds > 0 ? "--seconds <S>" : count_arg, seed_arg);
	struct ph_process fuzz;
	const char *fuzz_argv[] = {ph_path("ph-stress"), "fuzz", "--seed", seed_arg,
		seconds > 0 ? "--seconds" : "--count", seconds > 0 ? seconds_arg : count_arg, NULL};
	ph_spawn(&c, &fuzz, fuzz_argv, PH_PIPE_STDOUT);
	char line[1024], summary[1024] = "";
	int64_t deadline = ph_now_ms() + (seconds > 0 ? seconds + 60 : count / 20 + 60) * 1000;
	long failing = 0;
	while (ph_now_ms() < deadline &&
			ph_read_line(&fuzz, line, sizeof(line), (int)(deadline - ph_now_ms()))) {
		if (strncmp(line, "FUZZ-", 5) == 0 || strncmp(line, "replay:", 7) == 0) {
			ph_diag("%s", line);
			failing += strncmp(line, "FUZZ-", 5) == 0;
		} else if (strstr(line, " fuzz: ") != NULL) {
			snprintf(summary, sizeof(summary), "%s", line);
		}
	}
	int code = ph_wait(&fuzz, 10000);
	long sequences = 0;
	const char *p = strstr(summary, "fuzz: ");
	if (p != NULL) {
		sequences = strtol(p + 6, NULL, 10);
	}
	ph_ok(code == 0 && failing == 0 && strncmp(summary, "PASS", 4) == 0,
		"fuzzer: exit %d, %ld failing sequences: %s", code, failing, summary);
	ph_ok(seconds > 0 ? sequences > 0 : sequences == count, "%ld of %ld sequences ran",
		sequences, seconds > 0 ? sequences : count);
	/* A fuzzer that never reached a capture or an error would prove nothing. */
	long ready = 0, errors = 0;
	p = strstr(summary, "expected protocol errors");
	const char *r = strstr(summary, " ready,");
	if (p != NULL && r != NULL) {
		const char *q = p;
		while (q > summary && q[-1] != ',') {
			q--;
		}
		errors = strtol(q, NULL, 10);
		q = r;
		while (q > summary && q[-1] != ',') {
			q--;
		}
		ready = strtol(q, NULL, 10);
	}
	/* (A short replay may legitimately reach neither: decided by the request, not the result.) */
	if (seconds > 0 || count >= 100) {
		ph_ok(ready > 0 && errors > 0, "sequences reached ready frames (%ld) and protocol "
			"errors (%ld)", ready, errors);
	}

	ph_ok(kill(c.pid, 0) == 0, "compositor alive after the fuzzer");
	/* A well-behaved client still gets the right pixels. */
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), NULL}, PH_PIPE_STDOUT);
	ph_expect_line(&paint, "ready", line, sizeof(line), 5000);
	char out[4096];
	code = ph_run(&c, (const char *[]){"grim", "-o", "HEADLESS-1", ph_scratch("after.png"),
		NULL}, 10000, out, sizeof(out));
	struct ph_image image = {0};
	char why[128] = "no image";
	bool ok = code == 0 && ph_image_load(ph_scratch("after.png"), &image) &&
		ph_image_rect_is(&image, 0, 0, 200, 150, 0xff3366cc, why, sizeof(why)) &&
		ph_image_rect_is(&image, 200, 150, 120, 90, 0xff000000, why, sizeof(why));
	ph_ok(ok, "grim captures the right pixels after the fuzzer (%s)", why);
	ph_image_finish(&image);
	ph_kill(&paint);

	ph_compositor_finish(&c);
	return ph_finish();
}
