/*
 * The capture permission policy, end to end. Sandboxed clients connect the
 * way Flatpak's do, through a wp-security-context-v1 listener (ph-sandbox);
 * ph-paint draws four known quadrants at the top-left of a 640x480 output.
 *
 * - by default a sandboxed client sees none of the capture globals, and other
 *   clients see them all;
 * - an allow rule for an app id lets that sandbox capture exact pixels while
 *   other app ids stay blind;
 * - a deny rule for an executable stops every session of that program at once
 *   (output, toplevel source, cursor session: the exact "stopped" event, no
 *   constraints first) while allowed clients capture at the same time, and
 *   hides wlr-screencopy from it;
 * - grim under a deny rule: without ext capture it fails with its own
 *   message; with it, its session is stopped (grim 1.5.0 ignores that);
 * - mistakes in a policy are one line naming FILE:LINE, exit 2.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "probe.h"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu
#define BLACK 0xff000000u
#define SHM_XRGB8888 1

static const char *const capture_globals[] = {
	"ext_image_copy_capture_manager_v1",
	"ext_output_image_capture_source_manager_v1",
	"ext_foreign_toplevel_image_capture_source_manager_v1",
	"zwlr_screencopy_manager_v1",
};
#define CAPTURE_GLOBALS (sizeof(capture_globals) / sizeof(capture_globals[0]))

static char probe_exe[PATH_MAX], sandbox_exe[PATH_MAX], grim_exe[PATH_MAX];

/* /proc/PID/exe is canonical: rules must name the real path, not a symlink. */
static bool resolve(const char *path, char *out) {
	if (realpath(path, out) == NULL) {
		ph_diag("realpath %s failed", path);
		out[0] = '\0';
		return false;
	}
	return true;
}

static bool find_in_path(const char *name, char *out) {
	char *path = strdup(getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
	bool found = false;
	for (char *dir = strtok(path, ":"); dir != NULL && !found; dir = strtok(NULL, ":")) {
		char candidate[PATH_MAX];
		snprintf(candidate, sizeof(candidate), "%s/%s", dir, name);
		found = access(candidate, X_OK) == 0 && resolve(candidate, out);
	}
	free(path);
	return found;
}

/* Globals a client sees, one "global NAME" per line; app_id NULL: not sandboxed. */
static bool list_globals(struct ph_compositor *c, const char *app_id, char *out, size_t size) {
	const char *sandboxed[] = {sandbox_exe, "--engine", "org.flatpak", "--app-id", app_id,
		"--", sandbox_exe, "--list-globals", NULL};
	const char *plain[] = {sandbox_exe, "--list-globals", NULL};
	int code = ph_run(c, app_id != NULL ? sandboxed : plain, 10000, out, size);
	bool ok = code == 0 && strstr(out, "\ndone") != NULL &&
		strstr(out, "global wl_compositor\n") != NULL;
	if (!ok) {
		ph_diag("listing globals (%s): exit %d: %s", app_id ? app_id : "unsandboxed", code,
			out);
	}
	return ok;
}

static bool has_global(const char *list, const char *name) {
	char needle[128];
	snprintf(needle, sizeof(needle), "global %s\n", name);
	return strstr(list, needle) != NULL;
}

/* How many of the capture globals the listing shows, names of the missing in why. */
static size_t count_capture_globals(const char *list, char *why, size_t why_size) {
	size_t count = 0;
	why[0] = '\0';
	for (size_t i = 0; i < CAPTURE_GLOBALS; i++) {
		if (has_global(list, capture_globals[i])) {
			count++;
		} else {
			size_t len = strlen(why);
			snprintf(why + len, why_size - len, "%s%s", len ? ", " : "missing ",
				capture_globals[i]);
		}
	}
	return count;
}

/* Waits for a line in the compositor's log (an event, not a timing check). */
static bool wait_log(struct ph_compositor *c, const char *needle) {
	for (int waited = 0; waited < 5000; waited += 20) {
		if (ph_compositor_log_contains(c, needle)) {
			return true;
		}
		ph_sleep_ms(20);
	}
	ph_diag("not in the log: %s", needle);
	return false;
}

static bool start_paint(struct ph_compositor *c, struct ph_process *paint) {
	char line[256];
	ph_spawn(c, paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad",
		"--size", "320x240", "--app-id", "target", NULL}, PH_PIPE_STDOUT);
	return ph_expect_line(paint, "ready", line, sizeof(line), 5000);
}

