"""The login view, with failed logins limited per account and per client address."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse

from accounts.throttle import FailureLimit, describe_wait

logger = logging.getLogger(__name__)

# Failed logins allowed per account (the email address, in any case) and per
# client address within 15 minutes. Reaching either limit locks logins for the
# rest of that window, the correct password included.
LOGIN_ACCOUNT_LIMIT = FailureLimit("login-account", max_failures=5, window_seconds=15 * 60)
LOGIN_ADDRESS_LIMIT = FailureLimit("login-address", max_failures=20, window_seconds=15 * 60)


def _typed_email(request: HttpRequest) -> str:
    return request.POST.get("username", "").strip().lower()


def _client_address(request: HttpRequest) -> str:
    # Behind a reverse proxy this is the proxy's address, so all clients share one count.
    return request.META.get("REMOTE_ADDR", "")


class ThrottledLoginView(LoginView):
    """Django's login view, which returns HTTP 429 after too many failed logins."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = _typed_email(request)
        address = _client_address(request)
        wait = max(
            LOGIN_ACCOUNT_LIMIT.retry_after(email) if email else 0,
            LOGIN_ADDRESS_LIMIT.retry_after(address),
        )
        if wait:
            logger.warning("Rejected a login from %s: too many failed logins", address)
            return self._locked_response(email, wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # Only a wrong email or password counts, not a field left empty.
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            email = _typed_email(self.request)
            address = _client_address(self.request)
            logger.info("Failed login from %s", address)
            if email:
                LOGIN_ACCOUNT_LIMIT.record_failure(email)
            LOGIN_ADDRESS_LIMIT.record_failure(address)
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        LOGIN_ACCOUNT_LIMIT.clear(_typed_email(self.request))
        LOGIN_ACCOUNT_LIMIT.clear(form.get_user().email.lower())
        return super().form_valid(form)

    def _locked_response(self, email: str, wait: int) -> HttpResponse:
        form = self.get_form_class()(self.request, initial={"username": email})
        message = (
            "Too many failed logins for this account or from your network. "
            f"Try again {describe_wait(wait)}, or reset your password if you forgot it."
        )
        context = self.get_context_data(form=form, lockout_message=message)
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(wait)
        return response
