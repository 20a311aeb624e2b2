#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "policy.h"

#define MATCHERS "exe:PATH, app-id:ID, engine:NAME, sandboxed, unsandboxed or all"

struct policy *policy_create(void) {
	struct policy *policy = calloc(1, sizeof(*policy));
	if (policy != NULL) {
		policy->unsandboxed_default = POLICY_ALLOW;
	}
	return policy;
}

void policy_destroy(struct policy *policy) {
	if (policy == NULL) {
		return;
	}
	for (size_t i = 0; i < policy->rules_len; i++) {
		free(policy->rules[i].pattern);
		free(policy->rules[i].text);
		free(policy->rules[i].origin);
	}
	free(policy->rules);
	free(policy->default_origin);
	free(policy);
}

static const char *verdict_name(enum policy_verdict verdict) {
	return verdict == POLICY_ALLOW ? "allow" : "deny";
}

/* Trims blanks at both ends of [*start, *end). */
static void trim(const char **start, const char **end) {
	while (*start < *end && isspace((unsigned char)**start)) {
		(*start)++;
	}
	while (*end > *start && isspace((unsigned char)(*end)[-1])) {
		(*end)--;
	}
}

static bool parse_matcher(const char *matcher, enum policy_match *match, const char **pattern,
		char *err, size_t err_size) {
	static const struct {
		const char *name;
		enum policy_match match;
	} keywords[] = {
		{"sandboxed", POLICY_MATCH_SANDBOXED},
		{"unsandboxed", POLICY_MATCH_UNSANDBOXED},
		{"all", POLICY_MATCH_ALL},
	}, prefixes[] = {
		{"exe:", POLICY_MATCH_EXE},
		{"app-id:", POLICY_MATCH_APP_ID},
		{"engine:", POLICY_MATCH_ENGINE},
	};
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strcmp(matcher, keywords[i].name) == 0) {
			*match = keywords[i].match;
			*pattern = NULL;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t len = strlen(prefixes[i].name);
		if (strncmp(matcher, prefixes[i].name, len) != 0) {
			continue;
		}
		const char *value = matcher + len;
		if (value[0] == '\0') {
			snprintf(err, err_size, "'%s' needs a value after the colon", matcher);
			return false;
		}
		/* /proc/PID/exe is always absolute: a relative pattern could never match. */
		if (prefixes[i].match == POLICY_MATCH_EXE && value[0] != '/') {
			snprintf(err, err_size, "'%s': the executable must be an absolute path", matcher);
			return false;
		}
		*match = prefixes[i].match;
		*pattern = value;
		return true;
	}
	if (matcher[0] == '\0') {
		snprintf(err, err_size, "missing matcher (expected " MATCHERS ")");
	} else {
		snprintf(err, err_size, "unknown matcher '%s' (expected " MATCHERS ")", matcher);
	}
	return false;
}

bool policy_matcher_valid(const char *matcher, char *err, size_t err_size) {
	enum policy_match match;
	const char *pattern;
	return parse_matcher(matcher, &match, &pattern, err, err_size);
}

bool policy_add_rule(struct policy *policy, enum policy_verdict verdict, const char *matcher,
		const char *origin, char *err, size_t err_size) {
	struct policy_rule rule = {.verdict = verdict};
	const char *pattern;
	if (!parse_matcher(matcher, &rule.match, &pattern, err, err_size)) {
		return false;
	}
	if (policy->rules_len == policy->rules_cap) {
		size_t cap = policy->rules_cap ? policy->rules_cap * 2 : 8;
		struct policy_rule *rules = realloc(policy->rules, cap * sizeof(*rules));
		if (rules == NULL) {
			snprintf(err, err_size, "out of memory");
			return false;
		}
		policy->rules = rules;
		policy->rules_cap = cap;
	}
	size_t text_len = strlen("allow ") + strlen(matcher) + 1;
	rule.text = malloc(text_len);
	rule.pattern = pattern != NULL ? strdup(pattern) : NULL;
	rule.origin = strdup(origin);
	if (rule.text == NULL || (pattern != NULL && rule.pattern == NULL) || rule.origin == NULL) {
		free(rule.text);
		free(rule.pattern);
		free(rule.origin);
		snprintf(err, err_size, "out of memory");
		return false;
	}
	snprintf(rule.text, text_len, "%s %s", verdict_name(verdict), matcher);
	policy->rules[policy->rules_len++] = rule;
	return true;
}

static bool parse_verdict(const char *word, size_t len, enum policy_verdict *verdict) {
	if (len == 5 && strncmp(word, "allow", len) == 0) {
		*verdict = POLICY_ALLOW;
		return true;
	}
	if (len == 4 && strncmp(word, "deny", len) == 0) {
		*verdict = POLICY_DENY;
		return true;
	}
	return false;
}

