#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ini_file.h"
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

bool policy_parse_entry(struct policy *policy, const char *key, const char *value,
		const char *origin, char *err, size_t err_size) {
	enum policy_verdict verdict;
	if (strcmp(key, "default") == 0) {
		if (!parse_verdict(value, strlen(value), &verdict)) {
			snprintf(err, err_size, "'default' takes 'allow' or 'deny', not '%s'", value);
			return false;
		}
		if (policy->default_origin != NULL) {
			snprintf(err, err_size, "a second 'default' (the first is at %s)",
				policy->default_origin);
			return false;
		}
		if ((policy->default_origin = strdup(origin)) == NULL) {
			snprintf(err, err_size, "out of memory");
			return false;
		}
		policy->unsandboxed_default = verdict;
		return true;
	}
	if (parse_verdict(key, strlen(key), &verdict)) {
		return policy_add_rule(policy, verdict, value, origin, err, err_size);
	}
	snprintf(err, err_size, "expected 'allow', 'deny' or 'default', not '%s'", key);
	return false;
}

static bool policy_file_entry(void *data, const char *section, const char *key,
		const char *value, const char *origin, char *err, size_t err_size) {
	if (section[0] != '\0' && strcmp(section, "capture") != 0) {
		snprintf(err, err_size, "unknown section [%s] (a policy file holds [capture] only)",
			section);
		return false;
	}
	return policy_parse_entry(data, key, value, origin, err, err_size);
}

bool policy_load_file(struct policy *policy, const char *path, char *err, size_t err_size) {
	return ini_file_parse(path, policy_file_entry, policy, err, err_size);
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
