#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ini_file.h"

struct ini_file {
	const char *path;
	FILE *file;
	ini_file_entry_fn entry;
	void *data;
	/* libinih does not pass line numbers to handlers: the reader counts them. */
	unsigned long line;
	char *buffer;
	size_t buffer_size;
	/* The first mistake found by the reader or an entry, and its line. */
	unsigned long error_line;
	char error[1024];
	int read_errno; /* a read failed (a directory opens fine and fails with EISDIR) */
};

static void note_error(struct ini_file *ini, const char *reason) {
	if (ini->error_line == 0) {
		ini->error_line = ini->line;
		snprintf(ini->error, sizeof(ini->error), "%s", reason);
	}
}

static char *read_line(char *str, int num, void *stream) {
	struct ini_file *ini = stream;
	ssize_t len = getline(&ini->buffer, &ini->buffer_size, ini->file);
	if (len < 0) {
		if (ferror(ini->file)) {
			ini->read_errno = errno;
		}
		return NULL;
	}
	ini->line++;
	if (strlen(ini->buffer) != (size_t)len) {
		note_error(ini, "a NUL byte (is this a text file?)");
	}
	size_t text_len = (size_t)len;
	if (text_len > 0 && ini->buffer[text_len - 1] == '\n') {
		text_len--;
	}
	if (text_len > INI_FILE_MAX_LINE || text_len >= (size_t)num) {
		/* libinih would read the rest as another line: refuse instead. */
		char reason[64];
		snprintf(reason, sizeof(reason), "line longer than %d characters", INI_FILE_MAX_LINE);
		note_error(ini, reason);
		ini->buffer[0] = '\0';
	}
	snprintf(str, (size_t)num, "%s", ini->buffer);
	return str;
}

static int handle_entry(void *user, const char *section, const char *name, const char *value) {
	struct ini_file *ini = user;
	if (ini->error_line != 0) {
		return 0; /* only the first mistake is reported; the rest is not applied */
	}
	char origin[4096 + 32];
	snprintf(origin, sizeof(origin), "%s:%lu", ini->path, ini->line);
	char reason[1024] = "";
	if (!ini->entry(ini->data, section, name, value, origin, reason, sizeof(reason))) {
		note_error(ini, reason[0] != '\0' ? reason : "invalid entry");
		return 0;
	}
	return 1;
}

bool ini_file_parse(const char *path, ini_file_entry_fn entry, void *data,
		char *err, size_t err_size) {
	struct ini_file ini = {.path = path, .entry = entry, .data = data};
	ini.file = fopen(path, "r");
	if (ini.file == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return false;
	}
	int first_error = ini_parse_stream(read_line, &ini, handle_entry, &ini);
	bool ok = true;
	if (ini.read_errno != 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(ini.read_errno));
		ok = false;
	} else if (first_error > 0 && (ini.error_line == 0 ||
			(unsigned long)first_error < ini.error_line)) {
		/* libinih's own complaint: a line that is neither a section nor "key = value". */
		snprintf(err, err_size, "%s:%d: expected '[section]' or 'key = value'", path,
			first_error);
		ok = false;
	} else if (ini.error_line != 0) {
		snprintf(err, err_size, "%s:%lu: %s", path, ini.error_line, ini.error);
		ok = false;
	} else if (first_error < 0) {
		snprintf(err, err_size, "%s: out of memory", path);
		ok = false;
	}
	free(ini.buffer);
	fclose(ini.file);
	return ok;
}
