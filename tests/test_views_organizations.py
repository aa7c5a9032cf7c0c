"""My organization, its members and join requests; sign-up, sign-in and password reset."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from matchmaking.choices import MemberRole
from matchmaking.models import JoinRequest, Membership, Notification, Organization
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.services.memberships import request_to_join
from matchmaking.services.moderation import hide_opportunity
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def org_url(organization):
    return reverse("web:organization", args=[organization.pk])


# --------------------------------------------------------------------------- my organization


def test_my_organization_opens_the_only_one(client_as, party_editor, party):
    response = client_as(party_editor).get(reverse("web:my_organization"))
    assert response.status_code == 302 and response.url == org_url(party)


def test_a_user_of_several_organizations_chooses(client_as, party_editor, institute):
    Membership.objects.create(user=party_editor, organization=institute, role=MemberRole.VIEWER)
    response = client_as(party_editor).get(reverse("web:my_organization"))
    assert response.status_code == 200 and len(response.context["organizations"]) == 2


def test_a_user_without_organization_may_register_or_join_one(client_as, outsider, party):
    response = client_as(outsider).get(reverse("web:my_organization"))
    assert response.status_code == 200
    assert reverse("web:organization_create") in response.text and reverse("web:join") in response.text


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("party_viewer", 200),
        ("staff", 200),
        ("institute_editor", 403),
        ("outsider", 403),
    ],
)
def test_an_organization_page_is_for_its_members(request, client, party, party_viewer, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(org_url(party)).status_code == status


def test_the_page_sorts_matches_by_what_they_wait_for(
    client_as, party, party_editor, institute_editor, party_request, institute_offer, institute
):
    from tests.conftest import make_opportunity

    match = express_interest(user=institute_editor, request=party_request, offer=institute_offer)
    second_offer = make_opportunity(institute, "offer", "Mirror sites", cooperation_type_id="mirroring")
    ours = express_interest(user=party_editor, request=party_request, offer=second_offer)
    client = client_as(party_editor)
    context = client.get(org_url(party)).context
    assert context["awaiting_answer"] == [match]
    assert context["awaiting_partner"] == [ours]
    accept_match(match, user=party_editor)
    start_match(match, user=party_editor)
    context = client.get(org_url(party)).context
    assert context["to_complete"] == [match] and context["awaiting_answer"] == []


def test_the_page_lists_the_users_notifications_and_marks_them_read(
    client_as, party, party_editor, institute_editor, party_request, institute_offer
):
    express_interest(user=institute_editor, request=party_request, offer=institute_offer)
    client = client_as(party_editor)
    response = client.get(org_url(party))
    assert response.context["unread"] == 1
    client.post(reverse("web:notifications_read"), {"next": org_url(party)})
    assert not Notification.objects.filter(user=party_editor, read_at=None).exists()


def test_the_page_shows_why_an_opportunity_was_hidden(client_as, party_editor, party, party_request, staff):
    hide_opportunity(party_request, user=staff, reason="Duplicate of another request.")
    response = client_as(party_editor).get(org_url(party))
    assert "Duplicate of another request." in response.text


# --------------------------------------------------------------------------- members


def test_an_editor_adds_a_member_by_username_and_email(client_as, party_editor, party, outsider):
    client_as(party_editor).post(
        reverse("web:member_add", args=[party.pk]),
        {"username": "outsider", "email": "OUTSIDER@example.org", "role": "viewer"},
    )
    assert party.memberships.get(user=outsider).role == MemberRole.VIEWER


@pytest.mark.parametrize("username, email", [("nobody", "nobody@example.org"), ("outsider", "x@example.org")])
def test_adding_an_unknown_user_or_a_wrong_email_gets_one_answer(
    client_as, party_editor, party, outsider, username, email
):
    response = client_as(party_editor).post(
        reverse("web:member_add", args=[party.pk]),
        {"username": username, "email": email, "role": "viewer"},
        follow=True,
    )
    assert "No account has this username with this e-mail." in response.text
    assert not party.memberships.filter(user=outsider).exists()


@pytest.mark.parametrize("who", ["party_viewer", "institute_editor", "outsider"])
def test_only_editors_manage_members(request, client, party, party_editor, party_viewer, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("web:member_add", args=[party.pk]),
        {"username": "outsider", "email": "outsider@example.org", "role": "editor"},
    )
    assert response.status_code == 403
    response = client.post(reverse("web:member_remove", args=[party.pk, party_editor.pk]))
    assert response.status_code == 403
    assert party.memberships.filter(user=party_editor).exists()


def test_an_editor_changes_a_role_and_removes_a_member(client_as, party_editor, party_viewer, party):
    client = client_as(party_editor)
    client.post(reverse("web:member_role", args=[party.pk, party_viewer.pk]), {"role": "editor"})
    assert party.memberships.get(user=party_viewer).role == MemberRole.EDITOR
    client.post(reverse("web:member_remove", args=[party.pk, party_viewer.pk]), {"confirm": "yes"})
    assert not party.memberships.filter(user=party_viewer).exists()


def test_the_last_editor_stays(client_as, party_editor, party):
    client = client_as(party_editor)
    response = client.post(
        reverse("web:member_role", args=[party.pk, party_editor.pk]), {"role": "viewer"}, follow=True
    )
    assert "keeps at least one editor" in response.text
    response = client.post(
        reverse("web:member_remove", args=[party.pk, party_editor.pk]), {"confirm": "yes"}, follow=True
    )
    assert "keeps at least one editor" in response.text
    assert party.memberships.get(user=party_editor).role == MemberRole.EDITOR


def test_a_user_asks_to_join_and_an_editor_accepts(client_as, party_editor, party, outsider):
    client_as(outsider).post(
        reverse("web:join"), {"organization": party.pk, "message": "I am the new webmaster."}
    )
    join = JoinRequest.objects.get()
    page = client_as(party_editor).get(org_url(party))
    assert "I am the new webmaster." in page.text
    client_as(party_editor).post(
        reverse("web:join_answer", args=[party.pk, join.pk]), {"answer": "accept", "role": "editor"}
    )
    assert party.memberships.get(user=outsider).role == MemberRole.EDITOR
    assert not JoinRequest.objects.exists()


def test_an_editor_declines_a_request_to_join(client_as, party_editor, party, outsider):
    join = request_to_join(party, user=outsider)
    client_as(party_editor).post(
        reverse("web:join_answer", args=[party.pk, join.pk]), {"answer": "decline", "confirm": "yes"}
    )
    assert not JoinRequest.objects.exists() and not party.memberships.filter(user=outsider).exists()


def test_asking_twice_to_join_says_so(client_as, party, outsider):
    client = client_as(outsider)
    client.post(reverse("web:join"), {"organization": party.pk})
    response = client.post(reverse("web:join"), {"organization": party.pk}, follow=True)
    assert JoinRequest.objects.count() == 1
    assert "have asked to join it" in response.text


def test_a_logged_in_user_registers_an_organization(client_as, outsider):
    response = client_as(outsider).post(
        reverse("web:organization_create"), {"name": "Comoros CHM", "kind": "party", "country": "KM"}
    )
    organization = Organization.objects.get(name="Comoros CHM")
    assert response.url == org_url(organization)
    assert not organization.verified
    assert organization.memberships.get(user=outsider).role == MemberRole.EDITOR


# --------------------------------------------------------------------------- sign-up and sign-in


def signup_data(**changes):
    data = {
        "username": "focal.point",
        "email": "focal.point@example.km",
        "password1": "a-fine-password-2026",
        "password2": "a-fine-password-2026",
        "intent": "create",
        "org-name": "Point focal CHM des Comores",
        "org-kind": "party",
        "org-country": "KM",
    }
    data.update(changes)
    return data


def confirmation_link(message):
    return re.search(r"http://testserver(/accounts/confirm/\S+/)", message.body).group(1)


def test_sign_up_opens_an_account_that_waits_for_its_email_to_be_confirmed(client, mailoutbox):
    response = client.post(reverse("web:signup"), signup_data())
    assert response.status_code == 302 and response.url == reverse("web:signup_done")
    organization = Organization.objects.get(name="Point focal CHM des Comores")
    user = get_user_model().objects.get(username="focal.point")
    assert organization.memberships.get(user=user).role == MemberRole.EDITOR
    assert not organization.verified and not user.is_active
    assert "_auth_user_id" not in client.session
    login = {"username": "focal.point", "password": "a-fine-password-2026"}
    assert "_auth_user_id" not in client.post(reverse("web:login"), login).wsgi_request.session
    [message] = mailoutbox
    assert message.to == ["focal.point@example.km"]

    response = client.get(confirmation_link(message))
    assert response.status_code == 302 and response.url == org_url(organization)
    user.refresh_from_db()
    assert user.is_active
    assert client.get(org_url(organization)).status_code == 200  # signed in


def test_a_confirmation_link_works_once(client, mailoutbox):
    client.post(reverse("web:signup"), signup_data())
    link = confirmation_link(mailoutbox[0])
    assert client.get(link).status_code == 302
    client.post(reverse("web:logout"))
    response = client.get(link)
    assert response.status_code == 400 and "does not work" in response.content.decode()


def test_a_forged_confirmation_link_opens_nothing(client, mailoutbox):
    client.post(reverse("web:signup"), signup_data())
    user = get_user_model().objects.get(username="focal.point")
    assert client.get(f"/accounts/confirm/{user.pk}/forged-token/").status_code == 400
    assert client.get("/accounts/confirm/!!!/forged-token/").status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_sign_up_with_an_address_in_use_answers_the_same_and_creates_nothing(client, outsider, mailoutbox):
    """The page does not tell who is registered: the owner of the address is told by e-mail."""
    response = client.post(reverse("web:signup"), signup_data(email="OUTSIDER@example.org"))
    assert response.status_code == 302 and response.url == reverse("web:signup_done")
    assert not get_user_model().objects.filter(username="focal.point").exists()
    assert not Organization.objects.filter(name="Point focal CHM des Comores").exists()
    [message] = mailoutbox
    assert message.to == ["outsider@example.org"]
    assert "already have" in message.subject and "outsider" in message.body


def test_the_link_is_sent_again_only_to_an_account_waiting_for_it(client, outsider, mailoutbox):
    client.post(reverse("web:signup"), signup_data())
    url = reverse("web:confirm_again")
    for email in ("focal.point@example.km", "outsider@example.org", "nobody@example.org"):
        response = client.post(url, {"email": email})
        assert response.status_code == 302 and response.url == reverse("web:signup_done")
    assert [m.to for m in mailoutbox] == [["focal.point@example.km"], ["focal.point@example.km"]]
    assert client.get(confirmation_link(mailoutbox[1])).status_code == 302


def test_sign_up_may_ask_to_join_an_organization(client, party, mailoutbox):
    client.post(reverse("web:signup"), signup_data(intent="join", organization=party.pk))
    user = get_user_model().objects.get(username="focal.point")
    assert JoinRequest.objects.get().user == user
    assert not Membership.objects.filter(user=user).exists()
    response = client.get(confirmation_link(mailoutbox[0]))
    assert response.status_code == 302 and response.url == reverse("web:my_organization")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"password2": "another-password-2026"}, "password2"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"intent": "join"}, "organization"),
    ],
)
def test_sign_up_errors_are_shown_next_to_their_field(client, outsider, changes, field):
    response = client.post(reverse("web:signup"), signup_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not get_user_model().objects.filter(username="focal.point").exists()


def test_sign_up_needs_the_new_organizations_details(client):
    response = client.post(reverse("web:signup"), signup_data(**{"org-name": ""}))
    assert response.status_code == 200
    assert "name" in response.context["form"].organization_form.errors


def test_sign_in_and_out(client, party_editor, party):
    response = client.post(reverse("web:login"), {"username": "party_editor", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("web:my_organization")
    assert client.get(org_url(party)).status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405  # signing out takes a POST
    client.post(reverse("web:logout"))
    assert client.get(org_url(party)).status_code == 302


def test_a_wrong_password_is_refused(client, party_editor):
    response = client.post(reverse("web:login"), {"username": "party_editor", "password": "nope"})
    assert response.status_code == 200 and response.context["form"].errors


def test_password_reset_by_email(client, party_editor):
    response = client.post(reverse("web:password_reset"), {"email": "party_editor@example.org"})
    assert response.status_code == 302 and response.url == reverse("web:password_reset_done")
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-password-9", "new_password2": "a-brand-new-password-9"},
    )
    assert done.url == reverse("web:password_reset_complete")
    party_editor.refresh_from_db()
    assert party_editor.check_password("a-brand-new-password-9")


def test_password_reset_does_not_reveal_unknown_addresses(client, db):
    response = client.post(reverse("web:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and mail.outbox == []


def test_every_page_for_visitors_renders(client, party_request, institute_offer):
    for name in ("home", "browse", "search", "login", "signup", "password_reset"):
        assert client.get(reverse(f"web:{name}")).status_code == 200, name


def test_the_last_editor_is_not_offered_to_remove_themselves(client_as, party_editor, party_viewer, party):
    page = client_as(party_editor).get(org_url(party)).text
    assert reverse("web:member_remove", args=[party.pk, party_editor.pk]) not in page
    assert reverse("web:member_remove", args=[party.pk, party_viewer.pk]) in page
    party.memberships.filter(user=party_viewer).update(role=MemberRole.EDITOR)
    page = client_as(party_editor).get(org_url(party)).text
    assert reverse("web:member_remove", args=[party.pk, party_editor.pk]) in page