bool policy_parse_line(struct policy *policy, const char *line, const char *origin,
		char *err, size_t err_size) {
	const char *start = line, *end = line + strlen(line);
	trim(&start, &end);
	if (start == end || start[0] == '#') {
		return true;
	}
	const char *word_end = start;
	while (word_end < end && !isspace((unsigned char)*word_end)) {
		word_end++;
	}
	const char *rest = word_end, *rest_end = end;
	trim(&rest, &rest_end);
	/* The matcher is the rest of the line, so executable paths may hold spaces. */
	char *matcher = strndup(rest, (size_t)(rest_end - rest));
	if (matcher == NULL) {
		snprintf(err, err_size, "%s: out of memory", origin);
		return false;
	}
	int word_len = (int)(word_end - start);
	char reason[512];
	bool ok = false;
	enum policy_verdict verdict;
	if (word_len == 7 && strncmp(start, "default", 7) == 0) {
		if (!parse_verdict(matcher, strlen(matcher), &verdict)) {
			snprintf(reason, sizeof(reason), "'default' takes 'allow' or 'deny', not '%s'",
				matcher);
		} else if (policy->default_origin != NULL) {
			snprintf(reason, sizeof(reason), "a second 'default' line (the first is at %s)",
				policy->default_origin);
		} else if ((policy->default_origin = strdup(origin)) == NULL) {
			snprintf(reason, sizeof(reason), "out of memory");
		} else {
			policy->unsandboxed_default = verdict;
			ok = true;
		}
	} else if (parse_verdict(start, (size_t)word_len, &verdict)) {
		ok = policy_add_rule(policy, verdict, matcher, origin, reason, sizeof(reason));
	} else {
		snprintf(reason, sizeof(reason), "expected 'allow', 'deny' or 'default', not '%.*s'",
			word_len, start);
	}
	if (!ok) {
		snprintf(err, err_size, "%s: %s", origin, reason);
	}
	free(matcher);
	return ok;
}

bool policy_load_file(struct policy *policy, const char *path, char *err, size_t err_size) {
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t line_size = 0;
	ssize_t len;
	bool ok = true;
	char origin[4096 + 32];
	for (unsigned long number = 1; ok && (len = getline(&line, &line_size, file)) >= 0;
			number++) {
		snprintf(origin, sizeof(origin), "%s:%lu", path, number);
		if (strlen(line) != (size_t)len) {
			snprintf(err, err_size, "%s: a NUL byte (is this a policy file?)", origin);
			ok = false;
		} else {
			ok = policy_parse_line(policy, line, origin, err, err_size);
		}
	}
	if (ok && ferror(file)) {
		/* A directory opens fine and fails here with EISDIR. */
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		ok = false;
	}
	free(line);
	fclose(file);
	return ok;
}

static bool glob_matches(const char *pattern, const char *value, int flags) {
	return value != NULL && fnmatch(pattern, value, flags) == 0;
}

static bool rule_matches(const struct policy_rule *rule, const struct policy_client *client) {
	switch (rule->match) {
	case POLICY_MATCH_EXE:
		return !client->sandboxed && glob_matches(rule->pattern, client->exe, FNM_PATHNAME);
	case POLICY_MATCH_APP_ID:
		return client->sandboxed && glob_matches(rule->pattern, client->app_id, 0);
	case POLICY_MATCH_ENGINE:
		return client->sandboxed && glob_matches(rule->pattern, client->engine, 0);
	case POLICY_MATCH_SANDBOXED:
		return client->sandboxed;
	case POLICY_MATCH_UNSANDBOXED:
		return !client->sandboxed;
	case POLICY_MATCH_ALL:
		return true;
	}
	return false;
}

const struct policy_rule *policy_decide(const struct policy *policy,
		const struct policy_client *client, enum policy_verdict *verdict) {
	for (size_t i = 0; i < policy->rules_len; i++) {
		if (rule_matches(&policy->rules[i], client)) {
			*verdict = policy->rules[i].verdict;
			return &policy->rules[i];
		}
	}
	*verdict = client->sandboxed ? POLICY_DENY : policy->unsandboxed_default;
	return NULL;
}

void policy_default_reason(const struct policy *policy, const struct policy_client *client,
		char *out, size_t out_size) {
	if (client->sandboxed) {
		snprintf(out, out_size, "no rule allows this sandboxed client");
	} else if (policy->default_origin != NULL) {
		snprintf(out, out_size, "default %s (%s)", verdict_name(policy->unsandboxed_default),
			policy->default_origin);
	} else {
		snprintf(out, out_size, "default %s", verdict_name(policy->unsandboxed_default));
	}
}

bool policy_exe_of_pid(pid_t pid, char *out, size_t out_size) {
	if (pid <= 0 || out_size < 2) {
		return false;
	}
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	ssize_t len = readlink(link, out, out_size - 1);
	if (len < 0 || (size_t)len >= out_size - 1) {
		/* Gone, not ours to read, or a path too long to compare faithfully. */
		return false;
	}
	out[len] = '\0';
	static const char deleted[] = " (deleted)";
	size_t deleted_len = sizeof(deleted) - 1;
	if ((size_t)len > deleted_len && strcmp(out + len - deleted_len, deleted) == 0) {
		out[len - deleted_len] = '\0';
	}
	return true;
}