/* A probe inside a sandbox with this app id: ph-sandbox passes its stdin and stdout on. */
static bool sandboxed_probe_start(struct ph_compositor *c, struct probe *probe,
		const char *app_id) {
	if (!ph_spawn(c, &probe->process, (const char *[]){sandbox_exe, "--engine", "org.flatpak",
			"--app-id", app_id, "--", probe_exe, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT)) {
		return false;
	}
	return ph_expect_line(&probe->process, "hello", probe->line, sizeof(probe->line), 5000);
}

/* Captures output 0 into a fresh XRGB buffer and checks the quadrants and the black rest. */
static void check_probe_capture(struct probe *probe, const char *what) {
	bool ok = probe_cmd(probe, "output 0", "constraints") &&
		strncmp(probe->line, "constraints 640x480 ", 20) == 0 &&
		probe_cmd(probe, "buffer q 1", "buffer") && probe_cmd(probe, "capture q", "ready");
	if (!ok) {
		ph_ok(false, "%s: capture completes (last: %s)", what, probe->line);
		return;
	}
	static const struct {
		int x, y;
		uint32_t argb;
	} points[] = {
		{0, 0, RED}, {159, 119, RED}, {160, 0, GREEN}, {319, 119, GREEN},
		{0, 120, BLUE}, {159, 239, BLUE}, {160, 120, WHITE}, {319, 239, WHITE},
		{320, 0, BLACK}, {0, 240, BLACK}, {639, 479, BLACK},
	};
	char why[128] = "exact";
	for (size_t i = 0; ok && i < sizeof(points) / sizeof(points[0]); i++) {
		uint32_t got = probe_word(probe, "q", points[i].x, points[i].y);
		/* XRGB: the X byte is undefined. */
		if ((got & 0xffffff) != (points[i].argb & 0xffffff)) {
			ok = false;
			snprintf(why, sizeof(why), "(%d,%d) is 0x%08x, expected 0x%08x", points[i].x,
				points[i].y, got, points[i].argb);
		}
	}
	ph_ok(ok, "%s: pixels %s", what, why);
	probe_cmd(probe, "destroy-buffer q", "destroyed");
	probe_cmd(probe, "destroy-session", "destroyed");
}

/* The very next line after cmd is "stopped": no constraints came first. */
static void expect_stopped(struct probe *probe, const char *cmd, const char *what) {
	probe_cmd(probe, cmd, NULL);
	char line[256] = "";
	bool got = ph_read_line(&probe->process, line, sizeof(line), 5000);
	ph_ok(got && strcmp(line, "stopped") == 0, "%s: '%s' gets exactly 'stopped', got '%s'",
		what, cmd, line);
	probe_cmd(probe, "destroy-session", "destroyed");
}

static bool grim_matches(const char *path, char *why, size_t why_size) {
	struct ph_image image;
	if (!ph_image_load(path, &image)) {
		snprintf(why, why_size, "no image");
		return false;
	}
	bool ok = image.width == 640 && image.height == 480;
	snprintf(why, why_size, "size %dx%d", image.width, image.height);
	ok = ok && ph_image_rect_is(&image, 0, 0, 160, 120, RED, why, why_size) &&
		ph_image_rect_is(&image, 160, 0, 160, 120, GREEN, why, why_size) &&
		ph_image_rect_is(&image, 0, 120, 160, 120, BLUE, why, why_size) &&
		ph_image_rect_is(&image, 160, 120, 160, 120, WHITE, why, why_size) &&
		ph_image_rect_is(&image, 320, 0, 320, 480, BLACK, why, why_size);
	ph_image_finish(&image);
	return ok;
}

static void test_default(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "default: compositor started");
		return;
	}
	char out[8192], why[512];
	if (list_globals(&c, NULL, out, sizeof(out))) {
		ph_ok(count_capture_globals(out, why, sizeof(why)) == CAPTURE_GLOBALS &&
			has_global(out, "wp_security_context_manager_v1"),
			"default: an unsandboxed client sees every capture global %s", why);
	} else {
		ph_ok(false, "default: unsandboxed globals listed");
	}
	if (list_globals(&c, "org.example.Viewer", out, sizeof(out))) {
		size_t seen = count_capture_globals(out, why, sizeof(why));
		ph_ok(seen == 0, "default: a sandboxed client sees none of the capture globals "
			"(%zu seen)", seen);
		ph_ok(has_global(out, "wl_shm") && !has_global(out, "wp_security_context_manager_v1"),
			"default: it sees the rest, but no nested security context");
		ph_ok(wait_log(&c, "policy: hiding the capture globals from client") &&
			ph_compositor_log_contains(&c, "app-id org.example.Viewer): no rule allows"),
			"default: the hiding is logged with the app id and the reason");
	} else {
		ph_ok(false, "default: sandboxed globals listed");
	}
	ph_compositor_finish(&c);
}

