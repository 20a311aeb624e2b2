/*
 * Start-up and shutdown: the socket is logged, -s runs its command with
 * WAYLAND_DISPLAY set, and SIGTERM with clients connected ends cleanly
 * (exit 0; under ASan a leak or listener left behind makes it non-zero).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 60);
	ph_plan(7);
	struct ph_compositor c;
	char marker[600];
	snprintf(marker, sizeof(marker), "echo \"$WAYLAND_DISPLAY\" > %s", ph_scratch("startup"));
	bool started = ph_compositor_start(&c, (const char *[]){"--mode", "320x240", "-s", marker,
		NULL});
	ph_ok(started && strncmp(c.socket, "wayland-", 8) == 0, "socket logged: %s", c.socket);
	if (!started) {
		return ph_finish();
	}
	char seen[64] = "";
	for (int i = 0; i < 100 && seen[0] == '\0'; i++) {
		FILE *f = fopen(ph_scratch("startup"), "r");
		if (f != NULL) {
			if (fgets(seen, sizeof(seen), f) == NULL) {
				seen[0] = '\0';
			}
			fclose(f);
		}
		ph_sleep_ms(20);
	}
	seen[strcspn(seen, "\n")] = '\0';
	ph_ok(strcmp(seen, c.socket) == 0, "-s command sees WAYLAND_DISPLAY=%s", seen);

	/* ph-paint's stderr says how it ended: a lost connection, or something else. */
	struct ph_process paint;
	const char *paint_err = ph_scratch("paint.err");
	ph_spawn(&c, &paint, (const char *[]){"sh", "-c", "exec \"$0\" 2>\"$1\"", ph_path("ph-paint"),
		paint_err, NULL}, PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	/* SIGTERM with the client connected: exit 0, no sanitizer report. */
	ph_compositor_finish(&c);
	int client_code = ph_wait(&paint, 5000);
	char *err = ph_read_file(paint_err);
	bool lost = err != NULL && strstr(err, "connection to the compositor lost") != NULL;
	if (err != NULL) {
		err[strcspn(err, "\n")] = '\0';
	}
	/* 1 is ph-paint's exit for a lost connection; a crash would be 128+signal, a hang -1. */
	ph_ok(client_code == 1 && lost, "client saw the compositor go: exit %d, '%s'", client_code,
		err != NULL ? err : "no stderr");
	free(err);
	ph_ok(!ph_compositor_log_contains(&c, "Assertion"), "no assertion in the log");
	return ph_finish();
}
