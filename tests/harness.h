#ifndef PINHOLE_TESTS_HARNESS_H
#define PINHOLE_TESTS_HARNESS_H

/*
 * A compositor per test: pinhole headless (pixman) on a private
 * XDG_RUNTIME_DIR, real clients started against it, everything killed when
 * the test ends or its deadline passes. Output is TAP.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct ph_compositor {
	pid_t pid;
	char runtime_dir[300];
	char log_path[340];
	char socket[64];
	char display[32]; /* X11 DISPLAY pinhole exported, if any */
};

struct ph_process {
	pid_t pid;
	int stdin_fd; /* -1 unless PH_PIPE_STDIN */
	int stdout_fd; /* -1 unless PH_PIPE_STDOUT */
	char buf[8192]; /* unread stdout */
	size_t buf_len;
};

enum ph_spawn_flags {
	PH_PIPE_STDIN = 1 << 0,
	PH_PIPE_STDOUT = 1 << 1,
};

/* Test lifecycle: a deadline for the whole test, TAP plan and results. */
void ph_init(int argc, char *argv[], int deadline_seconds);
/*
 * Declares the number of checks up front (TAP plan first): a check that never
 * runs is then a failure, not a shorter plan. Without it the plan comes last.
 */
void ph_plan(int count);
/*
 * The plan (if not declared), and a failure for every compositor started
 * that ph_compositor_finish did not check. Returns the exit code.
 */
int ph_finish(void);
void ph_ok(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ph_skip_all(const char *reason) __attribute__((noreturn));
void ph_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Paths of built programs: "pinhole", a test client or an example. */
const char *ph_path(const char *name);
/* A file of the source tree (scripts the tests run). */
void ph_source_path(const char *relative, char *out, size_t size);

/* Starts pinhole with args (NULL-terminated, may be NULL) after the defaults. */
bool ph_compositor_start(struct ph_compositor *c, const char *const *args);
/*
 * The same with extra environment ("NAME=value", NULL-terminated), set after
 * the defaults: a nested pinhole gets its parent's WAYLAND_DISPLAY or DISPLAY.
 */
bool ph_compositor_start_env(struct ph_compositor *c, const char *const *args,
	const char *const *env);
/* SIGTERM, then waits; returns the exit status, or -1 if it had to be killed. */
int ph_compositor_stop(struct ph_compositor *c);
void ph_compositor_dump_log(struct ph_compositor *c);
/* No AddressSanitizer/LeakSanitizer/UBSan report in the compositor's log. */
bool ph_compositor_sanitizer_clean(struct ph_compositor *c);
/*
 * The end of a test's compositor: SIGTERM, then checks that it exited 0
 * (LSan makes leaks non-zero) and logged no sanitizer report; dumps its log
 * if not.
 */
void ph_compositor_finish(struct ph_compositor *c);
/*
 * The live processes of session SID (pinhole leads one: its -s commands and
 * what they started are in it); at most max pids. Returns how many.
 */
int ph_session_members(pid_t sid, pid_t *pids, int max);
/* VmRSS in KiB and the number of open fds of a process (-1 when unreadable). */
void ph_process_usage(pid_t pid, long *rss_kb, long *fds);
bool ph_compositor_log_contains(struct ph_compositor *c, const char *needle);

/* Clients run with the compositor's WAYLAND_DISPLAY and XDG_RUNTIME_DIR. */
bool ph_spawn(struct ph_compositor *c, struct ph_process *p, const char *const *argv,
	unsigned flags);
/* Reads one line of stdout (without newline); false on EOF or timeout. */
bool ph_read_line(struct ph_process *p, char *line, size_t size, int timeout_ms);
/* Reads lines until one starts with prefix. */
bool ph_expect_line(struct ph_process *p, const char *prefix, char *line, size_t size,
	int timeout_ms);
bool ph_write_line(struct ph_process *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Waits for exit; returns the exit code, 128+signal, or -1 after a timeout (then killed). */
int ph_wait(struct ph_process *p, int timeout_ms);
void ph_kill(struct ph_process *p);
/* Runs to completion; stdout+stderr go to out (NUL-terminated, may be NULL). */
int ph_run(struct ph_compositor *c, const char *const *argv, int timeout_ms,
	char *out, size_t out_size);

/* Images: PNG or binary PPM, decoded to 0xAARRGGBB. */
struct ph_image {
	int width, height;
	uint32_t *pixels;
};
bool ph_image_load(const char *path, struct ph_image *image);
void ph_image_finish(struct ph_image *image);
uint32_t ph_image_at(const struct ph_image *image, int x, int y);
/* Every pixel of the rectangle equals argb; on mismatch describes the first one. */
bool ph_image_rect_is(const struct ph_image *image, int x, int y, int width, int height,
	uint32_t argb, char *why, size_t why_size);

void ph_sleep_ms(int ms);
int64_t ph_now_ms(void); /* CLOCK_MONOTONIC */
/* The whole file, NUL-terminated (free it), or NULL. */
char *ph_read_file(const char *path);
bool ph_file_contains(const char *path, const char *needle);

/* The last max bytes of a file, as a TAP diagnostic. */
void ph_dump_tail(const char *what, const char *path, size_t max);
/*
 * A loopback TCP port nobody listens on (for servers the test starts),
 * claimed for the rest of the test so no parallel test gets it; -1 (and a
 * failed check) if none.
 */
int ph_pick_port(void);
/* The path of an executable found through PATH ("" and false if none). */
bool ph_find_program(const char *name, char *out, size_t size);
/*
 * One check: every program named (NULL-terminated) is in PATH. A test's
 * declared dependencies fail the test when missing; they are never a skip.
 */
bool ph_require_programs(const char *what, const char *const *names);
/* The binary a D-Bus session service runs (Exec= of its activation file in XDG_DATA_DIRS). */
bool ph_find_dbus_service(const char *bus_name, char *out, size_t size);
/* Whether the process has exited (it is not reaped). */
bool ph_exited(struct ph_process *p);
/* How an exited process ended ("exit 1", "signal 11 (Segmentation fault)"), else "running". */
void ph_exit_describe(struct ph_process *p, char *out, size_t size);

/* A file in the test's scratch directory. */
const char *ph_scratch(const char *name);

#endif
