/*
 * Sandboxed clients (wp-security-context-v1) see none of the privileged
 * globals. The table is docs/permissions.md's: every row is checked with
 * ph-sandbox --list-globals run plain and inside a security context. A
 * global the plain client sees must be invisible inside; the globals pinhole
 * offers today must be seen by the plain client (so the check is not empty),
 * and a row added for a global that arrives later is checked the day it does.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define MAX_NAMES 64

struct names {
	char name[MAX_NAMES][96];
	int len;
};

static bool has(const struct names *names, const char *name) {
	for (int i = 0; i < names->len; i++) {
		if (strcmp(names->name[i], name) == 0) {
			return true;
		}
	}
	return false;
}

/* The `interface` of each table row between "<!-- MARKER" and "<!-- end of MARKER". */
static void read_table(const char *doc, const char *marker, struct names *out) {
	char start[128], end[128];
	snprintf(start, sizeof(start), "<!-- %s", marker);
	snprintf(end, sizeof(end), "<!-- end of %s", marker);
	const char *p = strstr(doc, start), *stop = strstr(doc, end);
	out->len = 0;
	if (p == NULL || stop == NULL) {
		return;
	}
	while ((p = strstr(p, "\n| `")) != NULL && p < stop && out->len < MAX_NAMES) {
		p += 4;
		size_t len = strcspn(p, "`");
		snprintf(out->name[out->len++], sizeof(out->name[0]), "%.*s", (int)len, p);
	}
}

/* The globals a client sees: "global NAME" lines of ph-sandbox --list-globals. */
static bool list_globals(struct ph_compositor *c, const char *const *argv, struct names *out) {
	static char text[32768];
	int code = ph_run(c, argv, 10000, text, sizeof(text));
	out->len = 0;
	bool done = false;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strncmp(line, "global ", 7) == 0 && out->len < MAX_NAMES) {
			snprintf(out->name[out->len++], sizeof(out->name[0]), "%s", line + 7);
		}
		done |= strcmp(line, "done") == 0;
	}
	return code == 0 && done;
}

static void check(const char *what, const char *const *compositor_args, bool capture_allowed) {
	char path[1024];
	ph_source_path("docs/permissions.md", path, sizeof(path));
	char *doc = ph_read_file(path);
	struct names privileged, capture;
	read_table(doc != NULL ? doc : "", "privileged globals", &privileged);
	read_table(doc != NULL ? doc : "", "capture globals", &capture);
	free(doc);
	ph_ok(privileged.len >= 15 && capture.len >= 4, "%s: docs/permissions.md lists %d "
		"privileged and %d capture globals", what, privileged.len, capture.len);

	struct ph_compositor c;
	if (!ph_compositor_start(&c, compositor_args)) {
		ph_ok(false, "%s: compositor started", what);
		return;
	}
	struct names plain, sandboxed;
	bool ok = list_globals(&c, (const char *[]){ph_path("ph-sandbox"), "--list-globals", NULL},
		&plain);
	ph_ok(ok && has(&plain, "wl_compositor"), "%s: plain client lists %d globals", what,
		plain.len);
	ok = list_globals(&c, (const char *[]){ph_path("ph-sandbox"), "--app-id",
		"org.example.Allowed", "--engine", "org.flatpak", "--", ph_path("ph-sandbox"),
		"--list-globals", NULL}, &sandboxed);
	/* Still a working client: the ordinary globals stay. */
	ph_ok(ok && has(&sandboxed, "wl_compositor") && has(&sandboxed, "xdg_wm_base") &&
		has(&sandboxed, "wl_seat") && has(&sandboxed, "wl_shm"),
		"%s: sandboxed client lists %d globals, the ordinary ones among them", what,
		sandboxed.len);

	/* What pinhole offers on this branch: the check below must not be vacuous for them. */
	static const char *const offered[] = {
		"zwp_virtual_keyboard_manager_v1", "zwlr_virtual_pointer_manager_v1",
		"zwlr_data_control_manager_v1", "ext_data_control_manager_v1",
		"zwlr_output_manager_v1", "wp_security_context_manager_v1",
		"ext_foreign_toplevel_list_v1", "ext_image_copy_capture_manager_v1",
		"ext_output_image_capture_source_manager_v1",
		"ext_foreign_toplevel_image_capture_source_manager_v1", "zwlr_screencopy_manager_v1",
	};
	for (size_t i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
		ph_ok(has(&plain, offered[i]) &&
			(has(&privileged, offered[i]) || has(&capture, offered[i])),
			"%s: %s offered and in the table", what, offered[i]);
	}
	for (int i = 0; i < privileged.len; i++) {
		const char *name = privileged.name[i];
		if (has(&plain, name)) {
			ph_ok(!has(&sandboxed, name), "%s: %s hidden from the sandbox", what, name);
		} else {
			ph_ok(!has(&sandboxed, name), "%s: %s (not offered here) not seen by the sandbox "
				"either", what, name);
		}
	}
	for (int i = 0; i < capture.len; i++) {
		const char *name = capture.name[i];
		bool want = capture_allowed && has(&plain, name);
		ph_ok(has(&sandboxed, name) == want, "%s: %s %s the sandbox", what, name,
			want ? "shown to" : "hidden from");
	}
	ph_compositor_finish(&c);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 50);
	check("default policy", NULL, false);
	check("policy allows the app", (const char *[]){"--allow-capture",
		"app-id:org.example.Allowed", NULL}, true);
	return ph_finish();
}
