from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from matchmaking.views import (
    accounts,
    dashboard,
    feeds,
    matches,
    moderation,
    opportunities,
    organizations,
    who_could_help,
)

app_name = "web"

auth = [
    path(
        "accounts/login/",
        accounts.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        accounts.PasswordResetView.as_view(
            success_url=reverse_lazy("web:password_reset_done"),
            email_template_name="registration/password_reset_email.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("web:password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/signup/done/", accounts.signup_done, name="signup_done"),
    path("accounts/confirm/", accounts.confirm_again, name="confirm_again"),
    path("accounts/confirm/<uidb64>/<token>/", accounts.confirm_email, name="confirm_email"),
    path("i18n/setlang/", accounts.switch_language, name="set_language"),
]

urlpatterns = [
    *auth,
    path("", opportunities.home, name="home"),
    path("search/", opportunities.search, name="search"),
    path("postings/", opportunities.browse, name="browse"),
    path("postings/feed/", feeds.postings_feed, name="postings_feed"),
    path("postings/new/", opportunities.opportunity_create, name="opportunity_create"),
    path("postings/<int:pk>/", opportunities.opportunity_detail, name="opportunity"),
    path("postings/<int:pk>/edit/", opportunities.opportunity_edit, name="opportunity_edit"),
    path("postings/<int:pk>/publish/", opportunities.opportunity_publish, name="opportunity_publish"),
    path("postings/<int:pk>/close/", opportunities.opportunity_close, name="opportunity_close"),
    path("postings/<int:pk>/reopen/", opportunities.opportunity_reopen, name="opportunity_reopen"),
    path("postings/<int:pk>/renew/", opportunities.opportunity_renew, name="opportunity_renew"),
    path("postings/<int:pk>/interest/", opportunities.express_interest, name="express_interest"),
    path("postings/<int:pk>/who-could-help/invite/", who_could_help.invite, name="invite_to_help"),
    path("matches/<int:pk>/", matches.match_detail, name="match"),
    path("matches/<int:pk>/complete/", matches.match_complete, name="match_complete"),
    path("matches/<int:pk>/messages/", matches.match_message, name="match_message"),
    path(
        "matches/<int:pk>/messages/<int:message_pk>/hide/",
        matches.match_message_hide,
        name="match_message_hide",
    ),
    path("matches/<int:pk>/<slug:action>/", matches.match_action, name="match_action"),
    path("organization/", organizations.my_organization, name="my_organization"),
    path("organizations/new/", organizations.organization_create, name="organization_create"),
    path("organizations/join/", organizations.join, name="join"),
    path("organizations/<int:pk>/", organizations.organization_detail, name="organization"),
    path("organizations/<int:pk>/members/", organizations.member_add, name="member_add"),
    path("organizations/<int:pk>/members/<int:user_id>/role/", organizations.member_role, name="member_role"),
    path(
        "organizations/<int:pk>/members/<int:user_id>/remove/",
        organizations.member_remove,
        name="member_remove",
    ),
    path(
        "organizations/<int:pk>/join-requests/<int:join_id>/", organizations.join_answer, name="join_answer"
    ),
    path("notifications/read/", organizations.notifications_read, name="notifications_read"),
    path("moderation/", moderation.moderation, name="moderation"),
    path("moderation/waiting-for-help/", who_could_help.waiting_for_help, name="waiting_for_help"),
    path("moderation/postings/<int:pk>/approve/", moderation.approve, name="moderation_approve"),
    path("moderation/postings/<int:pk>/hide/", moderation.hide, name="moderation_hide"),
    path("moderation/organizations/<int:pk>/verify/", moderation.verify, name="moderation_verify"),
    path("moderation/focal-points/", moderation.designate_focal_point, name="moderation_focal_point"),
    path(
        "moderation/focal-points/<int:pk>/withdraw/",
        moderation.withdraw_focal_point,
        name="moderation_focal_point_withdraw",
    ),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]
