#define _GNU_SOURCE
/* Command-line mistakes: one line naming the problem, usage, exit 2. */
#include <string.h>
#include "harness.h"

static void expect_usage_error(const char *const *argv, const char *needle) {
	char out[4096];
	int code = ph_run(NULL, argv, 5000, out, sizeof(out));
	const char *first_nl = strchr(out, '\n');
	int first_len = first_nl ? (int)(first_nl - out) : (int)strlen(out);
	bool one_line = strncmp(out, "pinhole: ", 9) == 0 && memmem(out, (size_t)first_len,
		needle, strlen(needle)) != NULL;
	ph_ok(code == 2 && one_line && strstr(out, "usage:") != NULL,
		"%s %s → exit %d, '%.*s'", argv[1], argv[2] ? argv[2] : "", code, first_len, out);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 30);
	ph_plan(8);
	const char *pinhole = ph_path("pinhole");
	expect_usage_error((const char *[]){pinhole, "--bogus", NULL}, "--bogus");
	expect_usage_error((const char *[]){pinhole, "--backend", "gpu", NULL}, "gpu");
	expect_usage_error((const char *[]){pinhole, "--mode", "1920", NULL}, "1920");
	expect_usage_error((const char *[]){pinhole, "--outputs", "-1", NULL}, "-1");
	expect_usage_error((const char *[]){pinhole, "-s", NULL}, "argument");
	expect_usage_error((const char *[]){pinhole, "stray", NULL}, "stray");

	char out[4096];
	int code = ph_run(NULL, (const char *[]){pinhole, "--help", NULL}, 5000, out, sizeof(out));
	ph_ok(code == 0 && strstr(out, "--backend") != NULL, "--help prints usage, exit %d", code);
	code = ph_run(NULL, (const char *[]){pinhole, "--version", NULL}, 5000, out, sizeof(out));
	ph_ok(code == 0 && strncmp(out, "pinhole ", 8) == 0, "--version: %.20s", out);
	return ph_finish();
}
