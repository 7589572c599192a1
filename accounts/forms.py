"""Forms a customer fills in: signup, root password reveal, cancellation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.ssh_keys import InvalidSSHKey, parse_public_key
from provisioning.models import CatalogRegion, Plan
from provisioning.selectors import orderable_plans, plan_problems


def plan_label(plan: Plan) -> str:
    # Linode bills in US dollars, and plan prices are entered in the same currency.
    return f"{plan.name}: {plan.price_monthly} USD per month"


class SignupForm(forms.Form):
    """A new customer's account and the plan they order.

    Cleaning checks the input only. Whether the plan can be built right now
    (its type, region and image present in the catalog mirror) is checked as
    well, so that a plan the operator misconfigured rejects the signup before
    any account exists.
    """

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    plan = forms.ChoiceField(label="Plan")
    region = forms.ChoiceField(
        label="Region",
        required=False,
        help_text="Where your server runs. Plans offered in one region need no choice.",
    )
    ssh_key = forms.CharField(
        label="SSH public key (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=(
            "The contents of your .pub file, for example ~/.ssh/id_ed25519.pub. With a key, "
            "the server accepts root logins with it. Without one, the portal generates "
            "a root password that you can reveal on your dashboard."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans: dict[str, Plan] = {plan.slug: plan for plan in orderable_plans()}
        self.fields["plan"].choices = [
            (slug, plan_label(plan)) for slug, plan in self.plans.items()
        ]
        regions = sorted({region for plan in self.plans.values() for region in plan.regions})
        labels = dict(CatalogRegion.objects.filter(id__in=regions).values_list("id", "label"))
        self.fields["region"].choices = [("", "(the plan's only region)")] + [
            (region, f"{labels[region]} ({region})" if labels.get(region) else region)
            for region in regions
        ]

    @property
    def plan_regions(self) -> dict[str, list[str]]:
        """Region ids offered by each plan, for the page's script."""
        return {slug: list(plan.regions) for slug, plan in self.plans.items()}

    @staticmethod
    def duplicate_email_error(email: str) -> ValidationError:
        return ValidationError(
            "An account with the address %(email)s already exists. Log in, or reset "
            "the password if you forgot it.",
            code="duplicate_email",
            params={"email": email},
        )

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise self.duplicate_email_error(email)
        return email

    def clean_ssh_key(self) -> str:
        text = self.cleaned_data["ssh_key"].strip()
        if not text:
            return ""
        try:
            key = parse_public_key(text)
        except InvalidSSHKey as exc:
            raise ValidationError(str(exc), code="invalid_ssh_key") from None
        return key.line

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._clean_passwords(cleaned)
        self._clean_region(cleaned)
        return cleaned

    def _clean_passwords(self, cleaned: dict[str, Any]) -> None:
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if not password1 or not password2:
            return
        if password1 != password2:
            self.add_error("password2", "The two passwords differ. Type the same password twice.")
            return
        candidate = User(email=cleaned.get("email", ""))
        try:
            password_validation.validate_password(password1, user=candidate)
        except ValidationError as exc:
            self.add_error("password1", exc)

    def _clean_region(self, cleaned: dict[str, Any]) -> None:
        plan = self.plans.get(cleaned.get("plan", ""))
        if plan is None:
            return
        cleaned["plan_object"] = plan
        region = cleaned.get("region") or ""
        if not region:
            if len(plan.regions) == 1:
                cleaned["region"] = plan.regions[0]
            else:
                self.add_error(
                    "region",
                    f"The {plan.name} plan is offered in several regions; choose one of: "
                    f"{', '.join(plan.regions)}.",
                )
                return
        elif region not in plan.regions:
            self.add_error(
                "region",
                f"The {plan.name} plan is not offered in {region}; choose one of: "
                f"{', '.join(plan.regions)}.",
            )
            return

        problems = plan_problems(plan, cleaned["region"])
        if problems:
            raise ValidationError(
                [f"This plan cannot be ordered right now: {problem}" for problem in problems]
                + ["No account was created. Choose another plan or region, or try again later."],
                code="plan_unavailable",
            )


class PasswordConfirmForm(forms.Form):
    """The customer's current portal password, asked again before a sensitive step."""

    password = forms.CharField(
        label="Your portal password",
        strip=False,
        error_messages={"required": "Enter the password you log in to the portal with."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(
                "That is not your portal password. Type the password you log in with.",
                code="wrong_password",
            )
        return password


class CancelForm(forms.Form):
    """Confirmation that the customer wants their server destroyed."""

    confirm = forms.BooleanField(
        label="I understand that my server and all data on it will be deleted for good.",
        required=True,
        error_messages={"required": "Tick the box to confirm that the server may be deleted."},
    )