/*
 * One compositor, a policy file: the probe's executable is denied, the
 * Recorder sandbox allowed. The same probe binary inside the Recorder sandbox
 * captures, because exe: rules never apply to sandboxed clients.
 */
static void test_rules(void) {
	const char *policy_path = ph_scratch("capture.conf");
	FILE *file = fopen(policy_path, "w");
	fprintf(file, "# test policy\n[capture]\ndeny = exe:%s\nallow = app-id:org.example.Recorder\n", probe_exe);
	fclose(file);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480",
			"--capture-policy", policy_path, NULL})) {
		ph_ok(false, "rules: compositor started");
		return;
	}
	struct ph_process paint;
	ph_ok(start_paint(&c, &paint), "rules: client mapped");

	/* The denied probe first: it sees the ext globals, its sessions stop at once. */
	struct probe denied;
	ph_ok(probe_start(&c, &denied), "rules: denied probe binds the ext capture globals: %s",
		denied.line);
	expect_stopped(&denied, "output 0", "rules: denied output session");
	char needle[3 * PATH_MAX + 256];
	snprintf(needle, sizeof(needle), "policy: denied an output capture session to client pid "
		"%d (%s): rule 'deny exe:%s' (%s:3)", (int)denied.process.pid, probe_exe, probe_exe,
		policy_path);
	ph_ok(wait_log(&c, needle), "rules: the denial names pid, executable, rule and file:line");
	expect_stopped(&denied, "toplevel target", "rules: denied toplevel source");
	ph_ok(wait_log(&c, "policy: denied a toplevel capture source to client"),
		"rules: the toplevel source request itself was denied (inert source)");
	expect_stopped(&denied, "cursor-session 0", "rules: denied cursor session");
	ph_ok(wait_log(&c, "policy: denied a cursor capture session to client"),
		"rules: the cursor session request was denied");

	/* While the denied probe stays connected, allowed clients capture. */
	struct probe recorder;
	ph_ok(sandboxed_probe_start(&c, &recorder, "org.example.Recorder"),
		"rules: allowed sandbox (same probe binary) sees the capture globals: %s",
		recorder.line);
	check_probe_capture(&recorder, "rules: sandboxed org.example.Recorder");
	probe_cmd(&recorder, "toplevel target", "constraints");
	ph_ok(strncmp(recorder.line, "constraints 320x240 ", 20) == 0,
		"rules: it may capture a toplevel too: %s", recorder.line);
	probe_cmd(&recorder, "destroy-session", "destroyed");

	char out[8192], why[512];
	int code = ph_run(&c, (const char *[]){"grim", ph_scratch("rules.png"), NULL}, 10000, out,
		sizeof(out));
	bool exact = code == 0 && grim_matches(ph_scratch("rules.png"), why, sizeof(why));
	ph_ok(exact, "rules: grim (default allow) captures exact pixels meanwhile: exit %d, %s %s",
		code, why, out);
	expect_stopped(&denied, "output 0", "rules: the denied probe is still denied afterwards");

	if (list_globals(&c, "org.example.Other", out, sizeof(out))) {
		ph_ok(count_capture_globals(out, why, sizeof(why)) == 0,
			"rules: another app id still sees no capture global");
	} else {
		ph_ok(false, "rules: other sandbox's globals listed");
	}
	if (list_globals(&c, NULL, out, sizeof(out))) {
		ph_ok(count_capture_globals(out, why, sizeof(why)) == CAPTURE_GLOBALS,
			"rules: an unsandboxed client not named sees every capture global %s", why);
	} else {
		ph_ok(false, "rules: unsandboxed globals listed");
	}

	probe_cmd(&recorder, "quit", NULL);
	ph_ok(ph_wait(&recorder.process, 5000) == 0, "rules: sandboxed probe exits cleanly");
	probe_cmd(&denied, "quit", NULL);
	ph_ok(ph_wait(&denied.process, 5000) == 0, "rules: denied probe exits cleanly");
	ph_kill(&paint);
	ph_compositor_finish(&c);
}

