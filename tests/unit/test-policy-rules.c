/* Unit tests for the capture policy: the rule parser, policy files and the matcher. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "policy.h"

static const struct policy_client grim = {.exe = "/usr/bin/grim"};
static const struct policy_client unknown_exe = {.exe = NULL};
static const struct policy_client flatpak = {
	.sandboxed = true, .engine = "org.flatpak", .app_id = "org.example.Recorder",
	.exe = "/usr/bin/grim", /* what the sandbox shows; must never count */
};
static const struct policy_client anonymous_sandbox = {.sandboxed = true};

/* Verdict and deciding rule text ("-" for the default) for one client. */
static const char *decide(const struct policy *policy, const struct policy_client *client,
		enum policy_verdict *verdict) {
	const struct policy_rule *rule = policy_decide(policy, client, verdict);
	return rule != NULL ? rule->text : "-";
}

static bool decides(const struct policy *policy, const struct policy_client *client,
		enum policy_verdict want, const char *want_rule) {
	enum policy_verdict verdict;
	const char *rule = decide(policy, client, &verdict);
	bool ok = verdict == want && strcmp(rule, want_rule) == 0;
	if (!ok) {
		ph_diag("got %s by '%s', expected %s by '%s'", verdict == POLICY_ALLOW ? "allow" : "deny",
			rule, want == POLICY_ALLOW ? "allow" : "deny", want_rule);
	}
	return ok;
}

/*
 * A policy from "key = value" entries (NULL-terminated), as the INI reader
 * hands them over; NULL with err set ("test:N: reason") if one fails.
 */
static struct policy *from_lines(const char *const *lines, char *err, size_t err_size) {
	struct policy *policy = policy_create();
	for (int i = 0; lines[i] != NULL; i++) {
		char origin[32], key[256], reason[512] = "";
		snprintf(origin, sizeof(origin), "test:%d", i + 1);
		const char *eq = strchr(lines[i], '=');
		const char *value = eq != NULL ? eq + 1 : "";
		size_t key_len = eq != NULL ? (size_t)(eq - lines[i]) : strlen(lines[i]);
		snprintf(key, sizeof(key), "%.*s", (int)key_len, lines[i]);
		for (size_t n = strlen(key); n > 0 && key[n - 1] == ' '; n--) {
			key[n - 1] = '\0';
		}
		while (*value == ' ') {
			value++;
		}
		if (!policy_parse_entry(policy, key, value, origin, reason, sizeof(reason))) {
			snprintf(err, err_size, "%s: %s", origin, reason);
			policy_destroy(policy);
			return NULL;
		}
	}
	return policy;
}

static void expect_line_error(const char *line, const char *needle) {
	char err[512] = "";
	struct policy *policy = from_lines((const char *[]){line, NULL}, err, sizeof(err));
	ph_ok(policy == NULL && strncmp(err, "test:1: ", 8) == 0 && strstr(err, needle) != NULL,
		"'%s' rejected: %s", line, err);
	policy_destroy(policy);
}

static void test_defaults(void) {
	struct policy *policy = policy_create();
	ph_ok(decides(policy, &grim, POLICY_ALLOW, "-"), "empty policy: unsandboxed client allowed");
	ph_ok(decides(policy, &unknown_exe, POLICY_ALLOW, "-"),
		"empty policy: unsandboxed client with unknown executable allowed");
	ph_ok(decides(policy, &flatpak, POLICY_DENY, "-"), "empty policy: sandboxed client denied");
	char reason[128];
	policy_default_reason(policy, &grim, reason, sizeof(reason));
	ph_ok(strcmp(reason, "default allow") == 0, "default reason: %s", reason);
	policy_default_reason(policy, &flatpak, reason, sizeof(reason));
	ph_ok(strstr(reason, "sandboxed") != NULL, "sandboxed default reason: %s", reason);
	policy_destroy(policy);
}

