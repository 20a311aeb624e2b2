#define _GNU_SOURCE
/*
 * Command-line mistakes: one line naming the problem, usage, exit 2. And the
 * man page's OPTIONS list the same options as `pinhole --help`.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define MAX_OPTIONS 64

struct option_list {
	char names[MAX_OPTIONS][40];
	int count;
};

static void add_option(struct option_list *list, const char *start, size_t len) {
	if (len >= sizeof(list->names[0]) || list->count == MAX_OPTIONS) {
		return;
	}
	for (int i = 0; i < list->count; i++) {
		if (strlen(list->names[i]) == len && strncmp(list->names[i], start, len) == 0) {
			return;
		}
	}
	snprintf(list->names[list->count++], sizeof(list->names[0]), "%.*s", (int)len, start);
}

/* "-x" or "--name-with-dashes" at p: its length, 0 if p is not an option name. */
static size_t option_length(const char *p) {
	if (p[0] != '-') {
		return 0;
	}
	size_t n = p[1] == '-' ? 2 : 1;
	if (!isalpha((unsigned char)p[n])) {
		return 0;
	}
	if (n == 1) {
		return isalnum((unsigned char)p[2]) ? 0 : 2;
	}
	while (isalnum((unsigned char)p[n]) || p[n] == '-') {
		n++;
	}
	return n;
}

/*
 * --help: the option column, lines that start (after blanks) with an option,
 * "  -h, --help  show..." or "      --backend B  ...". The usage line and the
 * descriptions are left alone (they mention "-c" of /bin/sh, for one).
 */
static void help_options(const char *help, struct option_list *list) {
	for (const char *line = help; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		const char *p = line;
		while (*p == ' ') {
			p++;
		}
		for (size_t n; (n = option_length(p)) > 0;) {
			add_option(list, p, n);
			p += n;
			if (p[0] != ',' || p[1] != ' ') {
				break;
			}
			p += 2;
		}
		line = end != NULL ? end + 1 : NULL;
	}
}

/* The man page: the tag line after each .TP of the OPTIONS section, with roff's "\-" as "-". */
static void man_options(const char *man, struct option_list *list) {
	const char *section = strstr(man, "\n.SH OPTIONS\n");
	const char *section_end = section != NULL ? strstr(section + 1, "\n.SH ") : NULL;
	for (const char *tp = section; tp != NULL && (tp = strstr(tp + 1, "\n.TP\n")) != NULL &&
			tp < section_end;) {
		const char *tag = tp + strlen("\n.TP\n");
		const char *end = strchr(tag, '\n');
		char plain[256];
		size_t n = 0;
		for (const char *p = tag; p < end && n + 1 < sizeof(plain); p++) {
			if (p[0] == '\\' && p[1] == '-') {
				continue; /* "\-" is "-" */
			}
			plain[n++] = *p;
		}
		plain[n] = '\0';
		for (const char *p = plain; *p != '\0'; p++) {
			size_t len = (p == plain || !isalnum((unsigned char)p[-1])) ? option_length(p) : 0;
			if (len > 0 && (p == plain || p[-1] == ' ' || p[-1] == '"')) {
				add_option(list, p, len);
				p += len - 1;
			}
		}
	}
}

static bool listed(const struct option_list *list, const char *name) {
	for (int i = 0; i < list->count; i++) {
		if (strcmp(list->names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

/* Names in a that b lacks, comma-separated, into out. */
static void missing_from(const struct option_list *a, const struct option_list *b, char *out,
		size_t size) {
	out[0] = '\0';
	for (int i = 0; i < a->count; i++) {
		if (!listed(b, a->names[i])) {
			size_t len = strlen(out);
			snprintf(out + len, size - len, "%s%s", len ? ", " : "", a->names[i]);
		}
	}
}

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
	ph_plan(9);
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
	struct option_list help = {0}, man = {0};
	help_options(out, &help);
	code = ph_run(NULL, (const char *[]){pinhole, "--version", NULL}, 5000, out, sizeof(out));
	ph_ok(code == 0 && strncmp(out, "pinhole ", 8) == 0, "--version: %.20s", out);

	char man_path[600];
	ph_source_path("docs/pinhole.1", man_path, sizeof(man_path));
	char *page = ph_read_file(man_path);
	if (page != NULL) {
		man_options(page, &man);
	}
	free(page);
	char only_help[512], only_man[512];
	missing_from(&help, &man, only_help, sizeof(only_help));
	missing_from(&man, &help, only_man, sizeof(only_man));
	ph_ok(help.count >= 10 && man.count >= 10 && only_help[0] == '\0' && only_man[0] == '\0',
		"docs/pinhole.1 OPTIONS and --help list the same %d options (--help only: %s; man "
		"page only: %s)", help.count, only_help[0] ? only_help : "none",
		only_man[0] ? only_man : "none");
	return ph_finish();
}