/* grim and ph-sandbox denied by name on the command line; the probe stays allowed. */
static void test_deny_grim(void) {
	char rule_grim[PATH_MAX + 8], rule_sandbox[PATH_MAX + 8];
	snprintf(rule_grim, sizeof(rule_grim), "exe:%s", grim_exe);
	snprintf(rule_sandbox, sizeof(rule_sandbox), "exe:%s", sandbox_exe);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--deny-capture",
			rule_grim, "--deny-capture", rule_sandbox, NULL})) {
		ph_ok(false, "deny grim: compositor started");
		return;
	}
	struct ph_process paint;
	ph_ok(start_paint(&c, &paint), "deny grim: client mapped");

	/* wlr-screencopy has no per-client hook in wlroots: a denied client does not see it. */
	char out[8192], why[512];
	if (list_globals(&c, NULL, out, sizeof(out))) {
		ph_ok(!has_global(out, "zwlr_screencopy_manager_v1") &&
			count_capture_globals(out, why, sizeof(why)) == CAPTURE_GLOBALS - 1,
			"deny grim: a denied executable sees the ext globals but not wlr-screencopy (%s)",
			why);
		ph_ok(wait_log(&c, "policy: hiding zwlr_screencopy_manager_v1 from client"),
			"deny grim: hiding screencopy is logged");
	} else {
		ph_ok(false, "deny grim: globals listed");
	}

	/*
	 * grim 1.5.0 ignores the session's stopped event and waits for
	 * constraints that never come: wait for the denial, check that no
	 * screenshot was written, then end it.
	 */
	struct ph_process grim;
	const char *shot = ph_scratch("denied.png");
	unlink(shot);
	ph_spawn(&c, &grim, (const char *[]){"grim", shot, NULL}, 0);
	char needle[3 * PATH_MAX + 256];
	snprintf(needle, sizeof(needle), "policy: denied an output capture session to client "
		"pid %d (%s): rule 'deny exe:%s' (--deny-capture)", (int)grim.pid, grim_exe, grim_exe);
	ph_ok(wait_log(&c, needle), "deny grim: grim's output session is denied and logged");
	ph_ok(access(shot, F_OK) != 0, "deny grim: no screenshot written");
	ph_kill(&grim);

	struct probe probe;
	ph_ok(probe_start(&c, &probe), "deny grim: the probe is not denied");
	check_probe_capture(&probe, "deny grim: probe");
	probe_cmd(&probe, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0, "deny grim: probe exits cleanly");
	ph_kill(&paint);
	ph_compositor_finish(&c);

	/* Without ext capture grim can only try wlr-screencopy, which it cannot see. */
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--no-ext-capture",
			"--deny-capture", rule_grim, NULL})) {
		ph_ok(false, "deny grim (screencopy): compositor started");
		return;
	}
	int code = ph_run(&c, (const char *[]){"grim", shot, NULL}, 10000, out, sizeof(out));
	bool refused = code == 1 &&
		strcmp(out, "compositor doesn't support the screen capture protocol\n") == 0 &&
		access(shot, F_OK) != 0;
	out[strcspn(out, "\n")] = '\0'; /* one TAP line */
	ph_ok(refused, "deny grim (screencopy): grim fails: exit %d, '%s'", code, out);
	ph_compositor_finish(&c);
}