static void test_matching(void) {
	char err[512] = "";
	struct policy *policy = from_lines((const char *[]){
		"allow = exe:/usr/bin/grim",
		"deny = exe:/usr/bin/*",
		"allow = app-id:org.example.*",
		"deny = engine:org.flatpak",
		"allow = sandboxed",
		"default = deny",
		NULL,
	}, err, sizeof(err));
	ph_ok(policy != NULL && policy->rules_len == 5, "entries parse (%zu rules) %s", policy != NULL ? policy->rules_len : 0, err);
	if (policy == NULL) {
		return;
	}
	ph_ok(strcmp(policy->rules[0].origin, "test:1") == 0 &&
		strcmp(policy->rules[1].text, "deny exe:/usr/bin/*") == 0,
		"rules keep their origin (%s) and normalised text (%s)", policy->rules[0].origin,
		policy->rules[1].text);
	ph_ok(decides(policy, &grim, POLICY_ALLOW, "allow exe:/usr/bin/grim"),
		"first match wins: grim allowed before the /usr/bin/* deny");
	struct policy_client other = {.exe = "/usr/bin/wf-recorder"};
	ph_ok(decides(policy, &other, POLICY_DENY, "deny exe:/usr/bin/*"), "glob matches a sibling");
	struct policy_client nested = {.exe = "/usr/bin/sub/tool"};
	ph_ok(decides(policy, &nested, POLICY_DENY, "-"),
		"'*' does not cross '/': /usr/bin/sub/tool falls to 'default deny'");
	ph_ok(decides(policy, &unknown_exe, POLICY_DENY, "-"),
		"unknown executable matches no exe: rule");
	ph_ok(decides(policy, &flatpak, POLICY_ALLOW, "allow app-id:org.example.*"),
		"sandboxed client matched by app id glob, never by its exe");
	struct policy_client other_app = {.sandboxed = true, .engine = "org.flatpak",
		.app_id = "com.other.App"};
	ph_ok(decides(policy, &other_app, POLICY_DENY, "deny engine:org.flatpak"),
		"sandboxed client matched by engine");
	ph_ok(decides(policy, &anonymous_sandbox, POLICY_ALLOW, "allow sandboxed"),
		"sandbox without app id or engine matched by 'sandboxed' only");
	char reason[128];
	policy_default_reason(policy, &nested, reason, sizeof(reason));
	ph_ok(strcmp(reason, "default deny (test:6)") == 0, "default reason names its line: %s",
		reason);
	policy_destroy(policy);
}

static void test_keywords(void) {
	char err[512] = "";
	struct policy *policy = from_lines((const char *[]){
		"deny = unsandboxed", "allow = all", NULL}, err, sizeof(err));
	ph_ok(policy != NULL && decides(policy, &grim, POLICY_DENY, "deny unsandboxed") &&
		decides(policy, &flatpak, POLICY_ALLOW, "allow all"),
		"'unsandboxed' and 'all' %s", err);
	policy_destroy(policy);

	/* exe: rules are for clients outside a sandbox only, app-id: for those inside. */
	policy = from_lines((const char *[]){
		"allow = exe:/usr/bin/grim", "deny = app-id:*", NULL}, err, sizeof(err));
	struct policy_client unsandboxed_with_id = {.exe = "/bin/x", .app_id = "org.x"};
	ph_ok(policy != NULL && decides(policy, &flatpak, POLICY_DENY, "deny app-id:*") &&
		decides(policy, &unsandboxed_with_id, POLICY_ALLOW, "-"),
		"exe: never matches a sandboxed client, app-id: never an unsandboxed one");
	ph_ok(policy != NULL && decides(policy, &anonymous_sandbox, POLICY_DENY, "-"),
		"app-id:* does not match a sandbox without an app id");
	policy_destroy(policy);

	/* Paths with blanks: the matcher is the rest of the line. */
	policy = from_lines((const char *[]){"deny = exe:/opt/My Tool/bin/shot", NULL}, err,
		sizeof(err));
	struct policy_client spaced = {.exe = "/opt/My Tool/bin/shot"};
	ph_ok(policy != NULL && decides(policy, &spaced, POLICY_DENY,
		"deny exe:/opt/My Tool/bin/shot"), "executable path with a space %s", err);
	policy_destroy(policy);
}

static void test_errors(void) {
	expect_line_error("permit = exe:/usr/bin/grim", "'permit'");
	expect_line_error("allow", "missing matcher");
	expect_line_error("deny = exe:grim", "absolute path");
	expect_line_error("deny = exe:", "needs a value");
	expect_line_error("allow = app-id:", "needs a value");
	expect_line_error("allow = everyone", "unknown matcher 'everyone'");
	expect_line_error("allowexe:/x", "'allowexe:/x'");
	expect_line_error("default = maybe", "'maybe'");
	expect_line_error("default", "'default' takes");

	char err[512] = "";
	struct policy *policy = from_lines((const char *[]){"default = allow", "default = deny", NULL},
		err, sizeof(err));
	ph_ok(policy == NULL && strstr(err, "test:2: ") == err && strstr(err, "test:1") != NULL,
		"a second default names both lines: %s", err);

	ph_ok(policy_matcher_valid("app-id:org.example.App", err, sizeof(err)) &&
		!policy_matcher_valid("pid:42", err, sizeof(err)) && strstr(err, "pid:42") != NULL,
		"policy_matcher_valid: %s", err);

	policy = policy_create();
	ph_ok(!policy_add_rule(policy, POLICY_DENY, "sandboxed please", "--deny-capture", err,
		sizeof(err)) && policy->rules_len == 0, "bad rule not added: %s", err);
	policy_destroy(policy);
}

