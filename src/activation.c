#include <stdlib.h>
#include <wlr/types/wlr_xdg_activation_v1.h>
#include <wlr/util/log.h>
#include "activation.h"
#include "server.h"
#include "view.h"

struct activation {
	struct server *server;
	struct wlr_xdg_activation_v1 *xdg_activation;
	struct wl_listener request_activate;
	struct wl_listener destroy;
};

static void handle_request_activate(struct wl_listener *listener, void *data) {
	struct activation *activation = wl_container_of(listener, activation, request_activate);
	struct wlr_xdg_activation_v1_request_activate_event *event = data;
	struct view *view = view_from_surface(activation->server, event->surface);
	if (view == NULL || !view->mapped) {
		wlr_log(WLR_DEBUG, "xdg-activation: token for a surface that is no mapped window");
		return;
	}
	const char *app_id = view->impl->get_app_id(view);
	/*
	 * wlroots gives a token a seat only after checking, when the token was
	 * committed, that its serial came from an input event of that client and
	 * that its surface had keyboard focus: the focused client handed focus on.
	 * Tokens without that proof (a client asking for itself, a launcher
	 * without an input event) may only draw attention.
	 */
	if (event->token->seat != NULL) {
		wlr_log(WLR_DEBUG, "xdg-activation: activating %s", app_id ? app_id : "(no app id)");
		view_activate(view);
	} else {
		wlr_log(WLR_INFO, "xdg-activation: %s demands attention (token without input "
			"serial of the focused client)", app_id ? app_id : "(no app id)");
		view_set_urgent(view, true);
	}
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct activation *activation = wl_container_of(listener, activation, destroy);
	wl_list_remove(&activation->request_activate.link);
	wl_list_remove(&activation->destroy.link);
	wl_list_init(&activation->request_activate.link);
	wl_list_init(&activation->destroy.link);
	activation->xdg_activation = NULL;
}

struct activation *activation_create(struct server *server) {
	struct activation *activation = calloc(1, sizeof(*activation));
	if (activation == NULL) {
		return NULL;
	}
	activation->server = server;
	activation->xdg_activation = wlr_xdg_activation_v1_create(server->display);
	if (activation->xdg_activation == NULL) {
		free(activation);
		return NULL;
	}
	activation->request_activate.notify = handle_request_activate;
	wl_signal_add(&activation->xdg_activation->events.request_activate,
		&activation->request_activate);
	activation->destroy.notify = handle_destroy;
	wl_signal_add(&activation->xdg_activation->events.destroy, &activation->destroy);
	return activation;
}

void activation_destroy(struct activation *activation) {
	if (activation == NULL) {
		return;
	}
	wl_list_remove(&activation->request_activate.link);
	wl_list_remove(&activation->destroy.link);
	free(activation);
}
