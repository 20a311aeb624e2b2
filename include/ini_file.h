#ifndef PINHOLE_INI_FILE_H
#define PINHOLE_INI_FILE_H

/*
 * INI files (the configuration and capture policy files), read with libinih
 * so that every file pinhole reads has one syntax: "[section]" headers,
 * "key = value" lines, '#' or ';' comments at the start of a line and " ;"
 * comments after a value, at most INI_FILE_MAX_LINE characters a line.
 */

#include <stdbool.h>
#include <stddef.h>

#define INI_FILE_MAX_LINE 199

/*
 * Called for each "key = value" in order; section is "" before the first
 * header. origin is "FILE:LINE". On a mistake, writes the reason (without the
 * origin) into err and returns false.
 */
typedef bool (*ini_file_entry_fn)(void *data, const char *section, const char *key,
	const char *value, const char *origin, char *err, size_t err_size);

/*
 * Parses the whole file; on the first mistake (the file's own syntax or what
 * entry refused) writes "FILE:LINE: reason" (or "FILE: reason" when the file
 * cannot be read) into err and returns false.
 */
bool ini_file_parse(const char *path, ini_file_entry_fn entry, void *data,
	char *err, size_t err_size);

#endif