static void test_files(void) {
	const char *path = ph_scratch("policy.conf");
	FILE *file = fopen(path, "w");
	fprintf(file, "# a policy\n[capture]\ndefault = deny\nallow = exe:/usr/bin/grim\n\nallow = app-id:org.x\n");
	fclose(file);
	char err[4096] = "";
	struct policy *policy = policy_create();
	bool ok = policy_load_file(policy, path, err, sizeof(err));
	char want_origin[4096];
	snprintf(want_origin, sizeof(want_origin), "%s:6", path);
	ph_ok(ok && policy->rules_len == 2 && strcmp(policy->rules[1].origin, want_origin) == 0 &&
		policy->unsandboxed_default == POLICY_DENY,
		"file loads: %zu rules, last from %s %s", policy->rules_len,
		policy->rules_len == 2 ? policy->rules[1].origin : "?", err);
	/* A second file appends after the first. */
	ok = policy_add_rule(policy, POLICY_DENY, "exe:/usr/bin/grim", "--deny-capture", err,
		sizeof(err));
	ph_ok(ok && decides(policy, &grim, POLICY_ALLOW, "allow exe:/usr/bin/grim"),
		"rules added later come after the file's");
	policy_destroy(policy);

	file = fopen(path, "w");
	fprintf(file, "allow = exe:/usr/bin/grim\n# fine\ndeny = exe:relative/path\nallow = all\n");
	fclose(file);
	policy = policy_create();
	ok = policy_load_file(policy, path, err, sizeof(err));
	snprintf(want_origin, sizeof(want_origin), "%s:3: ", path);
	ph_ok(!ok && strncmp(err, want_origin, strlen(want_origin)) == 0 &&
		strchr(err, '\n') == NULL, "error names file:line, one line: %s", err);
	policy_destroy(policy);

	file = fopen(path, "w");
	fwrite("allow = all\ndeny =\0x\n", 1, 20, file);
	fclose(file);
	policy = policy_create();
	ok = policy_load_file(policy, path, err, sizeof(err));
	ph_ok(!ok && strstr(err, ":2: ") != NULL && strstr(err, "NUL") != NULL,
		"binary file rejected: %s", err);
	policy_destroy(policy);

	policy = policy_create();
	ok = policy_load_file(policy, "/nonexistent/policy.conf", err, sizeof(err));
	ph_ok(!ok && strcmp(err, "/nonexistent/policy.conf: No such file or directory") == 0,
		"missing file: %s", err);
	ok = policy_load_file(policy, "/", err, sizeof(err));
	ph_ok(!ok && strncmp(err, "/: ", 3) == 0, "a directory: %s", err);
	policy_destroy(policy);
}

static void test_exe_of_pid(void) {
	char exe[PATH_MAX], want[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", want, sizeof(want) - 1);
	want[len > 0 ? len : 0] = '\0';
	ph_ok(policy_exe_of_pid(getpid(), exe, sizeof(exe)) && strcmp(exe, want) == 0 &&
		exe[0] == '/', "own executable: %s", exe);
	ph_ok(!policy_exe_of_pid(0, exe, sizeof(exe)), "pid 0 is unknown");
	ph_ok(!policy_exe_of_pid(getpid(), exe, 4), "a path that does not fit is unknown, "
		"not truncated");

	/* A running program whose file is replaced (an upgrade) keeps its path. */
	const char *copy = ph_scratch("sleep-copy");
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep '%s'", copy);
	if (system(cmd) != 0) {
		ph_ok(false, "copied /bin/sleep");
		return;
	}
	struct ph_process sleeper;
	bool started = ph_spawn(NULL, &sleeper, (const char *[]){copy, "30", NULL}, 0);
	/* The child has exec'd once /proc shows the copy (its fork still shows us). */
	bool exec_seen = false;
	for (int i = 0; started && i < 500 && !exec_seen; i++) {
		exec_seen = policy_exe_of_pid(sleeper.pid, exe, sizeof(exe)) &&
			strcmp(exe, copy) == 0;
		if (!exec_seen) {
			ph_sleep_ms(10);
		}
	}
	unlink(copy);
	char raw[PATH_MAX + 16] = "";
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)sleeper.pid);
	len = readlink(link, raw, sizeof(raw) - 1);
	raw[len > 0 ? len : 0] = '\0';
	ph_ok(exec_seen && strstr(raw, " (deleted)") != NULL &&
		policy_exe_of_pid(sleeper.pid, exe, sizeof(exe)) && strcmp(exe, copy) == 0,
		"deleted executable: kernel says '%s', policy sees '%s'", raw, exe);
	ph_kill(&sleeper);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 10);
	test_defaults();
	test_matching();
	test_keywords();
	test_errors();
	test_files();
	test_exe_of_pid();
	return ph_finish();
}
