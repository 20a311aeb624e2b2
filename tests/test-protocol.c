/*
 * Every error and failure of ext-image-copy-capture-v1, provoked by
 * ph-misbehave: the exact interface and code for protocol errors, the exact
 * failure reason for bad buffers, and harmless destruction in every order.
 * After each misbehaving client the compositor must still serve others.
 */
#include <string.h>
#include "harness.h"

static const char *const cases[] = {
	"no_buffer", "damage_negative", "damage_zero", "attach_after_capture",
	"damage_after_capture", "capture_twice", "duplicate_frame", "invalid_option",
	"huge_damage", "wrong_size", "wrong_format", "large_stride", "ok_all_formats",
	"constraints_once", "destroy_orders", "damage_negative_y", "damage_negative_width",
	"damage_zero_height", "invalid_option_high", "attach_after_ready", "capture_after_failed",
	"cursor_duplicate_session", "attach_destroyed_buffer", "frame_outlives_session",
	"new_frame_after_destroy", "source_manager_destroyed",
};

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	ph_plan(31);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x240", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	/* Something on screen, so captures that wait for content get it. */
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), NULL}, PH_PIPE_STDOUT);
	char line[256];
	ph_expect_line(&paint, "ready", line, sizeof(line), 5000);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[4096];
		int code = ph_run(&c, (const char *[]){ph_path("ph-misbehave"), cases[i], NULL},
			15000, out, sizeof(out));
		char *result = strstr(out, "PASS");
		if (result == NULL) {
			result = strstr(out, "FAIL");
		}
		char *nl = result != NULL ? strchr(result, '\n') : NULL;
		if (nl != NULL) {
			*nl = '\0';
		}
		ph_ok(code == 0, "%s: %s", cases[i], result != NULL ? result : out);
	}

	/* A client killed for misuse leaves its reason in the compositor's log. */
	bool logged = ph_compositor_log_contains(&c, "capture: protocol error 1 on "
			"ext_image_copy_capture_session_v1@") &&
		ph_compositor_log_contains(&c, ": a frame already exists for this session") &&
		ph_compositor_log_contains(&c, "capture: protocol error 1 on "
			"ext_image_copy_capture_frame_v1@") &&
		ph_compositor_log_contains(&c, ": capture sent without a buffer");
	ph_ok(logged, "protocol errors are logged with the object and the client");

	/* ext-foreign-toplevel-list edges and destroy orders, with windows of its own. */
	char list_out[4096];
	int list_code = ph_run(&c, (const char *[]){ph_path("ph-stress"), "toplevel-list", NULL},
		30000, list_out, sizeof(list_out));
	ph_diag("%s", list_out);
	char *list_result = strstr(list_out, "PASS");
	ph_ok(list_code == 0 && list_result != NULL, "toplevel-list: %s",
		list_result != NULL ? list_result : list_out);

	/* The compositor survived all of it and still captures for a well-behaved client. */
	char out[4096];
	int code = ph_run(&c, (const char *[]){"grim", ph_scratch("after.png"), NULL}, 10000,
		out, sizeof(out));
	struct ph_image image;
	bool ok = code == 0 && ph_image_load(ph_scratch("after.png"), &image);
	char why[128] = "no image";
	ok = ok && ph_image_rect_is(&image, 0, 0, 200, 150, 0xff3366cc, why, sizeof(why));
	ph_ok(ok, "grim still works after every misbehaving client (%s)", why);
	if (image.pixels != NULL) {
		ph_image_finish(&image);
	}
	ph_kill(&paint);
	/* Under ASan/LSan a leak or a bad access in any of it makes the exit non-zero. */
	ph_compositor_finish(&c);
	return ph_finish();
}
