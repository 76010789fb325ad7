"""The portal's URLs: the composition root, where every app's routes come together."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import contracts.api  # noqa: F401  (each app's api registers its viewsets on the router)
import incidents.api  # noqa: F401
import inspections.api  # noqa: F401
import reports.api  # noqa: F401
from identity.models import Membership, Organization
from identity.views import notifications as notification_pages
from identity.views.audit import audit_anchor_download, audit_search
from incidents.views.search import search
from om_portal import inbox, views
from om_portal.api import router
from om_portal.auth import api as auth_api
from om_portal.auth import views as auth_pages
from om_portal.middleware import with_policy
from reports.views import dashboard

api_patterns = [
    path("", include(router.urls)),
    # DRF's token endpoint, with the one-time code of users who must use a second factor.
    path("auth/token/", auth_api.obtain_token, name="token"),
]

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/security/", auth_pages.security, name="security"),
    path("account/password/", auth_pages.password_change, name="password-change"),
    path("account/second-factor/", auth_pages.verify, name="otp-verify"),
    path("account/second-factor/enrol/", auth_pages.enrol, name="otp-enrol"),
    path("account/second-factor/disable/", auth_pages.disable, name="otp-disable"),
    path("account/notifications/", notification_pages.preferences, name="notification-preferences"),
    path("inbox/", inbox.inbox_list, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_read, name="inbox-read"),
    path("inbox/<int:pk>/open/", inbox.inbox_open, name="inbox-open"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", audit_search, name="audit"),
    path("search/", search, name="search"),
    path("audit/anchor/", audit_anchor_download, name="audit-anchor"),
    path("users/", include("identity.urls")),
    path("administration/", include("contracts.administration_urls")),
    path("contracts/", include("contracts.urls")),
    path("incidents/", include("incidents.urls")),
    path("inspections/", include("inspections.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        login_required(
            # Swagger UI's page carries a <style> block of its own; its script is a file.
            with_policy(
                SpectacularSwaggerSplitView.as_view(url_name="schema"), style_src="'self' 'unsafe-inline'"
            )
        ),
        name="api-docs",
    ),
    # Organisations and memberships moved from contracts to identity (issue 16): their admin
    # pages still answer at the addresses bookmarks and scripts hold.
    *(
        path(f"admin/contracts/{model._meta.model_name}/", include(admin.site.get_model_admin(model).urls))
        for model in (Organization, Membership)
    ),
    path("admin/", admin.site.urls),
]
