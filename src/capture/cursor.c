#include <assert.h>
#include <stdlib.h>
#include <wlr/util/log.h>
#include "capture/internal.h"
#include "ext-image-copy-capture-v1-protocol.h"

/*
 * Pointer cursor sessions. pinhole does not capture cursor images yet: the
 * session never enters, and its capture session is stopped at once, which
 * clients such as wayvnc handle by falling back to painted cursors.
 */
struct cursor_session {
	struct wl_resource *resource;
	bool has_capture_session;
};

static const struct ext_image_copy_capture_cursor_session_v1_interface cursor_session_impl;

static struct cursor_session *cursor_session_from_resource(struct wl_resource *resource) {
	assert(wl_resource_instance_of(resource,
		&ext_image_copy_capture_cursor_session_v1_interface, &cursor_session_impl));
	return wl_resource_get_user_data(resource);
}

static void cursor_session_handle_destroy(struct wl_client *client,
		struct wl_resource *resource) {
	wl_resource_destroy(resource);
}

static void cursor_session_handle_get_capture_session(struct wl_client *client,
		struct wl_resource *resource, uint32_t id) {
	struct cursor_session *cursor_session = cursor_session_from_resource(resource);
	if (cursor_session->has_capture_session) {
		wl_resource_post_error(resource,
			EXT_IMAGE_COPY_CAPTURE_CURSOR_SESSION_V1_ERROR_DUPLICATE_SESSION,
			"get_capture_session sent twice");
		return;
	}
	cursor_session->has_capture_session = true;
	capture_session_create(client, wl_resource_get_version(resource), id, NULL, 0);
}

static const struct ext_image_copy_capture_cursor_session_v1_interface cursor_session_impl = {
	.destroy = cursor_session_handle_destroy,
	.get_capture_session = cursor_session_handle_get_capture_session,
};

static void cursor_session_handle_resource_destroy(struct wl_resource *resource) {
	free(cursor_session_from_resource(resource));
}

void capture_cursor_session_create(struct wl_client *client, uint32_t version, uint32_t id,
		struct capture_source *source, struct wl_resource *pointer) {
	struct cursor_session *cursor_session = calloc(1, sizeof(*cursor_session));
	if (cursor_session == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	cursor_session->resource = wl_resource_create(client,
		&ext_image_copy_capture_cursor_session_v1_interface, version, id);
	if (cursor_session->resource == NULL) {
		free(cursor_session);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(cursor_session->resource, &cursor_session_impl,
		cursor_session, cursor_session_handle_resource_destroy);
	wlr_log(WLR_DEBUG, "cursor session %p: cursor capture is not supported yet",
		(void *)cursor_session);
}