/* Exit status and the first line of pinhole's output for a bad policy. */
static void expect_policy_error(const char *const *args, const char *want, bool usage,
		const char *what) {
	const char *argv[16] = {ph_path("pinhole"), "--backend", "headless"};
	int argc = 3;
	for (int i = 0; args[i] != NULL && argc < 15; i++) {
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;
	char out[8192];
	int code = ph_run(NULL, argv, 5000, out, sizeof(out));
	char *nl = strchr(out, '\n');
	bool one_line = nl != NULL && (usage ? strstr(nl, "usage:") != NULL : nl[1] == '\0');
	if (nl != NULL) {
		*nl = '\0';
	}
	ph_ok(code == 2 && strcmp(out, want) == 0 && one_line,
		"%s: exit %d, '%s'%s", what, code, out, one_line ? "" : " (more output)");
}

static void test_errors(void) {
	const char *path = ph_scratch("bad.conf");
	FILE *file = fopen(path, "w");
	fprintf(file, "# fine so far\nallow = app-id:org.example.Recorder\nallow = everyone\n");
	fclose(file);
	char want[3 * PATH_MAX + 256];
	snprintf(want, sizeof(want), "pinhole: %s:3: unknown matcher 'everyone' (expected "
		"exe:PATH, app-id:ID, engine:NAME, sandboxed, unsandboxed or all)", path);
	expect_policy_error((const char *[]){"--capture-policy", path, NULL}, want, false,
		"unknown matcher in a file");

	file = fopen(path, "w");
	fprintf(file, "default = deny\n\ndeny = exe:grim\n");
	fclose(file);
	snprintf(want, sizeof(want), "pinhole: %s:3: 'exe:grim': the executable must be an "
		"absolute path", path);
	expect_policy_error((const char *[]){"--capture-policy", path, NULL}, want, false,
		"relative executable in a file");

	file = fopen(path, "w");
	fprintf(file, "default = deny\nallow = all\ndefault = allow\n");
	fclose(file);
	snprintf(want, sizeof(want), "pinhole: %s:3: a second 'default' (the first is at "
		"%s:1)", path, path);
	expect_policy_error((const char *[]){"--capture-policy", path, NULL}, want, false,
		"two defaults");

	/* The second file is the bad one: the first loads, the error names the second. */
	const char *good = ph_scratch("good.conf");
	file = fopen(good, "w");
	fprintf(file, "allow = sandboxed\n");
	fclose(file);
	file = fopen(path, "w");
	fprintf(file, "permit = exe:/usr/bin/grim\n");
	fclose(file);
	snprintf(want, sizeof(want), "pinhole: %s:1: expected 'allow', 'deny' or 'default', not "
		"'permit'", path);
	expect_policy_error((const char *[]){"--capture-policy", good, "--capture-policy", path,
		NULL}, want, false, "second of two files");

	expect_policy_error((const char *[]){"--capture-policy", "/nonexistent/capture.conf",
		NULL}, "pinhole: /nonexistent/capture.conf: No such file or directory", false,
		"missing file");
	expect_policy_error((const char *[]){"--deny-capture", "grim", NULL},
		"pinhole: invalid --deny-capture 'grim': unknown matcher 'grim' (expected exe:PATH, "
		"app-id:ID, engine:NAME, sandboxed, unsandboxed or all)", true,
		"bad --deny-capture (a usage error)");
	expect_policy_error((const char *[]){"--allow-capture=app-id:", NULL},
		"pinhole: invalid --allow-capture 'app-id:': 'app-id:' needs a value after the colon",
		true, "empty app id");
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);
	ph_plan(45);
	bool have_grim = find_in_path("grim", grim_exe);
	if (!resolve(ph_path("ph-capture-probe"), probe_exe) ||
			!resolve(ph_path("ph-sandbox"), sandbox_exe) || !have_grim) {
		ph_ok(false, "ph-capture-probe, ph-sandbox and grim found");
		return ph_finish();
	}
	test_errors();
	test_default();
	test_rules();
	test_deny_grim();
	return ph_finish();
}
